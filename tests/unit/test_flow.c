/* flow: orientation, symmetric lookup, timeouts on packet time, eviction at
 * the cap, port reuse, VLAN tags in the key (and out of it), that every flow
 * ends exactly once, and that keys made to share a bucket under one seed
 * cost a bounded walk under it (the chain cap) and about one step under
 * another seed; at the cap, the memcap's emergency mode and eviction of the
 * least useful flow first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/flow-app.h"
#include "ds/flow.h"
#include "ds/memcap.h"
#include "ds/seed.h"
#include "ds/time-units.h"
#include "ds/tls-asm.h"

struct ended {
    unsigned n;
    unsigned by_reason[3];
    uint64_t last_id;
};

static void on_end(void *ctx, struct flow *f)
{
    struct ended *e = ctx;
    e->n++;
    e->by_reason[f->end]++;
    e->last_id = f->id;
}

static struct packet pkt(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t flags,
                         uint64_t ts_s)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    ds_addr_from_v4(&p.src, (uint8_t[]){ 10, 0, 0, a });
    ds_addr_from_v4(&p.dst, (uint8_t[]){ 10, 0, 0, b });
    p.sport = sp;
    p.dport = dp;
    p.proto = DS_IPPROTO_TCP;
    p.tcp_flags = flags;
    p.seq = 1000;
    p.wirelen = 60;
    p.ts_us = ds_s_to_us(ts_s);
    return p;
}

static struct flow_table *table(size_t cap, struct ended *e)
{
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = cap;
    return flow_table_new(&cfg, on_end, e);
}

static void test_orientation_and_symmetry(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    /* SYN from 10.0.0.1:40000 to 10.0.0.2:443 */
    struct packet syn = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    struct flow *f = flow_handle(ft, &syn, &d);
    assert_non_null(f);
    assert_int_equal(d, FLOW_TOSERVER);
    assert_int_equal(f->cport, 40000);
    assert_int_equal(f->sport, 443);
    assert_true(f->flags & FLOW_F_SYN_SEEN);
    assert_int_equal(flow_cli_isn(f), 1001);
    struct packet synack = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 1);
    assert_ptr_equal(flow_handle(ft, &synack, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
    assert_int_equal(f->pkts[0], 1);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(flow_bytes(f, FLOW_TOCLIENT), 60);

    /* Mid-stream, first packet from the server side: the service port wins. */
    struct packet mid = pkt(3, 443, 4, 51000, DS_TCP_ACK, 2);
    struct flow *g = flow_handle(ft, &mid, &d);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_int_equal(g->sport, 443);
    assert_int_equal(g->cport, 51000);
    /* A SYN-ACK first: its receiver is the client. */
    struct packet sa = pkt(5, 8000, 6, 9000, DS_TCP_SYN | DS_TCP_ACK, 2);
    struct flow *h = flow_handle(ft, &sa, &d);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_int_equal(h->cport, 9000);
    assert_int_equal(flow_table_stats(ft)->active, 3);
    assert_true(f->id != g->id && g->id != h->id);
    flow_table_free(ft);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.by_reason[FLOW_END_SHUTDOWN], 3);
}

static void test_timeouts_on_packet_time(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a = pkt(1, 40000, 2, 443, DS_TCP_SYN, 100);
    flow_handle(ft, &a, &d);
    struct packet b = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 100);
    flow_handle(ft, &b, &d);  /* established: 600 s */
    struct packet c = pkt(7, 40001, 8, 443, DS_TCP_SYN, 100); /* new: 60 s */
    flow_handle(ft, &c, &d);
    flow_expire(ft, ds_s_to_us(159), 100);
    assert_int_equal(e.n, 0);
    flow_expire(ft, ds_s_to_us(161), 100);
    assert_int_equal(e.n, 1); /* the one-sided flow */
    flow_expire(ft, ds_s_to_us(699), 100);
    assert_int_equal(e.n, 1);
    flow_expire(ft, ds_s_to_us(701), 100);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 2);
    assert_int_equal(flow_table_stats(ft)->timed_out, 2);
    assert_int_equal(flow_table_stats(ft)->active, 0);
    flow_table_free(ft);
}

static void test_closed_flows_expire_sooner(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a = pkt(1, 40000, 2, 443, DS_TCP_SYN, 10);
    flow_handle(ft, &a, &d);
    struct packet b = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 10);
    flow_handle(ft, &b, &d);
    struct packet r = pkt(1, 40000, 2, 443, DS_TCP_RST, 11);
    struct flow *f = flow_handle(ft, &r, &d);
    assert_int_equal(f->state, FLOW_STATE_CLOSED);
    flow_expire(ft, ds_s_to_us(42), 100);
    assert_int_equal(e.n, 1);
    flow_table_free(ft);
}

static void test_bounded_expiry_work(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(64, &e);
    enum flow_dir d;
    for (uint16_t i = 0; i < 40; i++) {
        struct packet a = pkt(1, (uint16_t)(40000 + i), 2, 443, DS_TCP_SYN, 1);
        flow_handle(ft, &a, &d);
    }
    flow_expire(ft, ds_s_to_us(1000), 8);
    assert_int_equal(e.n, 8);
    flow_expire(ft, ds_s_to_us(1000), 100);
    assert_int_equal(e.n, 40);
    flow_table_free(ft);
}

static void test_eviction_at_cap(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(4, &e);
    enum flow_dir d;
    struct flow *first = NULL;
    for (uint16_t i = 0; i < 10; i++) {
        struct packet a = pkt(1, (uint16_t)(40000 + i), 2, 443, DS_TCP_SYN, 1 + i);
        struct flow *f = flow_handle(ft, &a, &d);
        assert_non_null(f);
        if (i == 0)
            first = f;
    }
    (void)first;
    const struct flow_stats *st = flow_table_stats(ft);
    assert_int_equal(st->active, 4);
    assert_int_equal(st->evicted, 6);
    assert_int_equal(st->created, 10);
    assert_int_equal(e.by_reason[FLOW_END_EVICTED], 6);
    /* The survivors are the four newest. */
    struct packet again = pkt(1, 40009, 2, 443, DS_TCP_ACK, 20);
    struct flow *f = flow_handle(ft, &again, &d);
    assert_int_equal(f->pkts[0], 2);
    size_t bytes = flow_table_bytes(ft);
    assert_true(bytes > 0);
    /* Memory stays bounded however many flows pass through. */
    for (uint16_t i = 0; i < 1000; i++) {
        struct packet a = pkt(3, (uint16_t)(20000 + i), 4, 443, DS_TCP_SYN, 30 + i);
        flow_handle(ft, &a, &d);
    }
    assert_int_equal(flow_table_bytes(ft), bytes);
    flow_table_free(ft);
}

