/* Crowded rounds (see synchrony.h). A round lists the sources that started
 * in it by pointer and serial number: a source entry evicted and reused gets
 * a new serial, so an old listing of it is recognised and skipped. Crowded
 * rounds are numbered from 1, never reused; round c sits in slot
 * c % SYNC_CROWDED_KEPT while it is one of the last SYNC_CROWDED_KEPT, and
 * a number whose slot holds another is gone. */
#include "ds/synchrony.h"

#include <math.h>
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
    uint64_t last_start_us;           /* its latest start */
    uint32_t sparse;                  /* its sparse starts */
    uint64_t credited_us;             /* its start last counted in a crowded round */
    uint8_t nc, head;                 /* crowded rounds in the ring, next slot written */
    uint32_t crowded[SYNC_SOURCE_CROWDED];
    uint32_t crowded_sparse[SYNC_SOURCE_CROWDED]; /* its sparse starts then */
    uint32_t group;                   /* 0: none */
    unsigned rounds;                  /* crowded rounds of its group it was in */
    uint64_t member_us;               /* last found a member (packet time) */
};

struct sync_listing {
    uint8_t n;                        /* listed (at most SYNC_ROUND_LISTED) */
    struct sync_src *src[SYNC_ROUND_LISTED];
    uint32_t serial[SYNC_ROUND_LISTED];
};

struct sync_recent {
    uint64_t start_us;                /* 0: slot unused */
    struct sync_src *src;
    uint32_t serial;
};

/* The sparse starts of one window: sources listed and the span (a near
 * round: count 0 when its slot is unused). */
struct sync_window {
    uint64_t first_us, last_us;
    uint32_t count;                   /* starts in it, listed or not */
    struct sync_listing l;
    uint64_t start_us[SYNC_ROUND_LISTED]; /* each listed source's start */
};

struct sync_crowded {
    uint64_t first_us, last_us;       /* its first and last start */
    uint32_t id;                      /* 0: slot unused */
    uint32_t parent;                  /* its group's root (itself: a root) */
    struct sync_listing l;
};

