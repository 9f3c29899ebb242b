/* Coordinated groups of sources (see cluster.h): sources grouped by
 * provider and client class, then by cadence, prompt-size, answer-size and
 * streaming profile; the JA4s and families they used are kept as evidence.
 * Clusters come from a pool and sit in one hash by (class, provider,
 * prompt-size bin) and one list in order of activity, so eviction and expiry
 * never scan the table. A table of synchronous groups files them by (sync,
 * provider, group number) in the same hash. */
#include "ds/cluster.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/hash.h"
#include "ds/list.h"
#include "ds/pool.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

#define NO_GAP CLUSTER_NO_GAP   /* log_gap of a member without a cadence yet */
/* The fixed seeds (seed.h's offline set) until cluster_table_set_seeds. */
#define MIDX_SEED 0x5eedc1u
#define KEY_SEED 0u

/* Distance of a profile from a cluster's centre, in tolerances (<= 1: in).
 * Cadence counts only where both sides have one. Where it cannot be compared
 * (a source seen once, or a cluster none of whose members has a cadence
 * yet), the match must be closer on all that one exchange shows: prompt
 * size within CLUSTER_SIZE_TOL_ONCE, answer size within CLUSTER_RESP_TOL and
 * the answer's streaming time within CLUSTER_DUR_TOL (a pool's members run
 * one script with one set of parameters; a person who happens to send one
 * prompt of the pool's size rarely also gets an answer of the pool's size,
 * streamed the same way). */
struct centre {
    double log_gap, log_size, log_resp, log_dur;
};

static double max2(double a, double b)
{
    return a > b ? a : b;
}

/* The one-exchange terms where the prompt size matches within
 * CLUSTER_SIZE_TOL_TEMPLATE: a templated prompt's answers vary (the 2026-12
 * pool of 8 with random answer lengths never met the 2.2x answer tolerance
 * on one request), so the answer size is no gate and the streaming time
 * only has to agree on whether the answer was streamed at all (a developer's
 * answer sent at once is still apart from a pool's streamed ones). 0 or
 * 2 (out). */
static double template_distance(double ld, double c_ld)
{
    if (ld == NO_GAP || c_ld == NO_GAP)
        return 0;
    double streamed = log(CLUSTER_STREAMED_MS);
    return (ld > streamed) == (c_ld > streamed) ? 0 : 2;
}

static double profile_distance(const struct centre *c, double lg, double ls, double lr,
                               double ld)
{
    bool once = lg == NO_GAP || c->log_gap == NO_GAP;
    double ds = fabs(ls - c->log_size);
    double d = ds / log(once ? CLUSTER_SIZE_TOL_ONCE : CLUSTER_SIZE_TOL);
    if (!once)
        return max2(d, fabs(lg - c->log_gap) / log(CLUSTER_GAP_TOL));
    if (ds <= log(CLUSTER_SIZE_TOL_TEMPLATE))
        return max2(d, template_distance(ld, c->log_dur));
    if (lr != NO_GAP && c->log_resp != NO_GAP)
        d = max2(d, fabs(lr - c->log_resp) / log(CLUSTER_RESP_TOL));
    if (ld != NO_GAP && c->log_dur != NO_GAP)
        d = max2(d, fabs(ld - c->log_dur) / log(CLUSTER_DUR_TOL));
    return d;
}

struct cnode;

/* What a chain walk reads, kept apart from the clusters in a dense pool of
 * its own: a lookup compares a few dozen of these and touches a cluster
 * (kilobytes, anywhere in memory) only for the ones of its own client and
 * provider. A copy of the cluster's centre and size, refreshed by recentre. */
struct cref {
    struct cref *hnext;           /* same bucket */
    struct cnode *node;
    uint32_t key_hash;
    int32_t bin;                  /* size_bin of the centre */
    unsigned n;                   /* members */
    struct centre k;
};

struct cnode {
    struct cref *ref;
    unsigned cap;                 /* room in c.m: CLUSTER_FEW_MEMBERS or CLUSTER_MAX_MEMBERS */
    struct ds_list_node act;      /* activity order, least recent at the head */
    struct ds_list_node qnode;    /* queue of clusters with an update pending */
    bool queued;
    struct cluster c;
};

/* Which cluster an address is in: one entry a member, so that finding a
 * source's cluster does not scan every member of every similar cluster. */
struct midx {
    struct ds_addr addr;
    struct cnode *node;
    unsigned idx;                 /* its place in node's member array */
    struct midx *next;
};

struct cluster_table {
    struct pool *pool;
    struct pool *few_pool;        /* member arrays of a new cluster */
    struct pool *members_pool;    /* ... and of one that outgrew it */
    struct pool *ref_pool;        /* one cref a cluster */
    struct pool *midx_pool;
    struct midx **midx;
    size_t nmidx;                 /* power of two */
    struct cref **buckets;
    size_t nbuckets;
    struct ds_list act;           /* least recently active at the head */
    struct ds_list queue;         /* clusters marked pending (cluster_set_pending), newest first */
    bool groups;                  /* filed by synchronous group, not by profile */
    uint32_t window_s;
    uint32_t key_seed, midx_seed; /* seed.h: cluster_key, cluster_member */
    uint64_t next_id;
    struct cluster_stats st;
};

/* Clusters are filed by client, provider and prompt-size bin: a cluster
 * whose centre is within tolerance of a source's size is in the source's
 * bin or a neighbour, so a lookup visits three short chains, however many
 * clusters one popular client and provider have. */
static int32_t size_bin(double log_size)
{
    return (int32_t)floor(log_size / log(CLUSTER_SIZE_TOL));
}

/* FNV-1a of the key (client class or "sync"), a 0xff byte and the provider
 * (so that "ab" + "c" and "a" + "bc" hash apart), seeded with the size bin
 * (or group number) times the golden ratio XOR the table's key seed. A chain
 * is compared on the key itself: a collision costs a strcmp. */
static uint32_t key_hash(uint32_t seed, const char *key, const char *provider, int32_t bin)
{
    uint32_t h = ds_fnv1a32_init(((uint32_t)bin * 0x9e3779b1u) ^ seed);
    h = ds_fnv1a32_add_str(h, key);
    h = ds_fnv1a32_step(h, 0xff);
    return ds_fnv1a32_add_str(h, provider);
}

