/* Per-source state: windows sliding on packet time, eviction at the cap
 * (counted), bounded memory under a flood of sources, connection counts and
 * flow ends, duty cycle, the ring's overflow accounting, counts and idle time
 * beyond what the rings keep, string features, expiry and the evaluation
 * schedule, and addresses made to share a bucket under one seed (a bounded
 * walk under it, about one step under another). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/features.h"
#include "ds/packet.h"
#include "ds/seed.h"
#include "ds/source.h"
#include "ds/time-units.h"
#include "ds/tls.h"

#define S(x) ((uint64_t)(x) * DS_US_PER_S)   /* a constant expression: static tables use it */
/* 2026-02-23 10:00:00 UTC: a minute boundary */
#define T0 S(1771840800ull)

static struct ds_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ds_addr x;
    const uint8_t v4[4] = { a, b, c, d };
    ds_addr_from_v4(&x, v4);
    return x;
}

static struct source_flow flow_of(struct ds_addr src, uint64_t id)
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
    fl.family = "python";
    return fl;
}

static struct turn turn_at(uint64_t start, uint32_t req, uint32_t resp)
{
    struct turn t;
    memset(&t, 0, sizeof(t));
    t.start_us = start;
    t.req_bytes = req;
    t.resp_bytes = resp;
    t.ttfb_us = 400000;
    t.resp_dur_us = 3000000;
    return t;
}

static struct source_table *table(size_t max_sources, unsigned kept)
{
    struct source_config cfg;
    source_config_default(&cfg);
    cfg.max_sources = max_sources;
    cfg.turns_kept = kept;
    cfg.eval_interval_s = 0;
    struct source_table *st = source_table_new(&cfg);
    assert_non_null(st);
    return st;
}

static double num(const struct features *f, int id)
{
    if (!features_has(f, id))
        fail_msg("feature %s absent", features_info(id)->name);
    return features_num(f, id);
}

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s = %.6f, want %.6f", what, got, want);
}

static void test_config_windows(void **state)
{
    (void)state;
    struct source_config cfg;
    source_config_default(&cfg);
    assert_int_equal(cfg.n_windows, 3);
    assert_int_equal(cfg.windows_s[0], 60);
    assert_int_equal(cfg.windows_s[1], 600);
    assert_int_equal(cfg.windows_s[2], 3600);
    char err[128];
    assert_int_equal(source_config_windows(&cfg, "1h,5m,2m", err, sizeof(err)), 0);
    assert_int_equal(cfg.n_windows, 3);
    assert_int_equal(cfg.windows_s[0], 120);
    assert_int_equal(cfg.windows_s[1], 300);
    assert_int_equal(cfg.windows_s[2], 3600);
    assert_int_equal(source_config_windows(&cfg, "30s", err, sizeof(err)), -1);
    assert_string_equal(err, "bad window '30s' (whole minutes from 1m to 24h)");
    assert_int_equal(source_config_windows(&cfg, "90s", err, sizeof(err)), -1);
    assert_int_equal(source_config_windows(&cfg, "2d", err, sizeof(err)), -1);
    assert_int_equal(source_config_windows(&cfg, "1m,1m", err, sizeof(err)), -1);
    assert_string_equal(err, "window 60s listed twice");
    assert_int_equal(source_config_windows(&cfg, "1m,", err, sizeof(err)), -1);
    assert_int_equal(source_config_windows(&cfg, "", err, sizeof(err)), -1);
    assert_int_equal(source_config_windows(&cfg, "1m,2m,3m,4m,5m,6m,7m,8m,9m", err, sizeof(err)),
                     -1);
    /* a failed parse leaves the previous list */
    assert_int_equal(cfg.windows_s[0], 120);

    cfg.windows_s[0] = 45;
    assert_null(source_table_new(&cfg));
}

