/* Where event lines go: one line per event (NDJSON). The sink takes lines
 * that the event writers have finished and counts what became of them; it
 * knows nothing of what is in them.
 *
 * An output is named by a spec (-o):
 *   PATH                 a file, appended to, reopened by sink_reopen
 *   -                    stdout
 *   unix-stream:PATH     a collector listening on a unix stream socket (one
 *                        line a record, newline-terminated)
 *   unix-dgram:PATH      a collector on a unix datagram socket (one event a
 *                        datagram, no newline)
 *   syslog[:FAC][@SOCK]  one RFC 5424 message an event to the local syslog
 *                        socket (/dev/log, or SOCK), identity distill-sensor,
 *                        facility FAC (local5 by default), severity info
 *   redis://HOST:PORT/KEY[?mode=list|channel|stream]
 *                        RPUSH (the default), PUBLISH or XADD (MAXLEN ~
 *                        SINK_REDIS_STREAM_MAXLEN) each event to KEY
 * A PATH whose first ':' comes before any '/' reads as a scheme: write it
 * ./PATH. Several outputs are one sink (sink_open_all) that hands each line
 * to every one in turn.
 *
 * A file (or stdout) is written through a buffer of our own: a write that
 * fails (a full disk) drops what the buffer held, counted as write errors,
 * and the next write tries again; a line cut by the failure is ended with a
 * newline first, so the lines after it are whole. The socket kinds never
 * block: each has a bounded queue (lines and bytes), connects again with a
 * backoff on the monotonic clock, and counts as dropped what did not fit
 * in the queue, was cut by a lost connection, or was still queued at close.
 * Kinds are behind a struct sink_ops (sink-int.h). */
#ifndef DS_SINK_H
#define DS_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sink;
struct stats_node;

enum sink_kind {
    SINK_FILE,
    SINK_STDOUT,
    SINK_UNIX_STREAM,
    SINK_UNIX_DGRAM,
    SINK_SYSLOG,
    SINK_REDIS,
};

enum sink_redis_mode {
    SINK_REDIS_LIST,           /* RPUSH KEY EVENT (the default) */
    SINK_REDIS_CHANNEL,        /* PUBLISH KEY EVENT */
    SINK_REDIS_STREAM,         /* XADD KEY MAXLEN ~ N * event EVENT */
};

#define SINK_PATH_MAX 108      /* a unix socket's sun_path; files may be longer */
#define SINK_SYSLOG_SOCKET "/dev/log"
#define SINK_SYSLOG_FACILITY 21 /* local5, as Suricata's */
#define SINK_QUEUE_LINES_DEFAULT 10000
#define SINK_REDIS_STREAM_MAXLEN 100000
#define SINK_QUEUE_BYTES_MAX (64u * 1024 * 1024)

/* A parsed spec; path points into the spec string (the file, or the
 * socket), NULL for stdout. */
struct sink_spec {
    enum sink_kind kind;
    const char *path;
    int facility;              /* syslog: 0..23 */
    char host[256];            /* redis */
    char key[256];
    int port;
    enum sink_redis_mode mode;
    const char *username;      /* redis AUTH (NULL: none; the password alone */
    const char *password;      /* is AUTH PASSWORD); never from the spec */
};

/* One output to open: its spec, and for redis the AUTH credentials that
 * come from the configuration file (NULL: none; never on the command
 * line, where other users would read them). */
struct sink_output {
    const char *spec;
    const char *username;      /* with password: AUTH USERNAME PASSWORD */
    const char *password;      /* alone: AUTH PASSWORD */
};

/* Parses an output spec (above). Returns 0, or -1 with "SPEC: why" in err
 * (an unknown scheme, a bad facility, an empty or too long socket path). */
int sink_spec_parse(const char *spec, struct sink_spec *sp, char *err, size_t errlen);

/* The kind's name in stats and messages: "file", "stdout", "unix_stream",
 * "unix_dgram", "syslog", "redis". */
const char *sink_kind_name(enum sink_kind kind);

/* Opens one output (a spec, above; a plain path is a file). A socket that
 * is not there yet is not an error (a warning; the sink retries). Returns
 * 0, or -1 with "SPEC: why" in err. */
int sink_open(const char *spec, struct sink **out, char *err, size_t errlen);

/* Opens n >= 1 outputs as one sink: a line written to it is written to
 * each in the order given. queue_lines caps each socket sink's queue (its
 * bytes are capped at queue_lines * 4 KiB, at most SINK_QUEUE_BYTES_MAX).
 * n == 1 is that output alone. Returns 0, or -1 with the first failure's
 * "SPEC: why" (nothing is left open). */
int sink_open_all(const char *const *specs, size_t n, size_t queue_lines, struct sink **out,
                  char *err, size_t errlen);

/* sink_open_all with credentials: outs[i].spec with outs[i]'s AUTH (a
 * password for an output that is not redis is refused, "SPEC: why"). */
int sink_open_outputs(const struct sink_output *outs, size_t n, size_t queue_lines,
                      struct sink **out, char *err, size_t errlen);

/* Exchanges what a and b are (their outputs, state and counters), so a
 * sink others hold a pointer to (the sensor's) takes b's outputs; b, now
 * holding a's old ones, is the caller's to close. SIGHUP with a new
 * configuration: its outputs opened first, then swapped in. */
void sink_swap(struct sink *a, struct sink *b);

/* Reopens the files (after rotation: SIGHUP). On failure returns -1 with the
 * reason in err and goes on writing to the old file. Other kinds: a no-op. */
int sink_reopen(struct sink *k, char *err, size_t errlen);

/* Writes one event: line[0..n) and a newline. n == 0 stands for an event
 * that could not be written at all (it did not fit the line cap) and is
 * counted as a write error, as is a line the stream refused. */
void sink_write(struct sink *k, const char *line, size_t n);

/* Counts an event that was shortened to fit the line cap (the writer
 * decides what goes; the sink keeps the count). */
void sink_note_truncated(struct sink *k);

/* Pushes buffered lines out (end of input, a quiet link): files are
 * written, sockets reconnect if their backoff is over and send what their
 * queue holds that the socket takes without blocking. */
void sink_flush(struct sink *k);

/* Flushes and closes; a socket sink first tries for up to a second to
 * send what it still holds. Returns -1 if a file lost a line since
 * sink_open (flush and close included), else 0: what socket sinks dropped
 * is counted and said on stderr, but does not fail the run. NULL-safe (0). */
int sink_close(struct sink *k);

struct sink_counters {
    uint64_t events;        /* lines written (sockets: sent whole) */
    uint64_t write_errors;  /* lines lost to write errors (or too long to write) */
    uint64_t truncated;     /* events shortened to stay under the line cap */
    uint64_t dropped;       /* sockets: lines the queue refused or lost */
    uint64_t reconnects;    /* sockets: connections made after the first */
    uint64_t auth_failures; /* redis: AUTH refused (a wrong password or user) */
};
/* Of a sink of several outputs: the first output's, truncated counted once. */
const struct sink_counters *sink_counters(const struct sink *k);

/* Stats: sensor.output {events, write_errors} of the first output, as
 * with one file. With several outputs, or one that is not a file or
 * stdout, also sensor.output.<kind>_<n> (n from 1, in -o order) for each:
 * {events, write_errors, dropped, queued, reconnects}, and for redis
 * auth_failures. */
void sink_stats_write(const struct sink *k, struct stats_node *root);
/* For the metrics only: the one file or stdout output's
 * sensor.output.<kind>_1 too, so every output has its own figures. */
void sink_metrics_write(const struct sink *k, struct stats_node *root);

#endif
