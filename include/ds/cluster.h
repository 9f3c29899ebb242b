/* Coordinated groups of sources: sources that use one provider and behave
 * alike (cadence, prompt size, answer size and streaming) within a window
 * form a cluster. This is what catches hydra pools whose members each stay
 * under per-source thresholds.
 *
 * A source is grouped by (provider, client class) and then by profile: the
 * mean gap between its requests and its mean request size, compared in log
 * space (a source seen once has no gap yet and is compared instead on a
 * closer match of its prompt size, answer size and answer streaming time;
 * where its prompt size matches within CLUSTER_SIZE_TOL_TEMPLATE, the
 * template is the evidence and the answer size is no gate, since answers to
 * one template vary, but streamed and sent-at-once answers still differ).
 * The client class is only browser or not: the JA4 and the client family are
 * evidence, not a key, so a pool rotating two or three client stacks is one
 * cluster (where one side has no cadence yet, a source joins only a cluster
 * one of whose members used one of its JA4s: one exchange is thin evidence); the cluster keeps the JA4s and families its members used
 * (CLUSTER_MAX_JA4S and CLUSTER_MAX_FAMILIES of each, counted beyond). A
 * source whose own prompt sizes or gaps scatter (CV above
 * CLUSTER_MEMBER_MAX_CV) has no profile to share and is not grouped. It joins
 * the nearest cluster of its key whose profile centre is within the
 * tolerances (a factor of CLUSTER_GAP_TOL in cadence and CLUSTER_SIZE_TOL in
 * size), else starts one. A member looks again each time it is seen, and
 * moves to a larger (or, as large, older) cluster in tolerance: lone sources
 * of one pool that first met no match, or two halves of a pool, merge. A
 * member that is not seen again within the
 * window leaves. Bounded: at most max_clusters clusters (least recently active
 * evicted and counted) of at most CLUSTER_MAX_MEMBERS members, and only one
 * cluster in 16 (at least 16) beyond CLUSTER_FEW_MEMBERS at once; a pool
 * larger than its room spills into further clusters of the same profile.
 *
 * A table made by cluster_table_new_groups files sources by a group number
 * given from outside (synchrony.c's synchronous groups) instead of by
 * profile: one cluster per (provider, group). */
#ifndef DS_CLUSTER_H
#define DS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/features.h"
#include "ds/packet.h"

#define CLUSTER_MAX_MEMBERS 256
#define CLUSTER_FEW_MEMBERS 8 /* room a new cluster starts with */
#define CLUSTER_GAP_TOL 1.5   /* cadence: within a factor of 1.5 of the centre */
#define CLUSTER_SIZE_TOL 1.35 /* request size: within a factor of 1.35 */
#define CLUSTER_SIZE_TOL_ONCE 1.15 /* ... where cadence cannot be compared (seen once) */
#define CLUSTER_SIZE_TOL_TEMPLATE 1.02 /* ... so close that the template is the evidence */
#define CLUSTER_RESP_TOL 2.2  /* answer size, where cadence cannot be compared */
#define CLUSTER_DUR_TOL 3.0   /* answer streaming time, likewise */
#define CLUSTER_STREAMED_MS 250.0 /* an answer taking longer than this was streamed */
#define CLUSTER_SCAN_MAX 32   /* clusters visited per size bin in one lookup */
#define CLUSTER_MEMBER_MAX_CV 0.5 /* a member's own size or gap CV above this: not grouped */
/* A source whose cadence is known joins a cluster on behaviour only when
 * its own prompts keep to a template, request after request: a person's
 * two prompts a few seconds apart can fall within a pool's tolerances (and
 * a popular SDK's JA4 is shared by thousands of unrelated users), a
 * pool member's prompts stay tight. With few requests the spread must be
 * tighter (two values say little); a source that shares no JA4 with the
 * cluster needs CLUSTER_STRANGER_MIN_REQUESTS as well. Pools with varied
 * prompts are found by synchrony instead (synchrony.h). */
#define CLUSTER_TEMPLATE_CV 0.25       /* own request-size CV, from 4 requests */
#define CLUSTER_TEMPLATE_CV_FEW 0.1    /* ... with 2 or 3 requests */
#define CLUSTER_TEMPLATE_FEW 4
#define CLUSTER_STRANGER_MIN_REQUESTS 3
#define CLUSTER_MAX_JA4S 4    /* JA4s a cluster keeps (with how many members used each) */
#define CLUSTER_MAX_FAMILIES 4 /* client families, likewise */
#define CLUSTER_JA4_LEN 40
#define CLUSTER_FAMILY_LEN 24

