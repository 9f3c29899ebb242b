/* Per-source behaviour state: a bounded table of client addresses (LRU
 * eviction at --max-sources, idle expiry), each with a ring of recent turns,
 * per-minute buckets and small tables of what it talked to, and the feature
 * computation over sliding windows on packet time. See ds/source.h for what
 * is kept and what is approximated. */
#include "ds/source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/log.h"
#include "ds/pool.h"
#include "ds/regularity.h"
#include "ds/stats.h"
#include "ds/util.h"

#define US_PER_S 1000000ull
#define US_PER_MIN (60ull * US_PER_S)
#define HOSTS_KEPT 16
#define JA4S_KEPT 8
#define NAMES_KEPT 4
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
    uint32_t max_conc;
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
    struct source *lprev, *lnext;   /* recency: most recent at the head */
    struct ds_addr addr;
    uint32_t hash;
    uint32_t open_flows;
    uint64_t serial;                /* this record's incarnation: flow tokens */
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
    struct source_last_flow last;
    char country[8];
    char asn[16];
    char as_org[FEATURE_STR_LEN];
    uint64_t last_due_us[SOURCE_MAX_WINDOWS];
    /* followed by: struct turn_chunk *chunks[max_chunks]; struct bucket buckets[nbuckets]; */
};

struct conn_time {
    uint32_t conn;
    double t;
};

#define CONN_SLOTS 256   /* connections told apart per window for conn cadence */

struct conn_slot {
    uint32_t conn;
    bool used;
    double last;
};

struct source_table {
    struct source_config cfg;
    struct pool *sources;
    struct pool *chunks;
    struct source **hash;
    size_t hash_mask;
    struct source *lru_head, *lru_tail;
    uint64_t next_serial;
    unsigned max_chunks;            /* chunk pointers per source */
    unsigned nbuckets;              /* minute buckets per source */
    size_t rec_size;
    size_t chunks_off, buckets_off;
    struct source_stats stats;
    /* scratch for feature computation, turns_kept entries each */
    double *sc_start, *sc_req, *sc_resp, *sc_a, *sc_b;
    struct conn_time *sc_conn;
    size_t scratch_bytes;
};

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
    /* Enough minutes for the largest window to overlap, plus the current one. */
    st->nbuckets = cfg->windows_s[cfg->n_windows - 1] / 60 + 1;
    st->chunks_off = (sizeof(struct source) + 7) & ~(size_t)7;
    st->buckets_off = st->chunks_off + st->max_chunks * sizeof(struct turn_chunk *);
    st->rec_size = st->buckets_off + st->nbuckets * sizeof(struct bucket);
    st->sources = pool_new(st->rec_size, cfg->max_sources, 64);
    st->chunks = pool_new(sizeof(struct turn_chunk), st->cfg.max_turn_chunks, 64);
    size_t hs = 1;
    while (hs < cfg->max_sources)
        hs <<= 1;
    st->hash = xcalloc(hs, sizeof(*st->hash));
    st->hash_mask = hs - 1;
    size_t n = st->cfg.turns_kept;
    st->sc_start = xcalloc(n, sizeof(double));
    st->sc_req = xcalloc(n, sizeof(double));
    st->sc_resp = xcalloc(n, sizeof(double));
    st->sc_a = xcalloc(n, sizeof(double));
    st->sc_b = xcalloc(n, sizeof(double));
    st->sc_conn = xcalloc(n, sizeof(struct conn_time));
    st->scratch_bytes = n * (5 * sizeof(double) + sizeof(struct conn_time));
    return st;
}

