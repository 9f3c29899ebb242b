/* The template-free source features, on hand-computed vectors: requests in
 * flight (max_concurrency, inflight_mean, inflight_cv), the pause after an
 * answer (answer_gap_median_s, closed_loop_share), request growth, the
 * long-answer share, script families, and the hourly load (hourly_load_cv,
 * load_hours, load_shape). Every expected value is worked out in the
 * comment beside it. */
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
#include "ds/source.h"
#include "ds/time-units.h"

#define S(x) ((uint64_t)(x) * DS_US_PER_S)
#define MS(x) ((uint64_t)(x) * DS_US_PER_MS)
/* 2026-02-23 10:00:00 UTC */
#define T0 S(1771840800ull)
#define HOUR S(3600)

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

static struct source_table *table(void)
{
    struct source_config cfg;
    source_config_default(&cfg);
    cfg.max_sources = 16;
    cfg.turns_kept = 512;
    cfg.eval_interval_s = 0;
    struct source_table *st = source_table_new(&cfg);
    assert_non_null(st);
    return st;
}

/* Files a turn of flow `conn` starting at `start` (us after T0) whose
 * answer's first byte comes ttfb us later and lasts dur us, reported when
 * it ends. */
static void turn(struct source_table *st, struct ds_addr a, uint64_t conn, uint64_t start,
                 uint32_t req, uint32_t resp, uint64_t ttfb, uint64_t dur)
{
    struct source_flow fl = flow_of(a, conn, "python");
    struct turn t;
    memset(&t, 0, sizeof(t));
    t.start_us = T0 + start;
    t.req_bytes = req;
    t.resp_bytes = resp;
    t.ttfb_us = ttfb;
    t.resp_dur_us = dur;
    assert_int_equal(source_turn(st, &fl, &t, t.start_us + ttfb + dur, NULL, NULL), 0);
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

static void test_inflight(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 1);
    /* in flight [start, end), seconds after T0:
     *   A [0,4)  B [1,2)  C [3,5)  D [4,5)  E [10,11)  F [10,12)
     * at each start, started so far (ties included) less ended by then:
     *   A@0: 1-0 = 1   B@1: 2-0 = 2   C@3: 3-1 (B) = 2
     *   D@4: 4-2 (B, A ends at 4) = 2   E@10, F@10: 6-4 = 2 each
     * max 2; mean 11/6 = 1.833333; mean of squares 21/6, variance
     * 21/6 - 121/36 = 5/36, sd sqrt(5)/6, cv sqrt(5)/11 = 0.203279 */
    turn(st, a, 1, 0, 100, 100, S(1), S(3));
    turn(st, a, 2, S(1), 100, 100, MS(500), MS(500));
    turn(st, a, 3, S(3), 100, 100, S(1), S(1));
    turn(st, a, 4, S(4), 100, 100, 0, S(1));
    turn(st, a, 5, S(10), 100, 100, MS(200), MS(800));
    turn(st, a, 6, S(10), 100, 100, S(1), S(1));
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(20), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 2, 0, "max in flight");
    near(num(&f, FEAT_INFLIGHT_MEAN), 11.0 / 6.0, 1e-9, "inflight mean");
    near(num(&f, FEAT_INFLIGHT_CV), sqrt(5.0) / 11.0, 1e-9, "inflight cv");
    /* the last 1m window holds only E and F (wstart T0 + 5 s, starts after it):
     * E@10: 2-0 = 2, F@10: 2 -> max 2; fewer than 5 turns: no mean, no cv */
    assert_int_equal(source_features(st, &a, 60, T0 + S(65), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 2, 0, "1m max");
    assert_false(features_has(&f, FEAT_INFLIGHT_MEAN));
    assert_false(features_has(&f, FEAT_INFLIGHT_CV));
    /* a window without turns: nothing in flight */
    assert_int_equal(source_features(st, &a, 60, T0 + S(200), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 0, 0, "empty window");
    source_table_free(st);
}

/* One worker on one connection, a request at a time, and connections that
 * open and close around it: what a sequential script looks like, whatever
 * the connection reuse. */
static void test_one_worker_many_connections(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 2);
    /* 8 requests on 8 connections, each 2 s long, the next 0.3 s after the
     * answer: starts 0, 2.3, 4.6, ...; never two in flight, so every
     * sample is 1: max 1, mean 1, cv 0; 7 pauses of 0.3 s (the first
     * request has none): median 0.3, share <= 1 s = 7/7 = 1. Sizes 1000,
     * 1000, ...: 7 pairs, none changes: growth 0/7 = 0 */
    for (uint64_t i = 0; i < 8; i++)
        turn(st, a, 100 + i, i * MS(2300), 1000, 900, MS(500), MS(1500));
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(60), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 1, 0, "max");
    near(num(&f, FEAT_INFLIGHT_MEAN), 1, 1e-12, "mean");
    near(num(&f, FEAT_INFLIGHT_CV), 0, 1e-12, "cv");
    near(num(&f, FEAT_ANSWER_GAP_MEDIAN_S), 0.3, 1e-9, "gap");
    near(num(&f, FEAT_CLOSED_LOOP_SHARE), 1.0, 0, "closed loop");
    near(num(&f, FEAT_REQUEST_GROWTH), 0.0, 0, "growth");
    source_table_free(st);
}

