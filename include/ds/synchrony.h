/* Synchrony: distinct sources that start requests to one provider within a
 * second or two of each other, round after round, are coordinated even when
 * each sends only a handful of requests and their prompts and answers look
 * like anyone's (a controller dispatching a batch to its workers at once).
 *
 * Per provider, turn starts are grouped into rounds: a start within
 * SYNC_ROUND_S of a recent round's first start is in that round, else it
 * opens one. Each source remembers its last SYNC_SOURCE_ROUNDS rounds. When a
 * source's start lands in a round, it is compared with the sources listed in
 * that round: a partner shares at least SYNC_MIN_SHARED of their remembered
 * rounds, and at least SYNC_SHARE_NUM/SYNC_SHARE_DEN of the rounds of the
 * one with fewer. A source with SYNC_MIN_PARTNERS partners or more is
 * synchronous: it and its partners form (or join) a group, numbered, which
 * detection files as a cluster (cluster_observe_group).
 *
 * Chance: on a busy provider every 2 s holds someone's start, so a source
 * that starts often meets others by chance round after round. Only sources
 * whose rounds are at least SYNC_MIN_SPACING_S apart on average take part:
 * another such source is in one of their rounds with a chance of about
 * 2 * SYNC_ROUND_S / SYNC_MIN_SPACING_S (0.13), and sharing 3 of 4 or 5 of 8
 * rounds by chance is then about 1e-3 a pair. A pool that dispatches more
 * often than that is left to the per-source and profile rules (each member
 * then sends a request every half minute or faster).
 *
 * Bounded: at most max_sources sources (least recently active evicted,
 * counted), SYNC_PROVIDERS providers (least recently active reused) of
 * SYNC_PROVIDER_ROUNDS rounds listing SYNC_ROUND_LISTED sources each; a turn
 * costs at most SYNC_PROVIDERS name and SYNC_PROVIDER_ROUNDS time
 * comparisons, a hash chain of SYNC_CHAIN_MAX, and SYNC_ROUND_LISTED
 * comparisons of two rings (SYNC_SOURCE_ROUNDS^2 round numbers each).
 * Nothing is allocated after creation but source entries, from a pool. */
#ifndef DS_SYNCHRONY_H
#define DS_SYNCHRONY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/packet.h"

#define SYNC_ROUND_S 2           /* starts within 2 s of a round's first: one round */
#define SYNC_SOURCE_ROUNDS 8     /* rounds a source remembers */
#define SYNC_PROVIDERS 16        /* providers followed at once */
#define SYNC_PROVIDER_ROUNDS 32  /* recent rounds kept per provider */
#define SYNC_ROUND_LISTED 16     /* sources listed in a round (later ones are not) */
#define SYNC_MIN_SHARED 3        /* rounds a pair shares at least */
#define SYNC_SHARE_NUM 3         /* ... and at least 3/5 of the fewer's rounds */
#define SYNC_SHARE_DEN 5
#define SYNC_MIN_PARTNERS 3      /* partners that make a source synchronous */
#define SYNC_MIN_SPACING_S 30    /* a source's rounds this far apart on average, or it takes no part */
#define SYNC_KEEP_S 3600         /* a source stays in its group this long after last found in it */
#define SYNC_CHAIN_MAX 32        /* entries in one hash chain */

struct sync_stats {
    uint64_t sources_active, sources_created, sources_evicted;
    uint64_t chain_refused;      /* a new source whose hash chain was full: not followed */
    uint64_t rounds;             /* rounds opened */
    uint64_t round_full;         /* starts in a round that listed SYNC_ROUND_LISTED already */
    uint64_t providers_reused;   /* a provider's rounds dropped for another provider */
    uint64_t comparisons;        /* pairs compared */
    uint64_t stale;              /* listings of sources evicted since, skipped */
    uint64_t synchronous;        /* times a source was found synchronous */
    uint64_t groups;             /* groups formed */
};

struct synchrony;

/* A table for at most max_sources sources (at least 1), hashed with seed. */
struct synchrony *synchrony_new(size_t max_sources, uint32_t seed);
void synchrony_free(struct synchrony *sy);

/* A turn of src to provider started at start_us (packet time), seen at
 * now_us (the turn's end: turns arrive in the order they end). Returns
 * whether src is synchronous now. */
bool synchrony_turn(struct synchrony *sy, const struct ds_addr *src, const char *provider,
                    uint64_t start_us, uint64_t now_us);

/* src's synchronous group (> 0) and the most rounds it shared with a
 * partner, if it was found synchronous within SYNC_KEEP_S before now_us;
 * else false. */
bool synchrony_group(const struct synchrony *sy, const struct ds_addr *src, uint64_t now_us,
                     uint32_t *group, unsigned *rounds);

const struct sync_stats *synchrony_stats(const struct synchrony *sy);
size_t synchrony_bytes(const struct synchrony *sy);

struct stats_node;
/* sensor.detect.sync_* counters and sensor.memory.synchrony; NULL: nothing. */
void synchrony_stats_write(const struct synchrony *sy, struct stats_node *root);

#endif