struct synchrony {
    struct pool *pool;
    struct sync_src **buckets;
    size_t nbuckets;                  /* power of two */
    struct ds_list lru;
    uint32_t seed;
    uint32_t next_serial, next_crowded;
    uint64_t first_us;                /* the first start's arrival, 0: none yet */
    uint64_t bucket_us;               /* the rate bucket's start */
    uint32_t bucket_n;                /* sparse starts in it */
    bool rate_known;
    double rate;                      /* sparse starts per second (EWMA) */
    unsigned next_recent;
    unsigned njoined;
    struct ds_addr joined[SYNC_JOINED_MAX];
    struct sync_recent recent[SYNC_RECENT];
    struct sync_crowded hist[SYNC_CROWDED_KEPT];
    unsigned next_near;
    struct sync_window near[SYNC_NEAR_KEPT];
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

/* The least k >= least with P(X >= k - 1) < p, X Poisson of mean mu: the
 * sources a window needs (its first start and k - 1 others); UINT32_MAX
 * beyond 4 * SYNC_ROUND_LISTED. */
static uint32_t tail_needed(double mu, double p, uint32_t least)
{
    if (!(mu >= 0))
        return UINT32_MAX;
    double term = exp(-mu), cdf = 0;   /* P(X = i), P(X < i) */
    for (uint32_t i = 0; i < 4 * SYNC_ROUND_LISTED; i++) {
        if (i + 1 >= least && 1.0 - cdf < p)
            return i + 1;   /* the round's first and i others */
        cdf += term;
        term *= mu / (double)(i + 1);
    }
    return UINT32_MAX;
}

uint32_t synchrony_crowd_needed(double mu)
{
    return tail_needed(mu, SYNC_P_CROWDED, SYNC_MIN_CROWD);
}

/* Closes the rate buckets that ended by now_us: each folds into the EWMA
 * (the first sets it). After a gap of more than 64 buckets the count
 * restarts from now_us. */
static void rate_advance(struct synchrony *sy, uint64_t now_us)
{
    uint64_t len = ds_s_to_us(SYNC_RATE_BUCKET_S);
    if (sy->bucket_us == 0 || now_us < sy->bucket_us) {
        sy->bucket_us = now_us;
        return;
    }
    for (unsigned i = 0; now_us >= sy->bucket_us + len; i++) {
        if (i == 64) {
            sy->bucket_us = now_us;
            sy->bucket_n = 0;
            break;
        }
        double r = (double)sy->bucket_n / SYNC_RATE_BUCKET_S;
        sy->rate = sy->rate_known ? sy->rate + (r - sy->rate) / SYNC_RATE_EWMA : r;
        sy->rate_known = true;
        sy->bucket_n = 0;
        sy->bucket_us += len;
    }
    sy->st.rate_milli = (uint64_t)(sy->rate * 1000.0 + 0.5);
}

static bool warming_up(const struct synchrony *sy, uint64_t now_us)
{
    return !sy->rate_known || now_us < sy->first_us + ds_s_to_us(SYNC_WARMUP_S);
}

/* Sources that make a round opened at now_us crowded. */
static uint32_t crowd_needed_now(const struct synchrony *sy, uint64_t now_us)
{
    if (warming_up(sy, now_us))
        return UINT32_MAX;
    return synchrony_crowd_needed(sy->rate * SYNC_ROUND_S);
}

/* Sources that make it a near round. While warming up, any window of
 * SYNC_MEMBER_ROUND: its number tells nothing yet (the rate is unknown,
 * every source's first start is sparse), but whether 3 of its sources are
 * members of one group, the only test a near round is put to, does not
 * depend on the rate; so a pool's rounds before the sensor knew the
 * background are not lost. */
static uint32_t near_needed_now(const struct synchrony *sy, uint64_t now_us)
{
    if (warming_up(sy, now_us))
        return SYNC_MEMBER_ROUND;
    return tail_needed(sy->rate * SYNC_ROUND_S, SYNC_P_NEAR, SYNC_MEMBER_ROUND);
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
 * it has none; NULL if its hash chain is full (counted). *fresh: made now. */
static struct sync_src *src_get(struct synchrony *sy, const struct ds_addr *a, bool *fresh)
{
    *fresh = false;
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
    *fresh = true;
    return s;
}

static void list_add(struct sync_listing *l, struct sync_src *s)
{
    if (l->n < SYNC_ROUND_LISTED) {
        l->src[l->n] = s;
        l->serial[l->n++] = s->serial;
    }
}

/* Listed source i of l, NULL if it was evicted since. */
static struct sync_src *listed(const struct sync_listing *l, unsigned i)
{
    return l->src[i]->serial == l->serial[i] ? l->src[i] : NULL;
}

/* Crowded round c, NULL if gone. */
static const struct sync_crowded *crowded_get(const struct synchrony *sy, uint32_t c)
{
    const struct sync_crowded *h = &sy->hist[c % SYNC_CROWDED_KEPT];
    return c != 0 && h->id == c ? h : NULL;
}

/* The group (root round number) of crowded round c: a round gone names
 * itself. */
static uint32_t group_of(const struct synchrony *sy, uint32_t c)
{
    for (unsigned hops = 0; hops < SYNC_CROWDED_KEPT; hops++) {
        const struct sync_crowded *h = crowded_get(sy, c);
        if (h == NULL || h->parent == c)
            return c;
        c = h->parent;
    }
    return c;
}

/* Joins the groups of crowded rounds a and b: the younger root's rounds
 * point at the older root. */
static void group_union(struct synchrony *sy, uint32_t a, uint32_t b)
{
    uint32_t ra = group_of(sy, a), rb = group_of(sy, b);
    if (ra == rb)
        return;
    uint32_t old = ra < rb ? ra : rb, young = ra < rb ? rb : ra;
    for (unsigned i = 0; i < SYNC_CROWDED_KEPT; i++) {
        struct sync_crowded *h = &sy->hist[i];
        if (h->id != 0 && (h->id == young || h->parent == young))
            h->parent = old;
    }
    sy->st.unions++;
}

/* s was in crowded round c: its other crowded rounds' groups join c's. */
static void note_crowded(struct synchrony *sy, struct sync_src *s, uint32_t c)
{
    for (unsigned i = 0; i < s->nc; i++)
        if (s->crowded[i] != c && crowded_get(sy, s->crowded[i]))
            group_union(sy, s->crowded[i], c);
    s->crowded[s->head] = c;
    s->crowded_sparse[s->head] = s->sparse;
    s->head = (uint8_t)((s->head + 1) % SYNC_SOURCE_CROWDED);
    if (s->nc < SYNC_SOURCE_CROWDED)
        s->nc++;
}

/* Crowded rounds of group g that s was in (kept ones). */
static unsigned rounds_in(const struct synchrony *sy, const struct sync_src *s, uint32_t g)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nc; i++)
        n += crowded_get(sy, s->crowded[i]) != NULL && group_of(sy, s->crowded[i]) == g;
    return n;
}

