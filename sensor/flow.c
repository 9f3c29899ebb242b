/* Flow table: bidirectional flows (the 5-tuple and the VLAN tags, as
 * Suricata keys them; --no-vlan-key leaves the tags out) in a chained hash
 * with a seeded, symmetric hash (both directions of a connection land in one
 * bucket), taken from a pool capped at --max-flows.
 *
 * The seed is the run's (seed.h: random live, fixed offline). Whatever the
 * seed, no chain grows past FLOW_CHAIN_MAX: a new flow whose bucket is full
 * first evicts the least recently seen flow of that chain (counted), so a
 * lookup walks at most FLOW_CHAIN_MAX flows and never misses one that is in
 * the table.
 *
 * Idle order is kept in one list per timeout class (new, established, closed,
 * UDP): within a class every flow has the same timeout, so the head of each
 * list is the next to expire and expiry never scans. At the cap the table
 * enters the memcap's emergency mode and evicts the least useful of the
 * longest idle flows (FLOW_EVICT_SCAN of each list: never-followed flows
 * first, followed ones last), counted by kind; in emergency the timeouts
 * are Suricata's emergency ones and an expiry pass ends more flows, until
 * the table is back under the recovery level. Packet time is the clock. */
#include "ds/flow.h"

#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/hash.h"
#include "ds/list.h"
#include "ds/memcap.h"
#include "ds/pool.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

enum tclass { TC_NEW = 0, TC_EST, TC_CLOSED, TC_UDP, TC_MAX };

struct flow_table {
    struct flow_config cfg;
    struct pool *pool;
    struct flow **buckets;
    size_t nbuckets;                 /* power of two */
    struct ds_list lists[TC_MAX];    /* idle order by class, oldest at the head */
    struct ds_list app_list;         /* flows holding app state, idle order */
    uint64_t timeout_us[TC_MAX];
    uint64_t emerg_timeout_us[TC_MAX]; /* in emergency mode: never longer than the above */
    uint64_t next_id;
    flow_end_fn end_fn;
    void *ctx;
    struct flow_stats st;
};

void flow_config_default(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_flows = 262144;
    cfg->timeout_new_s = 60;
    cfg->timeout_est_s = 600;
    cfg->timeout_closed_s = 30;
    cfg->timeout_udp_s = 300;
    cfg->seed = 0x5eed1e55u;
    cfg->vlan_key = true;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn end_fn, void *ctx)
{
    struct flow_table *ft = xcalloc(1, sizeof(*ft));
    ft->cfg = *cfg;
    if (ft->cfg.max_flows == 0)
        ft->cfg.max_flows = 1;
    ft->nbuckets = 1024;
    while (ft->nbuckets < ft->cfg.max_flows && ft->nbuckets < ((size_t)1 << 26))
        ft->nbuckets <<= 1;
    ft->buckets = xcalloc(ft->nbuckets, sizeof(*ft->buckets));
    ft->pool = pool_new(sizeof(struct flow), ft->cfg.max_flows, 1024);
    ft->timeout_us[TC_NEW] = ds_s_to_us(cfg->timeout_new_s);
    ft->timeout_us[TC_EST] = ds_s_to_us(cfg->timeout_est_s);
    ft->timeout_us[TC_CLOSED] = ds_s_to_us(cfg->timeout_closed_s);
    ft->timeout_us[TC_UDP] = ds_s_to_us(cfg->timeout_udp_s);
    const uint32_t emerg_s[TC_MAX] = { FLOW_EMERG_NEW_S, FLOW_EMERG_EST_S, FLOW_EMERG_CLOSED_S,
                                       FLOW_EMERG_UDP_S };
    for (int c = 0; c < TC_MAX; c++) {
        uint64_t e = ds_s_to_us(emerg_s[c]);
        ft->emerg_timeout_us[c] = e < ft->timeout_us[c] ? e : ft->timeout_us[c];
    }
    ft->end_fn = end_fn;
    ft->ctx = ctx;
    return ft;
}

static enum tclass flow_tclass(const struct flow *f)
{
    if (f->state == FLOW_STATE_CLOSED)
        return TC_CLOSED;
    if (f->state == FLOW_STATE_NEW)
        return TC_NEW;
    return f->proto == DS_IPPROTO_UDP ? TC_UDP : TC_EST;
}