/* Clusters that may outgrow CLUSTER_FEW_MEMBERS at once, of a table of
 * max_clusters: one in CLUSTER_BIG_SHARE, at least CLUSTER_BIG_MIN. A pool
 * of a dozen members is rare (the harvesting pools, a NAT of browsers); one
 * past this cap stays at CLUSTER_FEW_MEMBERS, counted (clusters_full). */
#define CLUSTER_BIG_SHARE 16
#define CLUSTER_BIG_MIN 16

static size_t big_cap(size_t max_clusters)
{
    size_t n = max_clusters / CLUSTER_BIG_SHARE;
    return n > CLUSTER_BIG_MIN ? n : CLUSTER_BIG_MIN;
}

size_t cluster_bytes_per_cluster(void)
{
    /* A cluster at CLUSTER_FEW_MEMBERS (node, its member array and their
     * index entries, its key, its buckets), plus its share of the big
     * arrays (CLUSTER_BIG_SHARE clusters to one) and their index entries:
     * the most a table holds, over its max_clusters. */
    size_t few = sizeof(struct cnode) + sizeof(struct cluster_member) * CLUSTER_FEW_MEMBERS +
                 sizeof(struct cref) + CLUSTER_FEW_MEMBERS * sizeof(struct midx) +
                 16 * sizeof(struct midx *) + 2 * sizeof(void *);
    size_t big = sizeof(struct cluster_member) * CLUSTER_MAX_MEMBERS +
                 (CLUSTER_MAX_MEMBERS - CLUSTER_FEW_MEMBERS) * sizeof(struct midx);
    return few + big / CLUSTER_BIG_SHARE + 1;
}

struct cluster_table *cluster_table_new(size_t max_clusters, uint32_t window_s)
{
    struct cluster_table *ct = xcalloc(1, sizeof(*ct));
    if (max_clusters == 0)
        max_clusters = 1;
    ct->pool = pool_new(sizeof(struct cnode), max_clusters, 16);
    ct->few_pool = pool_new(sizeof(struct cluster_member) * CLUSTER_FEW_MEMBERS, max_clusters, 64);
    size_t nbig = big_cap(max_clusters);
    ct->members_pool = pool_new(sizeof(struct cluster_member) * CLUSTER_MAX_MEMBERS, nbig, 4);
    ct->ref_pool = pool_new(sizeof(struct cref), max_clusters, 256);
    ct->midx_pool = pool_new(sizeof(struct midx),
                             max_clusters * CLUSTER_FEW_MEMBERS +
                                 nbig * (CLUSTER_MAX_MEMBERS - CLUSTER_FEW_MEMBERS),
                             256);
    ct->nmidx = 1024;
    while (ct->nmidx < max_clusters * 16 && ct->nmidx < ((size_t)1 << 20))
        ct->nmidx <<= 1;
    ct->midx = xcalloc(ct->nmidx, sizeof(*ct->midx));
    ct->nbuckets = 256;
    while (ct->nbuckets < max_clusters)
        ct->nbuckets <<= 1;
    ct->buckets = xcalloc(ct->nbuckets, sizeof(*ct->buckets));
    ct->window_s = window_s;
    ct->key_seed = KEY_SEED;
    ct->midx_seed = MIDX_SEED;
    return ct;
}

struct cluster_table *cluster_table_new_groups(size_t max_clusters, uint32_t window_s)
{
    struct cluster_table *ct = cluster_table_new(max_clusters, window_s);
    ct->groups = true;
    /* Its ids apart from the profile clusters' (an alert's threshold is
     * tracked by cluster id): from 2^32 on. */
    ct->next_id = (uint64_t)1 << 32;
    return ct;
}

void cluster_table_set_seeds(struct cluster_table *ct, uint32_t key_seed, uint32_t member_seed)
{
    DS_ASSERT(ct->st.active == 0);   /* nothing is filed under the old seeds */
    if (ct->st.active != 0)
        return;
    ct->key_seed = key_seed;
    ct->midx_seed = member_seed;
}

void cluster_table_free(struct cluster_table *ct)
{
    if (ct == NULL)
        return;
    pool_free(ct->pool);
    pool_free(ct->few_pool);
    pool_free(ct->members_pool);
    pool_free(ct->ref_pool);
    pool_free(ct->midx_pool);
    free(ct->midx);
    free(ct->buckets);
    free(ct);
}

static struct midx **midx_slot(struct cluster_table *ct, const struct ds_addr *a)
{
    return &ct->midx[ds_addr_hash(a, ct->midx_seed) & (ct->nmidx - 1)];
}

/* The member index entry of a, NULL if a is no member; counts the steps.
 * Chains never pass CLUSTER_MIDX_CHAIN_MAX (cluster_observe turns a new
 * member of a full chain away), so this finds every member. */
static struct midx *midx_find(struct cluster_table *ct, const struct ds_addr *a)
{
    unsigned steps = 0;
    struct midx *e = *midx_slot(ct, a);
    for (; e; e = e->next) {
        steps++;
        if (memcmp(&e->addr, a, sizeof(*a)) == 0)
            break;
    }
    DS_ASSERT(steps <= CLUSTER_MIDX_CHAIN_MAX);
    ct->st.midx_lookups++;
    ct->st.midx_steps += steps;
    return e;
}

/* Whether a's member index chain is full: a may not join a cluster. */
static bool midx_chain_full(struct cluster_table *ct, const struct ds_addr *a)
{
    unsigned n = 0;
    for (struct midx *e = *midx_slot(ct, a); e && n < CLUSTER_MIDX_CHAIN_MAX; e = e->next)
        n++;
    return n >= CLUSTER_MIDX_CHAIN_MAX;
}

static void midx_add(struct cluster_table *ct, const struct ds_addr *a, struct cnode *n, unsigned idx)
{
    struct midx *e = pool_get(ct->midx_pool);
    DS_ASSERT(e != NULL);   /* one entry a member, members are capped */
    if (e == NULL)
        return;
    e->addr = *a;
    e->node = n;
    e->idx = idx;
    struct midx **slot = midx_slot(ct, a);
    e->next = *slot;
    *slot = e;
}

static void midx_del(struct cluster_table *ct, const struct ds_addr *a)
{
    for (struct midx **pp = midx_slot(ct, a); *pp; pp = &(*pp)->next) {
        if (memcmp(&(*pp)->addr, a, sizeof(*a)) == 0) {
            struct midx *e = *pp;
            *pp = e->next;
            pool_put(ct->midx_pool, e);
            return;
        }
    }
}