/* One turn every 10 s for 30 minutes (180 turns), then silence. */
static void test_windows_slide(void **state)
{
    (void)state;
    struct source_table *st = table(16, 512);
    struct ds_addr a = ip4(10, 0, 0, 1);
    struct source_flow fl = flow_of(a, 1);
    bool created = false;
    assert_int_equal(source_flow_start(st, &fl, T0, &created), 0);
    assert_true(created);
    for (int i = 0; i < 180; i++) {
        struct turn t = turn_at(T0 + S(10 * i), 1000, 20000);
        assert_int_equal(source_turn(st, &fl, &t, t.start_us + S(3), NULL, &created), 0);
        assert_false(created);
    }
    uint64_t last = T0 + S(1790);
    struct features f;
    assert_int_equal(source_features(st, &a, 60, last, &f), 0);
    assert_int_equal(f.window_s, 60);
    near(num(&f, FEAT_REQUESTS), 6, 0, "requests 1m");       /* 1740..1790 */
    assert_int_equal(source_features(st, &a, 600, last, &f), 0);
    near(num(&f, FEAT_REQUESTS), 60, 0, "requests 10m");
    near(num(&f, FEAT_REQUESTS_PER_MINUTE), 6, 1e-9, "rpm 10m");
    near(num(&f, FEAT_CADENCE_REGULARITY), 1.0, 0, "cadence");
    near(num(&f, FEAT_CONN_CADENCE_REGULARITY), 1.0, 0, "conn cadence");
    near(num(&f, FEAT_GAP_MEAN_S), 10.0, 1e-9, "gap mean");
    near(num(&f, FEAT_GAP_CV), 0.0, 1e-9, "gap cv");
    near(num(&f, FEAT_REQUEST_SIZE_CV), 0.0, 1e-9, "size cv");
    near(num(&f, FEAT_SIZE_REGULARITY), 1.0, 0, "size regularity");
    near(num(&f, FEAT_REQUEST_SIZE_MEAN), 1000, 1e-9, "size mean");
    near(num(&f, FEAT_RESPONSE_REQUEST_RATIO), 20.0, 1e-9, "ratio");
    near(num(&f, FEAT_TTFB_MEAN_MS), 400, 1e-9, "ttfb");
    near(num(&f, FEAT_RESPONSE_DURATION_MEAN_MS), 3000, 1e-9, "duration");
    near(num(&f, FEAT_DUTY_CYCLE), 1.0, 0, "duty");
    near(num(&f, FEAT_LONGEST_IDLE_S), 10.0, 1e-9, "idle");
    near(num(&f, FEAT_QUIC_SHARE), 0.0, 0, "quic");
    near(num(&f, FEAT_NEW_CONNECTIONS), 0, 0, "conns 10m"); /* opened at T0 */
    assert_false(features_has(&f, FEAT_REQUESTS_PER_CONNECTION));
    assert_int_equal(source_features(st, &a, 3600, last, &f), 0);
    near(num(&f, FEAT_REQUESTS), 180, 0, "requests 1h");
    near(num(&f, FEAT_NEW_CONNECTIONS), 1, 0, "conns 1h");
    near(num(&f, FEAT_REQUESTS_PER_CONNECTION), 180, 0, "per conn");
    /* younger than the window: the rate is over the source's age */
    near(num(&f, FEAT_REQUESTS_PER_MINUTE), 180.0 / (1790.0 / 60.0), 1e-9, "rpm 1h");

    /* 30 minutes of silence: the short windows empty, the hour still holds all */
    uint64_t later = last + S(1800);
    assert_int_equal(source_features(st, &a, 60, later, &f), 0);
    near(num(&f, FEAT_REQUESTS), 0, 0, "requests 1m later");
    near(num(&f, FEAT_LONGEST_IDLE_S), 60, 1e-9, "idle 1m later");
    assert_false(features_has(&f, FEAT_CADENCE_REGULARITY));
    assert_int_equal(source_features(st, &a, 600, later, &f), 0);
    near(num(&f, FEAT_REQUESTS), 0, 0, "requests 10m later");
    assert_int_equal(source_features(st, &a, 3600, later, &f), 0);
    near(num(&f, FEAT_REQUESTS), 180, 0, "requests 1h later");
    near(num(&f, FEAT_LONGEST_IDLE_S), 1800, 1e-9, "idle 1h later");
    /* full minutes 0..58 of the window, 30 of them active; the current
     * minute (59) is idle so far and does not count against */
    near(num(&f, FEAT_DUTY_CYCLE), 30.0 / 59.0, 1e-9, "duty 1h later");
    /* an hour after the last turn, nothing is left */
    assert_int_equal(source_features(st, &a, 3600, last + S(3600), &f), 0);
    near(num(&f, FEAT_REQUESTS), 0, 0, "requests 1h after");
    assert_false(features_has(&f, FEAT_REQUEST_SIZE_MEAN));

    /* not a configured window, not a source */
    assert_int_equal(source_features(st, &a, 120, last, &f), -1);
    struct ds_addr other = ip4(10, 0, 0, 2);
    assert_int_equal(source_features(st, &other, 60, last, &f), -1);
    source_table_free(st);
}

static void test_eviction_at_cap(void **state)
{
    (void)state;
    struct source_table *st = table(4, 64);
    for (int i = 0; i < 10; i++) {
        struct source_flow fl = flow_of(ip4(10, 0, 1, (uint8_t)i), (uint64_t)i + 1);
        assert_int_equal(source_flow_start(st, &fl, T0 + S(i), NULL), 0);
    }
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->created, 10);
    assert_int_equal(ss->evicted, 6);
    assert_int_equal(ss->active, 4);
    assert_int_equal(ss->max_active, 4);
    struct features f;
    for (int i = 0; i < 10; i++) {
        struct ds_addr a = ip4(10, 0, 1, (uint8_t)i);
        assert_int_equal(source_features(st, &a, 60, T0 + S(10), &f), i < 6 ? -1 : 0);
    }
    /* seeing .6 again makes .7 the least recently seen */
    struct source_flow fl6 = flow_of(ip4(10, 0, 1, 6), 100);
    struct turn t = turn_at(T0 + S(11), 100, 100);
    assert_int_equal(source_turn(st, &fl6, &t, T0 + S(11), NULL, NULL), 0);
    struct source_flow fln = flow_of(ip4(10, 0, 2, 1), 101);
    assert_int_equal(source_turn(st, &fln, &t, T0 + S(12), NULL, NULL), 0);
    struct ds_addr a6 = ip4(10, 0, 1, 6), a7 = ip4(10, 0, 1, 7);
    assert_int_equal(source_features(st, &a6, 60, T0 + S(12), &f), 0);
    assert_int_equal(source_features(st, &a7, 60, T0 + S(12), &f), -1);
    assert_int_equal(ss->evicted, 7);
    source_table_free(st);
}

