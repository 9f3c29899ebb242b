/* Synchronous groups (see synchrony.h). Rounds are numbered across the
 * table, never reused, so a source's ring of round numbers compares with
 * another's whatever providers they used and however long ago a round's
 * slot was given to a newer round. A round lists the sources that started
 * in it by pointer and serial number: a source entry evicted and reused gets
 * a new serial, so an old listing of it is recognised and skipped. */
#include "ds/synchrony.h"

#include <stdlib.h>
#include <string.h>

#include "ds/list.h"
#include "ds/pool.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

struct sync_src {
    struct ds_addr addr;
    struct sync_src *hnext;
    struct ds_list_node lru;          /* least recently active at the head */
    uint32_t serial;                  /* unique while in use; 0 once released */
    uint8_t nr, head;                 /* rounds in the ring, next slot written */
    uint32_t round[SYNC_SOURCE_ROUNDS];
    uint64_t round_us[SYNC_SOURCE_ROUNDS]; /* each round's first start */
    uint32_t group;                   /* 0: none */
    unsigned shared;                  /* most rounds shared with a partner */
    uint64_t grouped_us;              /* last found synchronous (packet time) */
};

struct sync_round {
    uint64_t anchor_us;               /* its first start */
    uint32_t id;                      /* 0: slot unused */
    uint8_t n;
    struct sync_src *src[SYNC_ROUND_LISTED];
    uint32_t serial[SYNC_ROUND_LISTED];
};

struct sync_provider {
    char name[32];                    /* "" : slot unused */
    uint64_t last_us;
    unsigned next;                    /* the round slot the next new round takes */
    struct sync_round rounds[SYNC_PROVIDER_ROUNDS];
};

struct synchrony {
    struct pool *pool;
    struct sync_src **buckets;
    size_t nbuckets;                  /* power of two */
    struct ds_list lru;
    uint32_t seed;
    uint32_t next_serial, next_round, next_group;
    struct sync_provider prov[SYNC_PROVIDERS];
    struct sync_stats st;
};

struct synchrony *synchrony_new(size_t max_sources, uint32_t seed)
{
    struct synchrony *sy = xcalloc(1, sizeof(*sy));
    if (max_sources == 0)
        max_sources = 1;
    sy->pool = pool_new(sizeof(struct sync_src), max_sources, 256);
    sy->nbuckets = 256;
    while (sy->nbuckets < max_sources && sy->nbuckets < ((size_t)1 << 20))
        sy->nbuckets <<= 1;
    sy->buckets = xcalloc(sy->nbuckets, sizeof(*sy->buckets));
    sy->seed = seed;
    return sy;
}

void synchrony_free(struct synchrony *sy)
{
    if (sy == NULL)
        return;
    pool_free(sy->pool);
    free(sy->buckets);
    free(sy);
}

/* The provider's slot; a new provider takes the least recently active
 * slot, whose rounds are dropped (counted). */
