/* The redis output (see sink.h), the only user of hiredis. Like the socket
 * kinds it never blocks: a non-blocking connection, events in a bounded
 * queue (sink-queue.h), up to REDIS_PIPELINE commands sent ahead of their
 * replies, a reconnect after a backoff on the monotonic clock. A line
 * leaves the queue when redis has answered its command (then it counts as
 * sent, or as dropped if redis answered with an error); after a lost
 * connection the commands not answered are sent again, so delivery is at
 * least once and in order. With credentials (from the configuration file)
 * every connection starts with AUTH, pipelined ahead of the events: a
 * refused AUTH is said once (redis's reason), counted (auth_failures), and
 * handled as a lost connection, so the events behind it stay queued for
 * the next try rather than being refused one by one (they are dropped,
 * counted, only when the queue is full or at close). HOST is resolved
 * once, at start-up, so that a reconnect never waits on DNS. */
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds/log.h"
#include "ds/sink-queue.h"
#include "ds/util.h"
#include "sink-int.h"

#define REDIS_PIPELINE 64
#define CLOSE_WAIT_NS 1000000000ull

struct redis_sink {
    redisContext *c;          /* NULL: not connected */
    bool ever_connected, down_said, error_said;
    bool auth_pending;        /* AUTH sent on this connection, its reply not read */
    bool auth_said;           /* a refused AUTH said, until one is accepted */
    char *username, *password; /* AUTH's, or NULL */
    uint64_t retry_at_ns, backoff_ns;
    size_t inflight;          /* head lines sent, their replies not read */
    struct sink_queue *q;
    struct sink_spec sp;
    char addr[INET6_ADDRSTRLEN];   /* HOST resolved */
};

static void say_down(struct sink *k, struct redis_sink *rs, const char *why)
{
    if (!rs->down_said)
        log_warn("%s: %s; retrying, events queue up (then are dropped, counted)", k->name, why);
    rs->down_said = true;
}

static void lose(struct sink *k, struct redis_sink *rs, uint64_t now)
{
    say_down(k, rs, rs->c && rs->c->errstr[0] ? rs->c->errstr : "connection lost");
    if (rs->c)
        redisFree(rs->c);
    rs->c = NULL;
    rs->inflight = 0;         /* sent again on the next connection */
    rs->backoff_ns = sink_backoff_next(rs->backoff_ns);
    rs->retry_at_ns = now + rs->backoff_ns;
}

static bool connected(struct sink *k, struct redis_sink *rs, uint64_t now)
{
    if (rs->c)
        return true;
    if (now < rs->retry_at_ns)
        return false;
    rs->c = redisConnectNonBlock(rs->addr, rs->sp.port);
    if (rs->c == NULL || rs->c->err) {
        lose(k, rs, now);
        return false;
    }
    if (rs->ever_connected)
        k->n.reconnects++;
    rs->ever_connected = true;
    rs->auth_pending = false;
    if (rs->password == NULL)
        return true;
    int rc = rs->username
                 ? redisAppendCommand(rs->c, "AUTH %s %s", rs->username, rs->password)
                 : redisAppendCommand(rs->c, "AUTH %s", rs->password);
    if (rc != REDIS_OK) {
        lose(k, rs, now);
        return false;
    }
    rs->auth_pending = true;
    return true;
}

/* AUTH's reply, first on a connection: 1 while it has not come, 0 once
 * accepted (or with no AUTH), -1 if refused (said once, counted). */
static int take_auth(struct sink *k, struct redis_sink *rs)
{
    if (!rs->auth_pending)
        return 0;
    void *r = NULL;
    if (redisGetReplyFromReader(rs->c, &r) != REDIS_OK)
        return -1;
    if (r == NULL)
        return 1;
    redisReply *reply = r;
    int rc = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        k->n.auth_failures++;
        if (!rs->auth_said)
            log_error("%s: AUTH refused (%s); retrying, events queue up (then are dropped, "
                      "counted)", k->name, reply->str);
        rs->auth_said = true;
        rs->down_said = true; /* said: not again as a lost connection */
        rc = -1;
    } else {
        rs->auth_pending = false;
        if (rs->auth_said)
            log_warn("%s: AUTH accepted", k->name);
        rs->auth_said = false;
    }
    freeReplyObject(reply);
    return rc;
}

/* Reads the replies that have come: each finishes the head line. */
static int take_replies(struct sink *k, struct redis_sink *rs)
{
    if (redisBufferRead(rs->c) != REDIS_OK)
        return -1;
    int auth = take_auth(k, rs);
    if (auth != 0)
        return auth < 0 ? -1 : 0;
    while (rs->inflight > 0) {
        void *r = NULL;
        if (redisGetReplyFromReader(rs->c, &r) != REDIS_OK)
            return -1;
        if (r == NULL)
            break;
        redisReply *reply = r;
        if (reply->type == REDIS_REPLY_ERROR) {
            k->n.dropped++;
            if (!rs->error_said)
                log_warn("%s: redis refused an event: %s", k->name, reply->str);
            rs->error_said = true;
        } else {
            k->n.events++;
            if (rs->down_said)
                log_warn("%s: connected", k->name);
            rs->down_said = false;
            rs->backoff_ns = 0;
        }
        freeReplyObject(reply);
        sink_queue_drop_head(rs->q);
        rs->inflight--;
    }
    return 0;
}

