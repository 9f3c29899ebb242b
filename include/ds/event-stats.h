/* The `stats` event: EVE's `stats` object (uptime, capture, decoder, flow)
 * and our `sensor` object, as the modules wrote them into a stats tree
 * (stats.h). Written when --stats-interval says, and at the end of input. */
#ifndef DS_EVENT_STATS_H
#define DS_EVENT_STATS_H

#include <stdint.h>

#include "ds/eve.h"
#include "ds/stats.h"

/* Writes the tree as a stats event at packet time ts_us. */
void event_stats(struct eve *e, uint64_t ts_us, const struct stats_node *root);

#endif