static struct sync_provider *provider_slot(struct synchrony *sy, const char *name,
                                           uint64_t now_us)
{
    struct sync_provider *oldest = &sy->prov[0];
    for (unsigned i = 0; i < SYNC_PROVIDERS; i++) {
        struct sync_provider *p = &sy->prov[i];
        if (p->name[0] != '\0' && strcmp(p->name, name) == 0) {
            p->last_us = now_us;
            return p;
        }
        if (p->name[0] == '\0' || (oldest->name[0] != '\0' && p->last_us < oldest->last_us))
            oldest = p;
    }
    if (oldest->name[0] != '\0')
        sy->st.providers_reused++;
    memset(oldest, 0, sizeof(*oldest));
    ds_strlcpy(oldest->name, name, sizeof(oldest->name));
    oldest->last_us = now_us;
    return oldest;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* The round of a start: the recent round whose first start is nearest,
 * within SYNC_ROUND_S; else a new round in the oldest slot. */
static struct sync_round *round_for(struct synchrony *sy, struct sync_provider *p,
                                    uint64_t start_us)
{
    struct sync_round *best = NULL;
    uint64_t tol = ds_s_to_us(SYNC_ROUND_S);
    for (unsigned i = 0; i < SYNC_PROVIDER_ROUNDS; i++) {
        struct sync_round *r = &p->rounds[i];
        if (r->id == 0 || absdiff(r->anchor_us, start_us) > tol)
            continue;
        if (best == NULL || absdiff(r->anchor_us, start_us) < absdiff(best->anchor_us, start_us))
            best = r;
    }
    if (best)
        return best;
    best = &p->rounds[p->next];
    p->next = (p->next + 1) % SYNC_PROVIDER_ROUNDS;
    memset(best, 0, sizeof(*best));
    best->id = ++sy->next_round;
    best->anchor_us = start_us;
    sy->st.rounds++;
    return best;
}

static struct sync_src **chain(struct synchrony *sy, const struct ds_addr *a)
{
    return &sy->buckets[ds_addr_hash(a, sy->seed) & (sy->nbuckets - 1)];
}

static struct sync_src *src_find(const struct synchrony *sy, const struct ds_addr *a)
{
    struct sync_src *s = sy->buckets[ds_addr_hash(a, sy->seed) & (sy->nbuckets - 1)];
    for (; s; s = s->hnext)
        if (memcmp(&s->addr, a, sizeof(*a)) == 0)
            return s;
    return NULL;
}

static void src_release(struct synchrony *sy, struct sync_src *s)
{
    for (struct sync_src **pp = chain(sy, &s->addr); *pp; pp = &(*pp)->hnext) {
        if (*pp == s) {
            *pp = s->hnext;
            break;
        }
    }
    ds_list_unlink(&sy->lru, &s->lru);
    s->serial = 0;   /* listings of it in rounds are stale from now on */
    pool_put(sy->pool, s);
    sy->st.sources_active--;
}

/* src's entry, made (the least recently active one evicted at the cap) if
 * it has none; NULL if its hash chain is full (counted). */
static struct sync_src *src_get(struct synchrony *sy, const struct ds_addr *a)
{
    struct sync_src *s = src_find(sy, a);
    if (s) {
        ds_list_move_to_tail(&sy->lru, &s->lru);
        return s;
    }
    unsigned len = 0;
    for (struct sync_src *e = *chain(sy, a); e; e = e->hnext)
        len++;
    if (len >= SYNC_CHAIN_MAX) {
        sy->st.chain_refused++;
        return NULL;
    }
    s = pool_get(sy->pool);
    if (s == NULL) {
        struct sync_src *old = DS_LIST_ENTRY(sy->lru.head, struct sync_src, lru);
        if (old == NULL)
            return NULL;
        src_release(sy, old);
        sy->st.sources_evicted++;
        s = pool_get(sy->pool);
        if (s == NULL)
            return NULL;
    }
    memset(s, 0, sizeof(*s));
    s->addr = *a;
    if (++sy->next_serial == 0)
        sy->next_serial = 1;
    s->serial = sy->next_serial;
    struct sync_src **c = chain(sy, a);
    s->hnext = *c;
    *c = s;
    ds_list_push_tail(&sy->lru, &s->lru);
    sy->st.sources_active++;
    sy->st.sources_created++;
    return s;
}

static bool ring_has(const struct sync_src *s, uint32_t id)
{
    for (unsigned i = 0; i < s->nr; i++)
        if (s->round[i] == id)
            return true;
    return false;
}

static void ring_add(struct sync_src *s, const struct sync_round *r)
{
    s->round[s->head] = r->id;
    s->round_us[s->head] = r->anchor_us;
    s->head = (uint8_t)((s->head + 1) % SYNC_SOURCE_ROUNDS);
    if (s->nr < SYNC_SOURCE_ROUNDS)
        s->nr++;
}

/* Whether s's rounds are far enough apart on average to be evidence. */
static bool sparse(const struct sync_src *s)
{
    if (s->nr < SYNC_MIN_SHARED)
        return false;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < s->nr; i++) {
        lo = s->round_us[i] < lo ? s->round_us[i] : lo;
        hi = s->round_us[i] > hi ? s->round_us[i] : hi;
    }
    return hi - lo >= ds_s_to_us(SYNC_MIN_SPACING_S) * (uint64_t)(s->nr - 1);
}

/* Rounds a and b share, or 0 unless that makes them partners. */
static unsigned partner_rounds(const struct sync_src *a, const struct sync_src *b)
{
    unsigned shared = 0;
    for (unsigned i = 0; i < a->nr; i++)
        shared += ring_has(b, a->round[i]);
    unsigned fewer = a->nr < b->nr ? a->nr : b->nr;
    if (shared < SYNC_MIN_SHARED || shared * SYNC_SHARE_DEN < fewer * SYNC_SHARE_NUM)
        return 0;
    return shared;
}

static bool in_group(const struct sync_src *s, uint64_t now_us)
{
    return s->group != 0 && now_us <= s->grouped_us + ds_s_to_us(SYNC_KEEP_S);
}

/* The partners of s among the sources listed in round r (at most
 * SYNC_ROUND_LISTED): their number, each one's shared rounds in shared[]. */
