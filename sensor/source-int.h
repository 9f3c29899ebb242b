/* What the source table (source.c) and the feature computation over its
 * windows (source-features.c) share: the record layout of a source, the
 * table, and the small accessors both need. Private to those two files; the
 * API is ds/source.h. It lives beside them rather than in include/ds/ so
 * that no other module can reach into a source record. */
#ifndef DS_SOURCE_INT_H
#define DS_SOURCE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/features.h"
#include "ds/list.h"
#include "ds/source.h"

#define HOSTS_KEPT 16
#define JA4S_KEPT 8
#define NAMES_KEPT 4
#define ECH_KEPT 2   /* the values of the ech feature: grease, real */
#define NAME_LEN 40

#define TURN_F_QUIC 0x1u

/* One turn as the ring keeps it (32 bytes). */
struct src_turn {
    uint64_t start_us;
    uint32_t req_bytes;
    uint32_t resp_bytes;
    uint32_t ttfb_us;       /* saturated at UINT32_MAX (71 minutes) */
    uint32_t dur_us;
    uint32_t conn;          /* low bits of the flow id: which connection */
    uint32_t flags;
};

struct turn_chunk {
    struct src_turn t[SOURCE_TURN_CHUNK];
};

/* One minute of activity; `minute` holds the minute number + 1 (0 = unused). */
struct bucket {
    uint32_t minute;
    uint32_t turns;
    uint32_t conns;
};

/* Requests per hour of the source's record (hour 0 starts at its first
 * packet), for the load shape: the latest hour a turn started in (its
 * number + 1, 0 = none) and the counts of it and the HOURS_KEPT - 1 hours
 * before it, slot hour % HOURS_KEPT (104 bytes). */
#define HOURS_KEPT 25
struct hour_ring {
    uint32_t latest;
    uint32_t n[HOURS_KEPT];
};

struct host_ent {
    uint64_t hash;
    uint64_t last_us;
};

struct name_ent {
    uint64_t last_us;
    char s[NAME_LEN];
};

struct source {
    struct source *hnext;
    struct ds_list_node lru;        /* recency: most recent at the head */
    struct ds_addr addr;
    uint32_t profile;               /* with addr, the key (ds/source.h) */
    uint32_t cluster_profile;       /* an address record's: see source_cluster_profile */
    uint32_t hash;
    uint64_t first_us, last_us;
    uint64_t ring_total;            /* turns ever filed in the ring */
    uint32_t ring_len, ring_head, ring_cap;
    uint16_t nchunks;
    bool ring_fixed;                /* the ring wrapped before reaching full size */
    bool has_last;
    uint32_t fs_total;              /* flow starts ever recorded */
    uint64_t fs_times[SOURCE_FLOW_STARTS_KEPT];
    struct host_ent hosts[HOSTS_KEPT];
    struct name_ent ja4s[JA4S_KEPT];
    struct name_ent providers[NAMES_KEPT];
    struct name_ent services[NAMES_KEPT];
    struct name_ent families[NAMES_KEPT];
    struct name_ent ech[ECH_KEPT];
    struct source_last_flow last;
    char country[8];
    char asn[16];
    char as_org[FEATURE_STR_LEN];
    uint64_t last_due_us[SOURCE_MAX_WINDOWS];
    uint64_t last_turn_us;          /* packet time its last turn was filed */
    struct hour_ring hours;
    /* followed by: struct turn_chunk *chunks[max_chunks]; struct bucket buckets[nbuckets]; */
};

/* A turn of the window as the pacing features see it: its start and the end
 * of its answer (ms into the window), connection and request bytes. */
struct turn_rec {
    double start, end;
    uint32_t conn;
    uint32_t req;
};

/* A connection during the pacing pass: the latest end of its answers so
 * far and its latest request size; `gen` says which pass wrote it. */
struct conn_state {
    uint32_t conn;
    uint32_t gen;
    uint32_t req;
    double end;
};

/* Scratch for the feature computation, one entry per turn kept, and a
 * connection table twice that (source-features.c owns their use). */
struct source_scratch {
    double *start, *req, *resp, *a, *b;
    struct turn_rec *rec;
    struct conn_state *conns;
    size_t nconn_slots;             /* a power of two >= 2 * turns */
    uint32_t gen;                   /* the current pass's stamp */
    size_t bytes;
};

struct source_table {
    struct source_config cfg;
    struct pool *sources;
    struct pool *chunks;
    struct source **hash;
    size_t hash_mask;
    struct ds_list lru;             /* sources by recency, most recent at the head */
    unsigned max_chunks;            /* chunk pointers per source */
    unsigned nbuckets;              /* minute buckets per source */
    size_t rec_size;
    size_t chunks_off, buckets_off;
    struct source_stats stats;
    struct source_scratch sc;
};

static inline struct turn_chunk **src_chunks(const struct source_table *st,
                                             const struct source *s)
{
    return (struct turn_chunk **)((unsigned char *)s + st->chunks_off);
}

static inline struct bucket *src_buckets(const struct source_table *st, const struct source *s)
{
    return (struct bucket *)((unsigned char *)s + st->buckets_off);
}

/* The bucket of a minute, or NULL when that minute left the buckets or saw
 * nothing. */
static inline const struct bucket *bucket_get(const struct source_table *st,
                                              const struct source *s, uint64_t minute)
{
    const struct bucket *b = &src_buckets(st, s)[minute % st->nbuckets];
    return b->minute == (uint32_t)(minute + 1) ? b : NULL;
}

/* The record of address a, or NULL (source.c). */
struct source *source_find(const struct source_table *st, const struct ds_addr *a);
/* The record of key k (any profile), or NULL (source.c). */
struct source *source_find_key(const struct source_table *st, const struct source_key *k);

/* Counts a turn that started at start_us in the source's hourly load
 * (source-features.c); a start before the record's first packet counts in
 * its first hour. */
void source_hours_note(struct source *s, uint64_t start_us);

/* Allocates scratch for n turns; frees it (source-features.c). */
void source_scratch_init(struct source_scratch *sc, size_t n);
void source_scratch_free(struct source_scratch *sc);

#endif