/* The log_gap of a member or a cluster centre without a cadence yet (and
 * the log_resp, log_dur of one without answers or streaming times): below
 * any logarithm of a real gap. cluster_cadence says whether one is known. */
#define CLUSTER_NO_GAP (-1e9)

struct cluster_member {
    struct ds_addr addr;
    uint64_t first_us, last_us;
    double log_gap, log_size, log_resp, log_dur;
    uint8_t ja4_mask, family_mask; /* which of the cluster's JA4s and families it used */
    bool listed;              /* included in an alert or update already */
};

struct cluster {
    uint64_t id;              /* stable for the cluster's life, unique in a run */
    char key[8];              /* client class ("other", "browser"), or "sync" ("syncb": browsers) */
    char provider[32];
    /* The JA4s and client families its members used, and how many members
     * used each (a slot whose count falls to 0 is free for another). */
    char ja4s[CLUSTER_MAX_JA4S][CLUSTER_JA4_LEN];
    unsigned ja4_members[CLUSTER_MAX_JA4S];
    uint32_t ja4_hash[CLUSTER_MAX_JA4S]; /* of each JA4 kept: compared before the string */
    char families[CLUSTER_MAX_FAMILIES][CLUSTER_FAMILY_LEN];
    unsigned family_members[CLUSTER_MAX_FAMILIES];
    uint32_t sync_group;      /* the synchronous group it stands for; 0: a profile cluster */
    unsigned sync_rounds;     /* rounds its members shared (most any member reported) */
    double log_gap, log_size; /* profile centre (mean of the members'; log_gap
                                 CLUSTER_NO_GAP while no member has a cadence) */
    uint32_t window_s;
    uint64_t first_us, last_us;
    uint64_t alerted_us;      /* packet time of its alert, 0 if none yet */
    uint64_t updated_us;      /* packet time of its last alert or update event */
    bool pending;             /* members joined since, not yet in an event */
    uint64_t pruned_us;       /* last sweep for members gone quiet */
    double log_resp;          /* centre of the members' answer sizes (log) */
    double log_dur;           /* ... and of their answers' streaming times (log ms) */
    double sum_lg, sum_ls, sum_lr, sum_ld; /* running sums over members, for the centre */
    unsigned n_lg, n_lr, n_ld; /* members with a cadence, with answers, with a streaming time */
    double sum_size, sumsq_size; /* for the spread of prompt sizes */
    unsigned n;               /* members */
    struct features agg;      /* members' mean features, for cluster rules */
    struct cluster_member *m; /* n of them, apart from the cluster (room for
                                 CLUSTER_FEW_MEMBERS, then CLUSTER_MAX_MEMBERS) */
};

struct cluster_stats {
    uint64_t active, created, evicted, expired, joins, leaves;
    uint64_t full;            /* refused for room */
    uint64_t scan_capped;     /* lookups that stopped at CLUSTER_SCAN_MAX clusters of a bin */
    uint64_t midx_refused;    /* sources turned away: their member index chain was full */
    uint64_t midx_lookups, midx_steps; /* member index lookups, entries they walked */
    uint64_t relooks;         /* members seen again that looked for a larger cluster */
    uint64_t merged;          /* ... and moved to it */
    uint64_t dissolved;       /* clusters ended as their last member moved */
    uint64_t ja4s_not_kept, families_not_kept; /* a member's JA4 or family found no free slot */
};

/* The most entries a member index chain holds (sources filed by address). */
#define CLUSTER_MIDX_CHAIN_MAX 32

struct cluster_table;

/* window_s: the window the grouping uses (a member leaves after it). */
struct cluster_table *cluster_table_new(size_t max_clusters, uint32_t window_s);
/* What one cluster can cost a table at most (every pool's part of it, its
 * index entries): for the memcap's share. */
size_t cluster_bytes_per_cluster(void);
/* The same for a table of synchronous groups (cluster_observe_group). */
struct cluster_table *cluster_table_new_groups(size_t max_clusters, uint32_t window_s);
void cluster_table_free(struct cluster_table *ct);
/* Seeds the cluster key hash and the member index (seed.h); without this
 * call they are the fixed offline seeds. Only on an empty table (a table
 * with clusters keeps its seeds). */
