/* Synchrony ("crowded rounds"): a coordinator that dispatches a batch to its
 * workers at once makes many distinct sparse sources start a request within
 * a couple of seconds of each other, whichever provider each worker uses,
 * even when each sends only a handful of requests and their prompts and
 * answers look like anyone's. Such a crowd is improbable in the background;
 * sources found together in such crowds again and again are a group.
 *
 * Sparse start: a source's start SYNC_SPARSE_GAP_S or more after its last
 * (or its first seen). A pool member sends one request when dispatched,
 * rounds minutes apart; busy sources (a chat user's next message, a
 * script's loop) are not sparse and take no part, which keeps the
 * background thin. A pool dispatching each member more often than every
 * two minutes is left to the per-source and profile rules (each member is
 * then a busy source itself).
 *
 * Windows, across providers: the last SYNC_RECENT sparse starts are kept.
 * At each sparse start, of the windows of SYNC_ROUND_S that begin at a kept
 * start and hold the new one, the fullest is judged (turns arrive in the
 * order they end, so a window fills out of order).
 *
 * The background: sparse starts are counted per SYNC_RATE_BUCKET_S of
 * packet time; the rate lambda (per second) is an EWMA over the buckets,
 * weight 1/SYNC_RATE_EWMA (a time constant of 8 minutes: it follows the
 * daily swing, not a single round). With starts independent (Poisson at
 * lambda), the number X of other sparse starts in the SYNC_ROUND_S after a
 * given one has mean
 *     mu = lambda * SYNC_ROUND_S
 * and P(X >= j) = 1 - sum_{i<j} e^-mu mu^i / i!. A window is crowded when it
 * holds k distinct sources, k = 1 + the least j with P(X >= j) <
 * SYNC_P_CROWDED (1e-4), and k >= SYNC_MIN_CROWD: mu = 0.1 gives k = 5
 * (P(X >= 3) = 1.5e-4, P(X >= 4) = 3.8e-6), mu = 1 gives 8, mu = 2 gives 11.
 * Every sparse start is a test, so a background of S sparse starts has
 * about S * 1e-4 chance crowded windows (0.4 in 4,000, a busy two hours); a
 * group needs sources in two crowded rounds, which unrelated sources in
 * chance windows are not. No window is judged before SYNC_WARMUP_S of
 * packet time (the rate is unknown, and every source's first start is
 * sparse when the sensor starts). A pool's own starts count in lambda: N
 * members sending one request every P seconds add N/P (24 members every
 * 17 minutes: 0.024/s).
 *
 * A window is also crowded when SYNC_MEMBER_ROUND of its sources are
 * members of one group already: three sparse sources, each starting once
 * in minutes, in the same 2 s by chance is far below 1e-4, so the round is
 * the group's even when the background is too busy for its size alone.
 *
 * Near rounds: a window that is not crowded but improbable at
 * SYNC_P_NEAR (1e-2; at mu = 1, 6 sources) is kept, the last
 * SYNC_NEAR_KEPT of them (one per 2 s, the fullest). A group is known only
 * after its first crowded rounds, so its early rounds that fell short of
 * the crowd (a third of a pool of 24 against a busy background) would
 * otherwise be lost, and with them a member that was in one of them and
 * in one crowded round since. Whenever sources become members, the kept
 * near rounds are looked at again: one that holds SYNC_MEMBER_ROUND
 * members of one group is made a crowded round of it (the same test as
 * above, only later) and its sources judged; counted in
 * sync_rounds_promoted.
 *
 * Crowded rounds: a crowded window joins the kept crowded round it
 * overlaps (the two within 2 * SYNC_ROUND_S), else it is a new one; a
 * source's start counts in one crowded round. The last SYNC_CROWDED_KEPT
 * are kept, each listing up to SYNC_ROUND_LISTED sources. Crowded rounds
 * that share a source are joined (union-find: a round points straight at
 * its group's root, the oldest round, whose number names the group; a
 * union repoints the other root's rounds). A source remembers its last
 * SYNC_SOURCE_CROWDED crowded rounds and is a member of the group it was
 * in most rounds of when that is SYNC_MEMBER_ROUNDS (2) or more and at
 * least a quarter of all its sparse starts (once it has been in more
 * crowded rounds than it remembers, of those from the oldest remembered
 * on, so a member of days stays one): a bystander (a source that
 * happened to start in a crowded round) is in each crowded round by chance
 * with odds of its own sparse start rate times SYNC_ROUND_S, so seldom
 * twice, and then among many sparse starts of its own; a member that
 * starts only when dispatched is in most of its group's crowded rounds. A member stays one
 * SYNC_KEEP_S after it was last found one. Detection files groups as
 * clusters (cluster_observe_group), across providers, so cluster rules
 * with sync_rounds (the most crowded rounds of its group a member was in)
 * apply.
 *
 * Bounded: at most max_sources sources (least recently active evicted,
 * counted), SYNC_RECENT recent starts, SYNC_CROWDED_KEPT crowded rounds and
 * SYNC_NEAR_KEPT near rounds of SYNC_ROUND_LISTED sources and
 * SYNC_JOINED_MAX new members (about 60 KB with the sources' hash table
 * apart). When a round made sources members, the near rounds cost
 * SYNC_NEAR_KEPT * SYNC_ROUND_LISTED^2 membership checks. A sparse start costs a hash chain of
 * SYNC_CHAIN_MAX, a pass over SYNC_RECENT starts sorting at most
 * SYNC_WINDOW_MAX, and, when its window is crowded, SYNC_ROUND_LISTED^2
 * listing checks, SYNC_ROUND_LISTED * SYNC_SOURCE_CROWDED round look-ups
 * (was this start credited?) and as many unions of
 * SYNC_CROWDED_KEPT steps and 2 * SYNC_ROUND_LISTED membership checks of
 * SYNC_SOURCE_CROWDED^2 group look-ups. Other starts cost the hash chain.
 * Nothing is allocated after creation but source entries, from a pool. */