/* A table of cap flows reporting to mc. */
static struct flow_table *table_mc(size_t cap, struct ended *e, struct memcap *mc)
{
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = cap;
    cfg.memcap = mc;
    return flow_table_new(&cfg, on_end, e);
}

static struct flow *handshake(struct flow_table *ft, uint8_t a, uint16_t sp, uint64_t ts_s)
{
    enum flow_dir d;
    struct packet syn = pkt(a, sp, 2, 443, DS_TCP_SYN, ts_s);
    struct packet synack = pkt(2, 443, a, sp, DS_TCP_SYN | DS_TCP_ACK, ts_s);
    struct flow *f = flow_handle(ft, &syn, &d);
    assert_ptr_equal(flow_handle(ft, &synack, &d), f);
    return f;
}

/* At the cap the least useful flow goes first, whatever its age: an
 * ignored flow, then a half-open SYN, then a flow not yet decided, then
 * the longest idle followed flow; each eviction counted by kind. */
static void test_eviction_order_by_kind(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_table *ft = table_mc(5, &e, mc);
    enum flow_dir d;
    struct flow *followed_old = handshake(ft, 1, 40000, 1);
    followed_old->flags |= FLOW_F_FOLLOW | FLOW_F_TLS;
    struct flow *undecided = handshake(ft, 1, 40001, 2);  /* waiting for its hello */
    struct flow *followed_new = handshake(ft, 1, 40002, 3);
    followed_new->flags |= FLOW_F_FOLLOW | FLOW_F_TLS;
    struct packet syn = pkt(1, 40003, 2, 443, DS_TCP_SYN, 4); /* half-open */
    struct flow *half = flow_handle(ft, &syn, &d);
    struct flow *ignored = handshake(ft, 1, 40004, 5);
    ignored->flags |= FLOW_F_IGNORE;
    /* The ignored flow and the half-open one are of one kind (never to be
     * followed): the longer idle of them goes first. */
    uint64_t ids[5] = { half->id, ignored->id, undecided->id, followed_old->id,
                        followed_new->id };
    assert_false(memcap_emergency(mc));
    for (unsigned i = 0; i < 5; i++) {
        struct packet n = pkt(3, (uint16_t)(50000 + i), 4, 443, DS_TCP_SYN, 10 + i);
        /* Each newcomer is half-open too but newer: the older ones go first
         * only among their kind, so mark it followed to keep it. */
        struct flow *f = flow_handle(ft, &n, &d);
        assert_non_null(f);
        f->flags |= FLOW_F_FOLLOW;
        assert_int_equal(e.last_id, ids[i]);
        assert_true(memcap_emergency(mc));
    }
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_UNFOLLOWED), 3);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_FOLLOWED), 2);
    assert_int_equal(flow_table_stats(ft)->evicted, 5);
    assert_int_equal(e.by_reason[FLOW_END_EVICTED], 5);
    flow_table_free(ft);
    memcap_free(mc);
}

/* In emergency the timeouts are the short ones and an expiry pass ends
 * more flows; below the recovery level (70% of the cap) the table leaves
 * emergency and the normal timeouts are back. */
static void test_emergency_timeouts_and_recovery(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_table *ft = table_mc(10, &e, mc);
    for (uint16_t i = 0; i < 11; i++) /* the 11th enters emergency */
        handshake(ft, 1, (uint16_t)(40000 + i), 100 + i);
    assert_true(memcap_emergency(mc));
    assert_int_equal(e.n, 1);
    /* The flows were last seen at 101 .. 110 s. Idle past FLOW_EMERG_EST_S
     * (far from the normal 600 s) at 203 s: those of 101 and 102, both
     * ended by one pass of max_visit 1 (FLOW_EMERG_VISIT_FACTOR more). */
    flow_expire(ft, ds_s_to_us(103 + FLOW_EMERG_EST_S), 1);
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 2);
    assert_true(memcap_emergency(mc)); /* 8 of 10: above 70% */
    flow_expire(ft, ds_s_to_us(104 + FLOW_EMERG_EST_S), 1);
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 3);
    assert_int_equal(flow_table_stats(ft)->active, 7);
    assert_false(memcap_emergency(mc));
    /* Out of emergency: 600 s again, and one flow a pass. */
    flow_expire(ft, ds_s_to_us(111 + FLOW_EMERG_EST_S), 8);
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 3);
    flow_expire(ft, ds_s_to_us(106 + 600), 1);
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 4);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_UNFOLLOWED), 1);
    flow_table_free(ft);
    memcap_free(mc);
}

/* Emergency mode can end in the middle of an expiry pass (each flow ended
 * reports how full the table is): from then on the pass judges flows by
 * the normal timeouts and its normal budget, not those it started with. */
static void test_emergency_ends_within_a_pass(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_table *ft = table_mc(10, &e, mc);
    for (uint16_t i = 0; i < 11; i++) /* the 11th enters emergency */
        handshake(ft, 1, (uint16_t)(40000 + i), 100 + i);
    assert_true(memcap_emergency(mc));
    /* Last seen at 101 .. 110 s, all idle past FLOW_EMERG_EST_S at 211 s,
     * none past the normal 600 s. The third flow ended brings the table to
     * 7 of 10 (70%): emergency ends there, and so does the pass, though
     * its emergency budget (8 flows) would have ended five more. */
    flow_expire(ft, ds_s_to_us(111 + FLOW_EMERG_EST_S), 1);
    assert_false(memcap_emergency(mc));
    assert_int_equal(e.by_reason[FLOW_END_TIMEOUT], 3);
    assert_int_equal(flow_table_stats(ft)->active, 7);
    flow_table_free(ft);
    memcap_free(mc);
}

/* flow_evict_app takes the least useful flow holding app state among the
 * longest idle of their class (here all established, well within the first
 * FLOW_EVICT_SCAN), never one without app state nor the one kept, and says
 * when there is none. */