/* The least recently active cluster, NULL if there is none. */
static struct cnode *least_active(const struct cluster_table *ct)
{
    return DS_LIST_ENTRY(ct->act.head, struct cnode, act);
}

static void bucket_unlink(struct cluster_table *ct, struct cref *r)
{
    struct cref **pp = &ct->buckets[r->key_hash & (ct->nbuckets - 1)];
    while (*pp && *pp != r)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = r->hnext;
    r->hnext = NULL;
}

static void bucket_link(struct cluster_table *ct, struct cref *r)
{
    r->key_hash = key_hash(ct->key_seed, r->node->c.key, r->node->c.provider, r->bin);
    size_t b = r->key_hash & (ct->nbuckets - 1);
    r->hnext = ct->buckets[b];
    ct->buckets[b] = r;
}

static struct cnode *node_of(struct cluster *c)
{
    return DS_CONTAINER_OF(c, struct cnode, c);
}

static void queue_unlink(struct cluster_table *ct, struct cnode *n)
{
    if (!n->queued)
        return;
    ds_list_unlink(&ct->queue, &n->qnode);
    n->queued = false;
}

static void cluster_drop(struct cluster_table *ct, struct cnode *n)
{
    queue_unlink(ct, n);
    for (unsigned i = 0; i < n->c.n; i++)
        midx_del(ct, &n->c.m[i].addr);
    bucket_unlink(ct, n->ref);
    ds_list_unlink(&ct->act, &n->act);
    pool_put(ct->ref_pool, n->ref);
    pool_put(n->cap == CLUSTER_MAX_MEMBERS ? ct->members_pool : ct->few_pool, n->c.m);
    pool_put(ct->pool, n);
    ct->st.active--;
}

/* A JA4's hash for quick comparison (a match is confirmed on the string). */
static uint32_t ja4_hash(const char *ja4)
{
    return ds_fnv1a32_add_str(ds_fnv1a32_init(0), ja4);
}

/* The slot of v among n names of len bytes (counts: members using each),
 * taking a free slot (count 0) if v is not there; -1 if none is free. */
static int evidence_slot(char *names, size_t len, const unsigned *counts, unsigned n,
                         const char *v, uint32_t *hashes)
{
    int free_slot = -1;
    for (unsigned i = 0; i < n; i++) {
        if (counts[i] > 0 && strcmp(names + i * len, v) == 0)
            return (int)i;
        if (counts[i] == 0 && free_slot < 0)
            free_slot = (int)i;
    }
    if (free_slot >= 0) {
        ds_strlcpy(names + (size_t)free_slot * len, v, len);
        if (hashes)
            hashes[free_slot] = ja4_hash(names + (size_t)free_slot * len);
    }
    return free_slot;
}

/* Adds the values of string feature id in f to a cluster's evidence set
 * (names, counts), marking them in *mask; a value without a free slot is
 * counted in *not_kept. */
static void evidence_add(const struct features *f, int id, char *names, size_t len,
                         unsigned *counts, unsigned n, uint8_t *mask, uint64_t *not_kept,
                         uint32_t *hashes)
{
    for (size_t i = 0; i < features_str_count(f, id); i++) {
        int slot = evidence_slot(names, len, counts, n, features_str(f, id, i), hashes);
        if (slot < 0) {
            (*not_kept)++;
            continue;
        }
        if (!(*mask & (1u << slot))) {
            *mask = (uint8_t)(*mask | (1u << slot));
            counts[slot]++;
        }
    }
}

static void evidence_drop(unsigned *counts, unsigned n, uint8_t *mask)
{
    for (unsigned i = 0; i < n; i++)
        if (*mask & (1u << i))
            counts[i]--;
    *mask = 0;
}

/* The profile centre and the spread of prompt sizes come from running sums
 * kept as members come, change and go, so an observation costs O(1) here. */
static void account(struct cluster *c, const struct cluster_member *m, double sign)
{
    if (m->log_resp != NO_GAP) {
        c->sum_lr += sign * m->log_resp;
        c->n_lr = (unsigned)((int)c->n_lr + (sign > 0 ? 1 : -1));
    }
    if (m->log_dur != NO_GAP) {
        c->sum_ld += sign * m->log_dur;
        c->n_ld = (unsigned)((int)c->n_ld + (sign > 0 ? 1 : -1));
    }
    if (m->log_gap != NO_GAP) {
        c->sum_lg += sign * m->log_gap;
        c->n_lg = (unsigned)((int)c->n_lg + (sign > 0 ? 1 : -1));
    }
    double size = exp(m->log_size);
    c->sum_ls += sign * m->log_size;
    c->sum_size += sign * size;
    c->sumsq_size += sign * size * size;
}

/* Recomputes the centre; a centre that moved to another size bin refiles
 * the cluster there. */
static void recentre(struct cluster_table *ct, struct cnode *n)
{
    struct cluster *c = &n->c;
    if (c->n)
        c->log_size = c->sum_ls / c->n;
    c->log_gap = c->n_lg ? c->sum_lg / c->n_lg : NO_GAP;
    c->log_resp = c->n_lr ? c->sum_lr / c->n_lr : NO_GAP;
    c->log_dur = c->n_ld ? c->sum_ld / c->n_ld : NO_GAP;
    struct cref *r = n->ref;
    r->n = c->n;
    r->k = (struct centre){ c->log_gap, c->log_size, c->log_resp, c->log_dur };
    int32_t bin = size_bin(c->log_size);
    if (!ct->groups && bin != r->bin) {   /* a group is filed by its number */
        bucket_unlink(ct, r);
        r->bin = bin;
        bucket_link(ct, r);
    }
}

/* Member i leaves n. */
static void member_remove(struct cluster_table *ct, struct cnode *n, unsigned i)
{
    struct cluster *c = &n->c;
    account(c, &c->m[i], -1);
    evidence_drop(c->ja4_members, CLUSTER_MAX_JA4S, &c->m[i].ja4_mask);
    evidence_drop(c->family_members, CLUSTER_MAX_FAMILIES, &c->m[i].family_mask);
    midx_del(ct, &c->m[i].addr);
    c->m[i] = c->m[--c->n];
    if (i < c->n) {   /* the last member moved into the gap */
        struct midx *e = midx_find(ct, &c->m[i].addr);
        if (e)
            e->idx = i;
    }
    if (c->n == 0)   /* no rounding left over from the running sums */
        c->sum_lg = c->sum_ls = c->sum_size = c->sumsq_size = c->sum_lr = c->sum_ld = 0,
        c->n_lg = c->n_lr = c->n_ld = 0;
    recentre(ct, n);
    ct->st.leaves++;
}

