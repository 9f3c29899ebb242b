/* Where event lines go: one line per event (NDJSON). The sink takes lines
 * that the event writers have finished and counts what became of them; it
 * knows nothing of what is in them.
 *
 * One kind exists: a file, or stdout ("-"). Other kinds (a unix socket,
 * syslog, redis) are a struct sink_ops of their own in sink.c and an open
 * function: the rest of the sensor sees only struct sink. */
#ifndef DS_SINK_H
#define DS_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sink;
struct stats_node;

/* Opens a sink: "-" is stdout, anything else a file opened for appending.
 * Returns 0, or -1 with "path: cannot open for writing: why" in err. */
int sink_open(const char *path, struct sink **out, char *err, size_t errlen);

/* Reopens a file (after rotation: SIGHUP). On failure returns -1 with the
 * reason in err and goes on writing to the old stream. stdout: a no-op. */
int sink_reopen(struct sink *k, char *err, size_t errlen);

/* Writes one event: line[0..n) and a newline. n == 0 stands for an event
 * that could not be written at all (it did not fit the line cap) and is
 * counted as a write error, as is a line the stream refused. */
void sink_write(struct sink *k, const char *line, size_t n);

/* Counts an event that was shortened to fit the line cap (the writer
 * decides what goes; the sink keeps the count). */
void sink_note_truncated(struct sink *k);

/* Pushes buffered lines out (end of input). */
void sink_flush(struct sink *k);

/* Flushes and closes. Returns -1 if any write failed since sink_open
 * (flush and close included), else 0. NULL-safe (0). */
int sink_close(struct sink *k);

struct sink_counters {
    uint64_t events;        /* lines written */
    uint64_t write_errors;  /* lines lost to write errors (or too long to write) */
    uint64_t truncated;     /* events shortened to stay under the line cap */
};
const struct sink_counters *sink_counters(const struct sink *k);

/* Our sensor.output {events, write_errors} in the stats event. */
void sink_stats_write(const struct sink *k, struct stats_node *root);

#endif
