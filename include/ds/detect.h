/* Per-source detection for one capture: feeds AI flows and their turns into
 * the source table, runs the harvesting signatures on each source's windows,
 * groups sources into coordinated clusters, enriches with geo, and hands
 * alerts, cluster updates and source records to the sink it was given
 * (struct detect_sink: the sensor wires it to the event writers, tests to a
 * recorder). Owns the source table, the ruleset, the cluster tables, the
 * fingerprint families and the geo databases. */
#ifndef DS_DETECT_H
#define DS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/features.h"
#include "ds/packet.h"
#include "ds/seed.h"
#include "ds/source.h"

struct catalog_entry;
struct cluster;
struct flow;
struct flow_app;
struct tls_facts;
struct rule;
struct rule_hit;
struct stats_node;
struct turn;

/* An alert: a source (or, with `cluster`, a coordinated group) matched a
 * signature. Valid during the call that hands it over. */
struct detect_alert {
    uint64_t ts_us;                       /* packet time of the turn that triggered it */
    const struct ds_addr *src;            /* the source (for a cluster: the newest member) */
    const struct rule_hit *hit;
    const struct source_last_flow *last;  /* its latest AI flow, or NULL */
    const struct cluster *cluster;        /* NULL for a per-source alert */
    const struct source_profile *profile; /* the record that matched; NULL: the address */
};

/* Where detection's findings go. Each function may be NULL (that finding
 * is dropped); everything handed over is valid during the call only. */
struct detect_sink {
    /* A signature matched (see struct detect_alert). */
    void (*alert)(void *ctx, const struct detect_alert *a);
    /* New members joined cluster c, which alerted, at packet time ts_us;
     * r is the cluster signature of c's window (NULL if none is left). */
    void (*cluster_update)(void *ctx, uint64_t ts_us, const struct cluster *c,
                           const struct rule *r);
    /* One source's features f over their window (--source-events); last
     * is its latest AI flow, or NULL; p the record (a profile of src, or
     * NULL: the address). */
    void (*source)(void *ctx, uint64_t ts_us, const struct ds_addr *src,
                   const struct features *f, const struct source_last_flow *last,
                   const struct source_profile *p);
    void *ctx;
};

struct detect_config {
    const char *rules_dir;     /* *.rules and fingerprints.conf */
    struct source_config src;  /* windows, --max-sources, ... */
    size_t max_clusters;
    size_t max_thresholds;     /* alert suppression entries (0 = 65536; small in fuzzing) */
    bool source_events;        /* a `source` event per window per active source */
    const char *geoip_db;      /* NULL: no country enrichment */
    const char *asn_db;        /* NULL: no ASN enrichment */
    struct seeds seeds;        /* every hash table's (the sensor's flow and catalogue ones too) */
    const struct tls_facts *facts; /* the flows' TLS fact sets (tls-facts.h); the caller's */
};

void detect_config_default(struct detect_config *cfg);

struct detect;

/* Loads fingerprints, signatures and geo databases. Findings go to sink
 * (copied; NULL: nowhere, as for --check-rules). Returns 0, or -1 after
 * logging every error (`file:line: why`, or the database and its fault). */
int detect_new(const struct detect_config *cfg, const struct detect_sink *sink,
               struct detect **d);
void detect_free(struct detect *d);

/* Reloads signatures and fingerprints; on any error keeps the old ones and
 * returns -1 (logged). Source state and alert suppression carry over. */
int detect_reload(struct detect *d);

/* What detect_flow_start started for a flow: a mask of these bits, which
 * goes back to detect_flow_end. Their values are flow.h's FLOW_F_SOURCE and
 * FLOW_F_PROFILE (detect.c checks), so the sensor keeps the mask in the
 * flow's flags as it is, and a flow's application state holds nothing of
 * its source. */
#define DETECT_FLOW_SOURCE  0x8000u /* the address's source record counts the flow */
#define DETECT_FLOW_PROFILE 0x0800u /* so does its client family's profile record */

/* An AI flow starts being followed; returns the DETECT_FLOW_* bits of the
 * records that count it (0: none could be had). app is the flow's
 * application state (flow-app.h: its TLS facts are read), or NULL. */
unsigned detect_flow_start(struct detect *d, const struct flow *f, const struct flow_app *app,
                           const struct catalog_entry *svc, uint64_t ts_us);
/* A completed turn of that flow, at packet time ts_us. */
void detect_turn(struct detect *d, const struct flow *f, const struct flow_app *app,
                 const struct catalog_entry *svc, const struct turn *t, uint64_t ts_us);
/* That flow ended at ts_us; started is what detect_flow_start returned for
 * it: the flow ends on the records it started on (a profile record only if
 * DETECT_FLOW_PROFILE), found again by their keys. */
void detect_flow_end(struct detect *d, const struct flow *f, const struct flow_app *app,
                     unsigned started, uint64_t ts_us);

/* Packet time stepped back to now_us (another capture): the detection clock
 * follows, so windows are measured on the new capture's time. */
void detect_clock_reset(struct detect *d, uint64_t now_us);

/* Housekeeping on packet time: expiry (bounded) and periodic source events. */
void detect_tick(struct detect *d, uint64_t now_us);

/* End of input: windows that turns were filed in since they were last due
 * (within the evaluation interval) are evaluated now, then members that
 * joined alerted clusters since their last event are listed in a last
 * update. */
void detect_finish(struct detect *d);

struct detect_counters {
    uint64_t alerts;            /* per-source alerts */
    uint64_t cluster_alerts;
    uint64_t cluster_updates;
    uint64_t source_events;
    uint64_t evaluated;         /* due windows whose features went through the signatures */
    uint64_t prefiltered;       /* due windows no signature could match, skipped */
    uint64_t profile_alerts;    /* of alerts: by a profile record */
    uint64_t profile_evaluated; /* of evaluated: a profile record's windows */
    uint64_t profile_single;    /* due profile windows skipped: the address carried one family */
};
const struct detect_counters *detect_counters(const struct detect *d);

/* Our sensor.sources, sensor.detect and the memory of sources and clusters
 * in the stats event. */
void detect_stats_write(const struct detect *d, struct stats_node *root);
/* For the metrics only: alerts by signature (rules_metrics_write). */
void detect_metrics_write(const struct detect *d, struct stats_node *root);

#endif