/* Drops members not seen within the window before now_us; at most once a
 * second per cluster, since it visits every member. */
static void cluster_prune(struct cluster_table *ct, struct cnode *n, uint64_t now_us)
{
    struct cluster *c = &n->c;
    if (c->pruned_us && now_us < c->pruned_us + DS_US_PER_S)
        return;
    c->pruned_us = now_us;
    uint64_t w = ds_s_to_us(ct->window_s);
    for (unsigned i = c->n; i-- > 0;)
        if (c->m[i].last_us + w < now_us)
            member_remove(ct, n, i);
}

static double slots_used(const unsigned *counts, unsigned n)
{
    unsigned used = 0;
    for (unsigned i = 0; i < n; i++)
        used += counts[i] > 0;
    return used;
}

/* Numeric features of the members: what each member had when it was last
 * seen is not kept (it would cost a features struct a member), so the
 * aggregate is a running mean updated on every observation; request_size_cv
 * is the spread of the members' prompt sizes across the pool. */
static void aggregate(struct cluster *c, const struct features *f, bool joined)
{
    struct features *a = &c->agg;
    double w = c->n > 0 ? 1.0 / c->n : 1.0;
    if (!joined)
        w = w < 0.25 ? w : 0.25;   /* a known member moves the mean less */
    uint64_t want = f->present;
    for (int id = 0; id < FEAT_FIRST_STR; id++) {
        uint64_t bit = 1ull << id;
        if (!(want & bit))
            continue;
        if (a->present & bit)
            a->num[id] = a->num[id] * (1 - w) + f->num[id] * w;
        else
            features_set_num(a, id, f->num[id]);
    }
    for (int id = FEAT_FIRST_STR; id < FEAT_COUNT; id++)
        if (want & (1ull << id))
            for (size_t i = 0; i < features_str_count(f, id); i++)
                (void)features_add_str(a, id, features_str(f, id, i));
    /* Across the pool, the templated-prompt signal is how alike the members'
     * prompt sizes are: the CV of their mean sizes replaces the members' own. */
    if (c->n >= 2) {
        double mean = c->sum_size / c->n, var = c->sumsq_size / c->n - mean * mean;
        features_set_num(a, FEAT_REQUEST_SIZE_CV, var > 0 && mean > 0 ? sqrt(var) / mean : 0.0);
    }
    /* ... and the client evidence is the pool's: how many JA4s and families
     * its members used (of those kept). */
    features_set_num(a, FEAT_DISTINCT_JA4, slots_used(c->ja4_members, CLUSTER_MAX_JA4S));
    features_set_num(a, FEAT_DISTINCT_FAMILIES,
                     slots_used(c->family_members, CLUSTER_MAX_FAMILIES));
    a->window_s = f->window_s;
    a->ts_us = f->ts_us;
}

/* What one observation of a source is compared on: its client and
 * provider, and its profile in log space (NO_GAP where the source has no
 * such mean yet). */
struct profile {
    const struct features *f;     /* for the JA4s and families it used */
    const char *key, *provider;   /* client class ("browser", "other"), or "sync" / "syncb" */
    double lg, ls, lr, ld;        /* log of: gap mean, request size, answer size,
                                     answer streaming time (ms) */
    int32_t bin;                  /* size_bin(ls) */
    bool steady;                  /* its own prompt sizes and gaps keep to it */
    unsigned nja4;                /* its JA4s' hashes (ja4_hash), once per lookup */
    uint32_t ja4h[FEATURE_STR_VALUES];
    bool admit_once, admit_behaviour, admit_stranger; /* admission() */
};

/* The client class a source is keyed on: browsers apart from everything
 * else. The JA4 and the family are evidence, not a key (a pool rotating
 * client stacks is one cluster), but a browser crowd sending one prompt of a
 * pool's size is not the pool: a source is a browser when every family it
 * showed is. */
static const char *client_class(const struct features *f)
{
    size_t n = features_str_count(f, FEAT_FINGERPRINT_FAMILY);
    for (size_t i = 0; i < n; i++)
        if (strcmp(features_str(f, FEAT_FINGERPRINT_FAMILY, i), FAMILY_BROWSER) != 0)
            return "other";
    return n > 0 ? "browser" : "other";
}

/* What the source itself allows, decided once per lookup (see
 * CLUSTER_TEMPLATE_CV in cluster.h). On one request (or against a pool none
 * of whose members has a cadence yet) only a source that talked to this
 * provider alone in the window joins, on the template and a JA4 a member
 * used: a source spreading its requests over providers has no profile of
 * its traffic to this one (its sizes mix them), and a developer trying
 * several APIs whose one prompt fits a pool's template is not that pool's
 * next member; a source with several prompts keeps to the template too.
 * With cadences on both sides, a source whose own prompts keep to a
 * template joins, with enough requests if it shares no JA4. */
static void admission(struct profile *p)
{
    const struct features *f = p->f;
    bool has_cv = features_has(f, FEAT_REQUEST_SIZE_CV);
    double cv = features_num(f, FEAT_REQUEST_SIZE_CV);
    double n = features_num(f, FEAT_REQUESTS);
    p->admit_once = !(has_cv && cv > CLUSTER_TEMPLATE_CV_FEW) &&
                    features_num(f, FEAT_DISTINCT_PROVIDERS) <= 1;
    p->admit_behaviour = p->lg != NO_GAP && has_cv &&
                         cv <= (n < CLUSTER_TEMPLATE_FEW ? CLUSTER_TEMPLATE_CV_FEW
                                                         : CLUSTER_TEMPLATE_CV);
    p->admit_stranger = p->admit_behaviour && n >= CLUSTER_STRANGER_MIN_REQUESTS;
}

/* Reads the source's profile from its features; false if it cannot be
 * grouped (no JA4, so no client to speak of; no provider; no request size). */