/* Issue 9's two wrong max_concurrency figures. A client that opens a
 * connection per request and never has two open (each closed 1 s after
 * its answer, the flow ending long after, on its closing timeout) counted
 * 6; an HTTP/2 client with 4 streams on one connection counted 1. */
static void test_concurrency_regressions(void **state)
{
    (void)state;
    struct source_table *st = table();
    /* sequential: requests every 10 s, 3 s each, flows ending 60 s later:
     * one request in flight at every start: 1, mean 1, cv 0 */
    struct ds_addr a = ip4(10, 9, 2, 1);
    for (uint64_t i = 0; i < 12; i++) {
        struct source_flow fl = flow_of(a, 200 + i, "node");
        assert_int_equal(source_flow_start(st, &fl, T0 + i * S(10), NULL), 0);
        turn(st, a, 200 + i, i * S(10) + MS(50), 2000, 30000, S(1), S(2));
        if (i >= 6)
            source_flow_end(st, &a, T0 + (i - 6) * S(10) + S(63));
    }
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(125), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 1, 0, "connection per request");
    near(num(&f, FEAT_INFLIGHT_MEAN), 1, 1e-12, "one at a time");
    near(num(&f, FEAT_INFLIGHT_CV), 0, 1e-12, "constant");
    /* HTTP/2, 4 workers on one connection, each a closed loop of 4 s
     * answers started 1 s apart: worker w starts at w + 4.2 n s, busy 4 s.
     * At the first starts (0, 1, 2, 3 s) 1, 2, 3, 4 are in flight; from
     * then on each start (w + 4.2 n) sees its own and the three others
     * (started 1, 2, 3 s before it... or 3.2, 2.2, 1.2 s before and not
     * ended): 4. 40 turns: 1 + 2 + 3 + 37 * 4 = 154, mean 3.85, mean of
     * squares (1 + 4 + 9 + 37 * 16) / 40 = 606 / 40 = 15.15, variance
     * 15.15 - 14.8225 = 0.3275, cv sqrt(0.3275) / 3.85 = 0.148644 */
    struct ds_addr b = ip4(10, 9, 2, 2);
    for (uint64_t n = 0; n < 10; n++)
        for (uint64_t w = 0; w < 4; w++)
            turn(st, b, 300, w * S(1) + n * MS(4200), 1500, 9000, MS(500), MS(3500));
    assert_int_equal(source_features(st, &b, 600, T0 + S(60), &f), 0);
    near(num(&f, FEAT_MAX_CONCURRENCY), 4, 0, "4 streams");
    near(num(&f, FEAT_INFLIGHT_MEAN), 3.85, 1e-12, "streams mean");
    near(num(&f, FEAT_INFLIGHT_CV), sqrt(0.3275) / 3.85, 1e-9, "streams cv");
    source_table_free(st);
}