void cluster_table_set_seeds(struct cluster_table *ct, uint32_t key_seed, uint32_t member_seed);

/* Files one source's features for the window at packet time ts_us. Sources
 * without a provider or a request size are not grouped, nor are those
 * whose own sizes or gaps scatter (which also leave their cluster): NULL. A
 * source without a cadence yet (seen once) is grouped on size alone. Else
 * returns the source's cluster, with its aggregate features refreshed, or
 * NULL when no cluster has room for it (counted); *joined tells whether the
 * source is new to it. The pointer is valid until the next call. */
struct cluster *cluster_observe(struct cluster_table *ct, const struct ds_addr *src,
                                const struct features *f, uint64_t ts_us, bool *joined);

/* For a table of cluster_table_new_groups: files the source in the cluster
 * of (its provider, group), group > 0, which shared `rounds` rounds; a
 * source of another group before leaves that one. NULL when the source
 * has no provider or request size, or no cluster has room (counted); else
 * as cluster_observe. */
struct cluster *cluster_observe_group(struct cluster_table *ct, const struct ds_addr *src,
                                      const struct features *f, uint32_t group,
                                      unsigned rounds, uint64_t ts_us, bool *joined);

/* Ends members not seen for a window and clusters left empty, at packet time
 * now_us, visiting at most max_visit clusters. */
void cluster_expire(struct cluster_table *ct, uint64_t now_us, size_t max_visit);

/* fn may change the cluster's event fields (alerted_us, updated_us, pending,
 * listed), not its members. */
typedef void (*cluster_visit_fn)(void *ctx, struct cluster *c);

/* Marks c (a cluster of ct) pending and queues it, so that the clusters
 * with an event due are found without visiting every cluster. */
void cluster_set_pending(struct cluster_table *ct, struct cluster *c);
/* Calls fn for every queued cluster that is still pending; a cluster fn
 * leaves with pending false (or that was cleared since) leaves the queue. */
void cluster_foreach_pending(struct cluster_table *ct, cluster_visit_fn fn, void *ctx);

const struct cluster_stats *cluster_table_stats(const struct cluster_table *ct);
size_t cluster_table_bytes(const struct cluster_table *ct);

struct stats_node;
/* Our sensor.detect.clusters_active and clusters_evicted, and
 * sensor.memory.clusters, summed over n tables (NULL entries skipped);
 * prefix names the tables ("clusters" or "sync_groups") in the counters,
 * and names the memory figure. */
void cluster_tables_stats_write(const struct cluster_table *const *tables, size_t n,
                                const char *prefix, struct stats_node *root);

/* What events and detection read of a cluster. */
uint64_t cluster_id(const struct cluster *c);
/* Members now. */
unsigned cluster_size(const struct cluster *c);
/* Member i (< cluster_size): its address, and whether an alert or update
 * listed it already. */
const struct ds_addr *cluster_member_addr(const struct cluster *c, unsigned i);
bool cluster_member_listed(const struct cluster *c, unsigned i);
/* Every member now is listed (in the event just written). */
void cluster_mark_listed(struct cluster *c);
/* The JA4 most members used (of those kept; "" if none). */
const char *cluster_ja4(const struct cluster *c);
/* The JA4s (client families) kept, i < cluster_ja4_count: in slot order,
 * free slots skipped. */
unsigned cluster_ja4_count(const struct cluster *c);
const char *cluster_ja4_at(const struct cluster *c, unsigned i);
unsigned cluster_family_count(const struct cluster *c);
const char *cluster_family_at(const struct cluster *c, unsigned i);
/* The synchronous group it stands for (0 for a profile cluster), and the
 * rounds its members shared. */
uint32_t cluster_sync_group(const struct cluster *c);
unsigned cluster_sync_rounds(const struct cluster *c);
const char *cluster_provider(const struct cluster *c);
/* True and the members' typical gap between requests in *seconds (the
 * centre's geometric mean) if some member has a cadence; false (and
 * *seconds untouched) if none has yet. */
bool cluster_cadence(const struct cluster *c, double *seconds);
/* The members' typical request size, bytes (the centre's geometric mean). */
double cluster_request_size(const struct cluster *c);
/* The window the cluster is grouped over, seconds. */
uint32_t cluster_window(const struct cluster *c);
/* Packet time the cluster was formed. */
uint64_t cluster_first_seen(const struct cluster *c);
/* The members' aggregate features, for cluster rules and events. */
const struct features *cluster_features(const struct cluster *c);

#endif