static bool read_profile(const struct features *f, struct profile *p)
{
    p->f = f;
    p->key = client_class(f);
    p->provider = features_str(f, FEAT_PROVIDER, 0);
    if (features_str(f, FEAT_JA4, 0) == NULL || p->provider == NULL ||
        !features_has(f, FEAT_REQUEST_SIZE_MEAN))
        return false;
    /* A profile is only comparable when the source keeps to it: a source
     * whose own prompt sizes or gaps scatter (a person, a varied workload)
     * is not grouped, and leaves a cluster it was in. */
    p->steady = !(features_has(f, FEAT_REQUEST_SIZE_CV) &&
                  features_num(f, FEAT_REQUEST_SIZE_CV) > CLUSTER_MEMBER_MAX_CV) &&
                !(features_has(f, FEAT_GAP_CV) &&
                  features_num(f, FEAT_GAP_CV) > CLUSTER_MEMBER_MAX_CV);
    double size = features_num(f, FEAT_REQUEST_SIZE_MEAN);
    if (!(size > 0))
        return false;
    /* A member seen once has no cadence yet (NO_GAP): it is grouped on size
     * alone until its gaps are known, so a pool whose members each send one
     * request every few minutes is seen within minutes. */
    double gap = features_has(f, FEAT_GAP_MEAN_S) ? features_num(f, FEAT_GAP_MEAN_S) : 0;
    p->lg = gap > 0 ? log(gap) : NO_GAP;
    p->ls = log(size);
    double resp = features_has(f, FEAT_RESPONSE_SIZE_MEAN) ?
                      features_num(f, FEAT_RESPONSE_SIZE_MEAN) : 0;
    p->lr = resp > 0 ? log(resp) : NO_GAP;
    /* Streaming time, floored at 1 ms: an answer sent at once takes none. */
    p->ld = NO_GAP;
    if (features_has(f, FEAT_RESPONSE_DURATION_MEAN_MS)) {
        double dur = features_num(f, FEAT_RESPONSE_DURATION_MEAN_MS);
        p->ld = log(dur > 1.0 ? dur : 1.0);
    }
    p->bin = size_bin(p->ls);
    p->nja4 = 0;
    for (size_t i = 0; i < features_str_count(f, FEAT_JA4) && i < FEATURE_STR_VALUES; i++)
        p->ja4h[p->nja4++] = ja4_hash(features_str(f, FEAT_JA4, i));
    admission(p);
    return true;
}

/* Member m of c, with the features p->f, files its JA4s and families. */
static void member_evidence(struct cluster_table *ct, struct cluster *c, struct cluster_member *m,
                            const struct profile *p)
{
    evidence_drop(c->ja4_members, CLUSTER_MAX_JA4S, &m->ja4_mask);
    evidence_drop(c->family_members, CLUSTER_MAX_FAMILIES, &m->family_mask);
    evidence_add(p->f, FEAT_JA4, &c->ja4s[0][0], CLUSTER_JA4_LEN, c->ja4_members,
                 CLUSTER_MAX_JA4S, &m->ja4_mask, &ct->st.ja4s_not_kept, c->ja4_hash);
    evidence_add(p->f, FEAT_FINGERPRINT_FAMILY, &c->families[0][0], CLUSTER_FAMILY_LEN,
                 c->family_members, CLUSTER_MAX_FAMILIES, &m->family_mask,
                 &ct->st.families_not_kept, NULL);
}

static void member_set_profile(struct cluster_member *m, const struct profile *p)
{
    m->log_gap = p->lg;
    m->log_size = p->ls;
    m->log_resp = p->lr;
    m->log_dur = p->ld;
}

/* The source's current cluster (from the member index), with the member's
 * place in *i, if it is still of the source's client class, provider and
 * (group is 0 but in a table of groups) synchronous group; a source whose
 * class, provider or group changed leaves that cluster. NULL if none. */
static struct cnode *own_cluster(struct cluster_table *ct, const struct ds_addr *src,
                                 const struct profile *p, uint32_t group, unsigned *i)
{
    struct midx *me = midx_find(ct, src);
    if (me == NULL)
        return NULL;
    struct cnode *mine = me->node;
    *i = me->idx;
    bool in_step = *i < mine->c.n && memcmp(&mine->c.m[*i].addr, src, sizeof(*src)) == 0;
    DS_ASSERT(in_step);   /* member_join and member_remove keep the index in step */
    if (!in_step)
        *i = mine->c.n;   /* a release build drops the stale entry below */
    if (*i == mine->c.n || strcmp(mine->c.key, p->key) != 0 ||
        strcmp(mine->c.provider, p->provider) != 0 || mine->c.sync_group != group) {
        /* Its class, provider or group changed: it leaves that cluster. */
        if (*i < mine->c.n)
            member_remove(ct, mine, *i);
        else
            midx_del(ct, src);
        return NULL;
    }
    return mine;
}

/* Member m of n seen again at ts_us with profile p. */
static void member_refresh(struct cluster_table *ct, struct cnode *n, struct cluster_member *m,
                           const struct profile *p, uint64_t ts_us)
{
    account(&n->c, m, -1);
    m->last_us = ts_us;
    member_set_profile(m, p);
    member_evidence(ct, &n->c, m, p);
    account(&n->c, m, +1);
    recentre(ct, n);
}

/* Member i of its cluster n, seen again: if it keeps to the cluster's profile
 * (or is its only member) it is refreshed there and true returned; if its
 * profile moved away it leaves, for a better-fitting cluster. */
static bool member_keep(struct cluster_table *ct, struct cnode *n, unsigned i,
                        const struct profile *p, uint64_t ts_us)
{
    struct cluster_member *m = &n->c.m[i];
    if (profile_distance(&n->ref->k, p->lg, p->ls, p->lr, p->ld) <= 1.0 || n->c.n == 1) {
        member_refresh(ct, n, m, p, ts_us);
        return true;
    }
    member_remove(ct, n, i);
    return false;
}

/* Whether one of the JA4s of f is one the cluster's members used. Where
 * cadence cannot be compared (one side seen once) one exchange is thin
 * evidence: a developer whose one request happens to match a pool's prompt
 * size and streaming joins only a pool of its own client stack. A pool
 * rotating stacks still comes together once its members' cadences are known
 * (they join, or re-look, on behaviour alone). */
