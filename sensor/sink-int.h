/* Inside the sink (see ds/sink.h): the table of a kind's operations and the
 * struct every kind shares, for sink.c and the kinds (sink-file.c,
 * sink-socket.c). A kind counts its own lines in k->n. */
#ifndef DS_SINK_INT_H
#define DS_SINK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ds/sink.h"

struct sink_ops {
    /* One line (n >= 1 bytes, no newline): written, queued or counted lost. */
    void (*write)(struct sink *k, const char *line, size_t n);
    /* 0, or -1 if something was lost. */
    int (*flush)(struct sink *k);
    /* -1: the old destination is kept, err says why. NULL: nothing to do. */
    int (*reopen)(struct sink *k, char *err, size_t errlen);
    /* Flushes, closes and frees impl; -1 if a line was lost in doing so. */
    int (*close)(struct sink *k);
    /* Lines held and not yet out (queued); NULL: none. */
    size_t (*held)(const struct sink *k);
};

struct sink {
    const struct sink_ops *ops;
    void *impl;                 /* the kind's own state */
    struct sink_counters n;
    enum sink_kind kind;
    char *name;                 /* the spec, for messages */
};

/* Each fills k->ops and k->impl; 0, or -1 with "SPEC: why" in err. */
int sink_file_open(struct sink *k, const struct sink_spec *sp, char *err, size_t errlen);
int sink_socket_open(struct sink *k, const struct sink_spec *sp, size_t queue_lines, char *err,
                     size_t errlen);
int sink_redis_open(struct sink *k, const struct sink_spec *sp, size_t queue_lines, char *err,
                    size_t errlen);

/* Shared by the kinds with a queue: the monotonic clock in ns and the
 * reconnect backoff (0.1 s doubling to 5 s). */
uint64_t sink_mono_ns(void);
uint64_t sink_backoff_next(uint64_t backoff_ns);
/* The queue's byte cap for a queue of queue_lines lines. */
size_t sink_queue_bytes_for(size_t queue_lines);

#endif
