/* The socket kinds (see sink.h): unix-stream, unix-dgram and syslog (RFC
 * 5424 over the local syslog socket, a unix datagram socket: written here
 * rather than through syslog(3) so that it never blocks and every message
 * is counted). Nothing here blocks the capture: the socket is non-blocking,
 * a line goes into a bounded queue (sink-queue.h) and out as far as the
 * socket takes it at once; a lost peer is tried again after a backoff
 * (0.1 s doubling to 5 s, on the monotonic clock). A stream line cut by a
 * lost connection is dropped whole (the collector saw a part of it; the
 * next connection starts on a line boundary). Syslog's timestamp is the
 * wall clock when the line is queued (the event's own timestamp is packet
 * time, in the JSON). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ds/log.h"
#include "ds/sink-queue.h"
#include "ds/util.h"
#include "sink-int.h"

#define BACKOFF_MIN_NS 100000000ull       /* 0.1 s */
#define BACKOFF_MAX_NS 5000000000ull      /* 5 s */
#define CLOSE_WAIT_NS 1000000000ull       /* what close waits to send the rest */
#define QUEUE_BYTES_PER_LINE 4096u
#define SYSLOG_SEVERITY_INFO 6

struct socket_sink {
    int fd;                   /* -1: not connected */
    bool stream;
    bool ever_connected, down_said;
    uint64_t retry_at_ns, backoff_ns;
    struct sockaddr_un addr;
    struct sink_queue *q;
    int facility;             /* syslog; -1 for the others */
    char hostname[256];
    long pid;
};

uint64_t sink_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

uint64_t sink_backoff_next(uint64_t backoff_ns)
{
    uint64_t b = backoff_ns ? backoff_ns * 2 : BACKOFF_MIN_NS;
    return b > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : b;
}

size_t sink_queue_bytes_for(size_t queue_lines)
{
    if (queue_lines == 0)
        queue_lines = 1;
    return queue_lines > SINK_QUEUE_BYTES_MAX / QUEUE_BYTES_PER_LINE
               ? SINK_QUEUE_BYTES_MAX : queue_lines * QUEUE_BYTES_PER_LINE;
}

static void disconnect(struct socket_sink *ss, uint64_t now)
{
    if (ss->fd >= 0)
        close(ss->fd);
    ss->fd = -1;
    ss->backoff_ns = sink_backoff_next(ss->backoff_ns);
    ss->retry_at_ns = now + ss->backoff_ns;
}

static void say_down(struct sink *k, struct socket_sink *ss, const char *what, int e)
{
    if (ss->down_said)
        return;
    log_warn("%s: %s: %s; retrying, events queue up (then are dropped, counted)", k->name,
             what, strerror(e));
    ss->down_said = true;
}

/* Connected, or a connection made now if the backoff is over. */
static bool connected(struct sink *k, struct socket_sink *ss, uint64_t now)
{
    if (ss->fd >= 0)
        return true;
    if (now < ss->retry_at_ns)
        return false;
    int type = (ss->stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    ss->fd = socket(AF_UNIX, type, 0);
    if (ss->fd < 0 || connect(ss->fd, (const struct sockaddr *)&ss->addr, sizeof(ss->addr)) != 0) {
        say_down(k, ss, "cannot connect", errno);
        disconnect(ss, now);
        return false;
    }
    if (ss->ever_connected)
        k->n.reconnects++;
    if (ss->down_said)
        log_warn("%s: connected", k->name);
    ss->ever_connected = true;
    ss->down_said = false;
    ss->backoff_ns = 0;
    return true;
}

/* Sends the head line or what the socket takes of it: 1 sent (maybe in
 * part), 0 the socket is full, -1 the peer is gone. */
static int send_head(struct sink *k, struct socket_sink *ss)
{
    const char *p;
    size_t len;
    if (!sink_queue_head(ss->q, &p, &len))
        return 0;
    ssize_t w = send(ss->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR)
        return 1;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
        return 0;
    if (w < 0 && errno == EMSGSIZE) {     /* a datagram it will never take */
        sink_queue_drop_head(ss->q);
        k->n.dropped++;
        return 1;
    }
    if (w < 0) {
        say_down(k, ss, "lost the connection", errno);
        if (sink_queue_started(ss->q)) {   /* a cut stream line is lost */
            sink_queue_drop_head(ss->q);
            k->n.dropped++;
        }
        return -1;
    }
    if (sink_queue_advance(ss->q, (size_t)w))
        k->n.events++;
    return 1;
}

/* Sends what the queue holds as far as the socket takes it now. */
static void pump(struct sink *k, struct socket_sink *ss)
{
    uint64_t now = sink_mono_ns();
    while (sink_queue_lines(ss->q) > 0 && connected(k, ss, now)) {
        int rc = send_head(k, ss);
        if (rc == 0)
            return;
        if (rc < 0)
            disconnect(ss, now);
    }
}

/* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG. */
static size_t syslog_header(const struct socket_sink *ss, char *h, size_t hlen)
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    int n = snprintf(h, hlen,
                     "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s distill-sensor %ld - - ",
                     ss->facility * 8 + SYSLOG_SEVERITY_INFO, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t.tv_nsec / 1000, ss->hostname,
                     ss->pid);
    return n > 0 && (size_t)n < hlen ? (size_t)n : 0;
}

