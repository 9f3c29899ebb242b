/* The bounded line queue (see sink-queue.h). The bytes are one buffer
 * consumed from the front and filled at the back; when a line does not fit
 * at the back but would after the front's consumed space, what is left is
 * moved down once (amortised: each byte moves at most once per pass). Line
 * lengths are a ring of max_lines entries. */
#include "ds/sink-queue.h"

#include <stdlib.h>
#include <string.h>

#include "ds/util.h"

struct sink_queue {
    char *buf;
    size_t cap, start, end;   /* bytes buf[start..end) are queued */
    size_t *len;              /* ring of line lengths */
    size_t max_lines, first, nlines;
    size_t sent;              /* bytes of the head line already sent */
};

struct sink_queue *sink_queue_new(size_t max_bytes, size_t max_lines)
{
    struct sink_queue *q = xcalloc(1, sizeof(*q));
    q->cap = max_bytes ? max_bytes : 1;
    q->max_lines = max_lines ? max_lines : 1;
    q->buf = xmalloc(q->cap);
    q->len = xcalloc(q->max_lines, sizeof(*q->len));
    return q;
}

void sink_queue_free(struct sink_queue *q)
{
    if (q == NULL)
        return;
    free(q->buf);
    free(q->len);
    free(q);
}

static void compact(struct sink_queue *q)
{
    memmove(q->buf, q->buf + q->start, q->end - q->start);
    q->end -= q->start;
    q->start = 0;
}

bool sink_queue_push(struct sink_queue *q, const char *a, size_t n, const char *b, size_t m)
{
    size_t total = n + m;
    if (total == 0 || q->nlines == q->max_lines || total > q->cap - (q->end - q->start))
        return false;
    if (total > q->cap - q->end)
        compact(q);
    memcpy(q->buf + q->end, a, n);
    if (m)
        memcpy(q->buf + q->end + n, b, m);
    q->end += total;
    q->len[(q->first + q->nlines) % q->max_lines] = total;
    q->nlines++;
    return true;
}

bool sink_queue_head(const struct sink_queue *q, const char **p, size_t *len)
{
    if (q->nlines == 0)
        return false;
    *p = q->buf + q->start + q->sent;
    *len = q->len[q->first] - q->sent;
    return true;
}

static void pop(struct sink_queue *q)
{
    q->start += q->len[q->first];
    q->first = (q->first + 1) % q->max_lines;
    q->nlines--;
    q->sent = 0;
    if (q->nlines == 0)
        q->start = q->end = 0;
}

bool sink_queue_advance(struct sink_queue *q, size_t n)
{
    if (q->nlines == 0)
        return false;
    q->sent += n;
    if (q->sent < q->len[q->first])
        return false;
    pop(q);
    return true;
}

bool sink_queue_drop_head(struct sink_queue *q)
{
    if (q->nlines == 0)
        return false;
    bool partial = q->sent > 0;
    pop(q);
    return partial;
}

bool sink_queue_peek(const struct sink_queue *q, size_t i, const char **p, size_t *len)
{
    if (i >= q->nlines)
        return false;
    size_t off = q->start;
    for (size_t j = 0; j < i; j++)
        off += q->len[(q->first + j) % q->max_lines];
    *p = q->buf + off;
    *len = q->len[(q->first + i) % q->max_lines];
    return true;
}

bool sink_queue_started(const struct sink_queue *q)
{
    return q->nlines > 0 && q->sent > 0;
}

size_t sink_queue_lines(const struct sink_queue *q)
{
    return q->nlines;
}

size_t sink_queue_bytes(const struct sink_queue *q)
{
    return q->end - q->start - q->sent;
}