/* The longest idle flow of an idle list, NULL if it is empty. */
static struct flow *idle_oldest(const struct ds_list *l)
{
    return DS_LIST_ENTRY(l->head, struct flow, idle);
}

static uint64_t endpoint_hash(const struct ds_addr *a, uint16_t port)
{
    return ds_mix64(ds_addr_hash(a, 0) ^ port);
}

/* A packet's VLAN tags as one word for the hash: 12 bits an id, the count
 * above them; 0 when untagged, so an untagged flow hashes as it did before
 * tags were keyed. */
static uint64_t vlan_word(const struct ds_vlan *v)
{
    uint64_t w = (uint64_t)v->n << (12 * DS_VLAN_MAX);
    for (unsigned i = 0; i < v->n && i < DS_VLAN_MAX; i++)
        w |= (uint64_t)(v->id[i] & 0x0fffu) << (12 * i);
    return w;
}

/* Symmetric: the two endpoints are combined with + so their order does not
 * matter, and so are the VLAN tags (both directions carry the same ones);
 * the seed (the run's, seed.h) is mixed in last. */
static uint32_t flow_hash(uint32_t seed, uint8_t proto, const struct ds_addr *a, uint16_t ap,
                          const struct ds_addr *b, uint16_t bp, uint64_t vlan)
{
    uint64_t h = endpoint_hash(a, ap) + endpoint_hash(b, bp) + ds_mix64(vlan);
    return (uint32_t)ds_mix64(h ^ ((uint64_t)seed << 8) ^ proto);
}

uint32_t flow_packet_hash(uint32_t seed, const struct packet *p)
{
    return flow_hash(seed, p->proto, &p->src, p->sport, &p->dst, p->dport, vlan_word(&p->vlan));
}

/* The hash of p's flow in table ft: its tags count only where they are
 * part of the key. */
static uint32_t table_hash(const struct flow_table *ft, const struct packet *p)
{
    if (ft->cfg.vlan_key)
        return flow_packet_hash(ft->cfg.seed, p);
    return flow_hash(ft->cfg.seed, p->proto, &p->src, p->sport, &p->dst, p->dport, 0);
}

/* The hash of flow f's key in table ft: the hash of any of its packets
 * (symmetric, and its tags are the packets'), computed again rather than
 * kept in every flow. */
static uint32_t flow_key_hash(const struct flow_table *ft, const struct flow *f)
{
    uint64_t vlan = ft->cfg.vlan_key ? vlan_word(&f->vlan) : 0;
    return flow_hash(ft->cfg.seed, f->proto, &f->cli, f->cport, &f->srv, f->sport, vlan);
}

static bool vlan_matches(const struct flow_table *ft, const struct flow *f,
                         const struct packet *p)
{
    if (!ft->cfg.vlan_key)
        return true;
    return f->vlan.n == p->vlan.n && memcmp(f->vlan.id, p->vlan.id, sizeof(f->vlan.id)) == 0;
}

static bool flow_matches(const struct flow_table *ft, const struct flow *f,
                         const struct packet *p, enum flow_dir *dir)
{
    if (f->proto != p->proto || !vlan_matches(ft, f, p))
        return false;
    if (f->cport == p->sport && f->sport == p->dport &&
        memcmp(&f->cli, &p->src, sizeof(f->cli)) == 0 &&
        memcmp(&f->srv, &p->dst, sizeof(f->srv)) == 0) {
        *dir = FLOW_TOSERVER;
        return true;
    }
    if (f->cport == p->dport && f->sport == p->sport &&
        memcmp(&f->cli, &p->dst, sizeof(f->cli)) == 0 &&
        memcmp(&f->srv, &p->src, sizeof(f->srv)) == 0) {
        *dir = FLOW_TOCLIENT;
        return true;
    }
    return false;
}