static bool shares_ja4(const struct cluster *c, const struct profile *p)
{
    for (unsigned i = 0; i < p->nja4; i++)
        for (unsigned k = 0; k < CLUSTER_MAX_JA4S; k++)
            if (c->ja4_members[k] > 0 && c->ja4_hash[k] == p->ja4h[i] &&
                strcmp(c->ja4s[k], features_str(p->f, FEAT_JA4, i)) == 0)
                return true;
    return false;
}

/* Whether the source of p may join cluster c of centre k. */
static bool may_join(const struct cluster *c, const struct profile *p, const struct centre *k)
{
    if (p->lg == NO_GAP || k->log_gap == NO_GAP)
        return p->admit_once && shares_ja4(c, p);
    return p->admit_behaviour && (p->admit_stranger || shares_ja4(c, p));
}

/* Whether cluster a ranks above b, where a member of a small cluster moves:
 * more members, or as many and older. A strict order, so members only ever
 * flow one way and never back and forth. */
static bool ranks_above(const struct cref *a, const struct cnode *b)
{
    return a->n > b->c.n || (a->n == b->c.n && a->node->c.id < b->c.id);
}

/* Cluster r can take no newcomer: CLUSTER_MAX_MEMBERS members, or as many as
 * its first array holds while the big arrays are all taken (big_cap). */
static bool no_room(const struct cluster_table *ct, const struct cref *r)
{
    if (r->n == CLUSTER_MAX_MEMBERS)
        return true;
    return r->n == r->node->cap && pool_in_use(ct->members_pool) >= pool_cap(ct->members_pool);
}

/* The nearest cluster in tolerance of the source's client class and
 * provider that has room (and, if than is not NULL, ranks above than), from
 * the chains of the source's size bin and its two neighbours; NULL if none.
 * A pool larger than one cluster's member cap so spills into further
 * clusters of the same profile. */
static struct cnode *nearest_cluster(struct cluster_table *ct, const struct profile *p,
                                     const struct cnode *than)
{
    struct cnode *best = NULL;
    double best_d = 0;
    /* A source that may join nothing need not look. */
    if (!p->admit_once && !p->admit_behaviour)
        return NULL;
    for (int32_t b = p->bin - 1; b <= p->bin + 1; b++) {
        uint32_t h = key_hash(ct->key_seed, p->key, p->provider, b);
        unsigned visited = 0;
        for (struct cref *r = ct->buckets[h & (ct->nbuckets - 1)]; r; r = r->hnext) {
            /* Bounded work: chains are kept most recently joined first, so
             * an active pool is near the head; the tail is lone sources. */
            if (++visited > CLUSTER_SCAN_MAX) {
                ct->st.scan_capped++;
                break;
            }
            /* A full cluster takes no newcomer: it is pruned when its own
             * members come back, never while this chain is walked. */
            if (r->key_hash != h || r->bin != b || no_room(ct, r) ||
                (than != NULL && (r->node == than || !ranks_above(r, than))))
                continue;
            double d = profile_distance(&r->k, p->lg, p->ls, p->lr, p->ld);
            if (d > 1.0 || (best != NULL && d >= best_d))
                continue;
            const struct cluster *c = &r->node->c;
            if (!may_join(c, p, &r->k))
                continue;
            /* Only now the key itself: the hash may have collided. */
            if (strcmp(c->key, p->key) != 0 || strcmp(c->provider, p->provider) != 0)
                continue;
            best = r->node, best_d = d;
        }
    }
    return best;
}

/* Starts an empty cluster for the source's client and provider, centred on
 * its profile; at max_clusters the least recently active one is evicted
 * (counted). NULL if none can be had. */
static struct cnode *cluster_start(struct cluster_table *ct, const struct profile *p,
                                   uint64_t ts_us)
{
    /* Both pools have room for max_clusters: a cluster takes one of
     * each, so they run out together. */
    struct cnode *n = pool_get_dirty(ct->pool);
    if (n == NULL) {
        struct cnode *old = least_active(ct);
        if (old == NULL)
            return NULL;
        cluster_drop(ct, old);
        ct->st.evicted++;
        n = pool_get_dirty(ct->pool);
        if (n == NULL)
            return NULL;
    }
    /* Most clusters never pass a few members (a source alone, or two
     * that happen to agree): they start with room for a few and move to
     * a full array when they outgrow it. Not cleared: the member array
     * is only read up to n. */
    struct cluster_member *members = pool_get_dirty(ct->few_pool);
    struct cref *ref = pool_get(ct->ref_pool);
    if (members == NULL || ref == NULL) {
        pool_put(ct->few_pool, members);
        pool_put(ct->ref_pool, ref);
        pool_put(ct->pool, n);
        return NULL;
    }
    memset(&n->c, 0, sizeof(n->c));
    n->c.m = members;
    n->cap = CLUSTER_FEW_MEMBERS;
    n->ref = ref;
    ref->node = n;
    n->queued = false;
    struct cluster *c = &n->c;
    features_clear(&c->agg);
    c->id = ++ct->next_id;
    ds_strlcpy(c->key, p->key, sizeof(c->key));
    ds_strlcpy(c->provider, p->provider, sizeof(c->provider));
    c->log_gap = p->lg;
    c->log_size = p->ls;
    c->log_resp = p->lr;
    c->log_dur = p->ld;
    c->window_s = ct->window_s;
    c->first_us = ts_us;
    ref->bin = p->bin;
    ref->k = (struct centre){ p->lg, p->ls, p->lr, p->ld };
    bucket_link(ct, ref);
    ds_list_push_tail(&ct->act, &n->act);
    ct->st.created++;
    ct->st.active++;
    return n;
}

/* The source joins cluster n. A full cluster first drops the members gone
 * quiet, and refuses the source (counted) if that leaves no room; a
 * cluster that outgrows its first few places moves to a full array.
 * Returns whether the source joined. */
static bool member_join(struct cluster_table *ct, struct cnode *n, const struct ds_addr *src,
                        const struct profile *p, uint64_t ts_us)
{
    struct cluster *c = &n->c;
    if (c->n == CLUSTER_MAX_MEMBERS) {
        cluster_prune(ct, n, ts_us);
        if (c->n == CLUSTER_MAX_MEMBERS) {
            ct->st.full++;
            return false;
        }
    }
    if (c->n == n->cap) {
        struct cluster_member *big = pool_get_dirty(ct->members_pool);
        if (big == NULL) {   /* big_cap clusters are big already */
            ct->st.full++;
            return false;
        }
        memcpy(big, c->m, c->n * sizeof(*big));
        pool_put(ct->few_pool, c->m);
        c->m = big;
        n->cap = CLUSTER_MAX_MEMBERS;
    }
    struct cluster_member *m = &c->m[c->n];
    memset(m, 0, sizeof(*m));
    m->addr = *src;
    midx_add(ct, src, n, c->n++);
    m->first_us = m->last_us = ts_us;
    member_set_profile(m, p);
    member_evidence(ct, c, m, p);
    account(c, m, +1);
    recentre(ct, n);
    ct->st.joins++;
    return true;
}

