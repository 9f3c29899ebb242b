/* Live and offline capture through libpcap: the only module that includes
 * pcap.h. Timestamps are asked for in microseconds whatever the file holds. */
#include "ds/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds/err.h"
#include "ds/log.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

#define CAPTURE_DRAIN_SLACK_MS 50  /* past the buffer timeout, for the last batch */
#define CAPTURE_DRAIN_MAX_MS 2000  /* a stop drains the kernel's buffer this long at most */

struct capture {
    pcap_t *p;
    bool live;
    int linktype;
    capture_fn fn;
    void *ctx;
    uint64_t received;      /* packets delivered, for error messages */
    uint64_t drops_seen;    /* kernel drops at the last stats, for the warning */
    volatile sig_atomic_t broken; /* capture_break since capture_run began */
};

/* A filter that does not compile is the user's (DS_ERR_CONFIG); one that
 * compiles but cannot be set is the system's (DS_ERR_IO). */
static enum ds_err apply_filter(struct capture *c, const char *bpf, char *err, size_t errlen)
{
    if (bpf == NULL || *bpf == '\0')
        return DS_OK;
    struct bpf_program prog;
    if (pcap_compile(c->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter expression '%s': %s", bpf, pcap_geterr(c->p));
        return DS_ERR_CONFIG;
    }
    int rc = pcap_setfilter(c->p, &prog);
    if (rc != 0)
        snprintf(err, errlen, "cannot set filter: %s", pcap_geterr(c->p));
    pcap_freecode(&prog);
    return rc == 0 ? DS_OK : DS_ERR_IO;
}

bool capture_file_looks_like_capture(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    uint8_t m[4];
    size_t n = fread(m, 1, sizeof(m), f);
    fclose(f);
    if (n != sizeof(m))
        return false;
    uint32_t be = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
    return be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || be == 0xa1b23c4du || be == 0x4d3cb2a1u ||
           be == 0x0a0d0d0au;
}

enum ds_err capture_open_file(const char *path, const char *bpf, struct capture **out, char *err,
                              size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    /* "-" is standard input, as for tcpdump -r -: a copy of the descriptor,
     * so that closing the capture leaves stdin to the process. */
    FILE *fp = NULL;
    if (strcmp(path, "-") == 0) {
        int fd = dup(STDIN_FILENO);
        fp = fd < 0 ? NULL : fdopen(fd, "rb");
        if (fp == NULL && fd >= 0)
            close(fd);
    } else {
        fp = fopen(path, "rb");
    }
    if (fp == NULL) {
        snprintf(err, errlen, "%s", strerror(errno));
        return DS_ERR_IO;
    }
    /* pcap_fopen keeps fp and closes it with the handle. */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (p == NULL) {
        fclose(fp);
        if (strstr(ebuf, "unknown file format") || strstr(ebuf, "bad dump file format"))
            snprintf(err, errlen, "not a pcap or pcapng capture (%s)", ebuf);
        else if (strstr(ebuf, "truncated"))
            snprintf(err, errlen, "truncated capture header (%s)", ebuf);
        else
            snprintf(err, errlen, "%s", ebuf);
        return DS_ERR_IO;
    }
    struct capture *c = xcalloc(1, sizeof(*c));
    c->p = p;
    c->linktype = pcap_datalink(p);
    enum ds_err e = apply_filter(c, bpf, err, errlen);
    if (e != DS_OK) {
        capture_close(c);
        return e;
    }
    *out = c;
    return DS_OK;
}

enum ds_err capture_open_live(const char *iface, const struct capture_live_opts *opts,
                              const char *bpf, struct capture **out, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, ebuf);
    if (p == NULL) {
        snprintf(err, errlen, "%s", ebuf);
        return DS_ERR_IO;
    }
    struct capture *c = xcalloc(1, sizeof(*c));
    c->p = p;
    c->live = true;
    pcap_set_snaplen(p, opts->snaplen);
    pcap_set_promisc(p, opts->promisc ? 1 : 0);
    pcap_set_timeout(p, CAPTURE_WAIT_MS);
    /* Batches of packets, not a wake-up per packet: the buffer timeout above
     * bounds how late a packet is handed over. */
    pcap_set_immediate_mode(p, 0);
    if (opts->buffer_mib > 0)
        pcap_set_buffer_size(p, opts->buffer_mib * 1024 * 1024);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(p);
    if (rc < 0) {
        const char *why = pcap_geterr(p);
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(err, errlen, "no such interface (%s)", why);
        else if (rc == PCAP_ERROR_PERM_DENIED)
            snprintf(err, errlen, "permission denied: capturing needs root or CAP_NET_RAW (%s)",
                     why);
        else if (rc == PCAP_ERROR_IFACE_NOT_UP)
            snprintf(err, errlen, "interface is down (%s)", why);
        else
            snprintf(err, errlen, "%s (%s)", pcap_statustostr(rc), why);
        capture_close(c);
        return DS_ERR_IO;
    }
    c->linktype = pcap_datalink(p);
    enum ds_err e = apply_filter(c, bpf, err, errlen);
    if (e == DS_OK && pcap_setnonblock(p, 1, ebuf) != 0) {
        snprintf(err, errlen, "cannot make the capture non-blocking: %s", ebuf);
        e = DS_ERR_IO;
    }
    if (e != DS_OK) {
        capture_close(c);
        return e;
    }
    *out = c;
    return DS_OK;
}