static void test_evict_app(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_table *ft = table_mc(8, &e, mc);
    const uint32_t app_a = 1, app_b = 2; /* handles: the table only tests them for 0 */
    struct flow *plain = handshake(ft, 1, 40000, 1); /* no app state: not a candidate */
    struct flow *a = handshake(ft, 1, 40001, 2);
    flow_app_attach(a, app_a);
    a->flags |= FLOW_F_FOLLOW;
    struct flow *q = handshake(ft, 1, 40003, 3); /* QUIC-like: app state, undecided */
    flow_app_attach(q, app_a);
    struct flow *b = handshake(ft, 1, 40002, 4);
    flow_app_attach(b, app_b);
    b->flags |= FLOW_F_FOLLOW;
    assert_int_equal(flow_evict_app(ft, b), 0); /* the undecided one first */
    assert_int_equal(e.last_id, q->id);
    assert_int_equal(flow_evict_app(ft, b), 0);
    assert_int_equal(e.last_id, a->id);
    assert_int_equal(flow_evict_app(ft, b), -1); /* only b (kept) holds any */
    assert_int_equal(e.n, 2);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_FOLLOWED), 1);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_UNFOLLOWED), 1);
    /* Detached, b is no candidate either; attaching sets no flag. */
    uint16_t flags = b->flags;
    flow_app_detach(b);
    assert_int_equal(b->app, 0);
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    flow_app_attach(b, app_b);
    assert_int_equal(b->app, app_b);
    assert_int_equal(b->flags, flags);
    flow_app_detach(b);
    assert_int_equal(plain->app, 0);
    assert_int_equal(flow_table_stats(ft)->active, 2);   /* plain and b */
    flow_table_free(ft);
    memcap_free(mc);
}

/* Why flow_evict_app is a safety net: the sensor sizes its application
 * store (make_pools) at memcap_objects(flow_app share, sizeof(struct
 * flow_app), the flow cap), the flow cap being memcap_objects(flows share,
 * flow_table_bytes_per_flow(), --max-flows); at every budget and every
 * --max-flows, a small --max-flows with the least --memcap among them, the
 * store holds as many states as the table holds flows. */
static void test_app_store_holds_the_flow_cap(void **state)
{
    (void)state;
    const uint64_t limits[] = { MEMCAP_MIN, MEMCAP_MIN + 1, (uint64_t)64 << 20,
                                (uint64_t)100 << 20, MEMCAP_DEFAULT, (uint64_t)3 << 30,
                                MEMCAP_MAX };
    const size_t max_flows[] = { 0, 1, 1000, 65536, 262144, 1000000, FLOW_MAX_FLOWS,
                                 SIZE_MAX };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct memcap *mc = memcap_new(limits[i]);
        /* The reason: the flow_app share over the flows' (150 per mille
         * over 100) is more than a state's cost over a flow's, so the
         * share's count of states is never below its count of flows. */
        assert_true((uint64_t)memcap_share(mc, MEMCAP_FLOW_APP) * flow_table_bytes_per_flow() >=
                    (uint64_t)memcap_share(mc, MEMCAP_FLOWS) * sizeof(struct flow_app));
        for (size_t j = 0; j < sizeof(max_flows) / sizeof(max_flows[0]); j++) {
            size_t flows = memcap_objects(mc, MEMCAP_FLOWS, flow_table_bytes_per_flow(),
                                          max_flows[j]);
            size_t apps = memcap_objects(mc, MEMCAP_FLOW_APP, sizeof(struct flow_app), flows);
            assert_int_equal(apps, flows);
        }
        memcap_free(mc);
    }
}

/* flow_evict_app looks at the first FLOW_EVICT_SCAN flows of each class
 * list and no further: a holder of app state 65th in its list (behind 64
 * longer idle flows without any) is not found (-1: the sensor counts it
 * refused); once a flow ahead of it is gone it is within reach. */
static void test_evict_app_scan_bound(void **state)
{
    (void)state;
    struct ended e = { 0 };
    enum { N = FLOW_EVICT_SCAN + 1 };
    struct flow_table *ft = table(2 * N, &e);
    struct flow *fl[N];
    const uint32_t app = 7; /* a handle: the table only tests it for 0 */
    for (unsigned i = 0; i < N; i++)   /* established, idle order = i */
        fl[i] = handshake(ft, 1, (uint16_t)(40000 + i), 1 + i);
    const uint64_t id63 = fl[N - 2]->id, id64 = fl[N - 1]->id;
    flow_app_attach(fl[N - 1], app);               /* 65th: beyond the scan */
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    assert_int_equal(e.n, 0);
    flow_app_attach(fl[N - 2], app);               /* 64th: the last one looked at */
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.last_id, id63);
    assert_int_equal(e.by_reason[FLOW_END_EVICTED], 1);
    /* fl[N - 1] is 64th now. */
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.last_id, id64);
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    assert_int_equal(e.n, 2);
    flow_table_free(ft);
    assert_int_equal(e.n, N);
}

/* Across the class lists flow_evict_app takes the lowest rank first,
 * then the longest idle holder of app state whichever list it is in (the
 * lists are scanned new, established, closed, UDP): longer idle flows
 * without app state are passed over. */
static void test_evict_app_across_classes(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_table *ft = table_mc(16, &e, mc);
    enum flow_dir d;
    const uint32_t app = 3; /* a handle: the table only tests it for 0 */
    /* Without app state, the longest idle of all: never taken. */
    struct flow *plain_est = handshake(ft, 1, 40000, 1);
    struct packet syn = pkt(1, 40001, 2, 443, DS_TCP_SYN, 1);
    struct flow *plain_new = flow_handle(ft, &syn, &d);
    /* A UDP flow seen both ways at 2 s (the UDP list, scanned last). */
    struct packet u1 = pkt(3, 50000, 4, 443, 0, 2);
    u1.proto = DS_IPPROTO_UDP;
    struct packet u2 = pkt(4, 443, 3, 50000, 0, 2);
    u2.proto = DS_IPPROTO_UDP;
    struct flow *udp = flow_handle(ft, &u1, &d);
    assert_ptr_equal(flow_handle(ft, &u2, &d), udp);
    flow_app_attach(udp, app);
    /* Established TCP at 3 s, same rank (undecided): younger than udp. */
    struct flow *est = handshake(ft, 1, 40002, 3);
    flow_app_attach(est, app);
    /* A new TLS flow at 4 s, same rank: the youngest of the three. */
    struct packet syn2 = pkt(1, 40003, 2, 443, DS_TCP_SYN, 4);
    struct flow *tls_new = flow_handle(ft, &syn2, &d);
    tls_new->flags |= FLOW_F_TLS;
    flow_app_attach(tls_new, app);
    /* Closed at 5 s and ignored (rank 0): the youngest, taken first. */
    struct flow *closed = handshake(ft, 1, 40004, 5);
    struct packet rst = pkt(1, 40004, 2, 443, DS_TCP_RST, 5);
    assert_ptr_equal(flow_handle(ft, &rst, &d), closed);
    assert_int_equal(closed->state, FLOW_STATE_CLOSED);
    closed->flags |= FLOW_F_IGNORE;
    flow_app_attach(closed, app);
    uint64_t id_udp = udp->id, id_est = est->id, id_tls = tls_new->id, id_closed = closed->id;
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.last_id, id_closed);
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.last_id, id_udp);                /* 2 s, in the last list */
    assert_int_equal(flow_evict_app(ft, tls_new), 0);   /* kept: est goes */
    assert_int_equal(e.last_id, id_est);
    assert_int_equal(flow_evict_app(ft, tls_new), -1);
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.last_id, id_tls);
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    assert_int_equal(e.n, 4);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_FLOWS_UNFOLLOWED), 4);
    assert_int_equal(plain_est->app, 0);
    assert_int_equal(plain_new->app, 0);
    assert_int_equal(flow_table_stats(ft)->active, 2);
    flow_table_free(ft);
    memcap_free(mc);
}