/* Cluster n was active at ts_us: it moves to the head of its chain and to
 * the recent end of the activity list, drops the members gone quiet, and
 * takes the source's features into its aggregate. */
static void cluster_touch(struct cluster_table *ct, struct cnode *n, const struct features *f,
                          bool joined, uint64_t ts_us)
{
    struct cluster *c = &n->c;
    c->last_us = ts_us;
    if (ct->buckets[n->ref->key_hash & (ct->nbuckets - 1)] != n->ref) {
        bucket_unlink(ct, n->ref);   /* to the head of its chain */
        bucket_link(ct, n->ref);
    }
    cluster_prune(ct, n, ts_us);
    aggregate(c, f, joined);
    ds_list_move_to_tail(&ct->act, &n->act);
}

/* Member i of mine looks for a cluster in tolerance that ranks above its
 * own and moves there (a cluster it leaves empty ends): two lone sources of
 * one pool that met no match at first, or a pool split while its members'
 * cadences were unknown, come together, member by member. The new cluster,
 * or NULL if it stays. */
static struct cnode *relook(struct cluster_table *ct, struct cnode *mine, unsigned i,
                            const struct ds_addr *src, const struct profile *p, uint64_t ts_us)
{
    ct->st.relooks++;
    struct cnode *n = nearest_cluster(ct, p, mine);
    if (n == NULL)
        return NULL;
    member_remove(ct, mine, i);
    if (mine->c.n == 0) {
        cluster_drop(ct, mine);
        ct->st.dissolved++;
    }
    if (!member_join(ct, n, src, p, ts_us))
        return NULL;
    ct->st.merged++;
    return n;
}

struct cluster *cluster_observe(struct cluster_table *ct, const struct ds_addr *src,
                                const struct features *f, uint64_t ts_us, bool *joined)
{
    *joined = false;
    struct profile p;
    DS_ASSERT(!ct->groups);
    if (ct->groups || !read_profile(f, &p))
        return NULL;
    unsigned mine_i = 0;
    struct cnode *mine = own_cluster(ct, src, &p, 0, &mine_i);
    if (!p.steady) {
        if (mine)
            member_remove(ct, mine, mine_i);
        return NULL;
    }
    /* A member that keeps to its profile looks for a cluster in tolerance
     * that ranks above its own (one chain walk, as a newcomer's): a pool
     * split while its members' cadences were unknown comes together. */
    if (mine && member_keep(ct, mine, mine_i, &p, ts_us)) {
        struct cnode *to = relook(ct, mine, mine_i, src, &p, ts_us);
        *joined = to != NULL;
        if (to == NULL)   /* stayed (or, in a release build, lost its place) */
            to = midx_find(ct, src) ? mine : NULL;
        if (to)
            cluster_touch(ct, to, f, *joined, ts_us);
        return to ? &to->c : NULL;
    }
    /* A source without a cluster (new, or whose profile moved) joins the
     * nearest one in tolerance, else starts one. */
    if (midx_chain_full(ct, src)) {
        ct->st.midx_refused++;   /* its member index chain is at the cap */
        return NULL;
    }
    struct cnode *n = nearest_cluster(ct, &p, NULL);
    /* A source whose own traffic could join no pool (several providers,
     * or prompts off any template) seeds none either: its centre would be
     * no pool's profile, and on a busy link such sources are most of them. */
    if (n == NULL && (p.admit_once || p.admit_behaviour))
        n = cluster_start(ct, &p, ts_us);
    if (n == NULL || !member_join(ct, n, src, &p, ts_us))
        return NULL;
    *joined = true;
    cluster_touch(ct, n, f, true, ts_us);
    return &n->c;
}

/* The cluster of (provider, group) in a table of groups, NULL if none. */
static struct cnode *group_cluster(struct cluster_table *ct, const struct profile *p)
{
    uint32_t h = key_hash(ct->key_seed, p->key, p->provider, p->bin);
    for (struct cref *r = ct->buckets[h & (ct->nbuckets - 1)]; r; r = r->hnext) {
        const struct cluster *c = &r->node->c;
        if (r->key_hash == h && r->bin == p->bin && strcmp(c->key, p->key) == 0 &&
            strcmp(c->provider, p->provider) == 0)
            return r->node;
    }
    return NULL;
}

struct cluster *cluster_observe_group(struct cluster_table *ct, const struct ds_addr *src,
                                      const struct features *f, uint32_t group,
                                      unsigned rounds, uint64_t ts_us, bool *joined)
{
    *joined = false;
    struct profile p;
    DS_ASSERT(ct->groups && group > 0);
    if (!ct->groups || group == 0 || !read_profile(f, &p))
        return NULL;
    /* Filed by group, whatever the profile and provider: the group is the
     * evidence, and a coordinator does not care which provider a worker
     * uses (synchrony.h). Browsers apart, as in profile clusters: a person
     * whose requests happened to land in a pool's rounds is a bystander,
     * and a pool driving real browsers forms a group of its own class. */
    p.key = strcmp(p.key, "browser") == 0 ? "syncb" : "sync";  /* read_profile's class */
    p.provider = "any";
    p.bin = (int32_t)(group & 0x7fffffffu);
    unsigned mine_i = 0;
    struct cnode *n = own_cluster(ct, src, &p, group, &mine_i);
    if (n) {
        member_refresh(ct, n, &n->c.m[mine_i], &p, ts_us);
    } else {
        if (midx_chain_full(ct, src)) {
            ct->st.midx_refused++;
            return NULL;
        }
        n = group_cluster(ct, &p);
        if (n == NULL)
            n = cluster_start(ct, &p, ts_us);
        if (n == NULL || !member_join(ct, n, src, &p, ts_us))
            return NULL;
        n->c.sync_group = group;
        *joined = true;
    }
    if (rounds > n->c.sync_rounds)
        n->c.sync_rounds = rounds;
    cluster_touch(ct, n, f, *joined, ts_us);
    return &n->c;
}

