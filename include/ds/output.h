/* Events out: one JSON object a line (NDJSON), shaped like Suricata's EVE,
 * to a file (reopened on SIGHUP for log rotation) or stdout. The only module
 * that includes jansson. */
#ifndef DS_OUTPUT_H
#define DS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/catalog.h"
#include "ds/classify.h"
#include "ds/cluster.h"
#include "ds/decode.h"
#include "ds/features.h"
#include "ds/flow.h"
#include "ds/rules.h"
#include "ds/sink.h"
#include "ds/source.h"

struct output;

/* Opens the event sink: "-" is stdout, anything else a file opened for
 * appending. `host` is the sensor name written as EVE's "host" (NULL: none).
 * Returns 0, or -1 with the reason in err. */
int output_open(const char *path, const char *host, struct output **out, char *err,
                size_t errlen);
/* Reopens a file sink (after rotation); 0 or -1 (the old stream is kept). */
int output_reopen(struct output *o, char *err, size_t errlen);
/* Flushes and closes; returns -1 if any write failed. NULL-safe (0). */
int output_close(struct output *o);
void output_flush(struct output *o);

const struct sink_counters *output_counters(const struct output *o);

/* Everything a stats event reports, gathered by the sensor. */
struct sensor_stats {
    const struct decode_stats *decode;
    const struct flow_stats *flow;
    size_t flow_bytes;
    const struct classify_stats *classify;
    bool live;
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
    uint64_t flows_tcp, flows_udp;
    uint64_t tls_flows, quic_flows;       /* flows whose handshake we saw */
    uint64_t followed_flows;              /* flows we keep app state for */
    uint64_t ai_flows;
    uint64_t hello_bad;                   /* ClientHellos given up on */
    uint64_t app_exhausted;               /* followed flows refused at the cap */
    uint64_t turns;
    size_t app_bytes, hello_bytes;        /* memory held by those pools */
    size_t nproviders;
    const char *const *provider_names;
    const uint64_t *ai_flows_by_provider;
    uint64_t uptime_s;                    /* packet time since the first packet */
    /* detection (NULL / 0 when not running) */
    const struct source_stats *sources;
    size_t source_bytes;
    const struct rules_stats *rules;
    size_t n_rules;
    struct cluster_stats clusters;        /* summed over the cluster tables */
    size_t cluster_bytes;
    uint64_t alerts, cluster_alerts, cluster_updates, source_events;
    uint64_t prefiltered;                 /* window evaluations no rule could match */
    uint64_t geo_errors;
};

/* A `flow` event for a followed flow that ended (event-flow.h). */
void output_flow(struct output *o, const struct flow *f, const struct catalog_entry *svc);

/* An alert (event-alert.h). */
struct detect_alert;
void output_alert(struct output *o, const struct detect_alert *a);

/* New members joined a cluster that alerted (event-alert.h). */
void output_cluster_update(struct output *o, uint64_t ts_us, const struct cluster *c,
                           const struct rule *r);

/* One source's features over one window (--source-events). */
void output_source(struct output *o, uint64_t ts_us, const struct ds_addr *src,
                   const struct features *f, const struct source_last_flow *last);

/* A `stats` event at packet time ts_us. */
void output_stats(struct output *o, uint64_t ts_us, const struct sensor_stats *s);

#endif