static void test_port_reuse_starts_new_flow(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    struct flow *f1 = flow_handle(ft, &a, &d);
    uint64_t id1 = f1->id;
    struct packet fin1 = pkt(1, 40000, 2, 443, DS_TCP_FIN | DS_TCP_ACK, 2);
    flow_handle(ft, &fin1, &d);
    struct packet fin2 = pkt(2, 443, 1, 40000, DS_TCP_FIN | DS_TCP_ACK, 2);
    flow_handle(ft, &fin2, &d);
    assert_int_equal(f1->state, FLOW_STATE_CLOSED);
    struct packet b = pkt(1, 40000, 2, 443, DS_TCP_SYN, 3);
    struct flow *f2 = flow_handle(ft, &b, &d);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.last_id, id1);
    assert_int_not_equal(f2->id, id1);
    assert_int_equal(f2->pkts[0], 1);
    flow_table_free(ft);
}

/* A packet counter at its 32-bit top stays there (struct flow's counters
 * saturate), while the byte counter goes on. */
static void test_packet_counters_saturate(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    struct flow *f = flow_handle(ft, &a, &d);
    f->pkts[FLOW_TOSERVER] = UINT32_MAX - 1;
    for (int i = 0; i < 3; i++)
        assert_ptr_equal(flow_handle(ft, &a, &d), f);
    assert_true(f->pkts[FLOW_TOSERVER] == UINT32_MAX);
    assert_int_equal(f->pkts[FLOW_TOCLIENT], 0);
    assert_int_equal(flow_bytes(f, FLOW_TOSERVER), 4 * 60);
    flow_table_free(ft);
}

/* Flows across several slabs of the store: each found again by its key,
 * app state attached to flows at the head, middle and tail of their idle
 * list (only the first FLOW_EVICT_SCAN are candidates for
 * flow_evict_app), memory as the records, the slab index and the 32-bit
 * buckets, and every flow ended once. */
static void test_store_across_slabs(void **state)
{
    (void)state;
    struct ended e = { 0 };
    enum { N = 2500 };
    struct flow_table *ft = table(N, &e);
    enum flow_dir d;
    static struct flow *fl[N];
    const uint32_t app = 1; /* a handle: the table only tests it for 0 */
    for (unsigned i = 0; i < N; i++) {
        struct packet a = pkt((uint8_t)(1 + i / 60000), (uint16_t)(1024 + i % 60000), 2, 443,
                              DS_TCP_SYN, 1 + i / 1000);
        fl[i] = flow_handle(ft, &a, &d);
        assert_non_null(fl[i]);
    }
    for (unsigned i = 0; i < N; i += 97) {
        struct packet a = pkt((uint8_t)(1 + i / 60000), (uint16_t)(1024 + i % 60000), 2, 443,
                              DS_TCP_SYN, 5);
        assert_ptr_equal(flow_handle(ft, &a, &d), fl[i]);
    }
    assert_int_equal(flow_table_bytes(ft),
                     N * sizeof(struct flow) + 3 * sizeof(void *) + 1875 * sizeof(uint32_t));
    assert_int_equal(flow_buckets_for(N), 1875);          /* 3/4 of 2,500 */
    /* fl[1] is the head of the new flows' list now (fl[0] was seen again),
     * fl[1500] in the middle, fl[N - 1] at the tail. */
    flow_app_attach(fl[1500], app);
    flow_app_attach(fl[1], app);
    flow_app_attach(fl[N - 1], app);
    flow_app_detach(fl[1]);
    /* fl[1500] is 1,485th in the list, fl[N - 1] 2,474th: beyond the scan. */
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    const uint64_t id2 = fl[2]->id;
    flow_app_attach(fl[2], app);                 /* second in the list */
    assert_int_equal(flow_evict_app(ft, NULL), 0);
    assert_int_equal(e.last_id, id2);
    assert_int_equal(flow_evict_app(ft, NULL), -1);
    /* Every flow ends once; freed records come back for new flows. */
    flow_expire(ft, ds_s_to_us(100), 10);
    assert_int_equal(e.n, 11);
    struct packet b = pkt(9, 1000, 2, 443, DS_TCP_SYN, 100);
    assert_non_null(flow_handle(ft, &b, &d));
    flow_table_free(ft);
    assert_int_equal(e.n, N + 1);
}