/* The sparse starts s's crowded rounds are weighed against: all of them
 * while it remembers every crowded round it was in, else those from the
 * oldest it remembers on (a pool member of days stays one). */
static uint32_t sparse_span(const struct sync_src *s)
{
    if (s->nc < SYNC_SOURCE_CROWDED)
        return s->sparse;
    return s->sparse - s->crowded_sparse[s->head] + 1;   /* head: the oldest */
}

static bool in_group(const struct synchrony *sy, const struct sync_src *s, uint32_t g,
                     uint64_t now_us)
{
    return s->group != 0 && group_of(sy, s->group) == g &&
           now_us <= s->member_us + ds_s_to_us(SYNC_KEEP_S);
}

/* Whether s is a member of a group now (see synchrony.h): if so, it is
 * noted with the group it was in most crowded rounds of. */
static void judge_member(struct synchrony *sy, struct sync_src *s, uint64_t now_us)
{
    uint32_t best = 0;
    unsigned most = 0;
    for (unsigned i = 0; i < s->nc; i++) {
        if (crowded_get(sy, s->crowded[i]) == NULL)
            continue;
        uint32_t g = group_of(sy, s->crowded[i]);
        unsigned n = rounds_in(sy, s, g);
        if (n > most || (n == most && g < best)) {
            best = g;
            most = n;
        }
    }
    if (most < SYNC_MEMBER_ROUNDS || (uint64_t)most * SYNC_MEMBER_SHARE_DEN < sparse_span(s))
        return;
    if (!in_group(sy, s, best, now_us)) {
        sy->st.joined++;
        if (sy->njoined < SYNC_JOINED_MAX)
            sy->joined[sy->njoined++] = s->addr;
        else
            sy->st.joined_dropped++;
    }
    s->group = best;
    s->rounds = most;
    s->member_us = now_us;
    sy->st.members++;
}

/* Whether SYNC_MEMBER_ROUND or more of the sources listed in w are members
 * of one group. */
static bool members_meet(const struct synchrony *sy, const struct sync_window *w,
                         uint64_t now_us)
{
    for (unsigned i = 0; i + SYNC_MEMBER_ROUND <= w->l.n; i++) {
        const struct sync_src *x = listed(&w->l, i);
        if (x == NULL || x->group == 0 || now_us > x->member_us + ds_s_to_us(SYNC_KEEP_S))
            continue;
        uint32_t g = group_of(sy, x->group);
        unsigned m = 1;
        for (unsigned j = i + 1; j < w->l.n; j++) {
            const struct sync_src *y = listed(&w->l, j);
            m += y != NULL && in_group(sy, y, g, now_us);
        }
        if (m >= SYNC_MEMBER_ROUND)
            return true;
    }
    return false;
}