static void test_answer_gaps_and_growth(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 3);
    /* seconds after T0, [start, end) and request bytes:
     * conn 1: t1 [0,2) 1000, t2 [2.5,4.5) 1100, t3 [5,8) 1120, t4 [20,21) 1000
     * conn 2: [30,32) 1500       conn 3: [31,32) 1500    conn 4: [32.5,33.5) 1500
     * conn 5: u1 [40,45) 2000, u2 [41,42) 2100 (two streams at once)
     * pauses on a connection while it is idle: t2 2.5-2 = 0.5, t3 5-4.5 =
     * 0.5, t4 20-8 = 12; u2 starts while u1 streams: none.
     * first requests on a connection, from the source's previous answer
     * when nothing was in flight: t1 none (the first); conn 2: 30-21 = 9;
     * conn 3: conn 2 in flight until 32: none; conn 4: 32.5-32 = 0.5;
     * u1: 40-33.5 = 6.5.
     * pauses 0.5 0.5 0.5 6.5 9 12: median (0.5+6.5)/2 = 3.5 s, share <= 1 s
     * 3/6 = 0.5.
     * size steps (over 3%): t1->t2 +10% +1, t2->t3 +1.8% 0, t3->t4 -10.7%
     * -1; conn 2 from t4 1000->1500 +1; conn 3 none (overlaps); conn 4
     * from conn 3 1500->1500 0; u1 from conn 4 1500->2000 +1; u1->u2 +5%
     * +1: 7 pairs, 1+0-1+1+0+1+1 = 3: growth 3/7 */
    turn(st, a, 1, 0, 1000, 5000, MS(500), MS(1500));
    turn(st, a, 1, MS(2500), 1100, 5000, MS(500), MS(1500));
    turn(st, a, 1, S(5), 1120, 5000, S(1), S(2));
    turn(st, a, 1, S(20), 1000, 5000, MS(500), MS(500));
    turn(st, a, 2, S(30), 1500, 5000, S(1), S(1));
    turn(st, a, 3, S(31), 1500, 5000, MS(500), MS(500));
    turn(st, a, 4, MS(32500), 1500, 5000, MS(500), MS(500));
    turn(st, a, 5, S(41), 2100, 5000, MS(500), MS(500));   /* ends first */
    turn(st, a, 5, S(40), 2000, 5000, S(1), S(4));
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(60), &f), 0);
    near(num(&f, FEAT_ANSWER_GAP_MEDIAN_S), 3.5, 1e-9, "gap median");
    near(num(&f, FEAT_CLOSED_LOOP_SHARE), 0.5, 1e-12, "closed loop");
    near(num(&f, FEAT_REQUEST_GROWTH), 3.0 / 7.0, 1e-12, "growth");
    /* the 1m window from T0 + 4 s (wstart) to T0 + 64 s leaves t1 and t2
     * out: t3 becomes conn 1's first, with no pause (the first turn of
     * the window); pauses t4 12, conn 2 9, conn 4 0.5, u1 6.5: median
     * (6.5+9)/2 = 7.75, share 1/4 = 0.25; steps t3->t4 -1, conn 2 +1,
     * conn 4 0, u1 +1, u2 +1: 5 pairs, 2/5 = 0.4 */
    assert_int_equal(source_features(st, &a, 60, T0 + S(64), &f), 0);
    near(num(&f, FEAT_ANSWER_GAP_MEDIAN_S), 7.75, 1e-9, "1m gap median");
    near(num(&f, FEAT_CLOSED_LOOP_SHARE), 0.25, 1e-12, "1m closed loop");
    near(num(&f, FEAT_REQUEST_GROWTH), 0.4, 1e-12, "1m growth");
    source_table_free(st);
}

/* Floors: 2 pauses and 3 pairs are too few. */
static void test_pacing_floors(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 4);
    /* one connection, 4 turns: pauses 3 (>= 3: present), pairs 3 (< 4) */
    for (uint64_t i = 0; i < 4; i++)
        turn(st, a, 1, i * S(10), (uint32_t)(1000 + 100 * i), 100, S(1), S(1));
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(60), &f), 0);
    /* pauses 10-2 = 8 each: median 8, share 0 */
    near(num(&f, FEAT_ANSWER_GAP_MEDIAN_S), 8, 1e-9, "gap");
    near(num(&f, FEAT_CLOSED_LOOP_SHARE), 0, 0, "share");
    assert_false(features_has(&f, FEAT_REQUEST_GROWTH));
    assert_false(features_has(&f, FEAT_INFLIGHT_MEAN));
    /* the 1m window at T0 + 80 s (wstart 20 s) holds the turn at 30 only */
    assert_int_equal(source_features(st, &a, 60, T0 + S(80), &f), 0);
    assert_false(features_has(&f, FEAT_ANSWER_GAP_MEDIAN_S));
    assert_false(features_has(&f, FEAT_CLOSED_LOOP_SHARE));
    /* a fifth, 1300 -> 1500 (+15%): 4 pairs, all +1 */
    turn(st, a, 1, S(40), 1500, 100, S(1), S(1));
    assert_int_equal(source_features(st, &a, 600, T0 + S(60), &f), 0);
    near(num(&f, FEAT_REQUEST_GROWTH), 1.0, 0, "growing");
    source_table_free(st);
}