void cluster_expire(struct cluster_table *ct, uint64_t now_us, size_t max_visit)
{
    uint64_t w = ds_s_to_us(ct->window_s);
    for (; max_visit > 0; max_visit--) {
        struct cnode *n = least_active(ct);
        if (n == NULL || n->c.last_us + w >= now_us)
            break;
        cluster_drop(ct, n);
        ct->st.expired++;
    }
}

void cluster_set_pending(struct cluster_table *ct, struct cluster *c)
{
    struct cnode *n = node_of(c);
    c->pending = true;
    if (n->queued)
        return;
    ds_list_push_head(&ct->queue, &n->qnode);
    n->queued = true;
}

void cluster_foreach_pending(struct cluster_table *ct, cluster_visit_fn fn, void *ctx)
{
    struct ds_list_node *next;
    for (struct ds_list_node *q = ct->queue.head; q != NULL; q = next) {
        next = q->next;
        struct cnode *n = DS_CONTAINER_OF(q, struct cnode, qnode);
        if (n->c.pending)
            fn(ctx, &n->c);
        if (!n->c.pending)
            queue_unlink(ct, n);
    }
}

const struct cluster_stats *cluster_table_stats(const struct cluster_table *ct)
{
    return &ct->st;
}

size_t cluster_table_bytes(const struct cluster_table *ct)
{
    return pool_bytes(ct->pool) + pool_bytes(ct->few_pool) + pool_bytes(ct->members_pool) +
           pool_bytes(ct->ref_pool) +
           ct->nbuckets * sizeof(*ct->buckets) + pool_bytes(ct->midx_pool) + ct->nmidx * sizeof(*ct->midx);
}

void cluster_tables_stats_write(const struct cluster_table *const *tables, size_t n,
                                const char *prefix, struct stats_node *root)
{
    struct cluster_stats sum;
    memset(&sum, 0, sizeof(sum));
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (tables[i] == NULL)
            continue;
        const struct cluster_stats *st = &tables[i]->st;
        sum.active += st->active;
        sum.created += st->created;
        sum.evicted += st->evicted;
        sum.expired += st->expired;
        sum.dissolved += st->dissolved;
        sum.merged += st->merged;
        sum.midx_refused += st->midx_refused;
        sum.ja4s_not_kept += st->ja4s_not_kept;
        sum.families_not_kept += st->families_not_kept;
        sum.full += st->full;
        bytes += cluster_table_bytes(tables[i]);
    }
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *de = stats_child(me, "detect");
    char name[64];
    const struct { const char *what; uint64_t v; } rows[] = {
        { "active", sum.active },   { "evicted", sum.evicted },
        { "created", sum.created }, { "expired", sum.expired },
        { "dissolved", sum.dissolved }, { "merged", sum.merged },
        { "chain_refused", sum.midx_refused },
        { "ja4s_not_kept", sum.ja4s_not_kept },
        { "families_not_kept", sum.families_not_kept },
        { "full", sum.full },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        /* cluster_chain_refused kept its name from before the others */
        bool old = strcmp(prefix, "clusters") == 0 && strcmp(rows[i].what, "chain_refused") == 0;
        snprintf(name, sizeof(name), "%s_%s", old ? "cluster" : prefix, rows[i].what);
        stats_u64(de, name, rows[i].v);
    }
    stats_u64(stats_child(me, "memory"), prefix, bytes);
}

uint64_t cluster_id(const struct cluster *c)
{
    return c->id;
}

unsigned cluster_size(const struct cluster *c)
{
    return c->n;
}

const struct ds_addr *cluster_member_addr(const struct cluster *c, unsigned i)
{
    return &c->m[i].addr;
}

bool cluster_member_listed(const struct cluster *c, unsigned i)
{
    return c->m[i].listed;
}

void cluster_mark_listed(struct cluster *c)
{
    for (unsigned i = 0; i < c->n; i++)
        c->m[i].listed = true;
}

const char *cluster_ja4(const struct cluster *c)
{
    int best = -1;
    for (unsigned i = 0; i < CLUSTER_MAX_JA4S; i++)
        if (c->ja4_members[i] > 0 && (best < 0 || c->ja4_members[i] > c->ja4_members[best]))
            best = (int)i;
    return best < 0 ? "" : c->ja4s[best];
}

/* The i-th slot in use of counts, or n if there are not that many. */
static unsigned nth_used(const unsigned *counts, unsigned n, unsigned i)
{
    for (unsigned k = 0; k < n; k++)
        if (counts[k] > 0 && i-- == 0)
            return k;
    return n;
}

unsigned cluster_ja4_count(const struct cluster *c)
{
    return (unsigned)slots_used(c->ja4_members, CLUSTER_MAX_JA4S);
}

const char *cluster_ja4_at(const struct cluster *c, unsigned i)
{
    unsigned k = nth_used(c->ja4_members, CLUSTER_MAX_JA4S, i);
    return k < CLUSTER_MAX_JA4S ? c->ja4s[k] : NULL;
}

unsigned cluster_family_count(const struct cluster *c)
{
    return (unsigned)slots_used(c->family_members, CLUSTER_MAX_FAMILIES);
}

const char *cluster_family_at(const struct cluster *c, unsigned i)
{
    unsigned k = nth_used(c->family_members, CLUSTER_MAX_FAMILIES, i);
    return k < CLUSTER_MAX_FAMILIES ? c->families[k] : NULL;
}

uint32_t cluster_sync_group(const struct cluster *c)
{
    return c->sync_group;
}

unsigned cluster_sync_rounds(const struct cluster *c)
{
    return c->sync_rounds;
}

const char *cluster_provider(const struct cluster *c)
{
    return c->provider;
}

bool cluster_cadence(const struct cluster *c, double *seconds)
{
    if (c->log_gap == CLUSTER_NO_GAP)
        return false;
    *seconds = exp(c->log_gap);
    return true;
}

double cluster_request_size(const struct cluster *c)
{
    return exp(c->log_size);
}

uint32_t cluster_window(const struct cluster *c)
{
    return c->window_s;
}

uint64_t cluster_first_seen(const struct cluster *c)
{
    return c->first_us;
}

const struct features *cluster_features(const struct cluster *c)
{
    return &c->agg;
}