static unsigned find_partners(struct synchrony *sy, const struct sync_src *s,
                              const struct sync_round *r, struct sync_src **who,
                              unsigned *shared)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->n; i++) {
        struct sync_src *x = r->src[i];
        if (x != s && x->serial != r->serial[i]) {
            sy->st.stale++;
            continue;
        }
        if (x == s || !sparse(x))
            continue;
        sy->st.comparisons++;
        unsigned k = partner_rounds(s, x);
        if (k == 0)
            continue;
        who[n] = x;
        shared[n++] = k;
    }
    return n;
}

/* s is synchronous with its n partners: they share a group, s's own if it
 * has one, else that of the partner sharing the most rounds that has one,
 * else a new one. Partners without a group take it. */
static void join_group(struct synchrony *sy, struct sync_src *s, struct sync_src **who,
                       const unsigned *shared, unsigned n, uint64_t now_us)
{
    uint32_t g = in_group(s, now_us) ? s->group : 0;
    unsigned best = 0, most = 0;
    for (unsigned i = 0; i < n; i++) {
        most = shared[i] > most ? shared[i] : most;
        if (g == 0 && in_group(who[i], now_us) && shared[i] > best)
            best = shared[i];
    }
    for (unsigned i = 0; i < n && g == 0 && best > 0; i++)
        if (in_group(who[i], now_us) && shared[i] == best)
            g = who[i]->group;
    if (g == 0) {
        if (++sy->next_group == 0)
            sy->next_group = 1;
        g = sy->next_group;
        sy->st.groups++;
    }
    s->group = g;
    s->shared = most;
    s->grouped_us = now_us;
    for (unsigned i = 0; i < n; i++) {
        if (in_group(who[i], now_us))
            continue;
        who[i]->group = g;
        who[i]->shared = shared[i];
        who[i]->grouped_us = now_us;
    }
    sy->st.synchronous++;
}

bool synchrony_turn(struct synchrony *sy, const struct ds_addr *src, const char *provider,
                    uint64_t start_us, uint64_t now_us)
{
    if (provider == NULL || provider[0] == '\0')
        return false;
    struct sync_provider *p = provider_slot(sy, provider, now_us);
    struct sync_round *r = round_for(sy, p, start_us);
    struct sync_src *s = src_get(sy, src);
    if (s == NULL)
        return false;
    if (ring_has(s, r->id))   /* a second start in one round is no new evidence */
        return in_group(s, now_us);
    ring_add(s, r);
    if (r->n < SYNC_ROUND_LISTED) {
        r->src[r->n] = s;
        r->serial[r->n++] = s->serial;
    } else {
        sy->st.round_full++;
    }
    if (!sparse(s))
        return in_group(s, now_us);
    struct sync_src *who[SYNC_ROUND_LISTED];
    unsigned shared[SYNC_ROUND_LISTED];
    unsigned n = find_partners(sy, s, r, who, shared);
    if (n >= SYNC_MIN_PARTNERS)
        join_group(sy, s, who, shared, n, now_us);
    return in_group(s, now_us);
}

bool synchrony_group(const struct synchrony *sy, const struct ds_addr *src, uint64_t now_us,
                     uint32_t *group, unsigned *rounds)
{
    const struct sync_src *s = src_find(sy, src);
    if (s == NULL || !in_group(s, now_us))
        return false;
    *group = s->group;
    *rounds = s->shared;
    return true;
}

const struct sync_stats *synchrony_stats(const struct synchrony *sy)
{
    return &sy->st;
}

size_t synchrony_bytes(const struct synchrony *sy)
{
    return sizeof(*sy) + pool_bytes(sy->pool) + sy->nbuckets * sizeof(*sy->buckets);
}

void synchrony_stats_write(const struct synchrony *sy, struct stats_node *root)
{
    if (sy == NULL)
        return;
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *de = stats_child(me, "detect");
    stats_u64(de, "sync_sources_active", sy->st.sources_active);
    stats_u64(de, "sync_sources_evicted", sy->st.sources_evicted);
    stats_u64(de, "sync_chain_refused", sy->st.chain_refused);
    stats_u64(de, "sync_rounds", sy->st.rounds);
    stats_u64(de, "sync_round_full", sy->st.round_full);
    stats_u64(de, "sync_providers_reused", sy->st.providers_reused);
    stats_u64(de, "sync_synchronous", sy->st.synchronous);
    stats_u64(de, "sync_groups_formed", sy->st.groups);
    stats_u64(stats_child(me, "memory"), "synchrony", synchrony_bytes(sy));
}
