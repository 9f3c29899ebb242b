/* Metrics for Prometheus: a stats tree (stats.h) rendered as the Prometheus
 * text exposition format (version 0.0.4), and the latest rendering handed
 * from the capture thread to the HTTP server's thread (metrics-http.h).
 *
 * The capture thread renders (metrics_publish) at each stats event and when
 * a scrape has asked for a fresher text (metrics_wanted, one atomic load);
 * the server thread copies the latest text under a mutex (metrics_latest).
 * The capture thread never waits for the server: it holds the mutex only to
 * swap two pointers. Nothing here knows HTTP. */
#ifndef DS_METRICS_H
#define DS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_node;

/* The largest text rendered: lines past it are left out whole (the text
 * stays valid) and a warning is logged once. A sample line is about 80
 * bytes, so this holds over 10,000 series; ours are bounded by the
 * catalogue's providers plus the ruleset's signatures plus 6 a sink plus
 * about 60 fixed ones. */
#define METRICS_TEXT_MAX (1u << 20)

/* Renders root as Prometheus text: every figure the table in metrics.c
 * names that root holds (a missing one is left out, with its HELP and TYPE
 * lines), families in the table's order, samples in the tree's key order.
 * Returns the text (NUL-terminated, *len bytes without the NUL; the
 * caller frees it); *truncated says whether lines were left out at max. */
char *metrics_render(const struct stats_node *root, size_t max, size_t *len, bool *truncated);

/* Writes label value v (n bytes) escaped as the format wants (\\, \", \n)
 * into out (outlen bytes, NUL-terminated); bytes that are not valid UTF-8
 * become '?'. Returns the escaped length, or (size_t)-1 if it did not fit. */
size_t metrics_escape_label(const char *v, size_t n, char *out, size_t outlen);

/* True if name is a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
bool metrics_name_valid(const char *name);

/* The metric names of the table, in order (for the tests); *n gets how many. */
const char *const *metrics_names(size_t *n);

struct metrics;

/* An exchange with an empty text. Free with metrics_free (NULL-safe). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Capture thread: renders root and makes it the latest text. */
void metrics_publish(struct metrics *m, const struct stats_node *root);

/* Capture thread: true once a scrape found the latest text older than a
 * second; metrics_publish clears it. NULL-safe (false). */
bool metrics_wanted(const struct metrics *m);

/* Server thread: a copy of the latest text (the caller frees it; *len its
 * length). If that text is older than a second, asks the capture thread for
 * a fresh one and waits for it at most wait_ms milliseconds; a capture
 * thread that is busy or stopped leaves the older text to be served. */
char *metrics_latest(struct metrics *m, unsigned wait_ms, size_t *len);

#endif
