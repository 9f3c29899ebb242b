/* Profiles in the source table: records keyed by (address, profile), the
 * split that copies an address's record into its first family's profile
 * when a second family appears, the families an address carried in a
 * window, flow ends on profile records, the profile records' share of
 * the cap (evicted least recently seen, counted), geo carried over, the
 * copy without ring chunks, and the two ways of visiting records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/features.h"
#include "ds/packet.h"
#include "ds/source.h"
#include "ds/time-units.h"

#define S(x) ((uint64_t)(x) * DS_US_PER_S)
/* 2026-02-23 10:00:00 UTC: a minute boundary */
#define T0 S(1771840800ull)

static struct ds_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ds_addr x;
    const uint8_t v4[4] = { a, b, c, d };
    ds_addr_from_v4(&x, v4);
    return x;
}

static struct source_flow flow_of(struct ds_addr src, uint64_t id, const char *family)
{
    struct source_flow fl;
    memset(&fl, 0, sizeof(fl));
    fl.src = src;
    fl.dst = ip4(162, 159, 140, 245);
    fl.sport = (uint16_t)(40000 + id);
    fl.dport = 443;
    fl.flow_id = id;
    fl.host = "api.openai.com";
    fl.provider = "openai";
    fl.service = "api";
    fl.ja4 = "t13d1715h2_5b57614c22b0_3d5424432f57";
    fl.family = family;
    return fl;
}

static struct turn turn_at(uint64_t start, uint32_t req)
{
    struct turn t;
    memset(&t, 0, sizeof(t));
    t.start_us = start;
    t.req_bytes = req;
    t.resp_bytes = 8000;
    t.ttfb_us = 400000;
    t.resp_dur_us = 3000000;
    return t;
}

static struct source_table *table(size_t max_sources, size_t max_chunks)
{
    struct source_config cfg;
    source_config_default(&cfg);
    cfg.max_sources = max_sources;
    cfg.max_turn_chunks = max_chunks;
    cfg.turns_kept = 64;
    cfg.eval_interval_s = 0;
    struct source_table *st = source_table_new(&cfg);
    assert_non_null(st);
    return st;
}

/* What detect.c does with a turn: the split check, the address record,
 * then the family's profile record once the address is split. */
static void file_turn(struct source_table *st, struct source_flow fl, uint64_t at, uint32_t req)
{
    struct turn t = turn_at(at, req);
    bool split = source_profile_split(st, &fl.src, fl.family, at);
    fl.profile = SOURCE_PROFILE_ADDRESS;
    assert_int_equal(source_turn(st, &fl, &t, at, NULL, NULL), 0);
    if (split) {
        fl.profile = source_profile_id(fl.family);
        assert_int_equal(source_turn(st, &fl, &t, at, NULL, NULL), 0);
    }
}

static double requests_of(struct source_table *st, struct ds_addr a, const char *family,
                          uint64_t at)
{
    struct source_key k = { a, source_profile_id(family) };
    struct features f;
    if (source_key_features(st, &k, 600, at, &f) != 0)
        return -1;
    return features_num(&f, FEAT_REQUESTS);
}

/* A family's id: never 0, the same in any case, 0 for no family; two
 * families differ. */
static void test_profile_id(void **state)
{
    (void)state;
    assert_int_equal(source_profile_id(NULL), SOURCE_PROFILE_ADDRESS);
    assert_int_equal(source_profile_id(""), SOURCE_PROFILE_ADDRESS);
    assert_true(source_profile_id("python") != SOURCE_PROFILE_ADDRESS);
    assert_int_equal(source_profile_id("python"), source_profile_id("Python"));
    assert_true(source_profile_id("python") != source_profile_id("browser"));
    assert_true(source_profile_id("unknown") != source_profile_id("browser"));
}

/* One family from an address: no profile record, whatever it does. */
static void test_one_family_no_profiles(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 1);
    for (int i = 0; i < 20; i++)
        file_turn(st, flow_of(a, 1, "python"), T0 + S(i), 1000);
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->profiles, 0);
    assert_int_equal(ss->profile_splits, 0);
    assert_int_equal(ss->active, 1);
    assert_int_equal(source_families(st, &a, 600, T0 + S(20)), 1);
    assert_true(requests_of(st, a, "python", T0 + S(20)) < 0);   /* no such record */
    /* A flow without a family never splits. */
    assert_false(source_profile_split(st, &a, NULL, T0 + S(21)));
    assert_false(source_profile_split(st, &a, "", T0 + S(21)));
    source_table_free(st);
}