void source_table_free(struct source_table *st)
{
    if (st == NULL)
        return;
    pool_free(st->sources);
    pool_free(st->chunks);
    free(st->hash);
    free(st->sc_start);
    free(st->sc_req);
    free(st->sc_resp);
    free(st->sc_a);
    free(st->sc_b);
    free(st->sc_conn);
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

static struct turn_chunk **src_chunks(const struct source_table *st, const struct source *s)
{
    return (struct turn_chunk **)((unsigned char *)s + st->chunks_off);
}

static struct bucket *src_buckets(const struct source_table *st, const struct source *s)
{
    return (struct bucket *)((unsigned char *)s + st->buckets_off);
}

static uint32_t addr_hash(const struct source_table *st, const struct ds_addr *a)
{
    return (uint32_t)ds_addr_hash(a, st->cfg.seed);
}

static struct source *find(const struct source_table *st, const struct ds_addr *a, uint32_t h)
{
    for (struct source *s = st->hash[h & st->hash_mask]; s; s = s->hnext)
        if (s->hash == h && memcmp(&s->addr, a, sizeof(*a)) == 0)
            return s;
    return NULL;
}

static struct source *lookup(const struct source_table *st, const struct ds_addr *a)
{
    return find(st, a, addr_hash(st, a));
}

static void lru_unlink(struct source_table *st, struct source *s)
{
    if (s->lprev)
        s->lprev->lnext = s->lnext;
    else
        st->lru_head = s->lnext;
    if (s->lnext)
        s->lnext->lprev = s->lprev;
    else
        st->lru_tail = s->lprev;
    s->lprev = s->lnext = NULL;
}

static void lru_push_head(struct source_table *st, struct source *s)
{
    s->lprev = NULL;
    s->lnext = st->lru_head;
    if (st->lru_head)
        st->lru_head->lprev = s;
    st->lru_head = s;
    if (st->lru_tail == NULL)
        st->lru_tail = s;
}

static void touch(struct source_table *st, struct source *s, uint64_t ts_us)
{
    if (ts_us > s->last_us)
        s->last_us = ts_us;
    if (st->lru_head != s) {
        lru_unlink(st, s);
        lru_push_head(st, s);
    }
}

static void source_remove(struct source_table *st, struct source *s)
{
    struct source **pp = &st->hash[s->hash & st->hash_mask];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
    lru_unlink(st, s);
    struct turn_chunk **ch = src_chunks(st, s);
    for (unsigned i = 0; i < s->nchunks; i++)
        pool_put(st->chunks, ch[i]);
    st->stats.chunks_in_use -= s->nchunks;
    pool_put(st->sources, s);
    st->stats.active--;
}

static struct source *get_or_create(struct source_table *st, const struct ds_addr *a,
                                    uint64_t ts_us, bool *created)
{
    uint32_t h = addr_hash(st, a);
    struct source *s = find(st, a, h);
    if (created)
        *created = false;
    if (s)
        return s;
    s = pool_get(st->sources);
    if (s == NULL && st->lru_tail) {
        /* At the cap: the least recently seen source makes room. */
        source_remove(st, st->lru_tail);
        st->stats.evicted++;
        s = pool_get(st->sources);
    }
    if (s == NULL)
        return NULL;
    s->addr = *a;
    s->hash = h;
    s->serial = ++st->next_serial;
    s->first_us = s->last_us = ts_us;
    s->hnext = st->hash[h & st->hash_mask];
    st->hash[h & st->hash_mask] = s;
    lru_push_head(st, s);
    st->stats.created++;
    st->stats.active++;
    if (st->stats.active > st->stats.max_active)
        st->stats.max_active = st->stats.active;
    if (created)
        *created = true;
    return s;
}

/* ---- per-source pieces ---- */

static struct bucket *bucket_at(const struct source_table *st, struct source *s, uint64_t ts_us,
                                bool create)
{
    uint64_t m = ts_us / US_PER_MIN;
    struct bucket *b = &src_buckets(st, s)[m % st->nbuckets];
    uint32_t tag = (uint32_t)(m + 1);
    if (b->minute == tag)
        return b;
    if (!create || b->minute > tag)
        return NULL;   /* older than the buckets reach */
    b->minute = tag;
    b->turns = 0;
    b->conns = 0;
    /* Connections open when a minute starts were open during it. */
    b->max_conc = s->open_flows;
    return b;
}

static const struct bucket *bucket_get(const struct source_table *st, const struct source *s,
                                       uint64_t minute)
{
    const struct bucket *b = &src_buckets(st, s)[minute % st->nbuckets];
    return b->minute == (uint32_t)(minute + 1) ? b : NULL;
}

static uint64_t host_hash(const char *h)
{
    uint64_t x = 0xcbf29ce484222325ull;
    for (; *h; h++) {
        unsigned char c = (unsigned char)*h;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        x ^= c;
        x *= 0x100000001b3ull;
    }
    return x ? x : 1;
}

static void hosts_touch(struct source *s, const char *host, uint64_t ts_us)
{
    if (host == NULL || *host == '\0')
        return;
    uint64_t h = host_hash(host);
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

static void note_flow(struct source *s, const struct source_flow *fl, uint64_t ts_us)
{
    hosts_touch(s, fl->host, ts_us);
    names_touch(s->ja4s, JA4S_KEPT, fl->ja4, ts_us);
    names_touch(s->providers, NAMES_KEPT, fl->provider, ts_us);
    names_touch(s->services, NAMES_KEPT, fl->service, ts_us);
    names_touch(s->families, NAMES_KEPT, fl->family, ts_us);
    if (s->has_last && s->last.flow_id == fl->flow_id)
        return;
    struct source_last_flow *l = &s->last;
    l->dst = fl->dst;
    l->dport = fl->dport;
    l->quic = fl->quic;
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
                      uint64_t *token, bool *created)
{
    struct source *s = get_or_create(st, &fl->src, ts_us, created);
    if (s == NULL)
        return -1;
    touch(st, s, ts_us);
    st->stats.flows++;
    s->open_flows++;
    struct bucket *b = bucket_at(st, s, ts_us, true);
    if (b) {
        b->conns++;
        if (s->open_flows > b->max_conc)
            b->max_conc = s->open_flows;
    }
    s->fs_times[s->fs_total % SOURCE_FLOW_STARTS_KEPT] = ts_us;
    s->fs_total++;
    note_flow(s, fl, ts_us);
    if (token)
        *token = s->serial;
    return 0;
}

void source_flow_end(struct source_table *st, const struct ds_addr *src, uint64_t ts_us,
                     uint64_t token)
{
    struct source *s = lookup(st, src);
    if (s == NULL || token != s->serial) {
        st->stats.stale_ends++;
        return;
    }
    /* The minute the count drops still saw the connections open. */
    bucket_at(st, s, ts_us, true);
    if (s->open_flows > 0)
        s->open_flows--;
    touch(st, s, ts_us);
}

/* A chunk for a source that has none, taken from the least recently seen
 * source holding some (looked for among the oldest 64). */
static struct turn_chunk *steal_chunk(struct source_table *st, struct source *self)
{
    unsigned visited = 0;
    for (struct source *v = st->lru_tail; v && visited < 64; v = v->lprev, visited++) {
        if (v == self || v->nchunks == 0)
            continue;
        source_remove(st, v);
        st->stats.evicted++;
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
    struct source *s = get_or_create(st, &fl->src, ts_us, created);
    if (s == NULL)
        return -1;
    touch(st, s, ts_us);
    st->stats.turns++;
    struct bucket *b = bucket_at(st, s, t->start_us, true);
    if (b)
        b->turns++;
    note_flow(s, fl, ts_us);
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
    uint64_t every = (uint64_t)st->cfg.eval_interval_s * US_PER_S;
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

int source_set_geo(struct source_table *st, const struct ds_addr *src, const char *country,
                   const char *asn, const char *as_org)
{
    struct source *s = lookup(st, src);
    if (s == NULL)
        return -1;
    ds_strlcpy(s->country, country ? country : "", sizeof(s->country));
    ds_strlcpy(s->asn, asn ? asn : "", sizeof(s->asn));
    ds_strlcpy(s->as_org, as_org ? as_org : "", sizeof(s->as_org));
    return 0;
}

int source_requests_bound(const struct source_table *st, const struct ds_addr *src,
                          uint32_t window_s, uint64_t ts_us, uint32_t *n)
{
    const struct source *s = lookup(st, src);
    if (s == NULL)
        return -1;
    /* Every minute the window touches, its partial first minute included:
     * never less than the exact count source_features would give. */
    uint64_t wstart = ts_us > (uint64_t)window_s * US_PER_S ? ts_us - (uint64_t)window_s * US_PER_S : 0;
    uint64_t sum = 0;
    for (uint64_t m = wstart / US_PER_MIN; m <= ts_us / US_PER_MIN; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b)
            sum += b->turns;
    }
    *n = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    return 0;
}

int source_last_flow(const struct source_table *st, const struct ds_addr *src,
                     struct source_last_flow *out)
{
    const struct source *s = lookup(st, src);
    if (s == NULL || !s->has_last)
        return -1;
    *out = s->last;
    return 0;
}

int source_times(const struct source_table *st, const struct ds_addr *src, uint64_t *first_us,
                 uint64_t *last_us)
{
    const struct source *s = lookup(st, src);
    if (s == NULL)
        return -1;
    if (first_us)
        *first_us = s->first_us;
    if (last_us)
        *last_us = s->last_us;
    return 0;
}

/* ---- features ---- */

/* Values of a name table seen after wstart, most recent first, into a string
 * feature; returns how many there were. */
static unsigned names_feature(const struct name_ent *tab, unsigned n, uint64_t wstart,
                              struct features *f, int id)
{
    const struct name_ent *order[JA4S_KEPT];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < JA4S_KEPT; i++) {
        if (tab[i].s[0] == '\0' || tab[i].last_us <= wstart)
            continue;
        unsigned j = k++;
        while (j > 0 && order[j - 1]->last_us < tab[i].last_us) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = &tab[i];
    }
    if (id >= 0)
        for (unsigned i = 0; i < k; i++)
            features_add_str(f, id, order[i]->s);
    return k;
}

/* Requests (or connections) that started in (wstart, kept_min) -- the part
 * of a window older than what the ring still holds -- from the minute
 * buckets: whole minutes count exactly; the minute of kept_min counts its
 * total less the `kept_in_mk` entries the ring still holds from it; the
 * window's partial first minute is prorated. */
static double older_count(const struct source_table *st, const struct source *s, uint64_t wstart,
                          uint64_t kept_min, uint64_t kept_in_mk, bool conns)
{
    if (kept_min <= wstart)
        return 0;
    uint64_t mw = wstart / US_PER_MIN, mk = kept_min / US_PER_MIN;
    const struct bucket *b = bucket_get(st, s, mk);
    double in_mk = 0;
    if (b) {
        uint64_t n = conns ? b->conns : b->turns;
        in_mk = n > kept_in_mk ? (double)(n - kept_in_mk) : 0.0;
    }
    if (mk == mw) {
        /* all in one minute: the share of [minute start, kept_min) after wstart */
        double span = (double)(kept_min - mk * US_PER_MIN);
        return span > 0 ? in_mk * (double)(kept_min - wstart) / span : 0.0;
    }
    double sum = in_mk;
    for (uint64_t m = mw + 1; m < mk; m++) {
        const struct bucket *x = bucket_get(st, s, m);
        if (x)
            sum += conns ? x->conns : x->turns;
    }
    const struct bucket *first = bucket_get(st, s, mw);
    if (first)
        sum += (double)(conns ? first->conns : first->turns) *
               (double)((mw + 1) * US_PER_MIN - wstart) / (double)US_PER_MIN;
    return sum;
}

/* Longest run of full minutes in [lo_us, hi_us) without a request, in seconds. */
static double bucket_idle(const struct source_table *st, const struct source *s, uint64_t lo_us,
                          uint64_t hi_us)
{
    uint64_t run = 0, best = 0;
    uint64_t m0 = (lo_us + US_PER_MIN - 1) / US_PER_MIN;
    for (uint64_t m = m0; (m + 1) * US_PER_MIN <= hi_us; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b == NULL || b->turns == 0) {
            run++;
            if (run > best)
                best = run;
        } else {
            run = 0;
        }
    }
    return (double)best * 60.0;
}

static void minute_features(const struct source_table *st, const struct source *s,
                            uint64_t wstart, uint64_t ts_us, struct features *out)
{
    /* Full minutes inside the window, plus the current minute once it has
     * seen activity: a minute still in progress never counts against. */
    uint64_t m_first = (wstart + US_PER_MIN - 1) / US_PER_MIN;
    uint64_t m_now = ts_us / US_PER_MIN;
    unsigned minutes = 0, active = 0, maxc = s->open_flows;
    double counts[SOURCE_MAX_WINDOW_S / 60 + 2];
    unsigned nc = 0;
    for (uint64_t m = wstart / US_PER_MIN; m <= m_now; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b && b->max_conc > maxc)
            maxc = b->max_conc;
        bool act = b && (b->turns > 0 || b->conns > 0);
        if (m < m_first)
            continue;   /* the window's partial first minute */
        if (m == m_now && (m + 1) * US_PER_MIN > ts_us) {
            if (act) {
                minutes++;
                active++;
            }
            continue;
        }
        minutes++;
        active += act;
        if (nc < DS_ARRAY_LEN(counts))
            counts[nc++] = b ? (double)b->turns : 0.0;
    }
    features_set_num(out, FEAT_MAX_CONCURRENCY, maxc);
    if (minutes > 0)
        features_set_num(out, FEAT_DUTY_CYCLE, (double)active / minutes);
    double flat;
    if (nc >= 2 && reg_cv_score(counts, nc, &flat) == 0)
        features_set_num(out, FEAT_RATE_FLATNESS, flat);
}