static void test_long_answers(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 5);
    /* answers (time to last byte after the first, bytes):
     *   0.2 s 4000: sent at once, >= 4000: long
     *   0.2 s 3999: sent at once, short
     *   9.9 s 149999: streamed, under 10 s and 150000: short
     *   10 s 20000: streamed 10 s: long
     *   2 s 150000: streamed, 150000 bytes: long
     *   1 s 5000: streamed (1 s is not "at once"), short
     * 3 of 6: 0.5 */
    turn(st, a, 1, 0, 100, 4000, S(1), MS(200));
    turn(st, a, 1, S(10), 100, 3999, S(1), MS(200));
    turn(st, a, 1, S(20), 100, 149999, S(1), MS(9900));
    turn(st, a, 1, S(40), 100, 20000, S(1), S(10));
    turn(st, a, 1, S(60), 100, 150000, S(1), S(2));
    turn(st, a, 1, S(70), 100, 5000, S(1), S(1));
    struct features f;
    assert_int_equal(source_features(st, &a, 600, T0 + S(100), &f), 0);
    near(num(&f, FEAT_LONG_ANSWER_SHARE), 0.5, 1e-12, "long share");
    /* the 1m window from T0 + 40 s holds the last two: 1 of 2 */
    assert_int_equal(source_features(st, &a, 60, T0 + S(100), &f), 0);
    near(num(&f, FEAT_LONG_ANSWER_SHARE), 0.5, 1e-12, "1m long share");
    /* from T0 + 65 s: the last (short) one alone: 0 of 1 */
    assert_int_equal(source_features(st, &a, 60, T0 + S(125), &f), 0);
    near(num(&f, FEAT_LONG_ANSWER_SHARE), 0.0, 0, "last one short");
    source_table_free(st);
}

static void test_script_families(void **state)
{
    (void)state;
    struct source_table *st = table();
    struct ds_addr a = ip4(10, 9, 0, 6);
    static const char *fams[] = { "python", "browser", "go", "unknown" };
    for (unsigned i = 0; i < 4; i++) {
        struct source_flow fl = flow_of(a, 1 + i, fams[i]);
        assert_int_equal(source_flow_start(st, &fl, T0 + S(1 + i), NULL), 0);
    }
    struct features f;
    /* python and go are scripts; browser and unknown are not: 2 */
    assert_int_equal(source_features(st, &a, 60, T0 + S(10), &f), 0);
    near(num(&f, FEAT_SCRIPT_FAMILIES), 2, 0, "python + go");
    near(num(&f, FEAT_DISTINCT_FAMILIES), 4, 0, "all four");
    /* the 1m window at T0 + 62 s starts at T0 + 2 s: python (1 s) and
     * browser (2 s) left it; go is the one script left */
    assert_int_equal(source_features(st, &a, 60, T0 + S(62), &f), 0);
    near(num(&f, FEAT_SCRIPT_FAMILIES), 1, 0, "go");
    /* node replaces the least recently seen (python): go + node */
    struct source_flow fl = flow_of(a, 9, "node");
    source_flow_start(st, &fl, T0 + S(63), NULL);
    assert_int_equal(source_features(st, &a, 600, T0 + S(64), &f), 0);
    near(num(&f, FEAT_SCRIPT_FAMILIES), 2, 0, "go + node");
    source_table_free(st);
}

/* A source whose record starts at `base` (a connection opens then). */
static void open_at(struct source_table *st, struct ds_addr a, uint64_t base)
{
    struct source_flow fl = flow_of(a, 1, "python");
    assert_int_equal(source_flow_start(st, &fl, T0 + base, NULL), 0);
}

/* counts[h] turns in hour h after base (h from h0 to h1 - 1), 20 s apart. */
static void hours_fill(struct source_table *st, struct ds_addr a, uint64_t base,
                       const unsigned *counts, unsigned h0, unsigned h1)
{
    for (unsigned h = h0; h < h1; h++)
        for (unsigned j = 0; j < counts[h]; j++)
            turn(st, a, 1, base + h * HOUR + S(20) * j, 100, 100, MS(100), MS(100));
}

static void expect_shape(struct source_table *st, struct ds_addr a, uint64_t at, double hours,
                         double cv, const char *shape)
{
    struct features f;
    assert_int_equal(source_features(st, &a, 3600, at, &f), 0);
    near(num(&f, FEAT_HOURLY_LOAD_CV), cv, 1e-4, shape);
    near(num(&f, FEAT_LOAD_HOURS), hours, 0, "hours");
    assert_int_equal(features_str_count(&f, FEAT_LOAD_SHAPE), 1);
    assert_string_equal(features_str(&f, FEAT_LOAD_SHAPE, 0), shape);
}