/* Ten python turns, then a browser: the address record is copied into
 * python's profile (its ten turns), the browser gets a record of its own,
 * and each turn after that lands in the address and in its family's. */
static void test_split_keeps_first_family_history(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 2);
    for (int i = 0; i < 10; i++)
        file_turn(st, flow_of(a, 1, "python"), T0 + S(i), 1000);
    file_turn(st, flow_of(a, 2, "browser"), T0 + S(10), 3000);
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->profile_splits, 1);
    assert_int_equal(ss->profiles, 2);
    assert_int_equal(ss->profiles_created, 2);
    assert_int_equal(ss->active, 3);
    assert_int_equal(ss->turns, 11);   /* address records' only */
    uint64_t now = T0 + S(10);
    assert_true(requests_of(st, a, "python", now) == 10);
    assert_true(requests_of(st, a, "browser", now) == 1);
    struct features f;
    assert_int_equal(source_features(st, &a, 600, now, &f), 0);
    assert_true(features_num(&f, FEAT_REQUESTS) == 11);
    assert_true(features_num(&f, FEAT_DISTINCT_FAMILIES) == 2);
    /* python's record holds python alone, with its own prompt sizes */
    struct source_key kp = { a, source_profile_id("python") };
    assert_int_equal(source_key_features(st, &kp, 600, now, &f), 0);
    assert_true(features_num(&f, FEAT_DISTINCT_FAMILIES) == 1);
    assert_string_equal(features_str(&f, FEAT_FINGERPRINT_FAMILY, 0), "python");
    assert_true(features_num(&f, FEAT_REQUEST_SIZE_CV) == 0);
    struct source_last_flow last;
    assert_int_equal(source_key_last_flow(st, &kp, &last), 0);
    assert_string_equal(last.family, "python");
    assert_int_equal(last.flow_id, 1);
    /* Later turns go to both records; a third family splits nothing more. */
    file_turn(st, flow_of(a, 1, "python"), T0 + S(11), 1000);
    file_turn(st, flow_of(a, 3, "go"), T0 + S(12), 1000);
    assert_int_equal(ss->profile_splits, 1);
    assert_int_equal(ss->profiles, 3);
    now = T0 + S(12);
    assert_true(requests_of(st, a, "python", now) == 11);
    assert_true(requests_of(st, a, "go", now) == 1);
    assert_int_equal(source_families(st, &a, 600, now), 3);
    /* Another address is untouched. */
    struct ds_addr b = ip4(10, 0, 0, 3);
    file_turn(st, flow_of(b, 9, "python"), now, 1000);
    assert_int_equal(ss->profiles, 3);
    source_table_free(st);
}

/* The families an address carried in a window: only those seen in it. */
static void test_families_in_window(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 4);
    file_turn(st, flow_of(a, 1, "browser"), T0, 3000);
    file_turn(st, flow_of(a, 2, "python"), T0 + S(30), 1000);
    assert_int_equal(source_families(st, &a, 60, T0 + S(30)), 2);
    assert_int_equal(source_families(st, &a, 60, T0 + S(61)), 1);   /* browser left the 1m window */
    assert_int_equal(source_families(st, &a, 600, T0 + S(61)), 2);
    struct ds_addr none = ip4(10, 0, 0, 99);
    assert_int_equal(source_families(st, &none, 600, T0), 0);
    source_table_free(st);
}

/* A profile record's flow ends on the record of its key, which is held
 * here: not stale; an end on a key no record is held for is. The flows
 * open before the split are not the copy's. */
