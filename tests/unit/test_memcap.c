/* memcap: sizes parsed (suffixes, nonsense and the range refused with a
 * reason), the shares (their sum within the limit, the fixed reserve, one
 * share's object cap against a count cap), emergency mode (entered at a
 * store's cap, counted once, left only when every store is at most 70%
 * full), and the counters written to sensor.memcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/flow-app.h"
#include "ds/flow.h"
#include "ds/memcap.h"
#include "ds/stats.h"

static uint64_t parse_ok(const char *s)
{
    uint64_t v = 0;
    char err[256] = "";
    if (memcap_parse_size(s, &v, err, sizeof(err)) != 0)
        fail_msg("'%s' refused: %s", s, err);
    return v;
}

static void parse_bad(const char *s, const char *why)
{
    uint64_t v = 7;
    char err[256] = "";
    if (memcap_parse_size(s, &v, err, sizeof(err)) == 0)
        fail_msg("'%s' accepted", s);
    if (strstr(err, why) == NULL)
        fail_msg("'%s': '%s' does not say '%s'", s, err, why);
    assert_int_equal(v, 7);
}

static void test_parse_sizes(void **state)
{
    (void)state;
    const uint64_t mib = 1u << 20;
    assert_int_equal(parse_ok("512M"), 512 * mib);
    assert_int_equal(parse_ok("512MiB"), 512 * mib);
    assert_int_equal(parse_ok("512mib"), 512 * mib);
    assert_int_equal(parse_ok("64m"), 64 * mib);
    assert_int_equal(parse_ok("49152K"), 48 * mib);
    assert_int_equal(parse_ok("49152KiB"), 48 * mib);
    assert_int_equal(parse_ok("2G"), 2048 * mib);
    assert_int_equal(parse_ok("1GiB"), 1024 * mib);
    assert_int_equal(parse_ok("1024G"), MEMCAP_MAX);
    assert_int_equal(parse_ok("50331648"), 48 * mib); /* plain bytes */
    parse_bad("0", "out of range");
    parse_bad("47M", "out of range");
    parse_bad("50331647", "out of range");
    parse_bad("1025G", "out of range");
    parse_bad("99999999999999999999G", "out of range");
    parse_bad("", "not a size");
    parse_bad("M", "not a size");
    parse_bad("-1M", "not a size");
    parse_bad("1.5G", "not a size");
    parse_bad("64 M", "not a size");
    parse_bad("64MB", "not a size");
    parse_bad("64T", "not a size");
    parse_bad("lots", "not a size");
}

static const enum memcap_share every_share[] = {
    MEMCAP_FLOWS, MEMCAP_FLOW_APP, MEMCAP_HELLO_BUFFERS, MEMCAP_QUIC_REASM, MEMCAP_NDPI,
    MEMCAP_SOURCES, MEMCAP_CLUSTERS, MEMCAP_STRINGS, MEMCAP_TURN_POOL,
};

static uint64_t share_sum(const struct memcap *mc)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof(every_share) / sizeof(every_share[0]); i++) {
        assert_true(memcap_share(mc, every_share[i]) > 0);
        sum += memcap_share(mc, every_share[i]);
    }
    return sum;
}

