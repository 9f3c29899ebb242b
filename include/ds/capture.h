/* Packet capture: offline files (pcap, pcapng) and live interfaces, BPF
 * filters and kernel counters. The only module that includes pcap.h. */
#ifndef DS_CAPTURE_H
#define DS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/err.h"

struct capture;

/* Longest a live read waits for packets before it returns with none, so the
 * caller's clock can move on while the link is quiet; also libpcap's buffer
 * timeout (how late a batch of packets is handed over). */
#define CAPTURE_WAIT_MS 200

/* The default kernel buffer of a live capture: room for about 0.7 s of
 * 740 Mbit/s while the sensor is held up (libpcap's own is 2 MiB). */
#define CAPTURE_BUFFER_MIB_DEFAULT 64

struct capture_live_opts {
    int snaplen;        /* bytes per packet kept */
    int buffer_mib;     /* kernel buffer, MiB; 0 = libpcap's default */
    bool promisc;
};

typedef void (*capture_fn)(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
                           uint32_t wirelen, uint64_t ts_us);

/* Opens a capture file and sets the BPF filter `bpf` (NULL or "" for none).
 * Returns DS_OK, or on failure writes a one-line reason ("not a pcap or
 * pcapng capture", "No such file or directory", "bad filter expression ...")
 * to err and returns DS_ERR_CONFIG for a filter that does not compile,
 * DS_ERR_IO for anything else. */
enum ds_err capture_open_file(const char *path, const char *bpf, struct capture **out, char *err,
                              size_t errlen);
/* Opens an interface for live capture; results as capture_open_file. */
enum ds_err capture_open_live(const char *iface, const struct capture_live_opts *opts,
                              const char *bpf, struct capture **out, char *err, size_t errlen);
void capture_close(struct capture *c);

/* Reads packets into fn until the end of the file or capture_break. Returns
 * DS_OK, or DS_ERR_IO on a read error with the reason in err (packets read
 * before the error were delivered); a read a capture_break's signal
 * interrupted is no error. */
enum ds_err capture_run(struct capture *c, capture_fn fn, void *ctx, char *err, size_t errlen);
/* A live capture's one read: waits up to wait_ms for packets (a signal ends
 * the wait), then hands what the kernel holds to fn; *delivered is how many
 * (0 when the wait ran out or capture_break was called). Returns DS_OK, or
 * DS_ERR_IO on a read error with the reason in err. */
enum ds_err capture_dispatch(struct capture *c, capture_fn fn, void *ctx, int wait_ms,
                             uint64_t *delivered, char *err, size_t errlen);
/* After the last capture_dispatch (a stop): hands fn the packets the kernel
 * still holds, until a read that waited out the buffer timeout (for the
 * last batch) brings none, or 2 s at most on a link that does not go quiet.
 * A read error ends it: the capture is ending. */
void capture_drain(struct capture *c, capture_fn fn, void *ctx);
/* Async-signal-safe: makes capture_run return soon. */
void capture_break(struct capture *c);

int capture_linktype(const struct capture *c);
/* Kernel counters of a live capture; -1 for a file. */
int capture_kernel_stats(struct capture *c, uint64_t *received, uint64_t *dropped,
                         uint64_t *ifdropped);
/* True if the file starts like a pcap or pcapng capture. */
bool capture_file_looks_like_capture(const char *path);


struct stats_node;
/* EVE's stats.capture (the kernel counters, read now) for a live capture;
 * nothing for a file. Warns on stderr when the kernel's drops grew since the
 * last call. */
void capture_stats_write(struct capture *c, struct stats_node *root);

#endif