static void test_profile_flow_ends(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 5);
    struct source_flow py = flow_of(a, 1, "python");
    assert_int_equal(source_flow_start(st, &py, T0, NULL), 0);
    struct source_flow br = flow_of(a, 2, "browser");
    assert_true(source_profile_split(st, &a, br.family, T0 + S(1)));
    assert_int_equal(source_flow_start(st, &br, T0 + S(1), NULL), 0);
    br.profile = source_profile_id("browser");
    assert_int_equal(source_flow_start(st, &br, T0 + S(1), NULL), 0);
    struct source_key kb = { a, br.profile };
    struct source_key kp = { a, source_profile_id("python") };
    struct source_key kg = { a, source_profile_id("go") };   /* never filed */
    const struct source_stats *ss = source_table_stats(st);
    source_key_flow_end(st, &kb, T0 + S(2));
    assert_int_equal(ss->stale_ends, 0);
    source_key_flow_end(st, &kg, T0 + S(2));
    assert_int_equal(ss->stale_ends, 1);
    source_flow_end(st, &a, T0 + S(2));
    source_flow_end(st, &a, T0 + S(3));
    assert_int_equal(ss->stale_ends, 1);
    /* python's copy was made with the python flow open: none of it is its */
    struct turn t = turn_at(T0 + S(4), 1000);
    py.profile = kp.profile;
    assert_int_equal(source_turn(st, &py, &t, T0 + S(4), NULL, NULL), 0);
    /* max_concurrency counts requests in flight, not open connections:
     * python's one request is its own, the browser profile has none */
    struct features f;
    assert_int_equal(source_key_features(st, &kp, 60, T0 + S(4), &f), 0);
    assert_true(features_num(&f, FEAT_MAX_CONCURRENCY) == 1);
    assert_int_equal(source_key_features(st, &kb, 60, T0 + S(4), &f), 0);
    assert_true(features_num(&f, FEAT_MAX_CONCURRENCY) == 0);
    source_table_free(st);
}

/* Profile records count against max_sources: at the cap the least recently
 * seen record goes, profile or address, and profile evictions are counted
 * apart. The table never holds more than the cap. */
static void test_profiles_share_the_cap(void **state)
{
    (void)state;
    struct source_table *st = table(4, 0);
    struct ds_addr nat = ip4(10, 0, 0, 6);
    file_turn(st, flow_of(nat, 1, "browser"), T0, 3000);
    file_turn(st, flow_of(nat, 2, "python"), T0 + S(1), 1000);
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->active, 3);   /* the address, browser's copy, python */
    /* Two more addresses: the oldest record (browser's copy, seen at T0 and
     * touched by the split at T0 + 1 s before python's) is pushed out. */
    file_turn(st, flow_of(ip4(10, 0, 1, 1), 3, "go"), T0 + S(2), 1000);
    assert_int_equal(ss->active, 4);
    file_turn(st, flow_of(ip4(10, 0, 1, 2), 4, "go"), T0 + S(3), 1000);
    assert_int_equal(ss->active, 4);
    assert_int_equal(ss->evicted, 1);
    assert_int_equal(ss->profiles_evicted, 1);
    assert_int_equal(ss->profiles, 1);
    assert_true(requests_of(st, nat, "browser", T0 + S(3)) < 0);
    assert_true(requests_of(st, nat, "python", T0 + S(3)) == 1);
    /* A browser turn again: its profile record is made anew, something else goes. */
    file_turn(st, flow_of(nat, 1, "browser"), T0 + S(4), 3000);
    assert_int_equal(ss->active, 4);
    assert_int_equal(ss->max_active, 4);
    assert_true(requests_of(st, nat, "browser", T0 + S(4)) == 1);
    assert_int_equal(ss->profile_splits, 1);
    /* A flood of families from many NATs keeps to the cap. */
    for (int i = 0; i < 200; i++) {
        struct ds_addr a = ip4(10, 2, (uint8_t)(i / 250), (uint8_t)i);
        file_turn(st, flow_of(a, 10, "browser"), T0 + S(10 + i), 3000);
        file_turn(st, flow_of(a, 11, "python"), T0 + S(10 + i), 1000);
        file_turn(st, flow_of(a, 12, "unknown"), T0 + S(10 + i), 1000);
        assert_true(ss->active <= 4);
    }
    assert_true(ss->profiles_evicted > 100);
    assert_int_equal(ss->created, ss->active + ss->evicted + ss->expired);
    source_table_free(st);
}

