/* The input loop: -r arguments expanded into capture files, each read into
 * the sensor in turn, or one live interface; SIGHUP reloads the rules and
 * reopens the output, SIGUSR1 writes a stats event, between reads of the
 * same capture. Live, a timer moves the sensor's clock while the link is
 * quiet. */
#include "ds/input.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ds/log.h"
#include "ds/privdrop.h"
#include "ds/reload.h"
#include "ds/sink.h"
#include "ds/sensor.h"
#include "ds/signals.h"
#include "ds/time-units.h"
#include "ds/util.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the capture files of directory `dir` to in->files, in name order. */
static enum ds_err add_dir(struct input *in, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        log_error("%s: cannot read directory: %s", dir, strerror(errno));
        return DS_ERR_IO;
    }
    int first = in->nfiles;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = xmalloc(len);
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            !capture_file_looks_like_capture(path)) {
            log_info("%s: skipped: not a capture file", path);
            free(path);
            continue;
        }
        if (in->nfiles == INPUT_MAX_FILES) {
            free(path);
            closedir(d);
            log_error("more than %d capture files", INPUT_MAX_FILES);
            return DS_ERR_IO;
        }
        in->files[in->nfiles++] = path;
    }
    closedir(d);
    qsort(in->files + first, (size_t)(in->nfiles - first), sizeof(*in->files), by_name);
    if (in->nfiles == first)
        log_warn("%s: directory holds no capture files", dir);
    return DS_OK;
}

enum ds_err input_expand(const char *const *args, int nargs, struct input *in)
{
    in->files = xcalloc(INPUT_MAX_FILES, sizeof(*in->files));
    in->nfiles = 0;
    for (int i = 0; i < nargs; i++) {
        enum ds_err e = DS_OK;
        if (is_dir(args[i])) {
            e = add_dir(in, args[i]);
        } else if (in->nfiles == INPUT_MAX_FILES) {
            log_error("more than %d capture files", INPUT_MAX_FILES);
            e = DS_ERR_IO;
        } else {
            in->files[in->nfiles++] = xstrdup(args[i]);
        }
        if (e != DS_OK) {
            input_free(in);
            return e;
        }
    }
    return DS_OK;
}

void input_free(struct input *in)
{
    if (in == NULL || in->files == NULL)
        return;
    for (int i = 0; i < in->nfiles; i++)
        free(in->files[i]);
    free(in->files);
    in->files = NULL;
    in->nfiles = 0;
}

/* -Z: once a capture is open, before its first packet; a no-op after the
 * first call and without -Z. */
static enum ds_err drop_privileges(const struct input *in)
{
    char err[512];
    if (privdrop_apply(in->drop, err, sizeof(err)) == 0)
        return DS_OK;
    log_error("%s", err);
    return DS_ERR_IO;
}

/* After a capture opened: the drop, then in->started the first time. */
static enum ds_err after_open(const struct input *in, bool *started)
{
    if (drop_privileges(in) != DS_OK)
        return DS_ERR_IO;
    if (*started || in->started == NULL)
        return DS_OK;
    *started = true;
    return in->started(in->started_ctx) == 0 ? DS_OK : DS_ERR_IO;
}

/* SIGHUP: with -c the reloader re-reads the configuration (reload.h);
 * without, the files are reopened and the rules reloaded. */
static void handle_hup(const struct input *in, struct sensor *s, struct sink *out)
{
    if (in->reload != NULL) {
        reload_hup(in->reload, s, out);
        return;
    }
    char err[512];
    if (sink_reopen(out, err, sizeof(err)) != 0)
        log_error("%s", err);
    sensor_reload(s);
}

/* Acts on the SIGHUP and SIGUSR1 that came since the last look; true if
 * either did. */
static bool take_signals(const struct input *in, struct sensor *s, struct sink *out)
{
    bool hup = signals_take_hup();
    bool usr1 = signals_take_usr1();
    if (hup)
        handle_hup(in, s, out);
    if (usr1)
        sensor_stats_now(s);
    return hup || usr1;
}

/* Runs one opened capture file to its end, resuming it after each SIGHUP
 * or SIGUSR1; DS_OK, or DS_ERR_IO on a read error. */
static enum ds_err run_capture(const struct input *in, struct sensor *s, struct capture *cap,
                               const char *name, struct sink *out)
{
    char err[512];
    signals_set_capture(cap);
    sensor_set_capture(s, cap);
    enum ds_err rc = capture_run(cap, sensor_packet, s, err, sizeof(err));
    while (rc == DS_OK && !signals_stop_requested() && take_signals(in, s, out))
        rc = capture_run(cap, sensor_packet, s, err, sizeof(err));
    if (rc != DS_OK)
        log_error("%s: %s", name, err);
    signals_set_capture(NULL);
    return rc;
}

