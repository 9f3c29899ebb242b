/* Per-source behaviour state: one record per client address that talks to an
 * AI service, bounded (--max-sources, least recently seen evicted and
 * counted), measured over sliding windows on packet time (1m, 10m, 1h by
 * default), from which `struct features` is computed on demand.
 *
 * What the sensor calls, all with packet time:
 *   source_flow_start   when a flow is classified as AI (TLS or QUIC to a
 *                       catalogued host): a new connection, concurrency + 1.
 *                       Keep the returned token in the flow.
 *   source_turn         for every completed request/response turn of such a
 *                       flow (exchange_turn_fn). Its `due` mask says which
 *                       windows to evaluate now (see eval_interval_s).
 *   source_flow_end     when that flow ends (flow_end_fn), with the token.
 *   source_features     for each due window: the features to run rules on.
 *   source_expire       now and then (e.g. each stats tick): drops sources
 *                       idle longer than idle_timeout_s, a bounded number per call.
 *
 * What is kept per source, and what is approximated:
 *   - a ring of the last `turns_kept` turns (default 512), grown on demand in
 *     chunks of SOURCE_TURN_CHUNK from a shared pool (max_turn_chunks). The
 *     distribution features (cadence, sizes, ratios, ttfb, durations, QUIC
 *     share, idle gaps) use the turns of the window that are still in the
 *     ring: when a window holds more turns than the ring, they describe the
 *     most recent `turns_kept`. Counts (requests, new connections) stay
 *     exact to the minute: the part of the window older than the ring is
 *     counted from the per-minute buckets.
 *   - per-minute buckets covering the largest window: requests and new
 *     connections. duty_cycle and rate_flatness have minute resolution: a
 *     window covers the minutes it overlaps (for 10m at 10:05:30: 09:55 ..
 *     10:05, 11 minutes). max_concurrency and the other features of
 *     requests in flight come from the ring's turns (completed ones only).
 *   - requests per hour for the last 25 hours of the record (hours counted
 *     from its first packet), for hourly_load_cv and load_shape.
 *   - the last 32 connection start times (exact new_connections beyond that
 *     come from the buckets, as above).
 *   - small tables of the hosts (16, hashed), JA4s (8), providers, services
 *     and fingerprint families (4 each) with the last time each was seen:
 *     distinct counts saturate at the table size, and string features list
 *     the most recently seen values first.
 *   - when the turn chunk pool is exhausted, a source that already has a
 *     chunk keeps cycling through what it has (counted as `ring_short`);
 *     one that has none takes them from the least recently seen source,
 *     which is evicted.
 *
 * Nothing is allocated per turn or per flow once the pools are warm. Not
 * thread-safe: one table per capture thread. */
#ifndef DS_SOURCE_H
#define DS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/exchange.h"
#include "ds/features.h"
#include "ds/packet.h"

#define SOURCE_MAX_WINDOWS 8
#define SOURCE_TURN_CHUNK 32        /* turns per ring chunk */
#define SOURCE_MAX_TURNS_KEPT 4096
#define SOURCE_MAX_WINDOW_S 86400   /* longest window: 24 h of minute buckets */
#define SOURCE_FLOW_STARTS_KEPT 32

struct source_config {
    size_t max_sources;         /* cap; at the cap the least recently seen is evicted */
    uint32_t windows_s[SOURCE_MAX_WINDOWS]; /* ascending, whole minutes */
    unsigned n_windows;
    unsigned turns_kept;        /* per-source turn ring (rounded up to a chunk) */
    size_t max_turn_chunks;     /* shared pool of ring chunks; 0 = max_sources * 4 */
    uint32_t idle_timeout_s;    /* 0 = the largest window + 60 s */
    uint32_t eval_interval_s;   /* a window is due at most this often per source; 0 = every turn */
    uint32_t seed;              /* address hash seed (seed.h; detect_new sets the run's) */
    uint64_t host_seed;         /* host-name hash seed (likewise) */
};

/* The most sources a hash chain holds: a lookup walks at most this many. */
#define SOURCE_CHAIN_MAX 32

/* The AI flow a call is about. Strings may be NULL or "" (unknown); they are
 * copied, so they need to live only for the call. */
struct source_flow {
    struct ds_addr src;         /* the client: the source */
    struct ds_addr dst;
    struct ds_vlan vlan;        /* the flow's VLAN tags (n == 0: none) */
    uint16_t sport;             /* the source's (client's) port */
    uint16_t dport;
    bool quic;
    uint64_t flow_id;
    const char *host;           /* SNI */
    const char *provider;       /* catalogue provider, e.g. "openai" */
    const char *service;        /* catalogue service, e.g. "api" */
    const char *ja4;
    const char *family;         /* fingerprint family of the JA4 */
};

/* The latest AI flow of a source, for alerts (dest_ip, tls.sni, ai.*). */
struct source_last_flow {
    struct ds_addr dst;
    struct ds_vlan vlan;        /* its VLAN tags, for the alert's "vlan" */
    uint16_t sport;             /* the source's port, for the community_id */
    uint16_t dport;
    bool quic;
    uint64_t flow_id;
    char host[256];
    char provider[32];
    char service[32];
    char ja4[40];
    char family[24];
};