void capture_close(struct capture *c)
{
    if (c == NULL)
        return;
    if (c->p)
        pcap_close(c->p);
    free(c);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct capture *c = (struct capture *)user;
    uint64_t ts = ds_s_to_us((uint64_t)h->ts.tv_sec) + (uint64_t)h->ts.tv_usec;
    c->received++;
    c->fn(c->ctx, c->linktype, data, h->caplen, h->len, ts);
}

enum ds_err capture_run(struct capture *c, capture_fn fn, void *ctx, char *err, size_t errlen)
{
    c->fn = fn;
    c->ctx = ctx;
    c->broken = 0;
    int rc = pcap_loop(c->p, -1, on_packet, (u_char *)c);
    /* A signal that broke the loop may have cut a read from a pipe short
     * (EINTR): that is the stop it asked for, not a read error. */
    if (rc == PCAP_ERROR && !c->broken) {
        snprintf(err, errlen, "read error after %llu packets: %s",
                 (unsigned long long)c->received, pcap_geterr(c->p));
        return DS_ERR_IO;
    }
    return DS_OK;
}

/* Waits for the capture's descriptor to be readable, at most wait_ms; a
 * signal ends the wait early. libpcap's own buffer timeout cannot be the
 * wait: on Linux (TPACKET_V3) it only runs once a packet has come, so an
 * idle link would block the read for good. */
static void wait_readable(struct capture *c, int wait_ms)
{
    int fd = pcap_get_selectable_fd(c->p);
    if (fd < 0)
        return;
    struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
    (void)poll(&pfd, 1, wait_ms);
}

/* One wait of at most wait_ms and one read: pcap_dispatch's result (a
 * count, PCAP_ERROR_BREAK, PCAP_ERROR). */
static int dispatch_once(struct capture *c, capture_fn fn, void *ctx, int wait_ms)
{
    c->fn = fn;
    c->ctx = ctx;
    wait_readable(c, wait_ms);
    return pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
}

enum ds_err capture_dispatch(struct capture *c, capture_fn fn, void *ctx, int wait_ms,
                             uint64_t *delivered, char *err, size_t errlen)
{
    *delivered = 0;
    int rc = dispatch_once(c, fn, ctx, wait_ms);
    if (rc == PCAP_ERROR) {
        snprintf(err, errlen, "read error after %llu packets: %s",
                 (unsigned long long)c->received, pcap_geterr(c->p));
        return DS_ERR_IO;
    }
    if (rc > 0)
        *delivered = (uint64_t)rc;
    return DS_OK;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * DS_MS_PER_S + (uint64_t)t.tv_nsec / (DS_NS_PER_US * DS_US_PER_MS);
}

void capture_drain(struct capture *c, capture_fn fn, void *ctx)
{
    uint64_t deadline = mono_ms() + CAPTURE_DRAIN_MAX_MS;
    int rc;
    /* A read that ends at pcap_breakloop's flag (still up from the stop, or
     * a second signal) says nothing of what is left: read on. */
    do {
        rc = dispatch_once(c, fn, ctx, CAPTURE_WAIT_MS + CAPTURE_DRAIN_SLACK_MS);
    } while ((rc > 0 || rc == PCAP_ERROR_BREAK) && mono_ms() < deadline);
}

void capture_break(struct capture *c)
{
    if (c && c->p) {
        c->broken = 1;
        pcap_breakloop(c->p);
    }
}

int capture_linktype(const struct capture *c)
{
    return c->linktype;
}

int capture_kernel_stats(struct capture *c, uint64_t *received, uint64_t *dropped,
                         uint64_t *ifdropped)
{
    if (!c->live)
        return -1;
    struct pcap_stat ps;
    if (pcap_stats(c->p, &ps) != 0)
        return -1;
    *received = ps.ps_recv;
    *dropped = ps.ps_drop;
    *ifdropped = ps.ps_ifdrop;
    return 0;
}

/* A warning on stderr when the kernel dropped packets since the last stats
 * event: the counters alone are easy to miss. */
static void warn_new_drops(struct capture *c, uint64_t drops)
{
    if (drops <= c->drops_seen)
        return;
    log_warn("capture: the kernel dropped %llu packets since the last stats (%llu in all): "
             "the sensor is not keeping up; a larger --buffer-size may help",
             (unsigned long long)(drops - c->drops_seen), (unsigned long long)drops);
    c->drops_seen = drops;
}

void capture_stats_write(struct capture *c, struct stats_node *root)
{
    struct pcap_stat ps;
    if (!c->live || pcap_stats(c->p, &ps) != 0)
        return;
    struct stats_node *cap = stats_child(stats_child(root, "stats"), "capture");
    stats_u64(cap, "kernel_packets", ps.ps_recv);
    stats_u64(cap, "kernel_drops", ps.ps_drop);
    stats_u64(cap, "kernel_ifdrops", ps.ps_ifdrop);
    warn_new_drops(c, (uint64_t)ps.ps_drop + ps.ps_ifdrop);
}