#ifndef DS_SYNCHRONY_H
#define DS_SYNCHRONY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/packet.h"

#define SYNC_ROUND_S 2           /* a window: the 2 s from a sparse start */
#define SYNC_SPARSE_GAP_S 120    /* a start this long after the source's last: sparse */
#define SYNC_RECENT 256          /* recent sparse starts kept */
#define SYNC_WINDOW_MAX 64       /* starts within SYNC_ROUND_S of one start looked at */
#define SYNC_CROWDED_KEPT 64     /* crowded rounds remembered */
#define SYNC_ROUND_LISTED 32     /* sources listed in a window or crowded round */
#define SYNC_SOURCE_CROWDED 8    /* crowded rounds a source remembers */
#define SYNC_MIN_CROWD 4         /* a crowded window holds at least this many sources */
#define SYNC_P_CROWDED 1e-4      /* ... and a number this improbable in the background */
#define SYNC_P_NEAR 1e-2         /* a window this improbable is kept as a near round */
#define SYNC_NEAR_KEPT 48        /* near rounds kept */
#define SYNC_MEMBER_ROUND 3      /* a window holding this many members of a group is crowded */
#define SYNC_MEMBER_ROUNDS 2     /* a member was in this many crowded rounds of its group */
#define SYNC_MEMBER_SHARE_DEN 4  /* ... and they are a quarter of its sparse starts or more */
#define SYNC_RATE_BUCKET_S 60    /* sparse starts counted per minute */
#define SYNC_RATE_EWMA 8         /* the rate's EWMA weight: 1/8 a bucket */
#define SYNC_WARMUP_S 300        /* no window judged before this much packet time */
#define SYNC_KEEP_S 3600         /* a member stays one this long after last found one */
#define SYNC_CHAIN_MAX 32        /* entries in one hash chain */
#define SYNC_JOINED_MAX 32       /* new members kept for synchrony_take_joined */

struct sync_stats {
    uint64_t sources_active, sources_created, sources_evicted;
    uint64_t chain_refused;      /* a new source whose hash chain was full: not followed */
    uint64_t sparse_starts;      /* starts that were sparse */
    uint64_t window_full;        /* recent starts beyond SYNC_WINDOW_MAX near one start */
    uint64_t crowded;            /* crowded rounds made */
    uint64_t crowded_by_members; /* windows crowded for the members they held, not their number */
    uint64_t near;               /* near rounds kept */
    uint64_t promoted;           /* near rounds made crowded when their members were known */
    uint64_t unions;             /* crowded rounds' groups joined */
    uint64_t members;            /* times a source was found a member of a group */
    uint64_t joined;             /* sources found a member of a group they were not in */
    uint64_t joined_dropped;     /* new members not kept for synchrony_take_joined */
    uint64_t rate_milli;         /* the background rate of sparse starts, per 1000 s */
};

struct synchrony;

/* A table for at most max_sources sources (at least 1), hashed with seed. */
struct synchrony *synchrony_new(size_t max_sources, uint32_t seed);
void synchrony_free(struct synchrony *sy);

/* A turn of src to provider (NULL or "": not an AI API, ignored) started at
 * start_us (packet time), seen at now_us (the turn's end: turns arrive in
 * the order they end). Returns whether src is a group member now. */
bool synchrony_turn(struct synchrony *sy, const struct ds_addr *src, const char *provider,
                    uint64_t start_us, uint64_t now_us);

/* src's group (> 0) and the most crowded rounds of it src was in, if src
 * was found a member within SYNC_KEEP_S before now_us; else false. */
bool synchrony_group(const struct synchrony *sy, const struct ds_addr *src, uint64_t now_us,
                     uint32_t *group, unsigned *rounds);

/* The sources found new members of a group since the last call, at most
 * n of them into out; returns their number. A source usually becomes a
 * member at another's turn (the turn that made a round crowded), often
 * after its own last turn: detection evaluates these now rather than at
 * their next turn, which may never come. At most SYNC_JOINED_MAX are kept
 * between calls (more are counted and dropped). */
size_t synchrony_take_joined(struct synchrony *sy, struct ds_addr *out, size_t n);

/* The least k >= SYNC_MIN_CROWD with P(X >= k) < SYNC_P_CROWDED for X
 * Poisson of mean mu; UINT32_MAX when that exceeds 4 * SYNC_ROUND_LISTED. */
uint32_t synchrony_crowd_needed(double mu);

const struct sync_stats *synchrony_stats(const struct synchrony *sy);
size_t synchrony_bytes(const struct synchrony *sy);

struct stats_node;
/* sensor.detect.sync_* counters and sensor.memory.synchrony; NULL: nothing. */
void synchrony_stats_write(const struct synchrony *sy, struct stats_node *root);

#endif