static void test_udp_and_v6(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a;
    memset(&a, 0, sizeof(a));
    a.proto = DS_IPPROTO_UDP;
    a.src.a[0] = 0x20, a.src.a[15] = 1;
    a.dst.a[0] = 0x20, a.dst.a[15] = 2;
    a.sport = 50000, a.dport = 443;
    a.ts_us = 1;
    struct flow *f = flow_handle(ft, &a, &d);
    struct packet b = a;
    b.src = a.dst, b.dst = a.src, b.sport = 443, b.dport = 50000;
    assert_ptr_equal(flow_handle(ft, &b, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    /* The same ports over TCP are another flow. */
    a.proto = DS_IPPROTO_TCP;
    assert_ptr_not_equal(flow_handle(ft, &a, &d), f);
    flow_table_free(ft);
    flow_table_free(NULL);
}

/* A SYN from 10.x.y.z:40000 to 192.0.2.1:443, x.y.z from i. */
static struct packet syn_from(uint32_t i, uint64_t ts_s)
{
    struct packet p = pkt(0, 40000, 0, 443, DS_TCP_SYN, ts_s);
    ds_addr_from_v4(&p.src, (uint8_t[]){ 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i });
    ds_addr_from_v4(&p.dst, (uint8_t[]){ 192, 0, 2, 1 });
    return p;
}

#define NBUCKETS 1024   /* the table's bucket count at max_flows 1024 (its floor) */
#define NCOLLIDE 200

/* The first n sources whose flows share one bucket under seed, as an
 * attacker who knows the seed (the fixed offline one is in the source)
 * computes them. */
static void colliders(uint32_t seed, uint32_t *out, unsigned n)
{
    struct packet p0 = syn_from(0, 0);
    size_t bucket = flow_bucket_of(flow_packet_hash(seed, &p0), NBUCKETS);
    unsigned k = 0;
    for (uint32_t i = 0; k < n && i < (1u << 24); i++) {
        struct packet p = syn_from(i, 0);
        if (flow_bucket_of(flow_packet_hash(seed, &p), NBUCKETS) == bucket)
            out[k++] = i;
    }
    assert_int_equal(k, n);
}

static struct flow_table *seeded_table(uint32_t seed, struct ended *e)
{
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = NBUCKETS;
    cfg.seed = seed;
    return flow_table_new(&cfg, on_end, e);
}

static void test_colliding_keys_under_their_seed(void **state)
{
    (void)state;
    static uint32_t src[NCOLLIDE];
    struct flow_config def;
    flow_config_default(&def);
    struct seeds fixed;
    seeds_fixed(&fixed);
    assert_int_equal(def.seed, fixed.flow);   /* the default is the offline seed */
    colliders(fixed.flow, src, NCOLLIDE);
    struct ended e = { 0 };
    struct flow_table *ft = seeded_table(fixed.flow, &e);
    enum flow_dir d;
    for (unsigned i = 0; i < NCOLLIDE; i++) {
        struct packet p = syn_from(src[i], 1 + i);
        assert_non_null(flow_handle(ft, &p, &d));
    }
    const struct flow_stats *st = flow_table_stats(ft);
    /* The chain stops at the cap: the excess is evicted and counted ... */
    assert_int_equal(st->created, NCOLLIDE);
    assert_int_equal(st->chain_evicted, NCOLLIDE - FLOW_CHAIN_MAX);
    assert_int_equal(e.by_reason[FLOW_END_EVICTED], NCOLLIDE - FLOW_CHAIN_MAX);
    assert_int_equal(st->active, FLOW_CHAIN_MAX);
    assert_int_equal(st->max_chain, FLOW_CHAIN_MAX);
    /* ... but every lookup walked nearly the whole chain. */
    assert_true(st->lookup_steps >= 25 * st->lookups);
    /* Every flow still held is found, from either side: no duplicate. */
    for (unsigned i = NCOLLIDE - FLOW_CHAIN_MAX; i < NCOLLIDE; i++) {
        struct packet p = syn_from(src[i], 1000);
        struct packet r = p;
        r.src = p.dst, r.dst = p.src, r.sport = p.dport, r.dport = p.sport;
        r.tcp_flags = DS_TCP_SYN | DS_TCP_ACK;
        struct flow *f = flow_handle(ft, &r, &d);
        assert_int_equal(d, FLOW_TOCLIENT);
        assert_int_equal(f->pkts[FLOW_TOCLIENT], 1);
    }
    assert_int_equal(st->created, NCOLLIDE);
    assert_int_equal(st->chain_evicted, NCOLLIDE - FLOW_CHAIN_MAX);
    flow_table_free(ft);
}

static void test_colliding_keys_under_another_seed(void **state)
{
    (void)state;
    static uint32_t src[NCOLLIDE];
    struct seeds fixed, other;
    seeds_fixed(&fixed);
    seeds_derive(&other, 12345);
    colliders(fixed.flow, src, NCOLLIDE);
    struct ended e = { 0 };
    struct flow_table *ft = seeded_table(other.flow, &e);
    enum flow_dir d;
    for (unsigned i = 0; i < NCOLLIDE; i++) {
        struct packet p = syn_from(src[i], 1 + i);
        assert_non_null(flow_handle(ft, &p, &d));
    }
    const struct flow_stats *st = flow_table_stats(ft);
    /* Spread over the buckets: nothing evicted, about no walk at all. */
    assert_int_equal(st->chain_evicted, 0);
    assert_int_equal(e.n, 0);
    assert_true(st->max_chain <= 4);
    assert_true(st->lookup_steps * 4 <= st->lookups);
    flow_table_free(ft);
}

/* A full chain makes room by evicting its least recently seen flow, not a
 * busy one. */
static void test_chain_cap_evicts_stalest(void **state)
{
    (void)state;
    uint32_t src[FLOW_CHAIN_MAX + 1];
    uint32_t seed = 0x5eed1e55u;
    colliders(seed, src, FLOW_CHAIN_MAX + 1);
    struct ended e = { 0 };
    struct flow_table *ft = seeded_table(seed, &e);
    enum flow_dir d;
    uint64_t id1 = 0;
    for (unsigned i = 0; i < FLOW_CHAIN_MAX; i++) {
        struct packet p = syn_from(src[i], 1 + i);
        struct flow *f = flow_handle(ft, &p, &d);
        if (i == 1)
            id1 = f->id;
    }
    struct packet again = syn_from(src[0], 100);   /* the oldest flow, busy again */
    again.tcp_flags = DS_TCP_ACK;
    flow_handle(ft, &again, &d);
    struct packet last = syn_from(src[FLOW_CHAIN_MAX], 101);
    flow_handle(ft, &last, &d);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.last_id, id1);
    assert_int_equal(e.by_reason[FLOW_END_EVICTED], 1);
    struct flow *f0 = flow_handle(ft, &again, &d);
    assert_int_equal(f0->pkts[FLOW_TOSERVER], 3);
    assert_int_equal(flow_table_stats(ft)->created, FLOW_CHAIN_MAX + 1);
    flow_table_free(ft);
}

static struct packet tagged(struct packet p, uint8_t n, uint16_t a, uint16_t b, uint16_t c)
{
    p.vlan.n = n;
    p.vlan.id[0] = a, p.vlan.id[1] = b, p.vlan.id[2] = c;
    return p;
}

static struct flow *handle_tagged(struct flow_table *ft, struct packet p, uint8_t n, uint16_t a,
                                  uint16_t b, uint16_t c, enum flow_dir *d)
{
    struct packet t = tagged(p, n, a, b, c);
    return flow_handle(ft, &t, d);
}

/* The tags flow f keeps, unpacked. */
static struct ds_vlan vlan_of(const struct flow *f)
{
    return ds_vlan_unpack(f->vlan);
}

/* One connection seen on several VLANs (and QinQ stacks) is one flow a
 * stack; its replies, with the same tags, find it. */
static void test_vlan_in_key(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(64, &e);
    enum flow_dir d;
    struct packet syn = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    struct packet synack = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 1);
    struct flow *plain = flow_handle(ft, &syn, &d);
    struct flow *v10 = handle_tagged(ft, syn, 1, 10, 0, 0, &d);
    struct flow *v20 = handle_tagged(ft, syn, 1, 20, 0, 0, &d);
    assert_non_null(plain);
    assert_non_null(v10);
    assert_non_null(v20);
    assert_true(plain != v10 && v10 != v20 && plain != v20);
    assert_int_equal(vlan_of(plain).n, 0);
    assert_int_equal(vlan_of(v10).n, 1);
    assert_int_equal(vlan_of(v10).id[0], 10);
    assert_int_equal(vlan_of(v20).id[0], 20);
    /* Replies land on their own VLAN's flow. */
    assert_ptr_equal(handle_tagged(ft, synack, 1, 20, 0, 0, &d), v20);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_ptr_equal(handle_tagged(ft, synack, 1, 10, 0, 0, &d), v10);
    assert_ptr_equal(flow_handle(ft, &synack, &d), plain);
    assert_int_equal(v10->state, FLOW_STATE_ESTABLISHED);
    assert_int_equal(v10->pkts[FLOW_TOSERVER] + v10->pkts[FLOW_TOCLIENT], 2);

    /* QinQ: outer 100 with inner 10 or 20, the reverse order, an extra id
     * 0, and stacks that differ only in the third tag: each its own flow. */
    struct packet stacks[] = {
        tagged(syn, 2, 100, 10, 0), tagged(syn, 2, 100, 20, 0), tagged(syn, 2, 10, 100, 0),
        tagged(syn, 2, 10, 0, 0),   tagged(syn, 3, 1, 2, 3),    tagged(syn, 3, 1, 2, 4),
    };
    struct flow *seen[6];
    for (int i = 0; i < 6; i++) {
        seen[i] = flow_handle(ft, &stacks[i], &d);
        assert_non_null(seen[i]);
        assert_true(seen[i] != plain && seen[i] != v10 && seen[i] != v20);
        for (int j = 0; j < i; j++)
            assert_true(seen[i] != seen[j]);
    }
    assert_int_equal(vlan_of(seen[0]).n, 2);
    assert_int_equal(vlan_of(seen[0]).id[0], 100);
    assert_int_equal(vlan_of(seen[0]).id[1], 10);
    /* And each is found again. */
    for (int i = 0; i < 6; i++)
        assert_ptr_equal(flow_handle(ft, &stacks[i], &d), seen[i]);
    assert_int_equal(flow_table_stats(ft)->active, 9);
    flow_table_free(ft);
    assert_int_equal(e.n, 9);
}

