/* The memory budget (--memcap): one size in bytes for everything the
 * sensor allocates after start-up, split into one share per store. Each
 * store's object cap is min(its count cap, share / object cost), taken at
 * start-up (memcap_objects); the flow and application stores report how
 * full they are (memcap_fill), which drives emergency mode (Suricata's
 * flow engine: shorter idle timeouts and more expiry work until use falls
 * below MEMCAP_RECOVERY_PCT of the cap); every eviction and refusal at a
 * share is counted here by kind and reported under sensor.memcap. */
#ifndef DS_MEMCAP_H
#define DS_MEMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMCAP_DEFAULT ((uint64_t)512 << 20)
/* The least --memcap accepted: the sensor's idle footprint (about 23 MiB
 * RSS measured: the image, nDPI's detection module, the catalogue, buffers)
 * plus the fixed reserve below and a few MiB of pools. */
#define MEMCAP_MIN ((uint64_t)48 << 20)
#define MEMCAP_MAX ((uint64_t)1 << 40)
/* Emergency mode ends when every tracked store is at most this full. */
#define MEMCAP_RECOVERY_PCT 70

/* The stores with a share, in the order of stats' memcap.shares. */
enum memcap_share {
    MEMCAP_FLOWS = 0,
    MEMCAP_FLOW_APP,
    MEMCAP_HELLO_BUFFERS,
    MEMCAP_QUIC_REASM,
    MEMCAP_NDPI,
    MEMCAP_SOURCES,     /* and their turn chunks */
    MEMCAP_CLUSTERS,    /* and synchrony */
    MEMCAP_STRINGS,     /* interned SNI/JA3/JA4 strings */
    MEMCAP_TURN_POOL,   /* the shared per-flow turn pool */
    MEMCAP_NSHARES
};

/* What is evicted to make room, by kind (stats' memcap.evicted). */
enum memcap_evict {
    MEMCAP_EV_FLOWS_UNFOLLOWED = 0, /* never to be followed, or not yet decided */
    MEMCAP_EV_FLOWS_FOLLOWED,
    MEMCAP_EV_HELLO_BUFFERS,
    MEMCAP_EV_SOURCES,
    MEMCAP_EV_CLUSTERS,
    MEMCAP_NEVICT
};

struct memcap;
struct stats_node;

/* Parses a size: a whole number of bytes with an optional suffix K, M, G,
 * KiB, MiB, GiB (all powers of 1024; case-insensitive; "512M", "1GiB").
 * 0 with *out set, or -1 with one line in err (not a size, out of range
 * [MEMCAP_MIN, MEMCAP_MAX]). */
int memcap_parse_size(const char *s, uint64_t *out, char *err, size_t errlen);

/* A budget of `limit` bytes (at least MEMCAP_MIN: smaller is raised to it). */
struct memcap *memcap_new(uint64_t limit);
/* NULL-safe. */
void memcap_free(struct memcap *mc);

uint64_t memcap_limit(const struct memcap *mc);
/* Bytes of store `which` (0 for a NULL mc: no budget). */
size_t memcap_share(const struct memcap *mc, enum memcap_share which);
/* The object cap of a store whose objects cost `obj_bytes` each (with
 * their share of any index): min(count_cap, share / obj_bytes), at least 1;
 * kept for sensor.memcap.caps (with count_cap, when the share lowered it).
 * count_cap unchanged for a NULL mc. */
size_t memcap_objects(struct memcap *mc, enum memcap_share which, size_t obj_bytes,
                      size_t count_cap);

/* How full store `which` (MEMCAP_FLOWS or MEMCAP_FLOW_APP) is now. At its
 * cap the sensor enters emergency mode (counted); it leaves when every
 * such store is at most MEMCAP_RECOVERY_PCT full. NULL-safe. */
void memcap_fill(struct memcap *mc, enum memcap_share which, size_t in_use, size_t cap);
bool memcap_emergency(const struct memcap *mc);

void memcap_evicted(struct memcap *mc, enum memcap_evict kind);
/* An nDPI flow state refused at its share (the flow is classified by
 * its SNI and the catalogue alone). */
void memcap_ndpi_refused(struct memcap *mc);
uint64_t memcap_evicted_count(const struct memcap *mc, enum memcap_evict kind);

/* sensor.memcap: limit, used (the sum of sensor.memory's stores, so call
 * it after every other writer), emergency, shares, evictions (sources and
 * clusters read from the tree: sensor.sources.evicted less chain_evicted,
 * and sensor.detect's cluster counters), refusals. NULL-safe. */
void memcap_stats_write(const struct memcap *mc, struct stats_node *root);

#endif