/* A profile record takes its address's geo, made or copied. */
static void test_profile_geo(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 7);
    file_turn(st, flow_of(a, 1, "browser"), T0, 3000);
    assert_int_equal(source_set_geo(st, &a, "DE", "64500", "Org"), 0);
    file_turn(st, flow_of(a, 2, "python"), T0 + S(1), 1000);
    struct features f;
    const char *fams[] = { "browser", "python" };
    for (int i = 0; i < 2; i++) {
        struct source_key k = { a, source_profile_id(fams[i]) };
        assert_int_equal(source_key_features(st, &k, 600, T0 + S(1), &f), 0);
        assert_string_equal(features_str(&f, FEAT_COUNTRY, 0), "DE");
        assert_string_equal(features_str(&f, FEAT_ASN, 0), "64500");
    }
    source_table_free(st);
}

/* When the chunk pool cannot give the copy a ring, the copy starts without
 * one, as a source that finds no chunk does: the turns not copied are
 * counted as ring_short, and the browser's record, which finds no chunk
 * either, does not take the address's (it would evict it). */
static void test_split_without_chunks(void **state)
{
    (void)state;
    struct source_table *st = table(16, 2);   /* two ring chunks in all */
    struct ds_addr a = ip4(10, 0, 0, 8);
    for (int i = 0; i < 40; i++)   /* 40 turns: both chunks */
        file_turn(st, flow_of(a, 1, "python"), T0 + S(i), 1000);
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->chunks_in_use, 2);
    uint64_t short_before = ss->ring_short;
    file_turn(st, flow_of(a, 2, "browser"), T0 + S(40), 3000);
    assert_int_equal(ss->profile_splits, 1);
    assert_int_equal(ss->chunks_in_use, 2);   /* the address still has both */
    assert_true(ss->ring_short >= short_before + 40);
    assert_true(requests_of(st, a, "python", T0 + S(40)) == 0);
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(40), &f), 0);
    assert_true(features_num(&f, FEAT_REQUESTS) == 41);
    source_table_free(st);
}

struct visits {
    unsigned addrs, keys, profiles;
};

static void count_addr(void *ctx, const struct ds_addr *src)
{
    (void)src;
    ((struct visits *)ctx)->addrs++;
}

static void count_key(void *ctx, const struct source_key *k)
{
    struct visits *v = ctx;
    v->keys++;
    if (k->profile != SOURCE_PROFILE_ADDRESS)
        v->profiles++;
}

/* source_foreach visits address records; source_key_foreach every record. */
static void test_foreach(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 9), b = ip4(10, 0, 0, 10);
    file_turn(st, flow_of(a, 1, "browser"), T0, 3000);
    file_turn(st, flow_of(a, 2, "python"), T0 + S(1), 1000);
    file_turn(st, flow_of(b, 3, "python"), T0 + S(2), 1000);
    struct visits v = { 0, 0, 0 };
    source_foreach(st, 0, count_addr, &v);
    source_key_foreach(st, 0, count_key, &v);
    assert_int_equal(v.addrs, 2);
    assert_int_equal(v.keys, 4);
    assert_int_equal(v.profiles, 2);
    source_table_free(st);
}

/* The cluster profile: the address's own until set; unheld addresses
 * answer the address's and refuse to be set. */
static void test_cluster_profile(void **state)
{
    (void)state;
    struct source_table *st = table(16, 0);
    struct ds_addr a = ip4(10, 0, 0, 11), none = ip4(10, 0, 0, 12);
    file_turn(st, flow_of(a, 1, "python"), T0, 1000);
    assert_int_equal(source_cluster_profile(st, &a), SOURCE_PROFILE_ADDRESS);
    assert_int_equal(source_set_cluster_profile(st, &a, source_profile_id("python")), 0);
    assert_int_equal(source_cluster_profile(st, &a), source_profile_id("python"));
    assert_int_equal(source_set_cluster_profile(st, &none, 1), -1);
    assert_int_equal(source_cluster_profile(st, &none), SOURCE_PROFILE_ADDRESS);
    source_table_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_id),
        cmocka_unit_test(test_one_family_no_profiles),
        cmocka_unit_test(test_split_keeps_first_family_history),
        cmocka_unit_test(test_families_in_window),
        cmocka_unit_test(test_profile_flow_ends),
        cmocka_unit_test(test_profiles_share_the_cap),
        cmocka_unit_test(test_profile_geo),
        cmocka_unit_test(test_split_without_chunks),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_cluster_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