/* --no-vlan-key: the tags are not part of the key, so a connection tagged
 * differently in each direction (or on several VLANs) is one flow, which
 * keeps the tags of the packet that opened it. */
static void test_no_vlan_key_merges(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_config cfg;
    flow_config_default(&cfg);
    assert_true(cfg.vlan_key);
    cfg.max_flows = 16;
    cfg.vlan_key = false;
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    enum flow_dir d;
    struct packet syn = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    struct packet synack = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 1);
    struct flow *f = handle_tagged(ft, syn, 1, 10, 0, 0, &d);
    assert_non_null(f);
    assert_ptr_equal(handle_tagged(ft, synack, 1, 20, 0, 0, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_ptr_equal(handle_tagged(ft, syn, 2, 100, 10, 0, &d), f);
    assert_ptr_equal(flow_handle(ft, &syn, &d), f);
    assert_int_equal(vlan_of(f).n, 1);
    assert_int_equal(vlan_of(f).id[0], 10);
    assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
    assert_int_equal(flow_table_stats(ft)->active, 1);
    flow_table_free(ft);
    assert_int_equal(e.n, 1);
}

/* struct flow keeps the tags packed in 8 bytes (packet.h): every stack
 * decode.c can make comes back whole, QinQ with four tags and the largest
 * id (4095) included, and stacks that differ anywhere pack differently. */
static void test_vlan_packing(void **state)
{
    (void)state;
    const struct ds_vlan stacks[] = {
        { { 0, 0, 0, 0 }, 0 },          { { 0, 0, 0, 0 }, 1 },       /* id 0: a priority tag */
        { { 4095, 0, 0, 0 }, 1 },       { { 100, 10, 0, 0 }, 2 },
        { { 10, 100, 0, 0 }, 2 },       { { 1, 2, 3, 0 }, 3 },
        { { 1, 2, 3, 4 }, 4 },          { { 1, 2, 3, 4095 }, 4 },
        { { 4095, 4095, 4095, 4095 }, 4 }, { { 4095, 4095, 4095, 4094 }, 4 },
        { { 4095, 4095, 4095, 0 }, 4 }, { { 4095, 4095, 4095, 0 }, 3 },
    };
    const size_t n = sizeof(stacks) / sizeof(stacks[0]);
    for (size_t i = 0; i < n; i++) {
        struct ds_vlan_packed p = ds_vlan_pack(&stacks[i]);
        struct ds_vlan back = ds_vlan_unpack(p);
        assert_int_equal(back.n, stacks[i].n);
        for (unsigned k = 0; k < DS_VLAN_MAX; k++)
            assert_int_equal(back.id[k], stacks[i].id[k]);
        for (size_t j = 0; j < i; j++)
            assert_true(ds_vlan_pack(&stacks[j]).w != p.w);
    }
    /* Untagged packs to 0 (so an untagged flow hashes as before tags were
     * keyed); ids past the count are not kept; a 4-tag stack of the
     * largest ids uses 51 bits. */
    assert_int_equal(ds_vlan_pack(&stacks[0]).w, 0);
    const struct ds_vlan loose = { { 7, 9, 9, 9 }, 1 };
    assert_int_equal(ds_vlan_unpack(ds_vlan_pack(&loose)).id[1], 0);
    assert_int_equal(ds_vlan_pack(&stacks[8]).w, 0x4ffffffffffffull);
}

/* Four tags with the largest id, through the table: two stacks that differ
 * only in the innermost tag are two flows, each found again, keeping its
 * tags whole. */
static void test_vlan_qinq_four(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet a = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);
    a.vlan = (struct ds_vlan){ { 4095, 1, 2, 4095 }, 4 };
    struct packet b = a;
    b.vlan.id[3] = 4094;
    struct flow *fa = flow_handle(ft, &a, &d);
    struct flow *fb = flow_handle(ft, &b, &d);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_true(fa != fb);
    struct packet reply = pkt(2, 443, 1, 40000, DS_TCP_SYN | DS_TCP_ACK, 1);
    reply.vlan = a.vlan;
    assert_ptr_equal(flow_handle(ft, &reply, &d), fa);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_ptr_equal(flow_handle(ft, &b, &d), fb);
    struct ds_vlan v = vlan_of(fa);
    assert_int_equal(v.n, 4);
    assert_int_equal(v.id[0], 4095);
    assert_int_equal(v.id[1], 1);
    assert_int_equal(v.id[2], 2);
    assert_int_equal(v.id[3], 4095);
    assert_int_equal(vlan_of(fb).id[3], 4094);
    /* The hash of the flow is the hash of its packets (the tags included):
     * bucket_remove finds both again when they end. */
    flow_table_free(ft);
    assert_int_equal(e.n, 2);
}