static void test_memory_bounded(void **state)
{
    (void)state;
    struct source_table *st = table(100, 512);
    size_t at_cap = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        struct ds_addr a = ip4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        struct source_flow fl = flow_of(a, i + 1);
        assert_int_equal(source_flow_start(st, &fl, T0 + i * 1000ull, NULL), 0);
        struct turn t = turn_at(T0 + i * 1000ull, 500, 5000);
        assert_int_equal(source_turn(st, &fl, &t, T0 + i * 1000ull, NULL, NULL), 0);
        if (i == 99)
            at_cap = source_table_bytes(st);
    }
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->active, 100);
    assert_int_equal(ss->evicted, 19900);
    /* the flood costs nothing beyond the cap */
    assert_int_equal(source_table_bytes(st), at_cap);
    assert_true(ss->chunks_in_use <= 100);

    /* one heavy source stops growing at turns_kept (16 chunks of 32) */
    struct ds_addr h = ip4(192, 168, 0, 1);
    struct source_flow fl = flow_of(h, 999999);
    uint64_t chunks_before = ss->chunks_in_use;
    for (int i = 0; i < 5000; i++) {
        struct turn t = turn_at(T0 + S(30) + (uint64_t)i * 100000u, 500, 5000);
        assert_int_equal(source_turn(st, &fl, &t, t.start_us, NULL, NULL), 0);
    }
    /* it evicted one light source (one chunk) and holds 16 */
    assert_int_equal(ss->chunks_in_use, chunks_before - 1 + 16);
    assert_int_equal(ss->ring_short, 0);
    /* 100 sources of ~3 KB and a chunk pool of 400 KB: about 1 MB at most */
    assert_true(source_table_bytes(st) < 2u * 1024 * 1024);
    source_table_free(st);
}

static void test_chunk_pool_exhausted(void **state)
{
    (void)state;
    struct source_config cfg;
    source_config_default(&cfg);
    cfg.max_sources = 8;
    cfg.turns_kept = 128;
    cfg.max_turn_chunks = 3;
    cfg.eval_interval_s = 0;
    struct source_table *st = source_table_new(&cfg);
    assert_non_null(st);
    struct ds_addr a = ip4(10, 9, 0, 1), b = ip4(10, 9, 0, 2);
    struct source_flow fa = flow_of(a, 1), fb = flow_of(b, 2);
    /* a takes all 3 chunks (96 turns) and wraps at 100: counted as short */
    for (int i = 0; i < 100; i++) {
        struct turn t = turn_at(T0 + S(i), 100, 100);
        source_turn(st, &fa, &t, t.start_us, NULL, NULL);
    }
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->chunks_in_use, 3);
    assert_int_equal(ss->ring_short, 4);
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(99), &f), 0);
    near(num(&f, FEAT_REQUESTS), 100, 0, "requests with a short ring");
    /* b has none: it takes them from the least recently seen holder (a) */
    struct turn t = turn_at(T0 + S(100), 100, 100);
    assert_int_equal(source_turn(st, &fb, &t, t.start_us, NULL, NULL), 0);
    assert_int_equal(ss->evicted, 1);
    assert_int_equal(source_features(st, &a, 600, T0 + S(100), &f), -1);
    assert_int_equal(source_features(st, &b, 600, T0 + S(100), &f), 0);
    near(num(&f, FEAT_REQUESTS), 1, 0, "b requests");
    source_table_free(st);
}

/* Connections without requests: max_concurrency counts requests in flight
 * (test_source_pacing.c), so open connections alone are 0; flow ends, found
 * by key: on a record of the address made again after an eviction they
 * count as seeing it (its place in the eviction order), on none as stale. */
