/* Per-source behaviour state: a bounded table of client addresses (LRU
 * eviction at --max-sources, idle expiry), each with a ring of recent turns,
 * per-minute buckets and small tables of what it talked to, filled as flows
 * and turns come in on packet time. What is computed from them over a
 * window is in source-features.c. See ds/source.h for what is kept and what
 * is approximated.
 *
 * The address hash is seeded with the run's seed (seed.h), and no chain
 * grows past SOURCE_CHAIN_MAX: a new source whose chain is full first
 * evicts the least recently seen source of that chain (counted), so a
 * lookup walks at most SOURCE_CHAIN_MAX sources and finds every source held.
 *
 * A record's key is (address, profile); an address record (profile 0)
 * hashes as the address alone did, a profile record mixes its profile id
 * into the seed, so one address's profiles land in different chains. */
#include "ds/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/assert.h"
#include "ds/hash.h"
#include "ds/list.h"
#include "ds/log.h"
#include "ds/pool.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/tls.h"
#include "ds/util.h"
#include "source-int.h"

/* ---- configuration ---- */

void source_config_default(struct source_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_sources = 65536;
    cfg->windows_s[0] = 60;
    cfg->windows_s[1] = 600;
    cfg->windows_s[2] = 3600;
    cfg->n_windows = 3;
    cfg->turns_kept = 512;
    cfg->max_turn_chunks = 0;
    cfg->idle_timeout_s = 0;
    cfg->eval_interval_s = 5;
    cfg->seed = 0x5eed5eedu;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int source_config_windows(struct source_config *cfg, const char *list, char *err, size_t errlen)
{
    uint32_t w[SOURCE_MAX_WINDOWS];
    unsigned n = 0;
    const char *p = list ? list : "";
    if (*p == '\0') {
        snprintf(err, errlen, "empty window list");
        return -1;
    }
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char tok[32];
        if (len == 0 || len >= sizeof(tok)) {
            snprintf(err, errlen, "bad window '%.*s'", (int)(len < 32 ? len : 32), p);
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        uint64_t secs;
        if (ds_parse_duration(tok, &secs) != 0 || secs < 60 || secs > SOURCE_MAX_WINDOW_S ||
            secs % 60 != 0) {
            snprintf(err, errlen, "bad window '%s' (whole minutes from 1m to 24h)", tok);
            return -1;
        }
        if (n == SOURCE_MAX_WINDOWS) {
            snprintf(err, errlen, "more than %d windows", SOURCE_MAX_WINDOWS);
            return -1;
        }
        w[n++] = (uint32_t)secs;
        p = e ? e + 1 : p + len;
        if (e && *p == '\0') {
            snprintf(err, errlen, "empty window after ','");
            return -1;
        }
    }
    qsort(w, n, sizeof(w[0]), cmp_u32);
    for (unsigned i = 1; i < n; i++) {
        if (w[i] == w[i - 1]) {
            snprintf(err, errlen, "window %us listed twice", w[i]);
            return -1;
        }
    }
    memcpy(cfg->windows_s, w, n * sizeof(w[0]));
    cfg->n_windows = n;
    return 0;
}

static bool config_valid(const struct source_config *cfg)
{
    if (cfg->max_sources == 0 || cfg->n_windows == 0 || cfg->n_windows > SOURCE_MAX_WINDOWS)
        return false;
    for (unsigned i = 0; i < cfg->n_windows; i++) {
        uint32_t w = cfg->windows_s[i];
        if (w < 60 || w > SOURCE_MAX_WINDOW_S || w % 60 != 0)
            return false;
        if (i > 0 && w <= cfg->windows_s[i - 1])
            return false;
    }
    return cfg->turns_kept > 0 && cfg->turns_kept <= SOURCE_MAX_TURNS_KEPT;
}

/* ---- table ---- */

/* A source record's layout: the struct, its chunk pointers, its minute
 * buckets (enough minutes for the largest window to overlap, plus the
 * current one). */
static void rec_layout(struct source_table *st)
{
    const struct source_config *cfg = &st->cfg;
    st->nbuckets = cfg->windows_s[cfg->n_windows - 1] / 60 + 1;
    st->chunks_off = (sizeof(struct source) + 7) & ~(size_t)7;
    st->buckets_off = st->chunks_off + st->max_chunks * sizeof(struct turn_chunk *);
    st->rec_size = st->buckets_off + st->nbuckets * sizeof(struct bucket);
}

size_t source_bytes_per_source(const struct source_config *cfg)
{
    if (!config_valid(cfg))
        return 1;
    struct source_table st;
    memset(&st, 0, sizeof(st));
    st.cfg = *cfg;
    st.max_chunks = (cfg->turns_kept + SOURCE_TURN_CHUNK - 1) / SOURCE_TURN_CHUNK;
    rec_layout(&st);
    /* The record (pooled: rounded to 16), the four turn chunks a source is
     * budgeted (max_turn_chunks' default), two hash slots (a power of two). */
    return ((st.rec_size + 15) & ~(size_t)15) + 4 * ((sizeof(struct turn_chunk) + 15) & ~(size_t)15) +
           2 * sizeof(*st.hash);
}

struct source_table *source_table_new(const struct source_config *cfg)
{
    if (!config_valid(cfg)) {
        log_error("source: invalid configuration (windows must be ascending whole minutes "
                  "from 1m to 24h, max-sources > 0, turns kept 1..%d)", SOURCE_MAX_TURNS_KEPT);
        return NULL;
    }
    struct source_table *st = xcalloc(1, sizeof(*st));
    st->cfg = *cfg;
    unsigned kept = (cfg->turns_kept + SOURCE_TURN_CHUNK - 1) / SOURCE_TURN_CHUNK;
    st->max_chunks = kept;
    st->cfg.turns_kept = kept * SOURCE_TURN_CHUNK;
    if (st->cfg.max_turn_chunks == 0)
        st->cfg.max_turn_chunks = cfg->max_sources * 4;
    if (st->cfg.idle_timeout_s == 0)
        st->cfg.idle_timeout_s = cfg->windows_s[cfg->n_windows - 1] + 60;
    rec_layout(st);
    st->sources = pool_new(st->rec_size, cfg->max_sources, 64);
    st->chunks = pool_new(sizeof(struct turn_chunk), st->cfg.max_turn_chunks, 64);
    size_t hs = 1;
    while (hs < cfg->max_sources)
        hs <<= 1;
    st->hash = xcalloc(hs, sizeof(*st->hash));
    st->hash_mask = hs - 1;
    source_scratch_init(&st->sc, st->cfg.turns_kept);
    return st;
}

void source_table_free(struct source_table *st)
{
    if (st == NULL)
        return;
    pool_free(st->sources);
    pool_free(st->chunks);
    free(st->hash);
    source_scratch_free(&st->sc);
    free(st);
}

const uint32_t *source_windows(const struct source_table *st, unsigned *n)
{
    if (n)
        *n = st->cfg.n_windows;
    return st->cfg.windows_s;
}

int source_window_index(const struct source_table *st, uint32_t window_s)
{
    for (unsigned i = 0; i < st->cfg.n_windows; i++)
        if (st->cfg.windows_s[i] == window_s)
            return (int)i;
    return -1;
}

static uint32_t key_hash(const struct source_table *st, const struct source_key *k)
{
    uint64_t seed = st->cfg.seed;
    if (k->profile != SOURCE_PROFILE_ADDRESS)
        seed ^= ds_mix64(k->profile);
    return (uint32_t)ds_addr_hash(&k->addr, seed);
}

static bool key_is(const struct source *s, const struct source_key *k, uint32_t h)
{
    return s->hash == h && s->profile == k->profile &&
           memcmp(&s->addr, &k->addr, sizeof(k->addr)) == 0;
}

static struct source *find(const struct source_table *st, const struct source_key *k, uint32_t h)
{
    for (struct source *s = st->hash[h & st->hash_mask]; s; s = s->hnext)
        if (key_is(s, k, h))
            return s;
    return NULL;
}

struct source *source_find_key(const struct source_table *st, const struct source_key *k)
{
    return find(st, k, key_hash(st, k));
}

struct source *source_find(const struct source_table *st, const struct ds_addr *a)
{
    struct source_key k = { *a, SOURCE_PROFILE_ADDRESS };
    return source_find_key(st, &k);
}

/* The source of a recency list node, NULL for none. */
static struct source *lru_source(struct ds_list_node *n)
{
    return DS_LIST_ENTRY(n, struct source, lru);
}

static void touch(struct source_table *st, struct source *s, uint64_t ts_us)
{
    if (ts_us > s->last_us)
        s->last_us = ts_us;
    ds_list_move_to_head(&st->lru, &s->lru);
}

static void source_remove(struct source_table *st, struct source *s)
{
    struct source **pp = &st->hash[s->hash & st->hash_mask];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
    ds_list_unlink(&st->lru, &s->lru);
    struct turn_chunk **ch = src_chunks(st, s);
    for (unsigned i = 0; i < s->nchunks; i++)
        pool_put(st->chunks, ch[i]);
    st->stats.chunks_in_use -= s->nchunks;
    if (s->profile != SOURCE_PROFILE_ADDRESS)
        st->stats.profiles--;
    pool_put(st->sources, s);
    st->stats.active--;
}

/* Pushed out at the cap, counted. */
static void source_evict(struct source_table *st, struct source *s)
{
    if (s->profile != SOURCE_PROFILE_ADDRESS)
        st->stats.profiles_evicted++;
    source_remove(st, s);
    st->stats.evicted++;
}

/* find, counting its steps; NULL if a is not held, and then *stalest is the
 * chain's least recently seen source if the chain is full (else NULL). */
static struct source *find_counted(struct source_table *st, const struct source_key *k,
                                   uint32_t h, struct source **stalest)
{
    unsigned steps = 0;
    struct source *old = NULL;
    struct source *s = st->hash[h & st->hash_mask];
    for (; s; s = s->hnext) {
        steps++;
        if (key_is(s, k, h))
            break;
        if (old == NULL || s->last_us < old->last_us)
            old = s;
    }
    DS_ASSERT(steps <= SOURCE_CHAIN_MAX);   /* get_or_create keeps chains at the cap */
    st->stats.lookups++;
    st->stats.lookup_steps += steps;
    if (steps > st->stats.max_chain)
        st->stats.max_chain = steps;
    *stalest = s == NULL && steps >= SOURCE_CHAIN_MAX ? old : NULL;
    return s;
}

/* A profile record takes its address's enrichment when it is made. */
static void copy_geo(struct source *to, const struct source *from)
{
    memcpy(to->country, from->country, sizeof(to->country));
    memcpy(to->asn, from->asn, sizeof(to->asn));
    memcpy(to->as_org, from->as_org, sizeof(to->as_org));
}

static struct source *get_or_create(struct source_table *st, const struct source_key *k,
                                    uint64_t ts_us, bool *created)
{
    uint32_t h = key_hash(st, k);
    struct source *stalest = NULL;
    struct source *s = find_counted(st, k, h, &stalest);
    if (created)
        *created = false;
    if (s)
        return s;
    if (stalest != NULL) {
        /* The chain is at SOURCE_CHAIN_MAX: make room in it. */
        source_evict(st, stalest);
        st->stats.chain_evicted++;
    }
    s = pool_get(st->sources);
    if (s == NULL && !ds_list_empty(&st->lru)) {
        /* At the cap: the least recently seen source makes room. */
        source_evict(st, lru_source(st->lru.tail));
        s = pool_get(st->sources);
    }
    if (s == NULL)
        return NULL;
    s->addr = k->addr;
    s->profile = k->profile;
    s->hash = h;
    s->first_us = s->last_us = ts_us;
    s->hnext = st->hash[h & st->hash_mask];
    st->hash[h & st->hash_mask] = s;
    ds_list_push_head(&st->lru, &s->lru);
    st->stats.created++;
    st->stats.active++;
    if (st->stats.active > st->stats.max_active)
        st->stats.max_active = st->stats.active;
    if (k->profile != SOURCE_PROFILE_ADDRESS) {
        st->stats.profiles++;
        st->stats.profiles_created++;
        const struct source *addr = source_find(st, &k->addr);
        if (addr)
            copy_geo(s, addr);
    }
    if (created)
        *created = true;
    return s;
}

/* ---- per-source pieces ---- */

static struct bucket *bucket_at(const struct source_table *st, struct source *s, uint64_t ts_us,
                                bool create)
{
    uint64_t m = ts_us / DS_US_PER_MIN;
    struct bucket *b = &src_buckets(st, s)[m % st->nbuckets];
    uint32_t tag = (uint32_t)(m + 1);
    if (b->minute == tag)
        return b;
    if (!create || b->minute > tag)
        return NULL;   /* older than the buckets reach */
    b->minute = tag;
    b->turns = 0;
    b->conns = 0;
    return b;
}

static uint64_t host_hash(uint64_t seed, const char *h)
{
    uint64_t x = ds_fnv1a64_init(seed);
    for (; *h; h++) {
        unsigned char c = (unsigned char)*h;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        x = ds_fnv1a64_step(x, c);
    }
    return x ? x : 1;
}

static void hosts_touch(struct source *s, uint64_t seed, const char *host, uint64_t ts_us)
{
    if (host == NULL || *host == '\0')
        return;
    uint64_t h = host_hash(seed, host);
    struct host_ent *empty = NULL, *oldest = NULL;
    for (unsigned i = 0; i < HOSTS_KEPT; i++) {
        struct host_ent *e = &s->hosts[i];
        if (e->hash == h) {
            if (ts_us > e->last_us)
                e->last_us = ts_us;
            return;
        }
        if (e->hash == 0) {
            if (empty == NULL)
                empty = e;
        } else if (oldest == NULL || e->last_us < oldest->last_us) {
            oldest = e;
        }
    }
    struct host_ent *v = empty ? empty : oldest;
    v->hash = h;
    v->last_us = ts_us;
}

static void names_touch(struct name_ent *tab, unsigned n, const char *v, uint64_t ts_us)
{
    if (v == NULL || *v == '\0')
        return;
    struct name_ent *empty = NULL, *oldest = NULL;
    for (unsigned i = 0; i < n; i++) {
        struct name_ent *e = &tab[i];
        if (e->s[0] == '\0') {
            if (empty == NULL)
                empty = e;
        } else if (strncasecmp(e->s, v, NAME_LEN - 1) == 0) {
            if (ts_us > e->last_us)
                e->last_us = ts_us;
            return;
        } else if (oldest == NULL || e->last_us < oldest->last_us) {
            oldest = e;
        }
    }
    struct name_ent *e = empty ? empty : oldest;
    ds_strlcpy(e->s, v, NAME_LEN);
    e->last_us = ts_us;
}

static void note_flow(const struct source_table *st, struct source *s,
                      const struct source_flow *fl, uint64_t ts_us)
{
    hosts_touch(s, st->cfg.host_seed, fl->host, ts_us);
    names_touch(s->ja4s, JA4S_KEPT, fl->ja4, ts_us);
    names_touch(s->providers, NAMES_KEPT, fl->provider, ts_us);
    names_touch(s->services, NAMES_KEPT, fl->service, ts_us);
    names_touch(s->families, NAMES_KEPT, fl->family, ts_us);
    names_touch(s->ech, ECH_KEPT, tls_ech_name(fl->ech), ts_us);
    if (s->has_last && s->last.flow_id == fl->flow_id)
        return;
    struct source_last_flow *l = &s->last;
    l->dst = fl->dst;
    l->vlan = fl->vlan;
    l->sport = fl->sport;
    l->dport = fl->dport;
    l->quic = fl->quic;
    l->ech = fl->ech;
    l->ech_public = fl->ech_public;
    l->flow_id = fl->flow_id;
    ds_strlcpy(l->host, fl->host ? fl->host : "", sizeof(l->host));
    ds_strlcpy(l->provider, fl->provider ? fl->provider : "", sizeof(l->provider));
    ds_strlcpy(l->service, fl->service ? fl->service : "", sizeof(l->service));
    ds_strlcpy(l->ja4, fl->ja4 ? fl->ja4 : "", sizeof(l->ja4));
    ds_strlcpy(l->family, fl->family ? fl->family : "", sizeof(l->family));
    s->has_last = true;
}

/* ---- observations ---- */

int source_flow_start(struct source_table *st, const struct source_flow *fl, uint64_t ts_us,
                      bool *created)
{
    struct source_key k = { fl->src, fl->profile };
    struct source *s = get_or_create(st, &k, ts_us, created);
    if (s == NULL)
        return -1;
    touch(st, s, ts_us);
    if (fl->profile == SOURCE_PROFILE_ADDRESS)
        st->stats.flows++;
    struct bucket *b = bucket_at(st, s, ts_us, true);
    if (b)
        b->conns++;
    s->fs_times[s->fs_total % SOURCE_FLOW_STARTS_KEPT] = ts_us;
    s->fs_total++;
    note_flow(st, s, fl, ts_us);
    return 0;
}

void source_flow_end(struct source_table *st, const struct ds_addr *src, uint64_t ts_us)
{
    struct source_key k = { *src, SOURCE_PROFILE_ADDRESS };
    source_key_flow_end(st, &k, ts_us);
}

void source_key_flow_end(struct source_table *st, const struct source_key *k, uint64_t ts_us)
{
    struct source *s = source_find_key(st, k);
    if (s == NULL) {
        st->stats.stale_ends++;
        return;
    }
    touch(st, s, ts_us);
}

/* A chunk for a source that has none, taken from the least recently seen
 * source holding some (looked for among the oldest 64). A profile record
 * never takes its own address record's. */
static struct turn_chunk *steal_chunk(struct source_table *st, struct source *self)
{
    unsigned visited = 0;
    for (struct source *v = lru_source(st->lru.tail); v != NULL && visited < 64;
         v = lru_source(v->lru.prev), visited++) {
        if (v == self || v->nchunks == 0)
            continue;
        if (self->profile != SOURCE_PROFILE_ADDRESS && v->profile == SOURCE_PROFILE_ADDRESS &&
            memcmp(&v->addr, &self->addr, sizeof(v->addr)) == 0)
            continue;
        source_evict(st, v);
        return pool_get(st->chunks);
    }
    return NULL;
}

static struct src_turn *ring_slot(struct source_table *st, struct source *s)
{
    if (s->ring_len == s->ring_cap && !s->ring_fixed && s->nchunks < st->max_chunks) {
        struct turn_chunk *c = pool_get(st->chunks);
        if (c == NULL && s->nchunks == 0)
            c = steal_chunk(st, s);
        if (c) {
            src_chunks(st, s)[s->nchunks++] = c;
            st->stats.chunks_in_use++;
            s->ring_cap += SOURCE_TURN_CHUNK;
        } else {
            s->ring_fixed = true;
        }
    }
    if (s->ring_cap == 0) {
        st->stats.ring_short++;   /* no chunk to be had: counted, not kept */
        return NULL;
    }
    uint32_t idx;
    if (s->ring_len < s->ring_cap) {
        idx = s->ring_len++;
        s->ring_head = s->ring_len % s->ring_cap;
    } else {
        idx = s->ring_head;
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
        if (s->ring_cap < st->cfg.turns_kept)
            st->stats.ring_short++;
    }
    s->ring_total++;
    return &src_chunks(st, s)[idx / SOURCE_TURN_CHUNK]->t[idx % SOURCE_TURN_CHUNK];
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int source_turn(struct source_table *st, const struct source_flow *fl, const struct turn *t,
                uint64_t ts_us, uint32_t *due, bool *created)
{
    if (due)
        *due = 0;
    struct source_key k = { fl->src, fl->profile };
    struct source *s = get_or_create(st, &k, ts_us, created);
    if (s == NULL)
        return -1;
    touch(st, s, ts_us);
    if (fl->profile == SOURCE_PROFILE_ADDRESS)
        st->stats.turns++;
    struct bucket *b = bucket_at(st, s, t->start_us, true);
    if (b)
        b->turns++;
    source_hours_note(s, t->start_us);
    note_flow(st, s, fl, ts_us);
    struct src_turn *r = ring_slot(st, s);
    if (r) {
        r->start_us = t->start_us;
        r->req_bytes = t->req_bytes;
        r->resp_bytes = t->resp_bytes;
        r->ttfb_us = sat32(t->ttfb_us);
        r->dur_us = sat32(t->resp_dur_us);
        r->conn = (uint32_t)fl->flow_id;
        r->flags = fl->quic ? TURN_F_QUIC : 0;
    }
    s->last_turn_us = ts_us ? ts_us : 1;
    uint64_t every = ds_s_to_us(st->cfg.eval_interval_s);
    uint32_t mask = 0;
    for (unsigned i = 0; i < st->cfg.n_windows; i++) {
        uint64_t last = s->last_due_us[i];
        if (last == 0 || every == 0 || ts_us < last || ts_us - last >= every) {
            mask |= 1u << i;
            s->last_due_us[i] = ts_us ? ts_us : 1;
        }
    }
    if (due)
        *due = mask;
    return 0;
}

uint32_t source_key_overdue(struct source_table *st, const struct source_key *k)
{
    struct source *s = source_find_key(st, k);
    if (s == NULL || s->last_turn_us == 0)
        return 0;
    uint32_t mask = 0;
    for (unsigned i = 0; i < st->cfg.n_windows; i++) {
        if (s->last_turn_us > s->last_due_us[i]) {
            mask |= 1u << i;
            s->last_due_us[i] = s->last_turn_us;
        }
    }
    return mask;
}

int source_set_geo(struct source_table *st, const struct ds_addr *src, const char *country,
                   const char *asn, const char *as_org)
{
    struct source *s = source_find(st, src);
    if (s == NULL)
        return -1;
    ds_strlcpy(s->country, country ? country : "", sizeof(s->country));
    ds_strlcpy(s->asn, asn ? asn : "", sizeof(s->asn));
    ds_strlcpy(s->as_org, as_org ? as_org : "", sizeof(s->as_org));
    return 0;
}

int source_last_flow(const struct source_table *st, const struct ds_addr *src,
                     struct source_last_flow *out)
{
    struct source_key k = { *src, SOURCE_PROFILE_ADDRESS };
    return source_key_last_flow(st, &k, out);
}

int source_key_last_flow(const struct source_table *st, const struct source_key *k,
                         struct source_last_flow *out)
{
    const struct source *s = source_find_key(st, k);
    if (s == NULL || !s->has_last)
        return -1;
    *out = s->last;
    return 0;
}

int source_times(const struct source_table *st, const struct ds_addr *src, uint64_t *first_us,
                 uint64_t *last_us)
{
    const struct source *s = source_find(st, src);
    if (s == NULL)
        return -1;
    if (first_us)
        *first_us = s->first_us;
    if (last_us)
        *last_us = s->last_us;
    return 0;
}

/* ---- the address record through the keyed functions ---- */

int source_features(struct source_table *st, const struct ds_addr *src, uint32_t window_s,
                    uint64_t ts_us, struct features *out)
{
    struct source_key k = { *src, SOURCE_PROFILE_ADDRESS };
    return source_key_features(st, &k, window_s, ts_us, out);
}

int source_requests_bound(const struct source_table *st, const struct ds_addr *src,
                          uint32_t window_s, uint64_t ts_us, uint32_t *n)
{
    struct source_key k = { *src, SOURCE_PROFILE_ADDRESS };
    return source_key_requests_bound(st, &k, window_s, ts_us, n);
}

/* ---- profiles ---- */

uint32_t source_profile_id(const char *family)
{
    if (family == NULL || *family == '\0')
        return SOURCE_PROFILE_ADDRESS;
    uint32_t h = ds_fnv1a32_init(0);
    for (size_t i = 0; family[i] != '\0' && i < NAME_LEN - 1; i++) {
        unsigned char c = (unsigned char)family[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h = ds_fnv1a32_step(h, c);
    }
    return h != SOURCE_PROFILE_ADDRESS ? h : 1;
}

/* Gives p copies of a's ring chunks; when the pool cannot give them all, p
 * starts with an empty ring, as a source that found no chunk does (the
 * turns not copied are counted as ring_short). */
static void clone_ring(struct source_table *st, struct source *p, const struct source *a)
{
    struct turn_chunk **from = src_chunks(st, a);
    struct turn_chunk **to = src_chunks(st, p);
    unsigned got = 0;
    for (; got < a->nchunks; got++) {
        to[got] = pool_get(st->chunks);
        if (to[got] == NULL)
            break;
        memcpy(to[got], from[got], sizeof(*to[got]));
    }
    if (got < a->nchunks) {
        for (unsigned i = 0; i < got; i++)
            pool_put(st->chunks, to[i]);
        st->stats.ring_short += a->ring_len;
        got = 0;
        p->ring_len = p->ring_head = p->ring_cap = 0;
        p->ring_total = 0;
        p->ring_fixed = false;
    }
    p->nchunks = (uint16_t)got;
    st->stats.chunks_in_use += got;
}

/* Copies address record a into the profile record pid of its address (a
 * stale one from an earlier incarnation is replaced): turns, buckets,
 * tables, last flow, geo, hourly load and evaluation times. The address's
 * flows open now were not filed in the copy, and do not end on it (their
 * DETECT_FLOW_PROFILE is clear); those of the stale one do, as any flow
 * ends on the record of its key. */
static void profile_clone(struct source_table *st, struct source *a, uint32_t pid,
                          uint64_t ts_us)
{
    struct source_key k = { a->addr, pid };
    struct source *p = source_find_key(st, &k);
    if (p != NULL)
        source_remove(st, p);
    touch(st, a, ts_us);   /* not the one the new record pushes out */
    p = get_or_create(st, &k, ts_us, NULL);
    if (p == NULL || source_find(st, &k.addr) != a)
        return;   /* a went to make room (a table of one or two) */
    struct source keep = *p;
    memcpy(p, a, st->rec_size);
    p->hnext = keep.hnext;
    p->lru = keep.lru;
    p->profile = pid;
    p->hash = keep.hash;
    p->cluster_profile = SOURCE_PROFILE_ADDRESS;
    clone_ring(st, p, a);
    st->stats.profile_splits++;
}

bool source_profile_split(struct source_table *st, const struct ds_addr *a, const char *family,
                          uint64_t ts_us)
{
    if (family == NULL || *family == '\0')
        return false;
    struct source *s = source_find(st, a);
    if (s == NULL)
        return false;
    const struct name_ent *only = NULL;
    unsigned n = 0;
    for (unsigned i = 0; i < NAMES_KEPT; i++) {
        if (s->families[i].s[0] != '\0') {
            n++;
            only = &s->families[i];
        }
    }
    if (n >= 2)
        return true;
    if (n == 0 || strncasecmp(only->s, family, NAME_LEN - 1) == 0)
        return false;
    profile_clone(st, s, source_profile_id(only->s), ts_us);
    return true;
}

unsigned source_families(const struct source_table *st, const struct ds_addr *a,
                         uint32_t window_s, uint64_t ts_us)
{
    const struct source *s = source_find(st, a);
    if (s == NULL)
        return 0;
    uint64_t w_us = ds_s_to_us(window_s);
    uint64_t wstart = ts_us > w_us ? ts_us - w_us : 0;
    unsigned n = 0;
    for (unsigned i = 0; i < NAMES_KEPT; i++)
        if (s->families[i].s[0] != '\0' && s->families[i].last_us > wstart)
            n++;
    return n;
}

bool source_key_held(const struct source_table *st, const struct source_key *k)
{
    return source_find_key(st, k) != NULL;
}

uint32_t source_cluster_profile(const struct source_table *st, const struct ds_addr *a)
{
    const struct source *s = source_find(st, a);
    return s ? s->cluster_profile : SOURCE_PROFILE_ADDRESS;
}

int source_set_cluster_profile(struct source_table *st, const struct ds_addr *a, uint32_t profile)
{
    struct source *s = source_find(st, a);
    if (s == NULL)
        return -1;
    s->cluster_profile = profile;
    return 0;
}

/* ---- housekeeping ---- */

size_t source_expire(struct source_table *st, uint64_t now_us, size_t max_visit)
{
    uint64_t idle = ds_s_to_us(st->cfg.idle_timeout_s);
    size_t dropped = 0;
    while (!ds_list_empty(&st->lru) && (max_visit == 0 || dropped < max_visit)) {
        struct source *s = lru_source(st->lru.tail);
        if (s->last_us + idle >= now_us)
            break;   /* recency order: everything after it is newer */
        source_remove(st, s);
        st->stats.expired++;
        dropped++;
    }
    return dropped;
}

void source_foreach(struct source_table *st, uint64_t since_us, source_visit_fn fn, void *ctx)
{
    struct source *s = lru_source(st->lru.head);
    while (s != NULL && s->last_us >= since_us) {
        struct source *next = lru_source(s->lru.next);
        if (s->profile == SOURCE_PROFILE_ADDRESS)
            fn(ctx, &s->addr);
        s = next;
    }
}

void source_key_foreach(struct source_table *st, uint64_t since_us, source_key_visit_fn fn,
                        void *ctx)
{
    struct source *s = lru_source(st->lru.head);
    while (s != NULL && s->last_us >= since_us) {
        struct source *next = lru_source(s->lru.next);
        struct source_key k = { s->addr, s->profile };
        fn(ctx, &k);
        s = next;
    }
}

const struct source_stats *source_table_stats(const struct source_table *st)
{
    return &st->stats;
}

size_t source_table_bytes(const struct source_table *st)
{
    return sizeof(*st) + pool_bytes(st->sources) + pool_bytes(st->chunks) +
           (st->hash_mask + 1) * sizeof(*st->hash) + st->sc.bytes;
}

void source_table_stats_write(const struct source_table *st, struct stats_node *root)
{
    const struct source_stats *s = &st->stats;
    size_t bytes = source_table_bytes(st);
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *so = stats_child(me, "sources");
    stats_u64(so, "active", s->active);
    stats_u64(so, "max_active", s->max_active);
    stats_u64(so, "created", s->created);
    stats_u64(so, "evicted", s->evicted);
    stats_u64(so, "chain_evicted", s->chain_evicted);
    stats_u64(so, "expired", s->expired);
    stats_u64(so, "turns", s->turns);
    stats_u64(so, "profiles", s->profiles);
    stats_u64(so, "profiles_created", s->profiles_created);
    stats_u64(so, "profiles_evicted", s->profiles_evicted);
    stats_u64(so, "profile_splits", s->profile_splits);
    stats_u64(so, "bytes", bytes);
    stats_u64(stats_child(me, "memory"), "sources", bytes);
}