/* The record's narrow fields: 120 bytes; state and end hold every value
 * of their enums in their bits; hello_tries sticks at its maximum. */
static void test_flow_narrow_fields(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct flow), 120);
    struct flow f;
    memset(&f, 0, sizeof(f));
    const enum flow_state states[] = { FLOW_STATE_NEW, FLOW_STATE_ESTABLISHED,
                                       FLOW_STATE_CLOSED };
    const enum flow_end ends[] = { FLOW_END_TIMEOUT, FLOW_END_EVICTED, FLOW_END_SHUTDOWN };
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 3; j++) {
            f.state = states[i] & 3u;
            f.end = ends[j] & 3u;
            assert_int_equal(f.state, states[i]);
            assert_int_equal(f.end, ends[j]);
        }
    }
    for (unsigned i = 1; i <= FLOW_HELLO_TRIES_MAX; i++)
        assert_int_equal(flow_hello_try(&f), i);
    assert_int_equal(flow_hello_try(&f), FLOW_HELLO_TRIES_MAX);
    assert_int_equal(f.hello_tries, FLOW_HELLO_TRIES_MAX);
    assert_int_equal(f.ndpi_pkts, 0);   /* its neighbours untouched */
    assert_int_equal(f.proto, 0);
}

/* The 48-bit byte counters: the carry into the high word, then sticking
 * at FLOW_BYTES_MAX, 2^48 - 1 = 0xffffffffffff, one direction at a time. */
static void test_flow_bytes_saturate(void **state)
{
    (void)state;
    assert_true(FLOW_BYTES_MAX == 0xffffffffffffull);
    struct flow f;
    memset(&f, 0, sizeof(f));
    flow_bytes_add(&f, FLOW_TOSERVER, 0xffffffffu);
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == 0xffffffffull);
    assert_int_equal(f.bytes_hi[FLOW_TOSERVER], 0);
    flow_bytes_add(&f, FLOW_TOSERVER, 1);            /* carries: 2^32 */
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == 0x100000000ull);
    assert_int_equal(f.bytes_lo[FLOW_TOSERVER], 0);
    assert_int_equal(f.bytes_hi[FLOW_TOSERVER], 1);
    /* 0x100000000 + 0xfffefffffffa = 0xfffffffffffa, 5 short of the top */
    flow_bytes_add(&f, FLOW_TOSERVER, 0xfffefffffffaull);
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == 0xfffffffffffaull);
    flow_bytes_add(&f, FLOW_TOSERVER, 5);            /* exactly the top */
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == FLOW_BYTES_MAX);
    flow_bytes_add(&f, FLOW_TOSERVER, 1);            /* sticks, no wrap to 0 */
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == FLOW_BYTES_MAX);
    flow_bytes_add(&f, FLOW_TOSERVER, UINT64_MAX);   /* no overflow in the sum */
    assert_true(flow_bytes(&f, FLOW_TOSERVER) == FLOW_BYTES_MAX);
    assert_true(flow_bytes(&f, FLOW_TOCLIENT) == 0); /* the other way untouched */
    flow_bytes_add(&f, FLOW_TOCLIENT, UINT64_MAX);   /* from 0 past the top at once */
    assert_true(flow_bytes(&f, FLOW_TOCLIENT) == FLOW_BYTES_MAX);

    /* Through the table: a flow 100 bytes short of the top takes two
     * 60-byte packets and sticks. */
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet p = pkt(1, 40000, 2, 443, DS_TCP_ACK, 1);
    struct flow *g = flow_handle(ft, &p, &d);
    assert_int_equal(d, FLOW_TOSERVER);
    assert_true(flow_bytes(g, FLOW_TOSERVER) == 60);
    flow_bytes_add(g, FLOW_TOSERVER, FLOW_BYTES_MAX - 100 - 60);
    assert_ptr_equal(flow_handle(ft, &p, &d), g);
    assert_true(flow_bytes(g, FLOW_TOSERVER) == FLOW_BYTES_MAX - 40);
    assert_ptr_equal(flow_handle(ft, &p, &d), g);
    assert_true(flow_bytes(g, FLOW_TOSERVER) == FLOW_BYTES_MAX);
    assert_true(flow_bytes(g, FLOW_TOCLIENT) == 0);
    flow_table_free(ft);
}

/* The client's ISN and the hello slot share a word: the ISN until a feed
 * takes a buffer, the slot from then on; a SYN never writes over a slot. */
