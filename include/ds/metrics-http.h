/* The metrics server: `--metrics ADDR:PORT` serves GET /metrics from a
 * thread of its own (libmicrohttpd's), the latest text of a struct metrics
 * (metrics.h). Bounded: a few connections at once, a timeout on each, a
 * small memory cap per connection; any other path is 404, any other method
 * than GET (or HEAD) 405. */
#ifndef DS_METRICS_HTTP_H
#define DS_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#define METRICS_HTTP_CONNECTIONS 16   /* connections at once; more wait in the backlog */
#define METRICS_HTTP_TIMEOUT_S 10     /* an idle connection is closed after this */
#define METRICS_HTTP_WAIT_MS 250      /* a scrape waits this long for a fresh text */

struct metrics;

/* An address to listen on. */
struct metrics_addr {
    struct sockaddr_storage sa;
    socklen_t len;
};

/* Parses ADDR:PORT: an IPv4 address, an IPv6 address in brackets, or
 * nothing (every address, IPv4 and IPv6), a colon, and a port 1..65535
 * ("127.0.0.1:9477", "[::1]:9477", ":9477"). 0, or -1 with why in err
 * ("SPEC: why": the caller names the option or key). */
int metrics_addr_parse(const char *spec, struct metrics_addr *a, char *err, size_t errlen);

struct metrics_http;

/* Listens on a (at start-up, before privileges are dropped: a port below
 * 1024 is fine); connections wait in the backlog until metrics_http_run.
 * 0, or -1 with why in err (the address in use, not ours, ...). */
int metrics_http_listen(const struct metrics_addr *a, struct metrics_http **out, char *err,
                        size_t errlen);

/* Starts the server's thread, which serves m (the caller's; it must
 * outlive the server). Call it once privileges are dropped: the thread
 * keeps the rights it started with (capabilities are per thread). It
 * blocks every signal: they stay the capture thread's. 0, or -1 with why
 * in err. */
int metrics_http_run(struct metrics_http *h, struct metrics *m, char *err, size_t errlen);

/* Stops the thread (if it runs) and closes the socket. NULL-safe. */
void metrics_http_stop(struct metrics_http *h);

#endif