static const struct src_turn *ring_at(const struct source_table *st, const struct source *s,
                                      uint32_t i)
{
    uint32_t start = s->ring_len < s->ring_cap ? 0 : s->ring_head;
    uint32_t idx = (start + i) % s->ring_cap;
    return &src_chunks(st, s)[idx / SOURCE_TURN_CHUNK]->t[idx % SOURCE_TURN_CHUNK];
}

static void turn_features(struct source_table *st, const struct source *s, uint64_t wstart,
                          uint64_t ts_us, struct features *out)
{
    size_t k = 0, n_ttfb = 0, n_dur = 0, n_quic = 0;
    double sum_req = 0, sum_resp = 0, sum_ttfb = 0, sum_dur = 0, max_dur = 0;
    uint64_t kept_min = UINT64_MAX;
    for (uint32_t i = 0; i < s->ring_len; i++) {
        const struct src_turn *t = ring_at(st, s, i);
        if (t->start_us < kept_min)
            kept_min = t->start_us;
        if (t->start_us <= wstart || t->start_us > ts_us)
            continue;
        st->sc_start[k] = (double)(t->start_us - wstart) / 1000.0; /* ms */
        st->sc_req[k] = t->req_bytes;
        st->sc_resp[k] = t->resp_bytes;
        st->sc_conn[k].conn = t->conn;
        st->sc_conn[k].t = st->sc_start[k];
        sum_req += t->req_bytes;
        sum_resp += t->resp_bytes;
        if (t->ttfb_us > 0) {
            sum_ttfb += t->ttfb_us;
            n_ttfb++;
        }
        if (t->resp_bytes > 0) {
            sum_dur += t->dur_us;
            if (t->dur_us > max_dur)
                max_dur = t->dur_us;
            n_dur++;
        }
        if (t->flags & TURN_F_QUIC)
            n_quic++;
        k++;
    }
    /* The ring covers the window unless turns were overwritten and the
     * oldest kept one started inside the window. */
    bool covered = s->ring_total == s->ring_len || kept_min <= wstart;
    uint64_t requests = k;
    if (!covered) {
        uint64_t mk = kept_min / US_PER_MIN, kept_in_mk = 0;
        for (uint32_t i = 0; i < s->ring_len; i++)
            if (ring_at(st, s, i)->start_us / US_PER_MIN == mk)
                kept_in_mk++;
        requests += (uint64_t)llround(older_count(st, s, wstart, kept_min, kept_in_mk, false));
    }
    features_set_num(out, FEAT_REQUESTS, (double)requests);

    /* new connections: the ring of recent flow starts, then the buckets */
    uint64_t conns = 0, fs_min = UINT64_MAX;
    unsigned fs_n = s->fs_total < SOURCE_FLOW_STARTS_KEPT ? s->fs_total : SOURCE_FLOW_STARTS_KEPT;
    for (unsigned i = 0; i < fs_n; i++) {
        uint64_t t = s->fs_times[i];
        if (t < fs_min)
            fs_min = t;
        if (t > wstart && t <= ts_us)
            conns++;
    }
    if (s->fs_total > SOURCE_FLOW_STARTS_KEPT && fs_min > wstart) {
        uint64_t mk = fs_min / US_PER_MIN, kept_in_mk = 0;
        for (unsigned i = 0; i < fs_n; i++)
            if (s->fs_times[i] / US_PER_MIN == mk)
                kept_in_mk++;
        conns += (uint64_t)llround(older_count(st, s, wstart, fs_min, kept_in_mk, true));
    }
    features_set_num(out, FEAT_NEW_CONNECTIONS, (double)conns);

    uint64_t age = ts_us > s->first_us ? ts_us - s->first_us : 0;
    uint64_t span = ts_us - wstart;
    if (age < span)
        span = age;
    if (span < US_PER_MIN)
        span = US_PER_MIN;
    /* span is at most the window, far below 2^53 us: exact as a double */
    features_set_num(out, FEAT_REQUESTS_PER_MINUTE,
                     (double)requests * (double)US_PER_MIN / (double)span);
    if (conns > 0)
        features_set_num(out, FEAT_REQUESTS_PER_CONNECTION, (double)requests / (double)conns);

    /* idle: from the later of the window start and the first packet */
    uint64_t lo = wstart > s->first_us ? wstart : s->first_us;
    double idle = 0;
    if (!covered) {
        idle = bucket_idle(st, s, lo, kept_min);
        lo = kept_min;
    }
    if (k == 0) {
        double d = ts_us > lo ? (double)(ts_us - lo) / 1e6 : 0;
        if (d > idle)
            idle = d;
        features_set_num(out, FEAT_LONGEST_IDLE_S, idle);
        return;
    }

    /* cadence: gaps between sorted starts, in milliseconds */
    memcpy(st->sc_a, st->sc_start, k * sizeof(double));
    reg_sort(st->sc_a, k);
    double lo_ms = lo > wstart ? (double)(lo - wstart) / 1000.0 : 0.0;
    double hi_ms = (double)(ts_us - wstart) / 1000.0;
    double g = st->sc_a[0] - lo_ms;
    if (g > idle * 1000.0)
        idle = g / 1000.0;
    g = hi_ms - st->sc_a[k - 1];
    if (g > idle * 1000.0)
        idle = g / 1000.0;
    for (size_t i = 0; i + 1 < k; i++) {
        double d = st->sc_a[i + 1] - st->sc_a[i];
        st->sc_b[i] = d;
        if (d > idle * 1000.0)
            idle = d / 1000.0;
    }
    features_set_num(out, FEAT_LONGEST_IDLE_S, idle < 0 ? 0 : idle);
    double mean, cv;
    if (k >= 3 && reg_cv(st->sc_b, k - 1, &mean, &cv) == 0) {
        features_set_num(out, FEAT_GAP_MEAN_S, mean / 1000.0);
        features_set_num(out, FEAT_GAP_CV, cv);
    }
    struct reg_result r;
    memcpy(st->sc_a, st->sc_start, k * sizeof(double));
    if (reg_gap_score(st->sc_a, k, st->sc_b, &r) == 0) {
        features_set_num(out, FEAT_CADENCE_REGULARITY, r.score);
        features_set_num(out, FEAT_GAP_SKEW, r.skew);
        features_set_num(out, FEAT_GAP_MAD_S, r.mad / 1000.0);
    }

    /* per-connection cadence: gaps between turns of the same connection.
     * The ring is in completion order, which on one connection is start
     * order, so one pass with each connection's last start is enough. */
    struct conn_slot conns_seen[CONN_SLOTS];
    memset(conns_seen, 0, sizeof(conns_seen));
    size_t ng = 0, nslots = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t c = st->sc_conn[i].conn;
        uint32_t h = (c * 2654435761u) & (CONN_SLOTS - 1);
        while (conns_seen[h].used && conns_seen[h].conn != c)
            h = (h + 1) & (CONN_SLOTS - 1);
        struct conn_slot *cs = &conns_seen[h];
        double t = st->sc_conn[i].t;
        if (cs->used) {
            if (t > cs->last) {
                st->sc_a[ng++] = t - cs->last;
                cs->last = t;
            }
        } else if (nslots < CONN_SLOTS - 1) {
            /* beyond that many connections in a window, new ones go unscored */
            cs->used = true;
            cs->conn = c;
            cs->last = t;
            nslots++;
        }
    }
    if (ng >= 3 && reg_score(st->sc_a, ng, REG_DEFAULT_MAD_GAPS, st->sc_b, &r) == 0)
        features_set_num(out, FEAT_CONN_CADENCE_REGULARITY, r.score);

    /* sizes */
    if (k >= 2 && reg_cv(st->sc_req, k, &mean, &cv) == 0) {
        features_set_num(out, FEAT_REQUEST_SIZE_MEAN, mean);
        features_set_num(out, FEAT_REQUEST_SIZE_CV, cv);
    } else {
        features_set_num(out, FEAT_REQUEST_SIZE_MEAN, sum_req / (double)k);
    }
    if (k >= 2 && reg_cv(st->sc_resp, k, &mean, &cv) == 0) {
        features_set_num(out, FEAT_RESPONSE_SIZE_MEAN, mean);
        features_set_num(out, FEAT_RESPONSE_SIZE_CV, cv);
    } else {
        features_set_num(out, FEAT_RESPONSE_SIZE_MEAN, sum_resp / (double)k);
    }
    memcpy(st->sc_a, st->sc_req, k * sizeof(double));
    if (reg_size_score(st->sc_a, k, st->sc_b, &r) == 0)
        features_set_num(out, FEAT_SIZE_REGULARITY, r.score);
    if (sum_req > 0)
        features_set_num(out, FEAT_RESPONSE_REQUEST_RATIO, sum_resp / sum_req);
    if (n_ttfb > 0)
        features_set_num(out, FEAT_TTFB_MEAN_MS, sum_ttfb / (double)n_ttfb / 1000.0);
    if (n_dur > 0) {
        features_set_num(out, FEAT_RESPONSE_DURATION_MEAN_MS, sum_dur / (double)n_dur / 1000.0);
        features_set_num(out, FEAT_RESPONSE_DURATION_MAX_MS, max_dur / 1000.0);
    }
    features_set_num(out, FEAT_QUIC_SHARE, (double)n_quic / (double)k);
}