static int append(struct redis_sink *rs, const char *p, size_t n)
{
    switch (rs->sp.mode) {
    case SINK_REDIS_CHANNEL:
        return redisAppendCommand(rs->c, "PUBLISH %s %b", rs->sp.key, p, n);
    case SINK_REDIS_STREAM:
        return redisAppendCommand(rs->c, "XADD %s MAXLEN ~ %d * event %b", rs->sp.key,
                                  SINK_REDIS_STREAM_MAXLEN, p, n);
    case SINK_REDIS_LIST:
        break;
    }
    return redisAppendCommand(rs->c, "RPUSH %s %b", rs->sp.key, p, n);
}

/* Sends the queued lines not yet sent, up to the pipeline's depth. */
static int send_more(struct redis_sink *rs)
{
    const char *p;
    size_t n;
    while (rs->inflight < REDIS_PIPELINE && sink_queue_peek(rs->q, rs->inflight, &p, &n)) {
        if (append(rs, p, n) != REDIS_OK)
            return -1;
        rs->inflight++;
    }
    int done = 0;
    return redisBufferWrite(rs->c, &done) == REDIS_OK ? 0 : -1;
}

static void pump(struct sink *k, struct redis_sink *rs)
{
    uint64_t now = sink_mono_ns();
    if (sink_queue_lines(rs->q) == 0 || !connected(k, rs, now))
        return;
    if (take_replies(k, rs) != 0 || send_more(rs) != 0 || take_replies(k, rs) != 0)
        lose(k, rs, now);
}

static void redis_write(struct sink *k, const char *line, size_t n)
{
    struct redis_sink *rs = k->impl;
    if (!sink_queue_push(rs->q, line, n, NULL, 0))
        k->n.dropped++;
    pump(k, rs);
}

static int redis_flush(struct sink *k)
{
    pump(k, k->impl);
    return 0;
}

static size_t redis_held(const struct sink *k)
{
    const struct redis_sink *rs = k->impl;
    return sink_queue_lines(rs->q);
}

static int redis_close(struct sink *k)
{
    struct redis_sink *rs = k->impl;
    uint64_t end = sink_mono_ns() + CLOSE_WAIT_NS;
    while (sink_queue_lines(rs->q) > 0 && sink_mono_ns() < end) {
        pump(k, rs);
        if (sink_queue_lines(rs->q) > 0) {
            struct timespec pause = { 0, 2 * 1000 * 1000 };
            nanosleep(&pause, NULL);
        }
    }
    k->n.dropped += sink_queue_lines(rs->q);
    if (k->n.dropped)
        log_warn("%s: %llu events dropped, %llu sent", k->name,
                 (unsigned long long)k->n.dropped, (unsigned long long)k->n.events);
    if (rs->c)
        redisFree(rs->c);
    sink_queue_free(rs->q);
    free(rs->username);
    free(rs->password);
    free(rs);
    return 0;
}

static const struct sink_ops redis_ops = {
    .write = redis_write,
    .flush = redis_flush,
    .close = redis_close,
    .held = redis_held,
};

/* HOST's first address, as text, into addr. */
static int resolve(const char *name, const char *host, char *addr, size_t addrlen, char *err,
                   size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot resolve %s: %s", name, host, gai_strerror(rc));
        return -1;
    }
    const void *a = res->ai_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)res->ai_addr)->sin_addr;
    const char *ok = inet_ntop(res->ai_family, a, addr, (socklen_t)addrlen);
    freeaddrinfo(res);
    if (ok == NULL) {
        snprintf(err, errlen, "%s: cannot resolve %s", name, host);
        return -1;
    }
    return 0;
}

int sink_redis_open(struct sink *k, const struct sink_spec *sp, size_t queue_lines, char *err,
                    size_t errlen)
{
    char addr[INET6_ADDRSTRLEN];
    if (resolve(k->name, sp->host, addr, sizeof(addr), err, errlen) != 0)
        return -1;
    struct redis_sink *rs = xcalloc(1, sizeof(*rs));
    memcpy(rs->addr, addr, sizeof(addr));
    rs->sp = *sp;
    rs->sp.path = NULL;
    rs->username = sp->username ? xstrdup(sp->username) : NULL;
    rs->password = sp->password ? xstrdup(sp->password) : NULL;
    rs->sp.username = rs->sp.password = NULL; /* the caller's: ours are the copies */
    rs->q = sink_queue_new(sink_queue_bytes_for(queue_lines), queue_lines ? queue_lines : 1);
    k->ops = &redis_ops;
    k->impl = rs;
    connected(k, rs, sink_mono_ns());
    return 0;
}
