/* The metrics server (see metrics-http.h): the one libmicrohttpd user.
 *
 * We bind and listen ourselves and hand the socket to libmicrohttpd, so a
 * port in use or an address not ours is reported with its errno at start-up
 * (libmicrohttpd only says that it could not start). Its internal thread
 * polls the socket and answers each request from a copy of the latest text,
 * so the capture thread is never held by a slow or stuck scraper. */
#include "ds/metrics-http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ds/metrics.h"
#include "ds/util.h"

#define CONNECTION_MEMORY (32u * 1024u)   /* per connection: the request's headers */
#define BACKLOG 16

struct metrics_http {
    int fd;                      /* listening; libmicrohttpd's once d runs */
    struct MHD_Daemon *d;
    struct metrics *m;
};

static int addr_error(char *err, size_t errlen, const char *spec, const char *why)
{
    snprintf(err, errlen, "%s: %s (want ADDR:PORT, e.g. 127.0.0.1:9477)", spec, why);
    return -1;
}

/* The host part of spec (before its last colon), brackets removed, into
 * host; *port_at points after the colon. */
static int split_host(const char *spec, char *host, size_t hostlen, const char **port_at,
                      char *err, size_t errlen)
{
    const char *colon = strrchr(spec, ':');
    if (colon == NULL)
        return addr_error(err, errlen, spec, "no port");
    const char *h = spec;
    size_t n = (size_t)(colon - spec);
    if (n > 0 && spec[0] == '[') {
        if (spec[n - 1] != ']')
            return addr_error(err, errlen, spec, "an IPv6 address goes in brackets");
        h++;
        n -= 2;
    }
    if (n >= hostlen)
        return addr_error(err, errlen, spec, "address too long");
    memcpy(host, h, n);
    host[n] = '\0';
    *port_at = colon + 1;
    return 0;
}

int metrics_addr_parse(const char *spec, struct metrics_addr *a, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_s;
    uint64_t port;
    memset(a, 0, sizeof(*a));
    if (split_host(spec, host, sizeof(host), &port_s, err, errlen) != 0)
        return -1;
    if (ds_parse_u64(port_s, 1, 65535, &port) != 0)
        return addr_error(err, errlen, spec, "the port is not a number 1..65535");
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->sa;
    bool bracketed = spec[0] == '[';
    if (!bracketed && host[0] != '\0' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        a->len = sizeof(*v4);
        return 0;
    }
    if (bracketed ? inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 : host[0] == '\0') {
        if (host[0] == '\0')
            v6->sin6_addr = in6addr_any;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        a->len = sizeof(*v6);
        return 0;
    }
    return addr_error(err, errlen, spec, bracketed || strchr(host, ':') == NULL
                                             ? "not an IP address"
                                             : "an IPv6 address goes in brackets");
}

/* A listening TCP socket on a; -1 with why in err. [::] takes IPv4 too. */
static int listen_on(const struct metrics_addr *a, char *err, size_t errlen)
{
    char name[INET6_ADDRSTRLEN + 8];
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->sa;
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->sa;
    char ip[INET6_ADDRSTRLEN];
    if (a->sa.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
        snprintf(name, sizeof(name), "[%s]:%u", ip, ntohs(v6->sin6_port));
    } else {
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
        snprintf(name, sizeof(name), "%s:%u", ip, ntohs(v4->sin_port));
    }
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "metrics: %s: cannot make a socket: %s", name, strerror(errno));
        return -1;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (a->sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (const struct sockaddr *)&a->sa, a->len) != 0 || listen(fd, BACKLOG) != 0) {
        snprintf(err, errlen, "metrics: cannot listen on %s: %s", name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                             const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result text_reply(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return reply(c, status, xstrdup(msg), strlen(msg), "text/plain; charset=utf-8");
}

/* One request: GET /metrics is the latest text, anything else an error. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct metrics_http *h = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    if (strcmp(url, "/metrics") != 0)
        return text_reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
    size_t len;
    char *text = metrics_latest(h->m, METRICS_HTTP_WAIT_MS, &len);
    return reply(c, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* Starts libmicrohttpd's thread with every signal blocked (it inherits the
 * mask): SIGTERM, SIGHUP and the rest must reach the capture thread. */
static struct MHD_Daemon *start_daemon(int fd, struct metrics_http *h)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return d;
}

int metrics_http_listen(const struct metrics_addr *a, struct metrics_http **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    int fd = listen_on(a, err, errlen);
    if (fd < 0)
        return -1;
    struct metrics_http *h = xcalloc(1, sizeof(*h));
    h->fd = fd;
    *out = h;
    return 0;
}

int metrics_http_run(struct metrics_http *h, struct metrics *m, char *err, size_t errlen)
{
    h->m = m;
    h->d = start_daemon(h->fd, h);
    if (h->d == NULL) {
        snprintf(err, errlen, "metrics: the HTTP server did not start");
        return -1;
    }
    return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
    if (h == NULL)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);   /* closes the listening socket too */
    else
        close(h->fd);
    free(h);
}
