/* A bounded FIFO of lines for a sink that cannot always write at once (a
 * socket whose reader is slow or gone): capped both in bytes and in lines,
 * allocated once at creation, so a stalled reader costs a fixed amount of
 * memory and a push never blocks. A line that does not fit is refused (the
 * caller counts it dropped); what is queued leaves in order. The head line
 * may go out in pieces (a stream socket's short send): sink_queue_head gives
 * what is left of it, sink_queue_advance consumes what was sent. */
#ifndef DS_SINK_QUEUE_H
#define DS_SINK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct sink_queue;

/* A queue of at most max_bytes bytes and max_lines lines (both >= 1). */
struct sink_queue *sink_queue_new(size_t max_bytes, size_t max_lines);
/* NULL-safe. */
void sink_queue_free(struct sink_queue *q);

/* Appends a (n bytes) then b (m bytes, b may be NULL) as one line; false
 * (nothing queued) if it would pass either cap or n + m is 0. */
bool sink_queue_push(struct sink_queue *q, const char *a, size_t n, const char *b, size_t m);

/* What is left to send of the head line: false if the queue is empty. */
bool sink_queue_head(const struct sink_queue *q, const char **p, size_t *len);
/* n bytes of the head line went out; true if that finished the line (it
 * is gone from the queue). n is at most what sink_queue_head gave. */
bool sink_queue_advance(struct sink_queue *q, size_t n);
/* Drops the head line; true if part of it had gone out already. */
bool sink_queue_drop_head(struct sink_queue *q);

/* The i-th line from the head (0: the head, whole, whatever was sent of
 * it): false if there are not that many. O(i). */
bool sink_queue_peek(const struct sink_queue *q, size_t i, const char **p, size_t *len);

/* True if part of the head line has gone out. */
bool sink_queue_started(const struct sink_queue *q);

size_t sink_queue_lines(const struct sink_queue *q);
size_t sink_queue_bytes(const struct sink_queue *q);

#endif