/* The recent sparse starts within SYNC_ROUND_S of start_us, by start
 * (at most SYNC_WINDOW_MAX: later ones are counted, not kept). */
static unsigned nearby(struct synchrony *sy, uint64_t start_us, struct sync_recent *out)
{
    uint64_t span = ds_s_to_us(SYNC_ROUND_S);
    unsigned n = 0;
    for (unsigned i = 0; i < SYNC_RECENT; i++) {
        const struct sync_recent *e = &sy->recent[i];
        if (e->start_us == 0 || e->start_us + span < start_us || e->start_us > start_us + span)
            continue;
        if (e->src->serial != e->serial) {
            continue;   /* evicted since */
        }
        if (n == SYNC_WINDOW_MAX) {
            sy->st.window_full++;
            continue;
        }
        unsigned j = n++;
        for (; j > 0 && out[j - 1].start_us > e->start_us; j--)
            out[j] = out[j - 1];
        out[j] = *e;
    }
    return n;
}

/* Of the windows of SYNC_ROUND_S that begin at a sparse start and hold
 * start_us, the one with the most starts. */
static void best_window(struct synchrony *sy, uint64_t start_us, struct sync_window *w)
{
    struct sync_recent near[SYNC_WINDOW_MAX];
    unsigned n = nearby(sy, start_us, near);
    uint64_t span = ds_s_to_us(SYNC_ROUND_S);
    unsigned best_lo = 0, best_n = 0;
    for (unsigned lo = 0, hi = 0; lo < n && near[lo].start_us <= start_us; lo++) {
        if (hi < lo)
            hi = lo;
        while (hi < n && near[hi].start_us <= near[lo].start_us + span)
            hi++;
        if (near[hi - 1].start_us >= start_us && hi - lo > best_n) {
            best_lo = lo;
            best_n = hi - lo;
        }
    }
    memset(w, 0, sizeof(*w));
    for (unsigned i = best_lo; i < best_lo + best_n; i++) {
        bool dup = false;   /* a source twice in 2 s: once */
        for (unsigned j = 0; j < w->l.n; j++)
            dup = dup || w->l.src[j] == near[i].src;
        if (dup)
            continue;
        w->count++;
        if (w->l.n < SYNC_ROUND_LISTED)
            w->start_us[w->l.n] = near[i].start_us;
        list_add(&w->l, near[i].src);
    }
    if (best_n > 0) {
        w->first_us = near[best_lo].start_us;
        w->last_us = near[best_lo + best_n - 1].start_us;
    }
}

/* Whether the spans [a0, a1] and [b0, b1] overlap and together stay
 * within 2 * SYNC_ROUND_S: one round. */
static bool one_round(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    if (a0 > b1 || b0 > a1)
        return false;
    uint64_t lo = a0 < b0 ? a0 : b0, hi = a1 > b1 ? a1 : b1;
    return hi - lo <= ds_s_to_us(2 * SYNC_ROUND_S);
}

/* The kept crowded round that is one round with w; NULL if none. */
static struct sync_crowded *crowded_overlapping(struct synchrony *sy, const struct sync_window *w)
{
    for (unsigned i = 0; i < SYNC_CROWDED_KEPT; i++) {
        struct sync_crowded *h = &sy->hist[i];
        if (h->id != 0 && one_round(h->first_us, h->last_us, w->first_us, w->last_us))
            return h;
    }
    return NULL;
}

/* Whether x's sparse start at start_us counts in a crowded round already:
 * the last one credited, or one inside the span of a kept crowded round x
 * is in. Its sparse starts are SYNC_SPARSE_GAP_S apart and a round spans
 * at most 2 * SYNC_ROUND_S, so the start such a round holds is this one. A
 * near round promoted later may hold a start credited before another was
 * (the near round and the crowded one together longer than one round). */
