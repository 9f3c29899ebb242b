/* Per-source behaviour state: one record per client address that talks to an
 * AI service, bounded (--max-sources, least recently seen evicted and
 * counted), measured over sliding windows on packet time (1m, 10m, 1h by
 * default), from which `struct features` is computed on demand.
 *
 * What the sensor calls, all with packet time:
 *   source_flow_start   when a flow is classified as AI (TLS or QUIC to a
 *                       catalogued host): a new connection, concurrency + 1.
 *   source_turn         for every completed request/response turn of such a
 *                       flow (exchange_turn_fn). Its `due` mask says which
 *                       windows to evaluate now (see eval_interval_s).
 *   source_flow_end     when that flow ends (flow_end_fn), if its start
 *                       was filed (the caller keeps that it was).
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
 * Profiles: a record is keyed by (address, profile). Profile 0
 * (SOURCE_PROFILE_ADDRESS) is the whole address; any other is one client
 * fingerprint family's traffic from that address (source_profile_id of the
 * family's name), so a script behind a NAT full of browsers has a record of
 * its own. Profile records are made only once an address has carried more
 * than one family (source_profile_split): until then the address record is
 * the one family's record, and when a second family appears the address
 * record is copied into the first family's profile record, so that family
 * keeps its history. Profile records come from the same pool as address
 * records (they count against max_sources), sit in the same recency list
 * and are evicted and expired the same way (counted apart in the stats).
 * The functions that take a `struct ds_addr` work on the address record;
 * the source_key_ ones on any record.
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

/* The profile of an address record; any other profile is a family's. */
#define SOURCE_PROFILE_ADDRESS 0u

/* A record's key: an address, and the profile within it. */
struct source_key {
    struct ds_addr addr;
    uint32_t profile;           /* SOURCE_PROFILE_ADDRESS or source_profile_id(family) */
};

/* Which record an alert or a source event is about (events say so). */
struct source_profile {
    const char *family;         /* NULL: the address record; else the profile's family */
    unsigned families;          /* families the address carried in the window (profiles) */
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
    uint8_t ech;                /* enum tls_ech of its hello */
    uint8_t ech_public;         /* real ECH's outer SNI (tls_ech_public_name) */
    uint32_t profile;           /* the record to file under (src, profile): 0 the address */
};