static void socket_write(struct sink *k, const char *line, size_t n)
{
    struct socket_sink *ss = k->impl;
    bool ok;
    if (ss->facility >= 0) {
        char h[400];
        size_t hn = syslog_header(ss, h, sizeof(h));
        ok = sink_queue_push(ss->q, h, hn, line, n);
    } else {
        ok = sink_queue_push(ss->q, line, n, ss->stream ? "\n" : NULL, ss->stream ? 1 : 0);
    }
    if (!ok)
        k->n.dropped++;
    pump(k, ss);
}

static int socket_flush(struct sink *k)
{
    pump(k, k->impl);
    return 0;
}

static size_t socket_held(const struct sink *k)
{
    const struct socket_sink *ss = k->impl;
    return sink_queue_lines(ss->q);
}

/* Up to CLOSE_WAIT_NS to send the rest (a reader that keeps up takes it at
 * once); then what is left is dropped, and a warning counts the drops. */
static int socket_close(struct sink *k)
{
    struct socket_sink *ss = k->impl;
    uint64_t end = sink_mono_ns() + CLOSE_WAIT_NS;
    while (sink_queue_lines(ss->q) > 0 && sink_mono_ns() < end) {
        pump(k, ss);
        if (sink_queue_lines(ss->q) > 0) {
            struct timespec pause = { 0, 10 * 1000 * 1000 };
            nanosleep(&pause, NULL);
        }
    }
    k->n.dropped += sink_queue_lines(ss->q);
    if (k->n.dropped)
        log_warn("%s: %llu events dropped, %llu sent", k->name,
                 (unsigned long long)k->n.dropped, (unsigned long long)k->n.events);
    if (ss->fd >= 0)
        close(ss->fd);
    sink_queue_free(ss->q);
    free(ss);
    return 0;
}

static const struct sink_ops socket_ops = {
    .write = socket_write,
    .flush = socket_flush,
    .close = socket_close,
    .held = socket_held,
};

int sink_socket_open(struct sink *k, const struct sink_spec *sp, size_t queue_lines, char *err,
                     size_t errlen)
{
    (void)err;
    (void)errlen;
    struct socket_sink *ss = xcalloc(1, sizeof(*ss));
    ss->fd = -1;
    ss->stream = sp->kind == SINK_UNIX_STREAM;
    ss->facility = sp->kind == SINK_SYSLOG ? sp->facility : -1;
    ss->addr.sun_family = AF_UNIX;
    ds_strlcpy(ss->addr.sun_path, sp->path, sizeof(ss->addr.sun_path));
    ss->q = sink_queue_new(sink_queue_bytes_for(queue_lines), queue_lines);
    if (gethostname(ss->hostname, sizeof(ss->hostname) - 1) != 0 || ss->hostname[0] == '\0')
        ds_strlcpy(ss->hostname, "-", sizeof(ss->hostname));
    ss->pid = (long)getpid();
    k->ops = &socket_ops;
    k->impl = ss;
    connected(k, ss, sink_mono_ns());
    return 0;
}