static bool start_credited(const struct synchrony *sy, const struct sync_src *x,
                           uint64_t start_us)
{
    if (x->credited_us == start_us)
        return true;
    for (unsigned i = 0; i < x->nc; i++) {
        const struct sync_crowded *h = crowded_get(sy, x->crowded[i]);
        if (h != NULL && h->first_us <= start_us && start_us <= h->last_us)
            return true;
    }
    return false;
}

/* Window w is crowded: its sources join the crowded round it overlaps, or
 * a new one; they remember it and their groups join. Returns its number. */
static uint32_t make_crowded(struct synchrony *sy, const struct sync_window *w)
{
    struct sync_crowded *h = crowded_overlapping(sy, w);
    if (h == NULL) {
        if (++sy->next_crowded == 0)
            sy->next_crowded = 1;
        uint32_t c = sy->next_crowded;
        h = &sy->hist[c % SYNC_CROWDED_KEPT];
        memset(h, 0, sizeof(*h));
        h->id = h->parent = c;
        h->first_us = w->first_us;
        h->last_us = w->last_us;
        sy->st.crowded++;
    }
    h->first_us = h->first_us < w->first_us ? h->first_us : w->first_us;
    h->last_us = h->last_us > w->last_us ? h->last_us : w->last_us;
    for (unsigned i = 0; i < w->l.n; i++) {
        struct sync_src *x = listed(&w->l, i);
        bool known = false;
        for (unsigned j = 0; x && j < h->l.n; j++)
            known = known || listed(&h->l, j) == x;
        if (x == NULL || known || start_credited(sy, x, w->start_us[i]))
            continue;   /* a start counts in one crowded round */
        x->credited_us = w->start_us[i];
        list_add(&h->l, x);
        note_crowded(sy, x, h->id);
    }
    return h->id;
}

/* Re-judges every source listed in crowded round c. */
static void judge_round(struct synchrony *sy, uint32_t c, uint64_t now_us)
{
    const struct sync_crowded *h = crowded_get(sy, c);
    for (unsigned pass = 0; h && pass < 2; pass++) {   /* a second pass: members found late */
        for (unsigned i = 0; i < h->l.n; i++) {
            struct sync_src *x = listed(&h->l, i);
            if (x)
                judge_member(sy, x, now_us);
        }
    }
}

/* Keeps window w, not crowded, as a near round: it takes the place of a
 * kept one that is one round with it if it holds more, else of the
 * oldest. */
static void keep_near(struct synchrony *sy, const struct sync_window *w)
{
    if (crowded_overlapping(sy, w) != NULL)
        return;   /* its round is crowded already */
    for (unsigned i = 0; i < SYNC_NEAR_KEPT; i++) {
        struct sync_window *n = &sy->near[i];
        if (n->count == 0 || !one_round(n->first_us, n->last_us, w->first_us, w->last_us))
            continue;
        if (w->count > n->count)
            *n = *w;
        return;
    }
    sy->near[sy->next_near] = *w;
    sy->next_near = (sy->next_near + 1) % SYNC_NEAR_KEPT;
    sy->st.near++;
}

/* Sources became members: each kept near round now holding
 * SYNC_MEMBER_ROUND members of one group is made a crowded round and its
 * sources judged (which may make more members: a second pass). A near
 * round whose round has since become crowded is dropped. */
static void promote_near(struct synchrony *sy, uint64_t now_us)
{
    for (unsigned pass = 0; pass < 2; pass++) {
        uint64_t joined = sy->st.joined;
        for (unsigned i = 0; i < SYNC_NEAR_KEPT; i++) {
            struct sync_window *n = &sy->near[i];
            if (n->count == 0)
                continue;
            if (crowded_overlapping(sy, n) != NULL) {
                n->count = 0;
                continue;
            }
            if (!members_meet(sy, n, now_us))
                continue;
            struct sync_window w = *n;
            n->count = 0;
            sy->st.promoted++;
            judge_round(sy, make_crowded(sy, &w), now_us);
        }
        if (sy->st.joined == joined)
            return;
    }
}