static void test_hourly_load(void **state)
{
    (void)state;
    struct source_table *st = table();
    /* hours count from the source's first packet (T0 here). 24 whole hours
     * of 10 after an hour of 100; evaluated at hour 24:30 the whole hours
     * are 0..23: mean (100 + 23*10)/24 = 13.75, squared deviations 86.25^2
     * + 23 * 3.75^2 = 7439.0625 + 323.4375 = 7762.5, /24 = 323.4375, sd
     * 17.98437, cv 1.307954; 10 >= 10% of 100: no quiet hour, one run:
     * diurnal. At 30:30 the last 24 whole hours are 6..29, all 10: cv 0,
     * flat. */
    struct ds_addr a = ip4(10, 9, 1, 1);
    unsigned flat[30];
    for (unsigned h = 0; h < 30; h++)
        flat[h] = h == 0 ? 100 : 10;
    open_at(st, a, 0);
    hours_fill(st, a, 0, flat, 0, 24);
    expect_shape(st, a, T0 + 24 * HOUR + S(1800), 24, 1.307954, "diurnal");
    hours_fill(st, a, 0, flat, 24, 30);
    expect_shape(st, a, T0 + 30 * HOUR + S(1800), 24, 0, "flat");

    /* a source first seen at 0:10 (not on a clock hour): 10, 40, 20 in its
     * hours 0, 1, 2; at 0:10 + 2:59:59 two hours are whole: absent; at
     * 0:10 + 3:00:01, three: mean 70/3, squared deviations 177.78 + 277.78
     * + 11.11 = 466.67, /3 = 155.56, sd 12.4722, cv 0.534522; quiet under
     * 4: none; not flat, one run: diurnal */
    struct ds_addr b = ip4(10, 9, 1, 2);
    uint64_t base = S(600);
    static const unsigned varied[] = { 10, 40, 20 };
    open_at(st, b, base);
    hours_fill(st, b, base, varied, 0, 3);
    struct features f;
    assert_int_equal(source_features(st, &b, 3600, T0 + base + 3 * HOUR - S(1), &f), 0);
    assert_false(features_has(&f, FEAT_HOURLY_LOAD_CV));
    assert_false(features_has(&f, FEAT_LOAD_SHAPE));
    expect_shape(st, b, T0 + base + 3 * HOUR + S(1), 3, 0.534522, "diurnal");

    /* 50 2 40: mean 92/3 = 30.667, squared deviations 373.78 + 821.78 +
     * 87.11 = 1282.67, /3 = 427.56, sd 20.6774, cv 0.674263; quiet under 5:
     * the 2; busy, quiet, busy: two runs: bursty */
    struct ds_addr c = ip4(10, 9, 1, 3);
    static const unsigned batch[] = { 50, 2, 40 };
    open_at(st, c, 0);
    hours_fill(st, c, 0, batch, 0, 3);
    expect_shape(st, c, T0 + 3 * HOUR + S(1), 3, 0.674263, "bursty");

    /* 60 60 57: mean 59, deviations 1 1 -2, variance 6/3 = 2, cv
     * sqrt(2)/59 = 0.023970: flat */
    struct ds_addr d = ip4(10, 9, 1, 4);
    static const unsigned steady[] = { 60, 60, 57 };
    open_at(st, d, 0);
    hours_fill(st, d, 0, steady, 0, 3);
    expect_shape(st, d, T0 + 3 * HOUR + S(1), 3, 0.023970, "flat");

    /* 20 20 0 20 (an idle hour, the record kept): cv of 20,20,0,20 = mean
     * 15, variance (3*25 + 225)/4 = 75, sd 8.660, cv 0.577350; the 0 is
     * quiet; busy, quiet, busy: bursty */
    struct ds_addr e = ip4(10, 9, 1, 5);
    static const unsigned gap[] = { 20, 20, 0, 20 };
    open_at(st, e, 0);
    hours_fill(st, e, 0, gap, 0, 4);
    expect_shape(st, e, T0 + 4 * HOUR + S(1), 4, 0.577350, "bursty");
    source_table_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inflight),
        cmocka_unit_test(test_one_worker_many_connections),
        cmocka_unit_test(test_concurrency_regressions),
        cmocka_unit_test(test_answer_gaps_and_growth),
        cmocka_unit_test(test_pacing_floors),
        cmocka_unit_test(test_long_answers),
        cmocka_unit_test(test_script_families),
        cmocka_unit_test(test_hourly_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