/* The latest AI flow of a source, for alerts (dest_ip, tls.sni, ai.*). */
struct source_last_flow {
    struct ds_addr dst;
    struct ds_vlan vlan;        /* its VLAN tags, for the alert's "vlan" */
    uint16_t sport;             /* the source's port, for the community_id */
    uint16_t dport;
    bool quic;
    uint8_t ech;                /* as in struct source_flow */
    uint8_t ech_public;
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
    uint64_t flows;             /* source_flow_start calls for address records */
    uint64_t turns;             /* source_turn calls for address records */
    uint64_t ring_short;        /* turns that overwrote a ring not yet full-sized, or that
                                   found no ring chunk at all (counted, not kept) */
    uint64_t stale_ends;        /* flow ends whose source record was evicted */
    uint64_t chunks_in_use;
    uint64_t chain_evicted;     /* of evicted: to keep a chain at SOURCE_CHAIN_MAX */
    uint64_t lookups;           /* lookups that may create (a flow or turn's source) */
    uint64_t lookup_steps;      /* sources those lookups walked */
    uint64_t max_chain;         /* the most one lookup walked */
    /* Of the records above, profile records (profile != 0): */
    uint64_t profiles;          /* held now (in active too) */
    uint64_t profiles_created;  /* in created too */
    uint64_t profiles_evicted;  /* in evicted too */
    uint64_t profile_splits;    /* addresses whose record was copied into a family's */
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
/* What one source costs a table made with cfg, at most (its record, its
 * share of turn chunks and of the hash): for the memcap's share. */
size_t source_bytes_per_source(const struct source_config *cfg);
void source_table_free(struct source_table *st);

/* The configured windows (seconds, ascending). */
const uint32_t *source_windows(const struct source_table *st, unsigned *n);
/* Index of a window in that list, or -1. */
int source_window_index(const struct source_table *st, uint32_t window_s);

/* A flow of fl->src was classified as AI at packet time ts_us, filed in the
 * record (fl->src, fl->profile); *created (may be NULL) tells whether the
 * source is new (the moment to look up and set its geo). 0, or -1 (no
 * record could be had: then there is no source_flow_end for it). */
int source_flow_start(struct source_table *st, const struct source_flow *fl, uint64_t ts_us,
                      bool *created);

/* A flow whose start was filed in src's address record ended at ts_us: the
 * record of that key is seen then (its last_us, its place in the eviction
 * order). If none is held (evicted or expired meanwhile) the end is
 * counted in stats.stale_ends; one made again since is the same address's,
 * and sees the end. */
void source_flow_end(struct source_table *st, const struct ds_addr *src, uint64_t ts_us);

/* A completed turn of flow fl, reported at packet time ts_us (>= t->start_us;
 * the turn is filed under its start), in the record (fl->src, fl->profile). *due (may be NULL) gets bit i set for
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

/* ---- profiles ---- */

/* The profile id of a client family's name (case-insensitive; never 0), or
 * SOURCE_PROFILE_ADDRESS for NULL or "". A 32-bit hash of the name, so the id
 * of a family stays the same across fingerprint reloads and runs. */
uint32_t source_profile_id(const char *family);

/* Whether a flow or turn of `family` from address a is to be filed in its
 * profile record as well as in the address record: true once a has carried
 * another family. When a carried exactly one family so far and `family`
 * differs, a's record is first copied into that first family's profile
 * record (counted as a split). Call it before filing the flow or turn in the
 * address record. False for a NULL or empty family, or an address not held. */
bool source_profile_split(struct source_table *st, const struct ds_addr *a, const char *family,
                          uint64_t ts_us);

/* How many client families address a carried in the window of window_s
 * seconds ending at ts_us (at most the 4 its record keeps); 0 if not held. */
unsigned source_families(const struct source_table *st, const struct ds_addr *a,
                         uint32_t window_s, uint64_t ts_us);

/* The profile whose features stand for address a in the cluster tables
 * (SOURCE_PROFILE_ADDRESS unless source_set_cluster_profile said otherwise;
 * also for an address not held), and setting it (-1: a not held). */
uint32_t source_cluster_profile(const struct source_table *st, const struct ds_addr *a);
int source_set_cluster_profile(struct source_table *st, const struct ds_addr *a,
                               uint32_t profile);

/* The functions above for the record of key k (any profile). */
void source_key_flow_end(struct source_table *st, const struct source_key *k, uint64_t ts_us);
int source_key_features(struct source_table *st, const struct source_key *k, uint32_t window_s,
                        uint64_t ts_us, struct features *out);
int source_key_requests_bound(const struct source_table *st, const struct source_key *k,
                              uint32_t window_s, uint64_t ts_us, uint32_t *n);
int source_key_last_flow(const struct source_table *st, const struct source_key *k,
                         struct source_last_flow *out);
/* The windows of key k that turns were filed in since they were last due
 * (at most eval_interval_s apart, so the last turns of a capture or of a
 * burst may not have been evaluated yet); marks them due now. 0 if none or
 * no such record. */
uint32_t source_key_overdue(struct source_table *st, const struct source_key *k);
/* Whether the record of key k is held. */
bool source_key_held(const struct source_table *st, const struct source_key *k);
/* Like source_foreach, over every record, profile records included. */
typedef void (*source_key_visit_fn)(void *ctx, const struct source_key *k);
void source_key_foreach(struct source_table *st, uint64_t since_us, source_key_visit_fn fn,
                        void *ctx);

/* Drops sources idle (no flow start, turn or flow end) for longer than
 * idle_timeout_s at packet time now_us, least recently seen first, visiting
 * at most max_visit of them (0 = no limit). Returns how many were dropped. */
size_t source_expire(struct source_table *st, uint64_t now_us, size_t max_visit);

/* Calls fn for every address record seen at or after since_us (profile
 * records are skipped: source_key_foreach visits them), most recently seen
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