static void test_connections_and_ends(void **state)
{
    (void)state;
    struct source_table *st = table(2, 64);
    struct ds_addr a = ip4(10, 1, 0, 1);
    for (int i = 0; i < 5; i++) {
        struct source_flow fl = flow_of(a, 10 + (uint64_t)i);
        assert_int_equal(source_flow_start(st, &fl, T0 + S(i), NULL), 0);
    }
    struct features f;
    assert_int_equal(source_features(st, &a, 60, T0 + S(30), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 0, 0, "5 open, no request");
    near(num(&f, FEAT_NEW_CONNECTIONS), 5, 0, "new 5");
    /* they close one by one in the next minutes */
    for (int i = 0; i < 5; i++)
        source_flow_end(st, &a, T0 + S(60 + 20 * i));
    /* at 10:10 the last minute saw no new connection */
    assert_int_equal(source_features(st, &a, 60, T0 + S(600), &f), 0);
    near(num(&f, FEAT_NEW_CONNECTIONS), 0, 0, "1m after");
    assert_int_equal(source_features(st, &a, 600, T0 + S(600) + 1, &f), 0);
    /* the window starts 1 us after T0: the flows opened at T0 + 1..4 s */
    near(num(&f, FEAT_NEW_CONNECTIONS), 4, 0, "10m after");

    /* a request on one of two long-lived flows: one in flight */
    struct source_flow fl = flow_of(a, 50);
    source_flow_start(st, &fl, T0 + S(700), NULL);
    fl.flow_id = 51;
    source_flow_start(st, &fl, T0 + S(701), NULL);
    struct turn t = turn_at(T0 + S(960), 100, 100);
    source_turn(st, &fl, &t, T0 + S(964), NULL, NULL);
    assert_int_equal(source_features(st, &a, 60, T0 + S(1000), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 1, 0, "one request");

    /* A table of 2. o1 joins (a, o1); o2 pushes out the least recently
     * seen, a (last seen at its turn, 964 s): (o1, o2). */
    struct ds_addr b = ip4(10, 1, 0, 2), c = ip4(10, 1, 0, 3), e = ip4(10, 1, 0, 4);
    struct source_flow o1 = flow_of(b, 60), o2 = flow_of(c, 61), o3 = flow_of(e, 62);
    source_flow_start(st, &o1, T0 + S(1001), NULL);
    source_flow_start(st, &o2, T0 + S(1002), NULL);
    assert_int_equal(source_features(st, &a, 60, T0 + S(1002), &f), -1);
    /* flow 50 ends while a is not held: a stale end, nothing made */
    const struct source_stats *ss = source_table_stats(st);
    uint64_t stale = ss->stale_ends;
    source_flow_end(st, &a, T0 + S(1002));
    assert_int_equal(ss->stale_ends, stale + 1);
    assert_int_equal(source_features(st, &a, 60, T0 + S(1002), &f), -1);
    /* a comes back in place of o1 (1001 s): (o2, a); o2 is seen after it */
    struct source_flow again = flow_of(a, 70);
    bool created = false;
    source_flow_start(st, &again, T0 + S(1003), &created);
    assert_true(created);
    assert_int_equal(source_features(st, &b, 60, T0 + S(1003), &f), -1);
    source_flow_start(st, &o2, T0 + S(1004), NULL);
    /* flow 51 (of the record evicted) ends: a's record now sees it, so a is
     * the most recently seen and o3 pushes out o2 (1004 s), not a */
    source_flow_end(st, &a, T0 + S(1005));
    assert_int_equal(ss->stale_ends, stale + 1);
    source_flow_start(st, &o3, T0 + S(1006), NULL);
    assert_int_equal(source_features(st, &c, 60, T0 + S(1006), &f), -1);
    assert_int_equal(source_features(st, &a, 60, T0 + S(1007), &f), 0);
    near(num(&f, FEAT_NEW_CONNECTIONS), 1, 0, "new record keeps its own count");
    near(num(&f, FEAT_MAX_CONCURRENCY), 0, 0, "new record: the old request is gone");
    source_flow_end(st, &a, T0 + S(1008));
    source_flow_end(st, &a, T0 + S(1008)); /* a repeated end is harmless */
    assert_int_equal(ss->stale_ends, stale + 1);
    assert_int_equal(source_features(st, &a, 60, T0 + S(1200), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 0, 0, "all closed");
    source_table_free(st);
}

/* Active in the even minutes of an hour; packet time far from the wall clock. */
static void test_duty_cycle_packet_time(void **state)
{
    (void)state;
    static const uint64_t bases[] = { S(978307200ull) /* 2001-01-01 */, T0,
                                      S(4102444800ull) /* 2100-01-01 */ };
    for (size_t k = 0; k < 3; k++) {
        struct source_table *st = table(8, 512);
        struct ds_addr a = ip4(10, 2, 0, 1);
        struct source_flow fl = flow_of(a, 1);
        uint64_t base = bases[k];
        for (int m = 0; m < 60; m += 2) {
            for (int j = 0; j < 3; j++) {
                struct turn t = turn_at(base + S(60 * m + 5 + 10 * j), 800, 8000);
                source_turn(st, &fl, &t, t.start_us + S(1), NULL, NULL);
            }
        }
        struct features f;
        /* at base + 60:30 the window is (base + 0:30, now]: its full minutes
         * are 1..59, 29 of them active; the current one (60) is idle */
        uint64_t now = base + S(3630);
        assert_int_equal(source_features(st, &a, 3600, now, &f), 0);
        near(num(&f, FEAT_DUTY_CYCLE), 29.0 / 59.0, 1e-9, "duty even minutes");
        near(num(&f, FEAT_REQUESTS), 87, 0, "requests"); /* minute 0's turns at 5,15,25 s are out */
        /* 100 s between minutes (m:25 -> m+2:05), 125 s since 58:25 */
        near(num(&f, FEAT_LONGEST_IDLE_S), 125, 1e-9, "idle");
        /* counts 0,3,0,3...: mean 1.47, CV ~1: flatness near 0 */
        assert_true(num(&f, FEAT_RATE_FLATNESS) < 0.05);
        /* the current minute counts once it is active */
        struct turn t = turn_at(base + S(3625), 800, 8000);
        source_turn(st, &fl, &t, base + S(3626), NULL, NULL);
        assert_int_equal(source_features(st, &a, 3600, now, &f), 0);
        near(num(&f, FEAT_DUTY_CYCLE), 30.0 / 60.0, 1e-9, "duty with current");
        source_table_free(st);
    }
}

/* More turns in the window than the ring holds: counts stay exact to the
 * minute from the buckets, distributions describe the latest turns. */
static void test_ring_overflow(void **state)
{
    (void)state;
    struct source_table *st = table(8, 64);
    struct ds_addr a = ip4(10, 3, 0, 1);
    struct source_flow fl = flow_of(a, 1);
    for (int i = 0; i < 1200; i++) { /* every 0.5 s for 10 minutes */
        struct turn t = turn_at(T0 + (uint64_t)i * 500000u, 700, 7000);
        source_turn(st, &fl, &t, t.start_us, NULL, NULL);
    }
    struct features f;
    uint64_t now = T0 + 1199 * 500000ull;
    assert_int_equal(source_features(st, &a, 600, now, &f), 0);
    near(num(&f, FEAT_REQUESTS), 1200, 0, "requests beyond the ring");
    near(num(&f, FEAT_CADENCE_REGULARITY), 1.0, 0, "cadence of the kept turns");
    near(num(&f, FEAT_GAP_MEAN_S), 0.5, 1e-9, "gap");
    near(num(&f, FEAT_REQUESTS_PER_MINUTE), 1200.0 / (599.5 / 60.0), 1e-6, "rpm");
    /* a window that starts mid-minute: the first partial minute is prorated */
    assert_int_equal(source_features(st, &a, 60, now, &f), 0);
    near(num(&f, FEAT_REQUESTS), 120, 1, "1m requests");
    /* 10 minutes later than T0 + 5:00.25 the count is of minutes 5..9 */
    assert_int_equal(source_features(st, &a, 600, T0 + S(900) + 250000, &f), 0);
    near(num(&f, FEAT_REQUESTS), 600, 1, "half the turns");
    assert_int_equal(source_table_stats(st)->ring_short, 0);
    source_table_free(st);
}

/* Past what the rings keep, counts and the idle stretch come from the
 * minute buckets: new connections beyond the 32 flow starts kept, and the
 * longest idle run older than the oldest turn in the ring. */
static void test_counts_beyond_the_rings(void **state)
{
    (void)state;
    struct source_table *st = table(8, 64);
    struct ds_addr a = ip4(10, 3, 0, 2);
    for (unsigned i = 0; i < 100; i++) { /* a connection every 6 s, 0:00 .. 9:54 */
        struct source_flow fl = flow_of(a, 100 + (uint64_t)i);
        assert_int_equal(source_flow_start(st, &fl, T0 + S(6 * i), NULL), 0);
    }
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(599), &f), 0);
    near(num(&f, FEAT_NEW_CONNECTIONS), 100, 0, "connections beyond the 32 kept");
    source_table_free(st);

    /* Turns every second in minutes 0-1, five idle minutes, then 80 s of
     * turns from 7:00: the ring of 64 holds 7:16 .. 8:19 only. */
    st = table(8, 64);
    struct ds_addr b = ip4(10, 3, 0, 3);
    struct source_flow fl = flow_of(b, 1);
    for (unsigned i = 0; i < 200; i++) {
        uint64_t at = T0 + S(i < 120 ? i : 300 + i);
        struct turn t = turn_at(at, 700, 7000);
        t.resp_dur_us = i == 130 ? 9000000 : 3000000; /* 7:10, no longer kept */
        assert_int_equal(source_turn(st, &fl, &t, at, NULL, NULL), 0);
    }
    assert_int_equal(source_features(st, &b, 600, T0 + S(500), &f), 0);
    near(num(&f, FEAT_REQUESTS), 200, 0, "requests");
    near(num(&f, FEAT_LONGEST_IDLE_S), 300, 1e-9, "idle before the ring (minutes 2-6)");
    near(num(&f, FEAT_RESPONSE_DURATION_MAX_MS), 3000, 1e-9, "longest response kept");
    source_table_free(st);
}

static void test_strings_and_distinct(void **state)
{
    (void)state;
    struct source_table *st = table(8, 64);
    struct ds_addr a = ip4(10, 4, 0, 1);
    static const char *const ja4[] = {
        "t13d1516h2_8daaf6152771_e5627efa2ab1", "t13d1715h2_5b57614c22b0_3d5424432f57",
        "t13d301000_1d37bd780c83_d339722ba4af", "t13d191000_9dc949149365_e7c285222651",
        "t12d1209h2_d34a8e72043a_b39be8c56a14", "t13d1812h2_e8a523a41297_ef7df7f74e48",
        "t13d2014h2_a09f3c656075_14788d8d241b", "t13d1516h2_8daaf6152771_02713d6af862",
        "t13d0912h2_f91f431d341e_dc02b3fcd8bf", "q13d0312h3_55b375c5d22e_06cda9e17597",
    };
    static const char *const fam[] = { "browser", "python", "go", "node", "curl",
                                       "sdk", "python", "browser", "go", "browser" };
    for (int i = 0; i < 10; i++) {
        struct source_flow fl = flow_of(a, (uint64_t)i + 1);
        fl.ja4 = ja4[i];
        fl.family = fam[i];
        fl.provider = i < 5 ? "openai" : "anthropic";
        fl.service = "api";
        fl.host = i < 5 ? "api.openai.com" : "API.anthropic.com";
        fl.quic = i == 9;
        fl.ech = i == 3 ? TLS_ECH_REAL : i == 9 ? TLS_ECH_GREASE : TLS_ECH_NONE;
        fl.vlan.n = 1;
        fl.vlan.id[0] = (uint16_t)(10 + i);   /* one source on ten VLANs */
        source_flow_start(st, &fl, T0 + S(100 * i), NULL);
        struct turn t = turn_at(T0 + S(100 * i + 1), 500, 500);
        source_turn(st, &fl, &t, T0 + S(100 * i + 2), NULL, NULL);
    }
    struct features f;
    uint64_t now = T0 + S(950);
    assert_int_equal(source_features(st, &a, 3600, now, &f), 0);
    near(num(&f, FEAT_DISTINCT_JA4), 8, 0, "ja4 saturates at the table size");
    near(num(&f, FEAT_DISTINCT_PROVIDERS), 2, 0, "providers");
    near(num(&f, FEAT_DISTINCT_HOSTS), 2, 0, "hosts (case-insensitive)");
    near(num(&f, FEAT_DISTINCT_SERVICES), 1, 0, "services");
    near(num(&f, FEAT_DISTINCT_FAMILIES), 4, 0, "families kept");
    near(num(&f, FEAT_QUIC_SHARE), 0.1, 1e-9, "quic share");
    /* most recent first */
    assert_string_equal(features_str(&f, FEAT_PROVIDER, 0), "anthropic");
    assert_string_equal(features_str(&f, FEAT_PROVIDER, 1), "openai");
    assert_string_equal(features_str(&f, FEAT_JA4, 0), ja4[9]);
    assert_string_equal(features_str(&f, FEAT_FINGERPRINT_FAMILY, 0), "browser");
    assert_int_equal(features_str_count(&f, FEAT_JA4), FEATURE_STR_VALUES);
    /* the last minute saw only flow 9 */
    assert_int_equal(source_features(st, &a, 60, now, &f), 0);
    near(num(&f, FEAT_DISTINCT_JA4), 1, 0, "ja4 1m");
    near(num(&f, FEAT_DISTINCT_PROVIDERS), 1, 0, "providers 1m");
    assert_int_equal(features_str_count(&f, FEAT_PROVIDER), 1);
    assert_true(features_str_has(&f, FEAT_FINGERPRINT_FAMILY, "browser"));
    assert_false(features_str_has(&f, FEAT_FINGERPRINT_FAMILY, "python"));
    assert_false(features_has(&f, FEAT_COUNTRY));
    /* ech: the kinds of the window's flows (flow 9 GREASE, flow 3 real) */
    assert_int_equal(features_str_count(&f, FEAT_ECH), 1);
    assert_string_equal(features_str(&f, FEAT_ECH, 0), "grease");
    assert_int_equal(source_features(st, &a, 3600, now, &f), 0);
    assert_int_equal(features_str_count(&f, FEAT_ECH), 2);
    assert_string_equal(features_str(&f, FEAT_ECH, 0), "grease");
    assert_string_equal(features_str(&f, FEAT_ECH, 1), "real");
    assert_int_equal(source_features(st, &a, 60, now, &f), 0);

    struct source_last_flow lf;
    assert_int_equal(source_last_flow(st, &a, &lf), 0);
    assert_int_equal(lf.flow_id, 10);
    assert_string_equal(lf.host, "API.anthropic.com");
    assert_string_equal(lf.ja4, ja4[9]);
    assert_true(lf.quic);
    assert_int_equal(lf.ech, TLS_ECH_GREASE);
    assert_int_equal(lf.sport, 40010);  /* the client's port, for the alert's community_id */
    assert_int_equal(lf.dport, 443);
    assert_int_equal(lf.vlan.n, 1);
    assert_int_equal(lf.vlan.id[0], 19);

    assert_int_equal(source_set_geo(st, &a, "CN", "4134", "CHINANET-BACKBONE"), 0);
    assert_int_equal(source_features(st, &a, 60, now, &f), 0);
    assert_true(features_str_has(&f, FEAT_COUNTRY, "cn"));
    assert_string_equal(features_str(&f, FEAT_ASN, 0), "4134");
    assert_string_equal(features_str(&f, FEAT_AS_ORG, 0), "CHINANET-BACKBONE");
    struct ds_addr b = ip4(10, 4, 0, 2);
    assert_int_equal(source_set_geo(st, &b, "US", NULL, NULL), -1);
    assert_int_equal(source_last_flow(st, &b, &lf), -1);
    source_table_free(st);
}

static void test_connection_cadence(void **state)
{
    (void)state;
    /* four workers, each on its own keep-alive connection with an 8 s loop,
     * started at uneven offsets: steady per connection, uneven merged */
    struct source_table *st = table(8, 512);
    struct ds_addr a = ip4(10, 5, 0, 1);
    static const double off[] = { 0.0, 1.3, 4.1, 6.6 };
    for (int w = 0; w < 4; w++) {
        struct source_flow fl = flow_of(a, 100 + (uint64_t)w);
        source_flow_start(st, &fl, T0, NULL);
    }
    for (int i = 0; i < 60; i++) {
        for (int w = 0; w < 4; w++) {
            struct source_flow fl = flow_of(a, 100 + (uint64_t)w);
            uint64_t start = T0 + S(8 * i) + (uint64_t)(off[w] * 1e6);
            struct turn t = turn_at(start, 900, 30000);
            source_turn(st, &fl, &t, start + S(5), NULL, NULL);
        }
    }
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(480), &f), 0);
    near(num(&f, FEAT_CONN_CADENCE_REGULARITY), 1.0, 0, "per connection");
    assert_true(num(&f, FEAT_CADENCE_REGULARITY) < 0.9);
    /* in flight, not connections open: each turn is busy 3.4 s (0.4 + 3)
     * of the 8 s loop; at 9.3 s (worker 1's second) worker 0's [8, 11.4)
     * and worker 3's [6.6, 10) are still in flight: 3 */
    near(num(&f, FEAT_MAX_CONCURRENCY), 3, 0, "in flight");
    source_table_free(st);
}