static void test_shares(void **state)
{
    (void)state;
    static const uint64_t limits[] = { MEMCAP_MIN, (uint64_t)64 << 20, MEMCAP_DEFAULT,
                                       (uint64_t)8 << 30 };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct memcap *mc = memcap_new(limits[i]);
        assert_int_equal(memcap_limit(mc), limits[i]);
        /* The reserve for what is not pooled: 32 MiB and an eighth. */
        uint64_t reserve = ((uint64_t)32 << 20) + limits[i] / 8;
        uint64_t sum = share_sum(mc);
        assert_true(sum <= limits[i] - reserve);
        assert_true(sum + 9 * 1000 >= limits[i] - reserve); /* rounding only */
        memcap_free(mc);
    }
    /* At the default, a share is its per-mille of the 416 MiB pooled. */
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    uint64_t pooled = ((uint64_t)416 << 20) / 1000;
    assert_int_equal(memcap_share(mc, MEMCAP_FLOWS), pooled * 100);
    assert_int_equal(memcap_share(mc, MEMCAP_FLOW_APP), pooled * 150);
    assert_int_equal(memcap_share(mc, MEMCAP_SOURCES), pooled * 410);
    /* Object caps: the share's, or the count cap if smaller; at least 1. */
    size_t flows_share = memcap_share(mc, MEMCAP_FLOWS);
    assert_int_equal(memcap_objects(mc, MEMCAP_FLOWS, 200, 1u << 30), flows_share / 200);
    assert_int_equal(memcap_objects(mc, MEMCAP_FLOWS, 200, 1000), 1000);
    assert_int_equal(memcap_objects(mc, MEMCAP_FLOWS, flows_share * 2, 1000), 1);
    /* Below the least is raised to it; no memcap leaves the count cap. */
    struct memcap *tiny = memcap_new(1);
    assert_int_equal(memcap_limit(tiny), MEMCAP_MIN);
    memcap_free(tiny);
    assert_int_equal(memcap_objects(NULL, MEMCAP_FLOWS, 200, 1234), 1234);
    assert_int_equal(memcap_share(NULL, MEMCAP_FLOWS), 0);
    memcap_free(mc);
    memcap_free(NULL);
}