int source_features(struct source_table *st, const struct ds_addr *src, uint32_t window_s,
                    uint64_t ts_us, struct features *out)
{
    const struct source *s = lookup(st, src);
    if (s == NULL || source_window_index(st, window_s) < 0)
        return -1;
    features_clear(out);
    out->window_s = window_s;
    out->ts_us = ts_us;
    uint64_t w_us = (uint64_t)window_s * US_PER_S;
    uint64_t wstart = ts_us > w_us ? ts_us - w_us : 0;

    turn_features(st, s, wstart, ts_us, out);
    minute_features(st, s, wstart, ts_us, out);

    /* What the source talked to, and with what, in the window. */
    unsigned nh = 0;
    for (unsigned i = 0; i < HOSTS_KEPT; i++)
        if (s->hosts[i].hash != 0 && s->hosts[i].last_us > wstart)
            nh++;
    features_set_num(out, FEAT_DISTINCT_HOSTS, nh);
    features_set_num(out, FEAT_DISTINCT_JA4,
                     names_feature(s->ja4s, JA4S_KEPT, wstart, out, FEAT_JA4));
    features_set_num(out, FEAT_DISTINCT_PROVIDERS,
                     names_feature(s->providers, NAMES_KEPT, wstart, out, FEAT_PROVIDER));
    features_set_num(out, FEAT_DISTINCT_SERVICES,
                     names_feature(s->services, NAMES_KEPT, wstart, out, FEAT_SERVICE));
    features_set_num(out, FEAT_DISTINCT_FAMILIES,
                     names_feature(s->families, NAMES_KEPT, wstart, out,
                                   FEAT_FINGERPRINT_FAMILY));
    features_add_str(out, FEAT_COUNTRY, s->country);
    features_add_str(out, FEAT_ASN, s->asn);
    features_add_str(out, FEAT_AS_ORG, s->as_org);
    return 0;
}

/* ---- housekeeping ---- */

size_t source_expire(struct source_table *st, uint64_t now_us, size_t max_visit)
{
    uint64_t idle = (uint64_t)st->cfg.idle_timeout_s * US_PER_S;
    size_t dropped = 0;
    while (st->lru_tail && (max_visit == 0 || dropped < max_visit)) {
        struct source *s = st->lru_tail;
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
    struct source *s = st->lru_head;
    while (s && s->last_us >= since_us) {
        struct source *next = s->lnext;
        fn(ctx, &s->addr);
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
           (st->hash_mask + 1) * sizeof(*st->hash) + st->scratch_bytes;
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
    stats_u64(so, "expired", s->expired);
    stats_u64(so, "turns", s->turns);
    stats_u64(so, "bytes", bytes);
    stats_u64(stats_child(me, "memory"), "sources", bytes);
}