static void visit(void *ctx, const struct ds_addr *src)
{
    int *n = ctx;
    (void)src;
    (*n)++;
}

static void test_expire_and_foreach(void **state)
{
    (void)state;
    struct source_table *st = table(16, 64); /* idle timeout: 1h + 60 s */
    for (int i = 0; i < 5; i++) {
        struct source_flow fl = flow_of(ip4(10, 6, 0, (uint8_t)i), (uint64_t)i + 1);
        struct turn t = turn_at(T0 + S(600 * i), 100, 100);
        source_turn(st, &fl, &t, t.start_us, NULL, NULL);
    }
    int n = 0;
    source_foreach(st, T0 + S(1200), visit, &n);
    assert_int_equal(n, 3);
    /* at T0 + 1h + 61 s + 600 s, sources 0 and 1 have been idle too long */
    assert_int_equal(source_expire(st, T0 + S(3661 + 600) + 1, 0), 2);
    assert_int_equal(source_table_stats(st)->expired, 2);
    assert_int_equal(source_table_stats(st)->active, 3);
    /* bounded work per call */
    assert_int_equal(source_expire(st, T0 + S(100000), 1), 1);
    assert_int_equal(source_table_stats(st)->active, 2);
    assert_int_equal(source_expire(st, T0 + S(100000), 0), 2);
    assert_int_equal(source_table_stats(st)->active, 0);
    n = 0;
    source_foreach(st, 0, visit, &n);
    assert_int_equal(n, 0);
    source_table_free(st);
}