/* A sparse start of s at start_us: kept among the recent ones; the
 * fullest window holding it is judged: crowded, near or neither. */
static void sparse_start(struct synchrony *sy, struct sync_src *s, uint64_t start_us,
                         uint64_t now_us)
{
    struct sync_recent *e = &sy->recent[sy->next_recent];
    sy->next_recent = (sy->next_recent + 1) % SYNC_RECENT;
    *e = (struct sync_recent){ start_us, s, s->serial };
    struct sync_window w;
    best_window(sy, start_us, &w);
    uint32_t need = crowd_needed_now(sy, now_us);
    if (w.count < need && !(need != UINT32_MAX && members_meet(sy, &w, now_us))) {
        if (w.count >= near_needed_now(sy, now_us))
            keep_near(sy, &w);
        return;
    }
    if (w.count < need)
        sy->st.crowded_by_members++;
    uint64_t joined = sy->st.joined;
    judge_round(sy, make_crowded(sy, &w), now_us);
    if (sy->st.joined != joined)
        promote_near(sy, now_us);
}

bool synchrony_turn(struct synchrony *sy, const struct ds_addr *src, const char *provider,
                    uint64_t start_us, uint64_t now_us)
{
    if (provider == NULL || provider[0] == '\0')
        return false;
    if (sy->first_us == 0)
        sy->first_us = now_us;
    rate_advance(sy, now_us);
    bool fresh = false;
    struct sync_src *s = src_get(sy, src, &fresh);
    if (s == NULL)
        return false;
    bool sparse = fresh || start_us >= s->last_start_us + ds_s_to_us(SYNC_SPARSE_GAP_S);
    if (start_us > s->last_start_us)
        s->last_start_us = start_us;
    if (sparse) {
        s->sparse++;
        sy->st.sparse_starts++;
        sy->bucket_n++;
        sparse_start(sy, s, start_us, now_us);
        uint64_t joined = sy->st.joined;
        judge_member(sy, s, now_us);   /* a member's membership is renewed */
        if (sy->st.joined != joined)   /* or found again after it lapsed */
            promote_near(sy, now_us);
    }
    return s->group != 0 && now_us <= s->member_us + ds_s_to_us(SYNC_KEEP_S);
}

bool synchrony_group(const struct synchrony *sy, const struct ds_addr *src, uint64_t now_us,
                     uint32_t *group, unsigned *rounds)
{
    const struct sync_src *s = src_find(sy, src);
    if (s == NULL || s->group == 0 || now_us > s->member_us + ds_s_to_us(SYNC_KEEP_S))
        return false;
    *group = group_of(sy, s->group);
    *rounds = s->rounds;
    return true;
}

size_t synchrony_take_joined(struct synchrony *sy, struct ds_addr *out, size_t n)
{
    size_t k = sy->njoined < n ? sy->njoined : n;
    memcpy(out, sy->joined, k * sizeof(*out));
    memmove(sy->joined, sy->joined + k, (sy->njoined - k) * sizeof(*out));
    sy->njoined -= (unsigned)k;
    return k;
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
    stats_u64(de, "sync_sparse_starts", sy->st.sparse_starts);
    stats_u64(de, "sync_window_full", sy->st.window_full);
    stats_u64(de, "sync_crowded_rounds", sy->st.crowded);
    stats_u64(de, "sync_crowded_by_members", sy->st.crowded_by_members);
    stats_u64(de, "sync_near_rounds", sy->st.near);
    stats_u64(de, "sync_rounds_promoted", sy->st.promoted);
    stats_u64(de, "sync_unions", sy->st.unions);
    stats_u64(de, "sync_members_found", sy->st.members);
    stats_u64(de, "sync_members_joined", sy->st.joined);
    stats_u64(de, "sync_joined_dropped", sy->st.joined_dropped);
    stats_u64(de, "sync_rate_milli", sy->st.rate_milli);
    stats_u64(stats_child(me, "memory"), "synchrony", synchrony_bytes(sy));
}