struct source_stats {
    uint64_t active;            /* sources held now */
    uint64_t max_active;
    uint64_t created;
    uint64_t evicted;           /* pushed out at the cap (sources or ring chunks) */
    uint64_t expired;           /* dropped after idle_timeout_s */
    uint64_t flows;             /* source_flow_start calls */
    uint64_t turns;             /* source_turn calls */
    uint64_t ring_short;        /* turns that overwrote a ring not yet full-sized, or that
                                   found no ring chunk at all (counted, not kept) */
    uint64_t stale_ends;        /* flow ends whose token no longer matched */
    uint64_t chunks_in_use;
    uint64_t chain_evicted;     /* of evicted: to keep a chain at SOURCE_CHAIN_MAX */
    uint64_t lookups;           /* lookups that may create (a flow or turn's source) */
    uint64_t lookup_steps;      /* sources those lookups walked */
    uint64_t max_chain;         /* the most one lookup walked */
};

struct source_table;

void source_config_default(struct source_config *cfg);

/* Sets cfg's windows from a list such as "1m,10m,1h" (durations as in
 * ds_parse_duration: whole minutes, 1m .. 24h, ascending after sorting, no
 * duplicates, at most SOURCE_MAX_WINDOWS). On error writes why into err and
 * returns -1, leaving cfg unchanged. */
int source_config_windows(struct source_config *cfg, const char *list, char *err, size_t errlen);

/* A table for cfg (copied); NULL if cfg is invalid (logged). Allocates its
 * hash buckets and scratch buffers now; sources and chunks come from pools. */
struct source_table *source_table_new(const struct source_config *cfg);
void source_table_free(struct source_table *st);

/* The configured windows (seconds, ascending). */
const uint32_t *source_windows(const struct source_table *st, unsigned *n);
/* Index of a window in that list, or -1. */
int source_window_index(const struct source_table *st, uint32_t window_s);

/* A flow of fl->src was classified as AI at packet time ts_us. *token (never
 * 0) goes back to source_flow_end; *created (may be NULL) tells whether the
 * source is new (the moment to look up and set its geo). 0 or -1 (no record
 * could be had). */
int source_flow_start(struct source_table *st, const struct source_flow *fl, uint64_t ts_us,
                      uint64_t *token, bool *created);

/* That flow ended at ts_us. A token from an earlier record of the same
 * address (the source was evicted or expired meanwhile) is ignored. */
void source_flow_end(struct source_table *st, const struct ds_addr *src, uint64_t ts_us,
                     uint64_t token);

/* A completed turn of flow fl, reported at packet time ts_us (>= t->start_us;
 * the turn is filed under its start). *due (may be NULL) gets bit i set for
 * each window i (source_windows order) due for evaluation: first turn, or
 * eval_interval_s since the last time it was due. *created as above.
 * 0 or -1. */
int source_turn(struct source_table *st, const struct source_flow *fl, const struct turn *t,
                uint64_t ts_us, uint32_t *due, bool *created);

/* Enrichment for a source (any string may be NULL); copied. 0, or -1 if the
 * source is not held. */
int source_set_geo(struct source_table *st, const struct ds_addr *src, const char *country,
                   const char *asn, const char *as_org);

/* The features of src over the window of window_s seconds ending at ts_us.
 * 0, or -1 if the source is not held or window_s is not a configured window.
 * Uses the table's scratch buffers: not reentrant. */
int source_features(struct source_table *st, const struct ds_addr *src, uint32_t window_s,
                    uint64_t ts_us, struct features *out);

/* A cheap upper bound on the requests of src in the window ending at ts_us
 * (from the per-minute buckets, never below what source_features counts),
 * for skipping windows no rule could match. 0 or -1 (not held). */
int source_requests_bound(const struct source_table *st, const struct ds_addr *src,
                          uint32_t window_s, uint64_t ts_us, uint32_t *n);

/* The source's latest AI flow. 0 or -1 (not held, or no flow yet). */
int source_last_flow(const struct source_table *st, const struct ds_addr *src,
                     struct source_last_flow *out);

/* First and last packet time of the current record of src. 0 or -1. */
int source_times(const struct source_table *st, const struct ds_addr *src, uint64_t *first_us,
                 uint64_t *last_us);

/* Drops sources idle (no flow start, turn or flow end) for longer than
 * idle_timeout_s at packet time now_us, least recently seen first, visiting
 * at most max_visit of them (0 = no limit). Returns how many were dropped. */
size_t source_expire(struct source_table *st, uint64_t now_us, size_t max_visit);

/* Calls fn for every source seen at or after since_us, most recently seen
 * first (a deterministic order for a given input). fn must not add or remove
 * sources (source_features is fine). */
typedef void (*source_visit_fn)(void *ctx, const struct ds_addr *src);
void source_foreach(struct source_table *st, uint64_t since_us, source_visit_fn fn, void *ctx);

const struct source_stats *source_table_stats(const struct source_table *st);
/* Bytes the table holds: source records, ring chunks, hash, scratch. */
size_t source_table_bytes(const struct source_table *st);


struct stats_node;
/* Our sensor.sources and sensor.memory.sources. */
void source_table_stats_write(const struct source_table *st, struct stats_node *root);

#endif