static uint64_t clock_us(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return ds_s_to_us((uint64_t)t.tv_sec) + (uint64_t)t.tv_nsec / DS_NS_PER_US;
}

/* Live time: packet time while packets come; while the link is quiet, the
 * latest packet time plus the time the monotonic clock says has passed
 * since it was read. Anchored on packet time, not on the wall clock, so
 * timestamps from another clock than ours (a NIC's, a skewed host's) and a
 * wall clock stepped by NTP neither jump the sensor's clock nor send it
 * back. Before any packet the anchor is the wall clock, which is what the
 * kernel stamps packets with. */
struct live_clock {
    uint64_t pkt_us;   /* the sensor's clock at the anchor */
    uint64_t mono_us;  /* the monotonic clock then */
};

static void live_clock_anchor(struct live_clock *lc, uint64_t pkt_us)
{
    lc->pkt_us = pkt_us;
    lc->mono_us = clock_us(CLOCK_MONOTONIC);
}

static uint64_t live_clock_now(const struct live_clock *lc)
{
    return lc->pkt_us + (clock_us(CLOCK_MONOTONIC) - lc->mono_us);
}

/* Reads the live capture until SIGINT/SIGTERM or a read error: after a read
 * that brought packets the clock is anchored on their time; after one that
 * brought none (the link is quiet) the sensor's clock is moved on by the
 * timer and what it buffered is written out. */
static enum ds_err run_live_capture(const struct input *in, struct sensor *s,
                                    struct capture *cap, const char *name, struct sink *out)
{
    char err[512];
    struct live_clock lc;
    live_clock_anchor(&lc, clock_us(CLOCK_REALTIME));
    signals_set_capture(cap);
    sensor_set_capture(s, cap);
    enum ds_err rc = DS_OK;
    while (rc == DS_OK && !signals_stop_requested()) {
        uint64_t got = 0;
        rc = capture_dispatch(cap, sensor_packet, s, CAPTURE_WAIT_MS, &got, err, sizeof(err));
        take_signals(in, s, out);
        if (got > 0) {
            live_clock_anchor(&lc, sensor_now(s));
        } else {
            sensor_tick(s, live_clock_now(&lc));
            sink_flush(out);
        }
    }
    if (rc == DS_OK)
        capture_drain(cap, sensor_packet, s); /* packets that came before the stop */
    else
        log_error("%s: %s", name, err);
    signals_set_capture(NULL);
    return rc;
}

static enum ds_err run_live(const struct input *in, struct sensor *s, struct sink *out)
{
    char err[512];
    struct capture *cap = NULL;
    enum ds_err e = capture_open_live(in->iface, in->live, in->filter, &cap, err, sizeof(err));
    if (e != DS_OK) {
        log_error("%s: %s", in->iface, err);
        sensor_finish(s);
        return e;
    }
    bool started = false;
    if (after_open(in, &started) != DS_OK) {
        capture_close(cap);
        return DS_ERR_IO;
    }
    log_info("listening on %s", in->iface);
    e = run_live_capture(in, s, cap, in->iface, out);
    /* Final stats while the capture is open: they carry its kernel counters. */
    sensor_finish(s);
    sensor_set_capture(s, NULL);
    capture_close(cap);
    return e;
}

static enum ds_err run_files(const struct input *in, struct sensor *s, struct sink *out)
{
    char err[512];
    enum ds_err status = DS_OK;
    bool started = false;
    for (int i = 0; i < in->nfiles && !signals_stop_requested(); i++) {
        struct capture *cap = NULL;
        enum ds_err e = capture_open_file(in->files[i], in->filter, &cap, err, sizeof(err));
        if (e != DS_OK) {
            log_error("%s: %s", in->files[i], err);
            status = e;
            if (e == DS_ERR_CONFIG)
                break; /* the same filter fails on every file */
            continue;
        }
        if (after_open(in, &started) != DS_OK) {
            capture_close(cap);
            return DS_ERR_IO;
        }
        if (run_capture(in, s, cap, in->files[i], out) != DS_OK)
            status = DS_ERR_IO;
        sensor_set_capture(s, NULL);
        capture_close(cap);
    }
    sensor_finish(s);
    return status;
}

enum ds_err input_run(const struct input *in, struct sensor *s, struct sink *out)
{
    if (in->iface != NULL)
        return run_live(in, s, out);
    return run_files(in, s, out);
}
