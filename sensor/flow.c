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
 * the table is back under the recovery level. Packet time is the clock.
 * When the caller's application store is full, flow_evict_app scans the
 * same lists, for flows holding app state (no list of its own: flow.h).
 *
 * Flows live in an indexed pool (ipool.h: slabs of FLOW_SLAB records, made
 * on demand up to the cap and never moved), so a flow is named by a 32-bit
 * reference (its handle; 0 is none): the hash chains, the buckets and the
 * idle lists link through references, half the size of pointers. */
#include "ds/flow.h"

#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/hash.h"
#include "ds/ipool.h"
#include "ds/memcap.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/util.h"

enum tclass { TC_NEW = 0, TC_EST, TC_CLOSED, TC_UDP, TC_MAX };

#define FLOW_SLAB_SHIFT 10
#define FLOW_SLAB ((uint32_t)1 << FLOW_SLAB_SHIFT) /* flows a slab */
#define REF_NONE 0u

/* A doubly linked list of flows through the struct flow_link at `off` in
 * each (their idle link): ds_list's operations, on references. */
struct flow_list {
    uint32_t head, tail;             /* REF_NONE when empty */
    size_t off;
};

struct flow_table {
    struct flow_config cfg;
    struct ipool store;              /* the flows, by reference */
    uint32_t *buckets;               /* chain heads, REF_NONE for none */
    size_t nbuckets;                 /* flow_buckets_for(max_flows) */
    struct flow_list lists[TC_MAX];  /* idle order by class, oldest at the head */
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

/* ---- the flow store ----------------------------------------------------- */

/* The flow of reference r (never REF_NONE). */
static struct flow *flow_at(const struct flow_table *ft, uint32_t r)
{
    return ipool_at_fixed(&ft->store, r, sizeof(struct flow), FLOW_SLAB_SHIFT);
}

/* ---- lists of flows through references --------------------------------- */

static struct flow_link *link_of(const struct flow_table *ft, const struct flow_list *l,
                                 uint32_t r)
{
    return (struct flow_link *)(void *)((char *)flow_at(ft, r) + l->off);
}

static void list_init(struct flow_list *l, size_t off)
{
    l->head = l->tail = REF_NONE;
    l->off = off;
}

static void list_push_tail(const struct flow_table *ft, struct flow_list *l, uint32_t r)
{
    struct flow_link *n = link_of(ft, l, r);
    n->next = REF_NONE;
    n->prev = l->tail;
    if (l->tail != REF_NONE)
        link_of(ft, l, l->tail)->next = r;
    else
        l->head = r;
    l->tail = r;
}

/* Takes r (which must be in l) out of l. */
static void list_unlink(const struct flow_table *ft, struct flow_list *l, uint32_t r)
{
    struct flow_link *n = link_of(ft, l, r);
    if (n->prev != REF_NONE)
        link_of(ft, l, n->prev)->next = n->next;
    else
        l->head = n->next;
    if (n->next != REF_NONE)
        link_of(ft, l, n->next)->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = REF_NONE;
}

static void list_move_to_tail(const struct flow_table *ft, struct flow_list *l, uint32_t r)
{
    if (l->tail == r)
        return;
    list_unlink(ft, l, r);
    list_push_tail(ft, l, r);
}

/* ---- the table ---------------------------------------------------------- */

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn end_fn, void *ctx)
{
    struct flow_table *ft = xcalloc(1, sizeof(*ft));
    ft->cfg = *cfg;
    if (ft->cfg.max_flows == 0)
        ft->cfg.max_flows = 1;
    if (ft->cfg.max_flows > FLOW_MAX_FLOWS)
        ft->cfg.max_flows = FLOW_MAX_FLOWS;
    ft->nbuckets = flow_buckets_for(ft->cfg.max_flows);
    ft->buckets = xcalloc(ft->nbuckets, sizeof(*ft->buckets));
    /* Unrounded (8-byte aligned): every byte of a flow counts. */
    ipool_init(&ft->store, sizeof(struct flow), _Alignof(struct flow), ft->cfg.max_flows,
               FLOW_SLAB_SHIFT);
    DS_ASSERT(ft->store.size == sizeof(struct flow));   /* flow_at's constant */
    for (int c = 0; c < TC_MAX; c++)
        list_init(&ft->lists[c], offsetof(struct flow, idle));
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

static uint64_t endpoint_hash(const struct ds_addr *a, uint16_t port)
{
    return ds_mix64(ds_addr_hash(a, 0) ^ port);
}

/* A packet's VLAN tags as one word, for the hash and to compare with a
 * flow's: their packed form (packet.h: 12 bits an id, the count above
 * them), as struct flow keeps them; 0 when untagged, so an untagged flow
 * hashes as it did before tags were keyed. */
static uint64_t vlan_word(const struct ds_vlan *v)
{
    DS_ASSERT(v->n <= DS_VLAN_MAX);
    if (v->n == 0)
        return 0;   /* most traffic, at once */
    return ds_vlan_pack(v).w;
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

/* p's tags as table ft keys them: their word (vlan_word), or 0 where they
 * are not part of the key. Made once a packet, for the hash and the
 * lookup. */
static uint64_t table_vlan(const struct flow_table *ft, const struct packet *p)
{
    return ft->cfg.vlan_key ? vlan_word(&p->vlan) : 0;
}

/* The hash of p's flow in table ft, vlan being table_vlan's. */
static uint32_t table_hash(const struct flow_table *ft, const struct packet *p, uint64_t vlan)
{
    return flow_hash(ft->cfg.seed, p->proto, &p->src, p->sport, &p->dst, p->dport, vlan);
}

/* The hash of flow f's key in table ft: the hash of any of its packets
 * (symmetric, and its tags are the packets'), computed again rather than
 * kept in every flow. */
static uint32_t flow_key_hash(const struct flow_table *ft, const struct flow *f)
{
    uint64_t vlan = ft->cfg.vlan_key ? f->vlan.w : 0;
    return flow_hash(ft->cfg.seed, f->proto, &f->cli, f->cport, &f->srv, f->sport, vlan);
}

/* Whether flow f is packet p's: vlan is p's tags (table_vlan). */
static bool flow_matches(const struct flow_table *ft, const struct flow *f,
                         const struct packet *p, uint64_t vlan, enum flow_dir *dir)
{
    if (f->proto != p->proto || (ft->cfg.vlan_key && f->vlan.w != vlan))
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

/* Takes flow r (f) out of its hash chain. */
static void bucket_remove(struct flow_table *ft, uint32_t r, struct flow *f)
{
    uint32_t *pp = &ft->buckets[flow_bucket_of(flow_key_hash(ft, f), ft->nbuckets)];
    while (*pp != REF_NONE && *pp != r)
        pp = &flow_at(ft, *pp)->hnext;
    if (*pp != REF_NONE)
        *pp = f->hnext;
    f->hnext = REF_NONE;
}

/* Ends flow r: its callee, then out of every list and back to the store. */
static void flow_end(struct flow_table *ft, uint32_t r, enum flow_end why)
{
    struct flow *f = flow_at(ft, r);
    f->end = (uint8_t)why & ((1u << FLOW_END_BITS) - 1u);
    if (ft->end_fn)
        ft->end_fn(ft->ctx, f);
    list_unlink(ft, &ft->lists[flow_tclass(f)], r);
    bucket_remove(ft, r, f);
    ipool_put(&ft->store, r);
    ft->st.ended++;
    ft->st.active--;
    if (why == FLOW_END_TIMEOUT)
        ft->st.timed_out++;
    else if (why == FLOW_END_EVICTED)
        ft->st.evicted++;
    if (memcap_emergency(ft->cfg.memcap))
        memcap_fill(ft->cfg.memcap, MEMCAP_FLOWS, ft->store.in_use, ft->cfg.max_flows);
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

/* Of the first FLOW_EVICT_SCAN flows of list l (all of them, or only
 * those holding app state if app_only: the bound counts every flow
 * looked at), the lowest rank, the longest idle within it, if better than
 * *best (a reference); never `keep`. */
static void scan_list(const struct flow_table *ft, const struct flow_list *l,
                      const struct flow *keep, bool app_only, uint32_t *best, int *best_rank)
{
    uint32_t r = l->head;
    for (unsigned i = 0; r != REF_NONE && i < FLOW_EVICT_SCAN; i++, r = link_of(ft, l, r)->next) {
        const struct flow *f = flow_at(ft, r);
        if (f == keep || (app_only && f->app == 0))
            continue;
        int rank = flow_rank(f);
        if (rank < *best_rank ||
            (rank == *best_rank && f->last_us < flow_at(ft, *best)->last_us)) {
            *best = r;
            *best_rank = rank;
        }
    }
}

/* The flow to evict: of the FLOW_EVICT_SCAN longest idle of each class
 * (only those holding app state if app_only), the lowest rank, the longest
 * idle within it; never `keep`. REF_NONE if there is none. At most
 * TC_MAX * FLOW_EVICT_SCAN flows are looked at. */
static uint32_t evict_candidate(const struct flow_table *ft, const struct flow *keep,
                                bool app_only)
{
    uint32_t best = REF_NONE;
    int best_rank = 3;
    for (int c = 0; c < TC_MAX; c++)
        scan_list(ft, &ft->lists[c], keep, app_only, &best, &best_rank);
    return best;
}

/* Ends flow r to make room, counted by its kind. */
static void flow_evict(struct flow_table *ft, uint32_t r)
{
    memcap_evicted(ft->cfg.memcap, flow_rank(flow_at(ft, r)) == 2 ? MEMCAP_EV_FLOWS_FOLLOWED
                                                                  : MEMCAP_EV_FLOWS_UNFOLLOWED);
    flow_end(ft, r, FLOW_END_EVICTED);
}

/* No list of the flows holding app state is kept (it cost a second idle
 * link, 8 bytes, in every flow): the sensor's application store holds as
 * many states as the table holds flows (flow.h, flow_evict_app), so this
 * runs only if that ever stops being so, and a bounded scan of the class
 * lists is enough for it. A holder beyond the first FLOW_EVICT_SCAN of its
 * class is not found: -1, which the caller counts. */
int flow_evict_app(struct flow_table *ft, const struct flow *keep)
{
    uint32_t r = evict_candidate(ft, keep, true);
    if (r == REF_NONE)
        return -1;
    flow_evict(ft, r);
    return 0;
}

/* The oldest idle flow across the class lists, REF_NONE if none. */
static uint32_t flow_oldest(const struct flow_table *ft)
{
    uint32_t best = REF_NONE;
    for (int c = 0; c < TC_MAX; c++) {
        uint32_t h = ft->lists[c].head;
        if (h != REF_NONE &&
            (best == REF_NONE || flow_at(ft, h)->last_us < flow_at(ft, best)->last_us))
            best = h;
    }
    return best;
}

/* Ports below 1024, and a few well-known high ones, are taken as the server. */
static bool is_service_port(uint16_t port)
{
    return port < 1024 || port == 8443 || port == 8080 || port == 4433;
}

/* A new flow for packet p, of hash `hash`: its reference (REF_NONE if
 * the store is full and nothing could be evicted), with *dir set. */
static uint32_t flow_create(struct flow_table *ft, const struct packet *p, uint32_t hash,
                            enum flow_dir *dir)
{
    uint32_t r = ipool_get(&ft->store);
    if (r == REF_NONE) {
        memcap_fill(ft->cfg.memcap, MEMCAP_FLOWS, ft->store.in_use, ft->cfg.max_flows);
        uint32_t old = evict_candidate(ft, NULL, false);
        if (old == REF_NONE)
            return REF_NONE;
        flow_evict(ft, old);
        r = ipool_get(&ft->store);
        if (r == REF_NONE)
            return REF_NONE;
    }
    struct flow *f = flow_at(ft, r);
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
    f->vlan = ds_vlan_pack(&p->vlan);
    f->state = FLOW_STATE_NEW;
    f->id = ++ft->next_id;
    f->first_us = f->last_us = p->ts_us;
    f->service = -1;
    DS_ASSERT(flow_key_hash(ft, f) == hash);
    size_t b = flow_bucket_of(hash, ft->nbuckets);
    f->hnext = ft->buckets[b];
    ft->buckets[b] = r;
    list_push_tail(ft, &ft->lists[TC_NEW], r);
    ft->st.created++;
    if (p->proto == DS_IPPROTO_TCP)
        ft->st.tcp++;
    else
        ft->st.udp++;
    ft->st.active++;
    if (ft->st.active > ft->st.max_active)
        ft->st.max_active = ft->st.active;
    return r;
}

static void flow_update(struct flow_table *ft, uint32_t r, const struct packet *p,
                        enum flow_dir dir)
{
    struct flow *f = flow_at(ft, r);
    enum tclass before = flow_tclass(f);
    if (f->pkts[dir] < UINT32_MAX)
        f->pkts[dir]++;                /* saturating: see struct flow */
    flow_bytes_add(f, (int)dir, p->wirelen);   /* saturating: see struct flow */
    if (p->ts_us > f->last_us)
        f->last_us = p->ts_us;
    if (f->pkts[FLOW_TOSERVER] && f->pkts[FLOW_TOCLIENT] && f->state == FLOW_STATE_NEW)
        f->state = FLOW_STATE_ESTABLISHED;
    if (p->proto == DS_IPPROTO_TCP) {
        uint8_t fl = p->tcp_flags;
        if ((fl & DS_TCP_SYN) && !(fl & DS_TCP_ACK) && dir == FLOW_TOSERVER) {
            f->flags |= FLOW_F_SYN_SEEN;
            flow_set_cli_isn(f, p->seq + 1);
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
    enum tclass after = flow_tclass(f);
    if (after == before) {
        list_move_to_tail(ft, &ft->lists[after], r);
    } else {
        list_unlink(ft, &ft->lists[before], r);
        list_push_tail(ft, &ft->lists[after], r);
    }
}

/* The flow of packet p (its tags vlan, table_vlan's) in the chain of hash
 * h, with *dir set; REF_NONE if there is none, and then *stalest is the
 * chain's least recently seen flow if the chain is full (REF_NONE
 * otherwise). Counts the steps. */
static uint32_t chain_find(struct flow_table *ft, const struct packet *p, uint64_t vlan,
                           uint32_t h, enum flow_dir *dir, uint32_t *stalest)
{
    unsigned steps = 0;
    const struct flow *old = NULL;
    uint32_t old_r = REF_NONE;
    uint32_t r = ft->buckets[flow_bucket_of(h, ft->nbuckets)];
    while (r != REF_NONE) {
        const struct flow *f = flow_at(ft, r);
        steps++;
        if (flow_matches(ft, f, p, vlan, dir))
            break;
        if (old == NULL || f->last_us < old->last_us) {
            old = f;
            old_r = r;
        }
        r = f->hnext;
    }
    DS_ASSERT(steps <= FLOW_CHAIN_MAX);   /* flow_handle keeps chains at the cap */
    ft->st.lookups++;
    ft->st.lookup_steps += steps;
    if (steps > ft->st.max_chain)
        ft->st.max_chain = steps;
    *stalest = r == REF_NONE && steps >= FLOW_CHAIN_MAX ? old_r : REF_NONE;
    return r;
}

struct flow *flow_handle(struct flow_table *ft, const struct packet *p, enum flow_dir *dir)
{
    uint64_t vlan = table_vlan(ft, p);
    uint32_t h = table_hash(ft, p, vlan);
    uint32_t stalest = REF_NONE;
    uint32_t r = chain_find(ft, p, vlan, h, dir, &stalest);
    /* A new SYN on a closed connection is a new connection (port reuse). */
    if (r != REF_NONE && flow_at(ft, r)->state == FLOW_STATE_CLOSED &&
        p->proto == DS_IPPROTO_TCP && (p->tcp_flags & (DS_TCP_SYN | DS_TCP_ACK)) == DS_TCP_SYN) {
        flow_end(ft, r, FLOW_END_TIMEOUT);
        r = REF_NONE;
    }
    if (r == REF_NONE) {
        if (stalest != REF_NONE) {
            /* The chain is at FLOW_CHAIN_MAX: make room in it. */
            ft->st.chain_evicted++;
            flow_end(ft, stalest, FLOW_END_EVICTED);
        }
        r = flow_create(ft, p, h, dir);
        if (r == REF_NONE)
            return NULL;
    }
    flow_update(ft, r, p, *dir);
    return flow_at(ft, r);
}

/* Whether expiry may end flow r of class c now, the `ended`-th of this
 * pass, by the timeouts and budget of emergency mode or not (emerg). */
static bool expire_due(const struct flow_table *ft, int c, uint32_t r, uint64_t now_us,
                       unsigned max_visit, unsigned ended, bool emerg)
{
    uint64_t budget = emerg ? (uint64_t)max_visit * FLOW_EMERG_VISIT_FACTOR : max_visit;
    uint64_t timeout = emerg ? ft->emerg_timeout_us[c] : ft->timeout_us[c];
    return ended < budget && r != REF_NONE && flow_at(ft, r)->last_us + timeout < now_us;
}

/* Each flow is judged by the mode in force when the pass reaches it:
 * emergency mode can end within a pass, and only when a flow ends (flow_end
 * reports how full the table is, and the application store's release does
 * too), so the mode is read again after each. */
void flow_expire(struct flow_table *ft, uint64_t now_us, unsigned max_visit)
{
    unsigned ended = 0;
    bool emerg = memcap_emergency(ft->cfg.memcap);
    for (int c = 0; c < TC_MAX; c++) {
        while (expire_due(ft, c, ft->lists[c].head, now_us, max_visit, ended, emerg)) {
            flow_end(ft, ft->lists[c].head, FLOW_END_TIMEOUT);
            ended++;
            emerg = memcap_emergency(ft->cfg.memcap);
        }
    }
}

void flow_flush(struct flow_table *ft)
{
    for (uint32_t r = flow_oldest(ft); r != REF_NONE; r = flow_oldest(ft))
        flow_end(ft, r, FLOW_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *ft)
{
    if (ft == NULL)
        return;
    flow_flush(ft);
    ipool_free(&ft->store);
    free(ft->buckets);
    free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->st;
}

size_t flow_table_bytes(const struct flow_table *ft)
{
    return ft->store.bytes + ft->nbuckets * sizeof(*ft->buckets);
}

size_t flow_table_bytes_per_flow(void)
{
    /* The record and its share of the 32-bit buckets (flow_buckets_for:
     * 3 bytes). Not charged: the slab directory, a pointer for FLOW_SLAB
     * flows (8 B per 1,024), and the buckets of the FLOW_BUCKETS_MIN
     * floor beyond the flows' (4 KiB). */
    return sizeof(struct flow) +
           (FLOW_BUCKETS_NUM * sizeof(uint32_t) + FLOW_BUCKETS_DEN - 1) / FLOW_BUCKETS_DEN;
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