static void test_due_mask(void **state)
{
    (void)state;
    struct source_config cfg;
    source_config_default(&cfg); /* every 5 s */
    struct source_table *st = source_table_new(&cfg);
    struct ds_addr a = ip4(10, 7, 0, 1);
    struct source_flow fl = flow_of(a, 1);
    uint32_t due = 0;
    struct turn t = turn_at(T0, 100, 100);
    source_turn(st, &fl, &t, T0 + S(1), &due, NULL);
    assert_int_equal(due, 0x7);
    source_turn(st, &fl, &t, T0 + S(2), &due, NULL);
    assert_int_equal(due, 0);
    source_turn(st, &fl, &t, T0 + S(6), &due, NULL);
    assert_int_equal(due, 0x7);
    unsigned nw;
    const uint32_t *w = source_windows(st, &nw);
    assert_int_equal(nw, 3);
    assert_int_equal(w[2], 3600);
    assert_int_equal(source_window_index(st, 600), 1);
    assert_int_equal(source_window_index(st, 601), -1);
    uint64_t first, last;
    assert_int_equal(source_times(st, &a, &first, &last), 0);
    assert_true(first == T0 + S(1));
    assert_true(last == T0 + S(6));
    source_table_free(st);
    source_table_free(NULL);
}

#define SRC_BUCKETS 1024   /* the hash size at max_sources 1024 */
#define SRC_COLLIDE 100

