/* Per-source detection for one capture: feeds AI flows and their turns into
 * the source table, runs the harvesting signatures on each source's windows,
 * groups sources into coordinated clusters, enriches with geo, and writes
 * alert, cluster and source events. Owns the source table, the ruleset, the
 * cluster tables, the fingerprint families and the geo databases. */
#ifndef DS_DETECT_H
#define DS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/catalog.h"
#include "ds/exchange.h"
#include "ds/flow.h"
#include "ds/output.h"
#include "ds/source.h"

struct cluster;
struct rule_hit;

/* An alert: a source (or, with `cluster`, a coordinated group) matched a
 * signature. Valid during the call that hands it over. */
struct detect_alert {
    uint64_t ts_us;                       /* packet time of the turn that triggered it */
    const struct ds_addr *src;            /* the source (for a cluster: the newest member) */
    const struct rule_hit *hit;
    const struct source_last_flow *last;  /* its latest AI flow, or NULL */
    const struct cluster *cluster;        /* NULL for a per-source alert */
};

struct detect_config {
    const char *rules_dir;     /* *.rules and fingerprints.conf */
    struct source_config src;  /* windows, --max-sources, ... */
    size_t max_clusters;
    bool source_events;        /* a `source` event per window per active source */
    const char *geoip_db;      /* NULL: no country enrichment */
    const char *asn_db;        /* NULL: no ASN enrichment */
};

void detect_config_default(struct detect_config *cfg);

struct detect;

/* Loads fingerprints, signatures and geo databases. Returns 0, or -1 after
 * logging every error (`file:line: why`, or the database and its fault). */
int detect_new(const struct detect_config *cfg, struct output *out, struct detect **d);
void detect_free(struct detect *d);

/* Reloads signatures and fingerprints; on any error keeps the old ones and
 * returns -1 (logged). Source state and alert suppression carry over. */
int detect_reload(struct detect *d);

/* An AI flow starts being followed; returns the token for detect_flow_end. */
uint64_t detect_flow_start(struct detect *d, const struct flow *f, const struct catalog_entry *svc,
                           uint64_t ts_us);
/* A completed turn of that flow, at packet time ts_us. */
void detect_turn(struct detect *d, const struct flow *f, const struct catalog_entry *svc,
                 const struct turn *t, uint64_t ts_us);
void detect_flow_end(struct detect *d, const struct flow *f, uint64_t token, uint64_t ts_us);

/* Packet time stepped back to now_us (another capture): the detection clock
 * follows, so windows are measured on the new capture's time. */
void detect_clock_reset(struct detect *d, uint64_t now_us);

/* Housekeeping on packet time: expiry (bounded) and periodic source events. */
void detect_tick(struct detect *d, uint64_t now_us);

/* End of input: members that joined alerted clusters since their last
 * event are listed in a last update. */
void detect_finish(struct detect *d);

/* Figures for the stats event. */
void detect_fill_stats(const struct detect *d, struct sensor_stats *st);

#endif