static void bucket_remove(struct flow_table *ft, struct flow *f)
{
    struct flow **pp = &ft->buckets[flow_key_hash(ft, f) & (ft->nbuckets - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    f->hnext = NULL;
}

static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end why)
{
    f->end = (uint8_t)why;
    if (ft->end_fn)
        ft->end_fn(ft->ctx, f);
    ds_list_unlink(&ft->lists[flow_tclass(f)], &f->idle);
    if (f->flags & FLOW_F_APP_LISTED)
        ds_list_unlink(&ft->app_list, &f->app_idle);
    bucket_remove(ft, f);
    pool_put(ft->pool, f);
    ft->st.ended++;
    ft->st.active--;
    if (why == FLOW_END_TIMEOUT)
        ft->st.timed_out++;
    else if (why == FLOW_END_EVICTED)
        ft->st.evicted++;
    if (memcap_emergency(ft->cfg.memcap))
        memcap_fill(ft->cfg.memcap, MEMCAP_FLOWS, pool_in_use(ft->pool), pool_cap(ft->pool));
}

/* How useful a flow's state is, least first: 0 will never be followed
 * (ignored, or one side of a connection with no handshake seen: a
 * half-open SYN), 1 not decided yet, 2 followed. */
static int flow_rank(const struct flow *f)
{
    if (f->flags & FLOW_F_FOLLOW)
        return 2;
    if ((f->flags & FLOW_F_IGNORE) ||
        (f->state == FLOW_STATE_NEW && !(f->flags & (FLOW_F_TLS | FLOW_F_QUIC))))
        return 0;
    return 1;
}

/* Of the first FLOW_EVICT_SCAN flows of list l (linked through the node
 * at `off` in struct flow), the lowest rank, the longest idle within it,
 * if better than *best; never `keep`. */
static void scan_list(const struct ds_list *l, size_t off, const struct flow *keep,
                      struct flow **best, int *best_rank)
{
    struct ds_list_node *n = l->head;
    for (unsigned i = 0; n != NULL && i < FLOW_EVICT_SCAN; i++, n = n->next) {
        struct flow *f = (struct flow *)(void *)((char *)n - off);
        if (f == keep)
            continue;
        int r = flow_rank(f);
        if (r < *best_rank || (r == *best_rank && f->last_us < (*best)->last_us)) {
            *best = f;
            *best_rank = r;
        }
    }
}

/* The flow to evict: of the FLOW_EVICT_SCAN longest idle of each class,
 * the lowest rank, the longest idle within it. NULL if there is none. */
static struct flow *evict_candidate(struct flow_table *ft)
{
    struct flow *best = NULL;
    int best_rank = 3;
    for (int c = 0; c < TC_MAX; c++)
        scan_list(&ft->lists[c], offsetof(struct flow, idle), NULL, &best, &best_rank);
    return best;
}

/* Ends f to make room, counted by its kind. */
static void flow_evict(struct flow_table *ft, struct flow *f)
{
    memcap_evicted(ft->cfg.memcap, flow_rank(f) == 2 ? MEMCAP_EV_FLOWS_FOLLOWED
                                                     : MEMCAP_EV_FLOWS_UNFOLLOWED);
    flow_end(ft, f, FLOW_END_EVICTED);
}

int flow_evict_app(struct flow_table *ft, const struct flow *keep)
{
    struct flow *f = NULL;
    int rank = 3;
    scan_list(&ft->app_list, offsetof(struct flow, app_idle), keep, &f, &rank);
    if (f == NULL)
        return -1;
    flow_evict(ft, f);
    return 0;
}

void flow_app_attach(struct flow_table *ft, struct flow *f, void *app)
{
    f->app = app;
    if (!(f->flags & FLOW_F_APP_LISTED)) {
        ds_list_push_tail(&ft->app_list, &f->app_idle);
        f->flags |= FLOW_F_APP_LISTED;
    }
}

void flow_app_detach(struct flow_table *ft, struct flow *f)
{
    f->app = NULL;
    if (f->flags & FLOW_F_APP_LISTED) {
        ds_list_unlink(&ft->app_list, &f->app_idle);
        f->flags &= (uint16_t)~FLOW_F_APP_LISTED;
    }
}

/* The oldest idle flow across the class lists. */
static struct flow *flow_oldest(struct flow_table *ft)
{
    struct flow *best = NULL;
    for (int c = 0; c < TC_MAX; c++) {
        struct flow *h = idle_oldest(&ft->lists[c]);
        if (h && (best == NULL || h->last_us < best->last_us))
            best = h;
    }
    return best;
}

/* Ports below 1024, and a few well-known high ones, are taken as the server. */
static bool is_service_port(uint16_t port)
{
    return port < 1024 || port == 8443 || port == 8080 || port == 4433;
}

static struct flow *flow_create(struct flow_table *ft, const struct packet *p, uint32_t hash,
                                enum flow_dir *dir)
{
    struct flow *f = pool_get(ft->pool);
    if (f == NULL) {
        memcap_fill(ft->cfg.memcap, MEMCAP_FLOWS, pool_in_use(ft->pool), pool_cap(ft->pool));
        struct flow *old = evict_candidate(ft);
        if (old == NULL)
            return NULL;
        flow_evict(ft, old);
        f = pool_get(ft->pool);
        if (f == NULL)
            return NULL;
    }
    /* Who is the client: the SYN sender; the receiver of a SYN-ACK; else
     * the side not on a service port; else the first sender. */
    bool sender_is_client = true;
    if (p->proto == DS_IPPROTO_TCP && (p->tcp_flags & (DS_TCP_SYN | DS_TCP_ACK)) ==
                                          (DS_TCP_SYN | DS_TCP_ACK))
        sender_is_client = false;
    else if (p->proto == DS_IPPROTO_TCP && (p->tcp_flags & DS_TCP_SYN))
        sender_is_client = true;
    else if (is_service_port(p->sport) && !is_service_port(p->dport))
        sender_is_client = false;
    if (sender_is_client) {
        f->cli = p->src, f->cport = p->sport, f->srv = p->dst, f->sport = p->dport;
        *dir = FLOW_TOSERVER;
    } else {
        f->cli = p->dst, f->cport = p->dport, f->srv = p->src, f->sport = p->sport;
        *dir = FLOW_TOCLIENT;
    }
    f->proto = p->proto;
    f->vlan = p->vlan;
    f->state = FLOW_STATE_NEW;
    f->id = ++ft->next_id;
    f->first_us = f->last_us = p->ts_us;
    f->service = -1;
    DS_ASSERT(flow_key_hash(ft, f) == hash);
    size_t b = hash & (ft->nbuckets - 1);
    f->hnext = ft->buckets[b];
    ft->buckets[b] = f;
    ds_list_push_tail(&ft->lists[TC_NEW], &f->idle);
    ft->st.created++;
    if (p->proto == DS_IPPROTO_TCP)
        ft->st.tcp++;
    else
        ft->st.udp++;
    ft->st.active++;
    if (ft->st.active > ft->st.max_active)
        ft->st.max_active = ft->st.active;
    return f;
}

static void flow_update(struct flow_table *ft, struct flow *f, const struct packet *p,
                        enum flow_dir dir)
{
    enum tclass before = flow_tclass(f);
    if (f->pkts[dir] < UINT32_MAX)
        f->pkts[dir]++;                /* saturating: see struct flow */
    f->bytes[dir] += p->wirelen;
    if (p->ts_us > f->last_us)
        f->last_us = p->ts_us;
    if (f->pkts[FLOW_TOSERVER] && f->pkts[FLOW_TOCLIENT] && f->state == FLOW_STATE_NEW)
        f->state = FLOW_STATE_ESTABLISHED;
    if (p->proto == DS_IPPROTO_TCP) {
        uint8_t fl = p->tcp_flags;
        if ((fl & DS_TCP_SYN) && !(fl & DS_TCP_ACK) && dir == FLOW_TOSERVER) {
            f->flags |= FLOW_F_SYN_SEEN;
            f->cli_isn = p->seq + 1;
        }
        if ((fl & DS_TCP_SYN) && (fl & DS_TCP_ACK) && dir == FLOW_TOCLIENT)
            f->flags |= FLOW_F_SYNACK_SEEN;
        if (fl & DS_TCP_FIN)
            f->flags |= dir == FLOW_TOSERVER ? FLOW_F_FIN_CLI : FLOW_F_FIN_SRV;
        if (fl & DS_TCP_RST)
            f->flags |= FLOW_F_RST;
        if ((f->flags & FLOW_F_RST) ||
            (f->flags & (FLOW_F_FIN_CLI | FLOW_F_FIN_SRV)) == (FLOW_F_FIN_CLI | FLOW_F_FIN_SRV))
            f->state = FLOW_STATE_CLOSED;
    }
    if (f->flags & FLOW_F_APP_LISTED)
        ds_list_move_to_tail(&ft->app_list, &f->app_idle);
    enum tclass after = flow_tclass(f);
    if (after == before) {
        ds_list_move_to_tail(&ft->lists[after], &f->idle);
    } else {
        ds_list_unlink(&ft->lists[before], &f->idle);
        ds_list_push_tail(&ft->lists[after], &f->idle);
    }
}

/* The flow of packet p in the chain of hash h, with *dir set; NULL if there
 * is none, and then *stalest is the chain's least recently seen flow if the
 * chain is full (NULL otherwise). Counts the steps. */
static struct flow *chain_find(struct flow_table *ft, const struct packet *p, uint32_t h,
                               enum flow_dir *dir, struct flow **stalest)
{
    unsigned steps = 0;
    struct flow *old = NULL;
    struct flow *f = ft->buckets[h & (ft->nbuckets - 1)];
    for (; f; f = f->hnext) {
        steps++;
        if (flow_matches(ft, f, p, dir))
            break;
        if (old == NULL || f->last_us < old->last_us)
            old = f;
    }
    DS_ASSERT(steps <= FLOW_CHAIN_MAX);   /* flow_handle keeps chains at the cap */
    ft->st.lookups++;
    ft->st.lookup_steps += steps;
    if (steps > ft->st.max_chain)
        ft->st.max_chain = steps;
    *stalest = f == NULL && steps >= FLOW_CHAIN_MAX ? old : NULL;
    return f;
}

struct flow *flow_handle(struct flow_table *ft, const struct packet *p, enum flow_dir *dir)
{
    uint32_t h = table_hash(ft, p);
    struct flow *stalest = NULL;
    struct flow *f = chain_find(ft, p, h, dir, &stalest);
    /* A new SYN on a closed connection is a new connection (port reuse). */
    if (f && f->state == FLOW_STATE_CLOSED && p->proto == DS_IPPROTO_TCP &&
        (p->tcp_flags & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN) {
        flow_end(ft, f, FLOW_END_TIMEOUT);
        f = NULL;
    }
    if (f == NULL) {
        if (stalest != NULL) {
            /* The chain is at FLOW_CHAIN_MAX: make room in it. */
            ft->st.chain_evicted++;
            flow_end(ft, stalest, FLOW_END_EVICTED);
        }
        f = flow_create(ft, p, h, dir);
        if (f == NULL)
            return NULL;
    }
    flow_update(ft, f, p, *dir);
    return f;
}

void flow_expire(struct flow_table *ft, uint64_t now_us, unsigned max_visit)
{
    const uint64_t *timeout = ft->timeout_us;
    if (memcap_emergency(ft->cfg.memcap)) {
        timeout = ft->emerg_timeout_us;
        max_visit *= FLOW_EMERG_VISIT_FACTOR;
    }
    for (int c = 0; c < TC_MAX && max_visit > 0; c++) {
        struct flow *f = idle_oldest(&ft->lists[c]);
        while (max_visit > 0 && f != NULL && f->last_us + timeout[c] < now_us) {
            flow_end(ft, f, FLOW_END_TIMEOUT);
            max_visit--;
            f = idle_oldest(&ft->lists[c]);
        }
    }
}

void flow_flush(struct flow_table *ft)
{
    for (struct flow *f = flow_oldest(ft); f != NULL; f = flow_oldest(ft))
        flow_end(ft, f, FLOW_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *ft)
{
    if (ft == NULL)
        return;
    flow_flush(ft);
    free(ft->buckets);
    pool_free(ft->pool);
    free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->st;
}

size_t flow_table_bytes(const struct flow_table *ft)
{
    return pool_bytes(ft->pool) + ft->nbuckets * sizeof(*ft->buckets);
}

void flow_table_stats_write(const struct flow_table *ft, struct stats_node *root)
{
    const struct flow_stats *st = &ft->st;
    size_t bytes = flow_table_bytes(ft);
    struct stats_node *eve = stats_child(stats_child(root, "stats"), "flow");
    stats_u64(eve, "total", st->created);
    stats_u64(eve, "active", st->active);
    stats_u64(eve, "tcp", st->tcp);
    stats_u64(eve, "udp", st->udp);
    stats_u64(eve, "memuse", bytes);
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *fl = stats_child(me, "flows");
    stats_u64(fl, "total", st->created);
    stats_u64(fl, "active", st->active);
    stats_u64(fl, "max_active", st->max_active);
    stats_u64(fl, "ended", st->ended);
    stats_u64(fl, "timed_out", st->timed_out);
    stats_u64(fl, "evicted", st->evicted);
    stats_u64(fl, "chain_evicted", st->chain_evicted);
    stats_u64(stats_child(me, "memory"), "flows", bytes);
}