/* The first n addresses 10.x.y.z that share a bucket under seed. */
static void src_colliders(uint32_t seed, struct ds_addr *out, unsigned n)
{
    uint64_t bucket = ds_addr_hash(&out[0], seed) & (SRC_BUCKETS - 1);
    unsigned k = 0;
    bool first = true;
    for (uint32_t i = 0; k < n && i < (1u << 24); i++) {
        struct ds_addr a = ip4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        uint64_t b = ds_addr_hash(&a, seed) & (SRC_BUCKETS - 1);
        if (first) {
            bucket = b;
            first = false;
        }
        if (b == bucket)
            out[k++] = a;
    }
    assert_int_equal(k, n);
}

static struct source_table *seeded_sources(uint32_t seed)
{
    struct source_config cfg;
    source_config_default(&cfg);
    cfg.max_sources = SRC_BUCKETS;
    cfg.seed = seed;
    struct source_table *st = source_table_new(&cfg);
    assert_non_null(st);
    return st;
}

static void start_all(struct source_table *st, const struct ds_addr *a, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct source_flow fl = flow_of(a[i], i + 1);
        bool created;
        assert_int_equal(source_flow_start(st, &fl, T0 + S(i), &created), 0);
    }
}

static void test_colliding_sources(void **state)
{
    (void)state;
    static struct ds_addr a[SRC_COLLIDE];
    struct seeds fixed, other;
    seeds_fixed(&fixed);
    seeds_derive(&other, 12345);
    struct source_config def;
    source_config_default(&def);
    assert_int_equal(def.seed, fixed.source);
    src_colliders(fixed.source, a, SRC_COLLIDE);

    /* Under the seed they were made for: the chain stops at the cap. */
    struct source_table *st = seeded_sources(fixed.source);
    start_all(st, a, SRC_COLLIDE);
    const struct source_stats *ss = source_table_stats(st);
    assert_int_equal(ss->chain_evicted, SRC_COLLIDE - SOURCE_CHAIN_MAX);
    assert_int_equal(ss->evicted, SRC_COLLIDE - SOURCE_CHAIN_MAX);
    assert_int_equal(ss->active, SOURCE_CHAIN_MAX);
    assert_int_equal(ss->max_chain, SOURCE_CHAIN_MAX);
    assert_true(ss->lookup_steps >= 20 * ss->lookups);
    /* Every source held is found: the newest SOURCE_CHAIN_MAX, the others gone. */
    for (unsigned i = 0; i < SRC_COLLIDE; i++) {
        uint64_t first, last;
        int held = source_times(st, &a[i], &first, &last);
        if (i < SRC_COLLIDE - SOURCE_CHAIN_MAX) {
            assert_int_equal(held, -1);
        } else {
            assert_int_equal(held, 0);
            assert_true(first == T0 + S(i));
        }
    }
    uint64_t created = ss->created;
    start_all(st, a + SRC_COLLIDE - SOURCE_CHAIN_MAX, SOURCE_CHAIN_MAX);
    assert_int_equal(ss->created, created);
    source_table_free(st);

    /* Under another seed: spread out, nothing evicted, about no walk. */
    st = seeded_sources(other.source);
    start_all(st, a, SRC_COLLIDE);
    ss = source_table_stats(st);
    assert_int_equal(ss->chain_evicted, 0);
    assert_int_equal(ss->evicted, 0);
    assert_int_equal(ss->active, SRC_COLLIDE);
    assert_true(ss->max_chain <= 4);
    assert_true(ss->lookup_steps * 4 <= ss->lookups);
    source_table_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_windows),
        cmocka_unit_test(test_windows_slide),
        cmocka_unit_test(test_eviction_at_cap),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_chunk_pool_exhausted),
        cmocka_unit_test(test_connections_and_ends),
        cmocka_unit_test(test_duty_cycle_packet_time),
        cmocka_unit_test(test_ring_overflow),
        cmocka_unit_test(test_counts_beyond_the_rings),
        cmocka_unit_test(test_strings_and_distinct),
        cmocka_unit_test(test_connection_cadence),
        cmocka_unit_test(test_expire_and_foreach),
        cmocka_unit_test(test_due_mask),
        cmocka_unit_test(test_colliding_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