static void test_emergency_enter_leave(void **state)
{
    (void)state;
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    memcap_fill(mc, MEMCAP_FLOWS, 99, 100);
    assert_false(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOWS, 100, 100); /* at the cap */
    assert_true(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOW_APP, 50, 50); /* the other store full too: still once */
    memcap_fill(mc, MEMCAP_FLOWS, 71, 100);
    assert_true(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOWS, 70, 100); /* flows recovered, app still full */
    assert_true(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOW_APP, 36, 50);
    assert_true(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOW_APP, 35, 50); /* both at 70%: recovered */
    assert_false(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOW_APP, 49, 50); /* no way back in below the cap */
    assert_false(memcap_emergency(mc));
    memcap_fill(mc, MEMCAP_FLOW_APP, 50, 50);
    assert_true(memcap_emergency(mc));
    memcap_fill(NULL, MEMCAP_FLOWS, 1, 1);
    assert_false(memcap_emergency(NULL));

    struct stats_node *root = stats_new();
    stats_u64(stats_child(stats_child(root, "sensor"), "memory"), "flows", 1000);
    stats_u64(stats_child(stats_child(root, "sensor"), "memory"), "flow_app", 24);
    stats_u64(stats_child(stats_child(root, "sensor"), "sources"), "evicted", 7);
    stats_u64(stats_child(stats_child(root, "sensor"), "sources"), "profiles_evicted", 4);
    stats_u64(stats_child(stats_child(root, "sensor"), "detect"), "clusters_evicted", 5);
    memcap_evicted(mc, MEMCAP_EV_FLOWS_UNFOLLOWED);
    memcap_evicted(mc, MEMCAP_EV_FLOWS_UNFOLLOWED);
    memcap_evicted(mc, MEMCAP_EV_FLOWS_FOLLOWED);
    memcap_evicted(mc, MEMCAP_EV_HELLO_BUFFERS);
    memcap_ndpi_refused(mc);
    size_t src_share = memcap_share(mc, MEMCAP_SOURCES);
    assert_int_equal(memcap_objects(mc, MEMCAP_SOURCES, 1000, 1u << 30), src_share / 1000);
    assert_int_equal(memcap_objects(mc, MEMCAP_FLOWS, 1000, 10), 10);
    memcap_stats_write(mc, root);
    const struct stats_node *m = stats_get(stats_get(root, "sensor"), "memcap");
    uint64_t v = 0;
    assert_int_equal(stats_get_u64(m, "limit", &v), 0);
    assert_int_equal(v, MEMCAP_DEFAULT);
    assert_int_equal(stats_get_u64(m, "used", &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(stats_get_u64(m, "emergency", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(stats_get_u64(m, "emergency_entered", &v), 0);
    assert_int_equal(v, 2);
    const struct stats_node *sh = stats_get(m, "shares");
    assert_int_equal(stats_get_u64(sh, "turn_pool", &v), 0);
    assert_int_equal(v, memcap_share(mc, MEMCAP_TURN_POOL));
    const struct stats_node *ev = stats_get(m, "evicted");
    static const struct { const char *k; uint64_t v; } want[] = {
        { "flows_unfollowed", 2 }, { "flows_followed", 1 }, { "hello_buffers", 1 },
        { "sources", 7 }, { "clusters", 5 },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(stats_get_u64(ev, want[i].k, &v), 0);
        assert_int_equal(v, want[i].v);
    }
    assert_int_equal(stats_get_u64(stats_get(m, "refused"), "ndpi_states", &v), 0);
    assert_int_equal(v, 1);
    /* Object caps: the sources' lowered by their share says what was
     * asked; the flows' was the count option; a store never capped by
     * objects (strings) is not listed. */
    const struct stats_node *caps = stats_get(m, "caps");
    assert_int_equal(stats_get_u64(stats_get(caps, "sources"), "objects", &v), 0);
    assert_int_equal(v, src_share / 1000);
    assert_int_equal(stats_get_u64(stats_get(caps, "sources"), "asked", &v), 0);
    assert_int_equal(v, 1u << 30);
    assert_int_equal(stats_get_u64(stats_get(caps, "flows"), "objects", &v), 0);
    assert_int_equal(v, 10);
    assert_int_not_equal(stats_get_u64(stats_get(caps, "flows"), "asked", &v), 0);
    assert_null(stats_get(caps, "strings"));
    stats_free(root);
    memcap_free(mc);
}

/* The default budget holds the default flow table (--max-flows), as the
 * flows share was sized to: a flow costs its record and up to two 32-bit
 * buckets (flow_table_bytes_per_flow, as sensor.c's make_pools charges
 * it); the application store, at most one state a flow, is then bound by
 * the flow count too. */
static void test_default_budget_holds_default_flows(void **state)
{
    (void)state;
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct flow_config fc;
    flow_config_default(&fc);
    size_t flow_cost = flow_table_bytes_per_flow();
    size_t flows = memcap_objects(mc, MEMCAP_FLOWS, flow_cost, fc.max_flows);
    assert_int_equal(flows, fc.max_flows);
    size_t app_cost = (sizeof(struct flow_app) + 15) & ~(size_t)15;
    assert_int_equal(memcap_objects(mc, MEMCAP_FLOW_APP, app_cost, flows), flows);
    /* At the least budget too, the application store never binds first. */
    struct memcap *least = memcap_new(MEMCAP_MIN);
    size_t least_flows = memcap_objects(least, MEMCAP_FLOWS, flow_cost, fc.max_flows);
    assert_int_equal(memcap_objects(least, MEMCAP_FLOW_APP, app_cost, least_flows), least_flows);
    memcap_free(least);
    memcap_free(mc);
}

/* sensor.sources.evicted counts every source record pushed out, profile
 * records (also in profiles_evicted) and those pushed out of a full hash
 * chain (also in chain_evicted) among them: evicted.sources is the records
 * evicted at the cap, each once, as evicted.flows_* leave chain evictions
 * out. */
static void test_sources_evicted_once(void **state)
{
    (void)state;
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    struct stats_node *root = stats_new();
    struct stats_node *so = stats_child(stats_child(root, "sensor"), "sources");
    stats_u64(so, "evicted", 10);          /* 7 at the cap, 3 from a full chain */
    stats_u64(so, "chain_evicted", 3);
    stats_u64(so, "profiles_evicted", 4);  /* of the 10 */
    memcap_stats_write(mc, root);
    const struct stats_node *ev =
        stats_get(stats_get(stats_get(root, "sensor"), "memcap"), "evicted");
    uint64_t v = 0;
    assert_int_equal(stats_get_u64(ev, "sources", &v), 0);
    assert_int_equal(v, 7);
    stats_free(root);
    memcap_free(mc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sizes),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_emergency_enter_leave),
        cmocka_unit_test(test_sources_evicted_once),
        cmocka_unit_test(test_default_budget_holds_default_flows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