static void test_hello_word(void **state)
{
    (void)state;
    struct ended e = { 0 };
    struct flow_table *ft = table(16, &e);
    enum flow_dir d;
    struct packet syn = pkt(1, 40000, 2, 443, DS_TCP_SYN, 1);   /* seq 1000 */
    struct flow *f = flow_handle(ft, &syn, &d);
    assert_int_equal(flow_cli_isn(f), 1001);
    assert_null(flow_hello_slot(f));
    assert_int_equal(flow_hello_buffer(f), 0);
    /* A feed that takes no buffer: the word is the ISN again after it. */
    uint32_t isn1 = flow_hello_open(f);
    assert_int_equal(isn1, 1001);
    assert_int_equal(f->hello.slot, 0);
    assert_ptr_equal(flow_hello_slot(f), &f->hello.slot);
    flow_hello_close(f, isn1);
    assert_int_equal(f->hello_held, 0);
    assert_int_equal(flow_cli_isn(f), 1001);
    /* A retransmitted SYN before any buffer: the latest ISN, as before. */
    syn.seq = 2000;
    flow_handle(ft, &syn, &d);
    assert_int_equal(flow_cli_isn(f), 2001);

    /* A feed that takes a buffer, from a pool of one. */
    static const uint8_t part[] = { 0x16, 0x03, 0x01, 0x00, 0x40,   /* record of 64 */
                                    0x01, 0x00, 0x00, 0x3c,         /* ClientHello of 60 */
                                    0x03, 0x03 };                   /* (cut short) */
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    struct tls_hello h;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    isn1 = flow_hello_open(f);
    assert_int_equal(tls_asm_feed(pool, &f->hello.slot, true, isn1, 2001, part, sizeof(part), &h,
                                  &raw, &raw_len),
                     TLS_FEED_MORE);
    flow_hello_close(f, isn1);
    assert_int_equal(f->hello_held, 1);
    uint32_t buf = flow_hello_buffer(f);
    assert_int_not_equal(buf, 0);
    assert_int_equal(flow_cli_isn(f), 0);
    syn.seq = 3000;                       /* a SYN now leaves the slot alone */
    flow_handle(ft, &syn, &d);
    assert_int_equal(flow_hello_buffer(f), buf);
    assert_int_equal(flow_hello_open(f), 0); /* the buffer has its own start */
    flow_hello_close(f, 0);
    assert_int_equal(flow_hello_buffer(f), buf);

    /* Another flow takes the only buffer: the pool writes its mark into f's
     * word, which stays the slot, and f's next feed is told. */
    struct packet syn2 = pkt(3, 40001, 4, 443, DS_TCP_SYN, 1);
    struct flow *g = flow_handle(ft, &syn2, &d);
    isn1 = flow_hello_open(g);
    assert_int_equal(tls_asm_feed(pool, &g->hello.slot, true, isn1, 1001, part, sizeof(part), &h,
                                  &raw, &raw_len),
                     TLS_FEED_MORE);
    flow_hello_close(g, isn1);
    assert_int_equal(g->hello_held, 1);
    assert_int_not_equal(flow_hello_buffer(f), 0);
    assert_int_not_equal(flow_hello_buffer(f), buf);   /* the pool's mark */
    isn1 = flow_hello_open(f);
    assert_int_equal(tls_asm_feed(pool, &f->hello.slot, true, isn1, 2012, part, sizeof(part), &h,
                                  &raw, &raw_len),
                     TLS_FEED_RECLAIMED);
    flow_hello_close(f, isn1);
    tls_asm_release(pool, flow_hello_slot(f));
    assert_int_equal(flow_hello_buffer(f), 0);
    tls_asm_release(pool, flow_hello_slot(g));
    assert_int_equal(flow_hello_buffer(g), 0);
    tls_asm_release(pool, flow_hello_slot(g));   /* again: a no-op */
    tls_asm_pool_free(pool);
    flow_table_free(ft);
}

/* The bucket count: 3/4 of the cap, rounded up, between its floor and
 * ceiling; a hash's bucket is its fraction of the count. */
static void test_bucket_sizing(void **state)
{
    (void)state;
    assert_int_equal(flow_buckets_for(0), 1024);
    assert_int_equal(flow_buckets_for(1365), 1024);        /* 1,023.75 up to the floor */
    assert_int_equal(flow_buckets_for(1366), 1025);        /* 1,024.5 rounded up */
    assert_int_equal(flow_buckets_for(1048576), 786432);   /* the bench's --max-flows */
    assert_int_equal(flow_buckets_for(1000001), 750001);   /* 750,000.75 rounded up */
    assert_int_equal(flow_buckets_for(FLOW_MAX_FLOWS), (size_t)1 << 26);
    assert_int_equal(flow_bucket_of(0, 1000), 0);
    assert_int_equal(flow_bucket_of(0x80000000u, 1000), 500);
    assert_int_equal(flow_bucket_of(UINT32_MAX, 1000), 999);
    assert_int_equal(flow_bucket_of(UINT32_MAX, (size_t)1 << 26), ((size_t)1 << 26) - 1);
    /* The record and 3/4 of a 4-byte bucket. */
    assert_int_equal(flow_table_bytes_per_flow(), sizeof(struct flow) + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orientation_and_symmetry),
        cmocka_unit_test(test_vlan_packing),
        cmocka_unit_test(test_vlan_qinq_four),
        cmocka_unit_test(test_flow_narrow_fields),
        cmocka_unit_test(test_flow_bytes_saturate),
        cmocka_unit_test(test_hello_word),
        cmocka_unit_test(test_bucket_sizing),
        cmocka_unit_test(test_timeouts_on_packet_time),
        cmocka_unit_test(test_closed_flows_expire_sooner),
        cmocka_unit_test(test_bounded_expiry_work),
        cmocka_unit_test(test_eviction_at_cap),
        cmocka_unit_test(test_eviction_order_by_kind),
        cmocka_unit_test(test_emergency_timeouts_and_recovery),
        cmocka_unit_test(test_emergency_ends_within_a_pass),
        cmocka_unit_test(test_evict_app),
        cmocka_unit_test(test_evict_app_scan_bound),
        cmocka_unit_test(test_app_store_holds_the_flow_cap),
        cmocka_unit_test(test_evict_app_across_classes),
        cmocka_unit_test(test_port_reuse_starts_new_flow),
        cmocka_unit_test(test_packet_counters_saturate),
        cmocka_unit_test(test_store_across_slabs),
        cmocka_unit_test(test_udp_and_v6),
        cmocka_unit_test(test_colliding_keys_under_their_seed),
        cmocka_unit_test(test_colliding_keys_under_another_seed),
        cmocka_unit_test(test_chain_cap_evicts_stalest),
        cmocka_unit_test(test_vlan_in_key),
        cmocka_unit_test(test_no_vlan_key_merges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
