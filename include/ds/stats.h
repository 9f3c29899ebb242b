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

#endif
