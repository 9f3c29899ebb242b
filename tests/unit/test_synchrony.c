/* synchrony: the crowd a round needs follows the Poisson tail (hand-computed
 * values); a pool of 24 dispatched a random quarter every 7 minutes forms
 * one group across providers against a Poisson background of browsers,
 * whose sources never join and whose rounds alone are never crowded; busy
 * sources take no part; a pool of a day stays a group; a round that fell
 * short of the crowd before its group was known counts once three of its
 * sources are members; nothing is judged while warming up; the background
 * rate is measured; the table stays bounded and a listing of an evicted
 * source is not taken for its successor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "ds/packet.h"
#include "ds/synchrony.h"
#include "ds/time-units.h"

#define S(x) ds_s_to_us((uint64_t)(x))
#define MS(x) ((uint64_t)(x) * 1000u)
#define T0 S(1000000)   /* packet time of the first start */

static struct synchrony *sy_shared;   /* test_start_counts_once's */

static struct ds_addr addr(uint8_t a, uint8_t b, uint8_t c)
{
    struct ds_addr x;
    ds_addr_from_v4(&x, (uint8_t[]){ 10, a, b, c });
    return x;
}

/* xorshift32: a fixed stream, so the sequences below are the same on
 * every run. */
static uint32_t rnd(uint32_t *st)
{
    uint32_t x = *st;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

static double unit(uint32_t *st)
{
    return (rnd(st) >> 8) / 16777216.0;
}

/* An exponential gap of mean 1. */
static double expo(uint32_t *st)
{
    return -log(1.0 - unit(st));
}

struct start {
    uint64_t start_us, end_us;
    struct ds_addr a;
    const char *provider;
    bool pool;
};

static int by_end(const void *x, const void *y)
{
    const struct start *a = x, *b = y;
    return a->end_us < b->end_us ? -1 : a->end_us > b->end_us;
}

#define MAX_STARTS 20000
static struct start starts[MAX_STARTS];
static size_t nstarts;

static void add(uint64_t start_us, uint64_t answer_us, struct ds_addr a, const char *provider,
                bool pool)
{
    assert_true(nstarts < MAX_STARTS);
    starts[nstarts++] = (struct start){ start_us, start_us + answer_us, a, provider, pool };
}

static const char *const providers[3] = { "openai", "anthropic", "deepseek" };

/* A pool of 24 over 8 /24 blocks, each member on one of three providers:
 * every 420 s (+-25%) a random quarter (6) of them start within 1.5 s; the
 * answers take 3 to 11 s, so turns end (and are reported) out of order. */
static void pool_starts(uint32_t *st, uint64_t span_s)
{
    for (uint64_t t = T0 + S(60); t < T0 + S(span_s);
         t += S(315) + (uint64_t)(unit(st) * (double)S(210))) {
        bool picked[24] = { false };
        for (unsigned k = 0; k < 6;) {
            unsigned m = (unsigned)(unit(st) * 24.0);
            if (picked[m])
                continue;
            picked[m] = true;
            k++;
            add(t + (uint64_t)(unit(st) * 1.5e6), S(3) + (uint64_t)(unit(st) * 8e6),
                addr(66, (uint8_t)(m % 8), (uint8_t)(2 + m / 8)), providers[m % 3], true);
        }
    }
}

/* n browsers, each starting requests at Poisson times of mean gap_s. */
static void browser_starts(uint32_t *st, unsigned n, double gap_s, uint64_t span_s)
{
    for (unsigned i = 0; i < n; i++) {
        double t = expo(st) * gap_s;
        for (; t < (double)span_s; t += expo(st) * gap_s)
            add(T0 + (uint64_t)(t * 1e6), S(1) + (uint64_t)(unit(st) * 20e6),
                addr(10, (uint8_t)(i / 200), (uint8_t)(1 + i % 200)), providers[i % 3], false);
    }
}

/* What play() found: the pool's members found in a group at one of their
 * turns or at the end (and the group), and the browsers' turns found in
 * one. */
struct found {
    bool member[24];
    uint32_t group;
    unsigned browser_turns;
};

/* Feeds the starts in the order their turns end. */
static void play(struct synchrony *sy, struct found *f)
{
    memset(f, 0, sizeof(*f));
    qsort(starts, nstarts, sizeof(starts[0]), by_end);
    for (size_t i = 0; i < nstarts; i++) {
        const struct start *x = &starts[i];
        if (!synchrony_turn(sy, &x->a, x->provider, x->start_us, x->end_us))
            continue;
        if (!x->pool) {
            f->browser_turns++;
            continue;
        }
        uint32_t g = 0;
        unsigned rounds = 0;
        assert_true(synchrony_group(sy, &x->a, x->end_us, &g, &rounds));
        assert_true(rounds >= SYNC_MEMBER_ROUNDS);
        assert_true(f->group == 0 || f->group == g);   /* one group */
        f->group = g;
        unsigned m = 0;
        for (; m < 24; m++) {
            struct ds_addr a = addr(66, (uint8_t)(m % 8), (uint8_t)(2 + m / 8));
            if (memcmp(&a, &x->a, sizeof(a)) == 0)
                break;
        }
        assert_true(m < 24);
        f->member[m] = true;
    }
    uint64_t end = starts[nstarts - 1].end_us;
    for (unsigned m = 0; m < 24; m++) {
        struct ds_addr a = addr(66, (uint8_t)(m % 8), (uint8_t)(2 + m / 8));
        uint32_t g = 0;
        unsigned rounds = 0;
        if (!synchrony_group(sy, &a, end, &g, &rounds))
            continue;
        assert_true(f->group == 0 || f->group == g);
        f->group = g;
        f->member[m] = true;
    }
}

static unsigned members(const struct found *f)
{
    unsigned n = 0;
    for (unsigned m = 0; m < 24; m++)
        n += f->member[m];
    return n;
}

static void test_crowd_needed(void **state)
{
    (void)state;
    /* mu = 0: never by chance; SYNC_MIN_CROWD all the same. */
    assert_int_equal(synchrony_crowd_needed(0), 4);
    /* mu = 0.1: P(X >= 3) = 1 - e^-0.1 (1 + 0.1 + 0.005) = 1.55e-4, not
     * enough; P(X >= 4) = 3.8e-6: the first and 4 others. */
    assert_int_equal(synchrony_crowd_needed(0.1), 5);
    /* mu = 1: P(X >= 6) = 5.9e-4, P(X >= 7) = 8.3e-5. */
    assert_int_equal(synchrony_crowd_needed(1.0), 8);
    /* mu = 2: P(X >= 9) = 2.4e-4, P(X >= 10) = 4.6e-5. */
    assert_int_equal(synchrony_crowd_needed(2.0), 11);
    assert_int_equal(synchrony_crowd_needed(-1.0), UINT32_MAX);
    assert_int_equal(synchrony_crowd_needed(1000.0), UINT32_MAX);
}

static void test_pool_against_background(void **state)
{
    (void)state;
    uint32_t st = 12345;
    nstarts = 0;
    pool_starts(&st, 3 * 3600);
    size_t pool_n = nstarts;
    browser_starts(&st, 60, 1200.0, 3 * 3600);   /* 0.05 sparse starts a second */
    assert_true(nstarts > pool_n + 400);
    struct synchrony *sy = synchrony_new(4096, 1);
    struct found f;
    play(sy, &f);
    const struct sync_stats *ss = synchrony_stats(sy);
    assert_int_equal(members(&f), 24);
    assert_int_equal(f.browser_turns, 0);
    assert_true(f.group > 0);
    assert_true(ss->crowded >= 10);
    /* The background rate: 0.05/s from the browsers (0.045/s of them
     * sparse) and 6 starts every 420 s from the pool (0.014/s). */
    assert_in_range(ss->rate_milli, 35, 95);
    synchrony_free(sy);
}

static void test_background_alone(void **state)
{
    (void)state;
    uint32_t st = 777;
    nstarts = 0;
    browser_starts(&st, 300, 600.0, 3 * 3600);   /* 0.5 a second, busy */
    struct synchrony *sy = synchrony_new(4096, 1);
    struct found f;
    play(sy, &f);
    const struct sync_stats *ss = synchrony_stats(sy);
    assert_int_equal(f.browser_turns, 0);
    assert_int_equal(ss->crowded, 0);
    assert_int_equal(ss->joined, 0);
    /* 0.5 starts a second, of which those 120 s or more after the
     * browser's last are sparse: e^-(120/600) = 0.82 of them, 0.41/s. */
    assert_in_range(ss->rate_milli, 330, 490);
    synchrony_free(sy);
}

/* A pool dispatching a round every 10 s: its members are busy, not
 * sparse, and take no part. */
static void test_busy_not_sparse(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    for (unsigned k = 0; k < 200; k++)
        for (unsigned m = 0; m < 8; m++) {
            struct ds_addr a = addr(1, 1, (uint8_t)(1 + m));
            uint64_t t = T0 + S(10 * k) + MS(100 * m);
            (void)synchrony_turn(sy, &a, "openai", t, t + S(4));
        }
    const struct sync_stats *ss = synchrony_stats(sy);
    assert_int_equal(ss->sparse_starts, 8);   /* each one's first */
    assert_int_equal(ss->crowded, 0);
    synchrony_free(sy);
}

/* Ten sources at once, then again and again: nothing is judged in the
 * first SYNC_WARMUP_S; afterwards the rounds are crowded and they are one
 * group. A provider of NULL or "" is not followed. */
static void test_warmup(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    struct ds_addr a0 = addr(2, 0, 1);
    assert_false(synchrony_turn(sy, &a0, NULL, T0, T0 + S(1)));
    assert_false(synchrony_turn(sy, &a0, "", T0, T0 + S(1)));
    assert_int_equal(synchrony_stats(sy)->sparse_starts, 0);
    for (unsigned k = 0; k < 4; k++)
        for (unsigned m = 0; m < 10; m++) {
            struct ds_addr a = addr(2, 0, (uint8_t)(1 + m));
            uint64_t t = T0 + S(200 * k) + MS(50 * m);
            (void)synchrony_turn(sy, &a, providers[m % 3], t, t + S(5));
        }
    const struct sync_stats *ss = synchrony_stats(sy);
    /* Rounds at 0 and 200 s are in the warm-up, kept as near rounds; 400
     * and 600 s are crowded, which makes the ten members, and then the two
     * warm-up rounds theirs. */
    assert_int_equal(ss->crowded, 4);
    assert_int_equal(ss->promoted, 2);
    uint32_t g = 0, g0 = 0;
    unsigned rounds = 0;
    for (unsigned m = 0; m < 10; m++) {
        struct ds_addr a = addr(2, 0, (uint8_t)(1 + m));
        assert_true(synchrony_group(sy, &a, T0 + S(700), &g, &rounds));
        assert_int_equal(rounds, 4);
        g0 = m == 0 ? g : g0;
        assert_int_equal(g, g0);
    }
    /* A member stays one SYNC_KEEP_S after it was last found one. */
    assert_false(synchrony_group(sy, &a0, T0 + S(605 + SYNC_KEEP_S + 1), &g, &rounds));
    synchrony_free(sy);
}

/* A pool of six that starts together every 200 s for a day stays a
 * group: once each member has been in more crowded rounds than it
 * remembers, its share is weighed over those it remembers, not all its
 * 432 sparse starts. */
static void test_long_lived(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    for (unsigned k = 0; k < 432; k++)
        for (unsigned m = 0; m < 6; m++) {
            struct ds_addr a = addr(4, 0, (uint8_t)(1 + m));
            uint64_t t = T0 + S(200 * k) + MS(100 * m);
            (void)synchrony_turn(sy, &a, providers[m % 3], t, t + S(4));
        }
    uint64_t end = T0 + S(200 * 431 + 10);
    for (unsigned m = 0; m < 6; m++) {
        struct ds_addr a = addr(4, 0, (uint8_t)(1 + m));
        uint32_t g = 0;
        unsigned rounds = 0;
        assert_true(synchrony_group(sy, &a, end, &g, &rounds));
        assert_int_equal(rounds, SYNC_SOURCE_CROWDED);
    }
    assert_int_equal(synchrony_stats(sy)->joined, 6);
    synchrony_free(sy);
}

/* Round r of the early-round test: members first..first+n-1 of the
 * pool, 200 ms apart. */
static void round_of(uint64_t t, const unsigned *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        add(t + MS(200 * i), S(5), addr(66, (uint8_t)(m[i] % 8), (uint8_t)(2 + m[i] / 8)),
            providers[m[i] % 3], true);
}

/* A round that fell short of the crowd before its group was known is
 * made the group's once three of its sources are members: member 0, in
 * that early round (6 sources against a background whose crowd is 8) and
 * in one crowded round an hour later, is found a member; without the
 * near round it would have one crowded round. The background's sources
 * listed in the promoted round never join. */
static void test_early_round(void **state)
{
    (void)state;
    uint32_t st = 777;
    nstarts = 0;
    browser_starts(&st, 300, 600.0, 2 * 3600);   /* 0.5 a second: a crowd is 8 */
    static const unsigned a[] = { 0, 1, 2, 3, 4, 5 };
    static const unsigned b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    static const unsigned c[] = { 1, 2, 3, 4, 5, 11, 12, 13, 14, 15 };
    static const unsigned e[] = { 0, 6, 7, 8, 11, 12, 13, 16, 17, 18 };
    round_of(T0 + S(600), a, 6);
    round_of(T0 + S(1200), b, 10);
    round_of(T0 + S(1800), c, 10);
    round_of(T0 + S(4200), e, 10);
    struct synchrony *sy = synchrony_new(4096, 1);
    struct found f;
    play(sy, &f);
    const struct sync_stats *ss = synchrony_stats(sy);
    assert_true(f.member[0]);
    assert_int_equal(f.browser_turns, 0);
    assert_int_equal(ss->crowded, 4);   /* b, c, e and a, promoted */
    assert_int_equal(ss->promoted, 1);
    assert_true(ss->near >= 1);
    synchrony_free(sy);
}

/* At most max_sources sources; the least recently active is evicted and
 * its recent start is not taken for its successor's: of 100 sources
 * starting within a second after the warm-up, the crowded round lists the
 * 8 the table holds. */
static void test_bounded(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(8, 1);
    struct ds_addr a0 = addr(3, 1, 1);
    (void)synchrony_turn(sy, &a0, "openai", T0, T0 + S(1));
    (void)synchrony_turn(sy, &a0, "openai", T0 + S(130), T0 + S(131));
    for (unsigned i = 0; i < 100; i++) {
        struct ds_addr a = addr(3, 0, (uint8_t)(1 + i));
        uint64_t t = T0 + S(400) + MS(10 * i);
        (void)synchrony_turn(sy, &a, "openai", t, t + S(1));
    }
    const struct sync_stats *ss = synchrony_stats(sy);
    assert_int_equal(ss->sources_active, 8);
    assert_int_equal(ss->sources_evicted, 93);
    assert_int_equal(ss->window_full, 0);
    assert_int_equal(ss->crowded, 1);
    assert_true(synchrony_bytes(sy) > 0);
    synchrony_free(sy);
}


/* A start counts in one crowded round, also when a near round that holds
 * it is promoted later: a crowded round that grew to 3.6 s (windows of
 * A..G, 0.6 s apart) and a near round of its last two starts (F, G) and
 * X's 0.9 s later are not one round (4.5 s together), so the near round
 * is kept. 200 s on, X (in a crowded round before), F, G and A..E start
 * together: the members found promote the near round; F and G must not
 * count their one start of the first round twice. */
static void sync_at(uint8_t who, uint64_t t)
{
    struct ds_addr a = addr(5, 0, who);
    (void)synchrony_turn(sy_shared, &a, "openai", t, t + S(3));
}

static void test_start_counts_once(void **state)
{
    (void)state;
    sy_shared = synchrony_new(1024, 1);
    enum { A = 1, B, C, D, E, F, G, X, P, Q, R, Z };
    sync_at(Z, T0);                                   /* the warm-up's start */
    for (unsigned i = 0; i < 4; i++)                  /* X's crowded round */
        sync_at((uint8_t)(i == 0 ? X : P + i - 1), T0 + S(400) + MS(300 * i));
    for (unsigned i = 0; i < 7; i++)                  /* A..G: one round of 3.6 s */
        sync_at((uint8_t)(A + i), T0 + S(800) + MS(600 * i));
    const struct sync_stats *ss = synchrony_stats(sy_shared);
    sync_at(X, T0 + S(800) + MS(4500));               /* near: F, G and X */
    assert_int_equal(ss->crowded, 2);
    assert_int_equal(ss->near, 3);   /* X, P, Q and A, B, C before their rounds were crowded */
    static const uint8_t round2[] = { X, F, G, A, B, C, D, E };
    for (unsigned i = 0; i < 8; i++)
        sync_at(round2[i], T0 + S(1000) + MS(100 * i));
    assert_int_equal(ss->promoted, 1);
    uint32_t g = 0;
    unsigned rounds = 0;
    struct ds_addr f = addr(5, 0, F), x = addr(5, 0, X);
    assert_true(synchrony_group(sy_shared, &x, T0 + S(1010), &g, &rounds));
    assert_int_equal(rounds, 3);   /* at 400, 804.5 and 1000 s */
    assert_true(synchrony_group(sy_shared, &f, T0 + S(1010), &g, &rounds));
    assert_int_equal(rounds, 2);   /* at 803 and 1000 s: once each */
    synchrony_free(sy_shared);
    sy_shared = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crowd_needed),
        cmocka_unit_test(test_pool_against_background),
        cmocka_unit_test(test_background_alone),
        cmocka_unit_test(test_busy_not_sparse),
        cmocka_unit_test(test_warmup),
        cmocka_unit_test(test_long_lived),
        cmocka_unit_test(test_early_round),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_start_counts_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
