/* The counters of the stats event, as a tree that each module writes its
 * own into: `<module>_stats_write(const struct X *, struct stats_node *root)`
 * finds (or creates) the objects on its counters' path from the root and
 * sets its numbers there, so adding a counter touches one module. The
 * sensor composes the event by calling the writers (sensor.c says in what
 * order); event_stats (event-stats.h) writes it out.
 *
 * Keys keep the order in which they were first named: a later write to a
 * key changes its value in place. The tree lives only while one stats event
 * is made (a few a minute at most), so it is a jansson tree (event-stats.c):
 * small allocations here cost nothing that matters. */
#ifndef DS_STATS_H
#define DS_STATS_H

#include <stdint.h>

struct stats_node;

/* An empty tree; its root stands for the event's own members (after the
 * prologue). Free with stats_free. */
struct stats_node *stats_new(void);
/* NULL-safe. */
void stats_free(struct stats_node *root);

/* The object under key in n, created (after n's existing keys) if there is
 * none. NULL only if n is NULL or memory ran out; the functions here accept
 * a NULL node and do nothing with it. */
struct stats_node *stats_child(struct stats_node *n, const char *key);
/* Sets n.key to v. */
void stats_u64(struct stats_node *n, const char *key, uint64_t v);

/* Reading a tree (the metrics renderer, metrics.h). The object under key in
 * n, or NULL if there is none (or n is NULL); nothing is created. */
const struct stats_node *stats_get(const struct stats_node *n, const char *key);
/* n.key's number into *v: 0, or -1 (v untouched) if it is not a number. */
int stats_get_u64(const struct stats_node *n, const char *key, uint64_t *v);

/* One member of an object: its key, and either the object it holds (obj)
 * or its number (obj NULL, value). */
typedef void (*stats_each_fn)(void *ctx, const char *key, const struct stats_node *obj,
                              uint64_t value);
/* Calls fn for each member of n in key order (the order of stats_child and
 * stats_u64's first naming); nothing for a NULL n. */
void stats_each(const struct stats_node *n, stats_each_fn fn, void *ctx);

#endif
