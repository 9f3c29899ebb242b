/* The `alert` event (a source, or a coordinated group of sources, matched
 * a signature: everything an analyst needs to see why is in it) and the
 * `cluster` event (new members joined a cluster that alerted). */
#ifndef DS_EVENT_ALERT_H
#define DS_EVENT_ALERT_H

#include <stdint.h>

#include "ds/cluster.h"
#include "ds/detect.h"
#include "ds/eve.h"
#include "ds/rules.h"

/* An alert: the source's latest AI flow, the signature, every condition
 * with the value it saw, the features, geo and, for a cluster alert, the
 * cluster with its members. Over the line cap, the member list goes and
 * `members_not_listed` says how many. */
void event_alert(struct eve *e, const struct detect_alert *a);

/* A `cluster` event listing the members of c not listed before (r: the
 * cluster signature that alerted, or NULL). Over the line cap, as above. */
void event_cluster_update(struct eve *e, uint64_t ts_us, const struct cluster *c,
                          const struct rule *r);

#endif
