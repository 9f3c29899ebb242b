/* synchrony: sources that start together round after round form a group,
 * whatever order their turns end in; sources at independent times, busy
 * sources, too few partners, or another provider do not; the table stays
 * bounded and a listing of an evicted source is not taken for its
 * successor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/packet.h"
#include "ds/synchrony.h"
#include "ds/time-units.h"

#define S(x) ds_s_to_us((uint64_t)(x))
#define MS(x) ((uint64_t)(x) * 1000u)

static struct ds_addr addr(uint8_t a, uint8_t b)
{
    struct ds_addr x;
    ds_addr_from_v4(&x, (uint8_t[]){ 203, 0, a, b });
    return x;
}

/* n sources of /24 `net` start a request in each of `rounds` rounds, every
 * `every` s from t0, source i 150 ms after source i-1; their turns end (and
 * are reported) in reverse order, 5 to 8 s later. Returns how many were
 * synchronous at their last turn. */
static unsigned play_rounds(struct synchrony *sy, uint8_t net, unsigned n, unsigned rounds,
                            unsigned every, uint64_t t0, const char *provider)
{
    unsigned sync = 0;
    for (unsigned k = 0; k < rounds; k++) {
        for (unsigned j = n; j-- > 0;) {
            struct ds_addr a = addr(net, (uint8_t)(1 + j));
            uint64_t start = S(t0) + S((uint64_t)k * every) + MS(150 * j);
            bool s = synchrony_turn(sy, &a, provider, start, start + S(5) + MS(300 * (n - j)));
            if (k == rounds - 1)
                sync += s;
        }
    }
    return sync;
}

static void test_pool_in_rounds_groups(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    /* Two rounds are not enough to say anything. */
    assert_int_equal(play_rounds(sy, 1, 6, 2, 60, 1000, "openai"), 0);
    uint32_t g = 0;
    unsigned rounds = 0;
    struct ds_addr a1 = addr(1, 1);
    assert_false(synchrony_group(sy, &a1, S(1200), &g, &rounds));
    /* A third and fourth: every member is in one group, sharing 4 rounds. */
    sy = (synchrony_free(sy), synchrony_new(1024, 1));
    assert_int_equal(play_rounds(sy, 1, 6, 4, 60, 1000, "openai"), 6);
    uint32_t g0 = 0;
    for (unsigned j = 0; j < 6; j++) {
        struct ds_addr a = addr(1, (uint8_t)(1 + j));
        assert_true(synchrony_group(sy, &a, S(1300), &g, &rounds));
        if (j == 0)
            g0 = g;
        assert_int_equal(g, g0);
        assert_true(rounds >= 3);
    }
    assert_int_equal(synchrony_stats(sy)->groups, 1);
    /* The group lapses SYNC_KEEP_S after its last round. */
    assert_false(synchrony_group(sy, &a1, S(1180 + SYNC_KEEP_S + 60), &g, &rounds));
    synchrony_free(sy);
}

static void test_not_synchronous(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    /* Eight sources every 60 s, each at its own phase (7 s apart): never
     * within 2 s of each other. */
    for (unsigned k = 0; k < 8; k++)
        for (unsigned j = 0; j < 8; j++) {
            struct ds_addr a = addr(2, (uint8_t)(1 + j));
            uint64_t start = S(1000 + 60 * k + 7 * j);
            assert_false(synchrony_turn(sy, &a, "openai", start, start + S(3)));
        }
    /* Busy sources (a request every 5 s), all at once: together by chance
     * as much as by design, so no evidence. */
    assert_int_equal(play_rounds(sy, 3, 6, 12, 5, 2000, "openai"), 0);
    /* Three together have two partners each: not enough. */
    assert_int_equal(play_rounds(sy, 4, 3, 8, 60, 3000, "openai"), 0);
    /* Six together, but on three providers two by two. */
    const char *prov[3] = { "openai", "anthropic", "google" };
    for (unsigned k = 0; k < 6; k++)
        for (unsigned j = 0; j < 6; j++) {
            struct ds_addr a = addr(5, (uint8_t)(1 + j));
            uint64_t start = S(5000 + 60 * k) + MS(100 * j);
            assert_false(synchrony_turn(sy, &a, prov[j % 3], start, start + S(2)));
        }
    assert_int_equal(synchrony_stats(sy)->groups, 0);
    assert_true(synchrony_stats(sy)->comparisons > 0);
    synchrony_free(sy);
}

/* A pool that misses rounds now and then: each member in 5 of the last 8
 * rounds with the others is still a partner (3/5 of its rounds). */
static void test_pool_missing_rounds(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(1024, 1);
    unsigned sync = 0;
    for (unsigned k = 0; k < 8; k++)
        for (unsigned j = 0; j < 5; j++) {
            if ((k + j) % 4 == 0)   /* each sits out one round in four */
                continue;
            struct ds_addr a = addr(6, (uint8_t)(1 + j));
            uint64_t start = S(1000 + 90 * k) + MS(200 * j);
            sync += synchrony_turn(sy, &a, "openai", start, start + S(4));
        }
    assert_true(sync > 0);
    assert_int_equal(synchrony_stats(sy)->groups, 1);
    synchrony_free(sy);
}

static void test_bounded(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(8, 1);
    size_t bytes = 0;
    for (unsigned i = 0; i < 100; i++) {
        struct ds_addr a = addr(7, (uint8_t)i);
        synchrony_turn(sy, &a, "openai", S(10 + i), S(11 + i));
        if (i == 7)
            bytes = synchrony_bytes(sy);
    }
    assert_int_equal(synchrony_stats(sy)->sources_active, 8);
    assert_int_equal(synchrony_stats(sy)->sources_evicted, 92);
    assert_int_equal(synchrony_bytes(sy), bytes);
    /* Many providers: the least recently active one's rounds make room. */
    for (unsigned i = 0; i < SYNC_PROVIDERS + 4; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%u", i);
        struct ds_addr a = addr(8, 1);
        synchrony_turn(sy, &a, name, S(500 + i), S(501 + i));
    }
    assert_int_equal(synchrony_stats(sy)->providers_reused, 5);   /* openai's slot too */
    assert_int_equal(synchrony_bytes(sy), bytes);
    synchrony_free(sy);
    synchrony_free(NULL);
}

/* A table of 4: three together play 3 rounds (two partners each: no
 * group); four others, each at its own time, take their entries; a new
 * source starts in the three's rounds (turns that end late): their listings
 * are stale and skipped, and it finds no partner. */
static void test_stale_listing(void **state)
{
    (void)state;
    struct synchrony *sy = synchrony_new(4, 1);
    assert_int_equal(play_rounds(sy, 9, 3, 3, 60, 1000, "openai"), 0);
    for (unsigned i = 0; i < 4; i++) {
        struct ds_addr a = addr(10, (uint8_t)i);
        synchrony_turn(sy, &a, "openai", S(1100 + 10 * i), S(1101 + 10 * i));
    }
    assert_int_equal(synchrony_stats(sy)->sources_evicted, 3);
    struct ds_addr d = addr(11, 1);
    synchrony_turn(sy, &d, "openai", S(1000), S(1200));
    synchrony_turn(sy, &d, "openai", S(1060), S(1201));
    assert_false(synchrony_turn(sy, &d, "openai", S(1120), S(1202)));
    assert_int_equal(synchrony_stats(sy)->stale, 3);
    assert_int_equal(synchrony_stats(sy)->groups, 0);
    synchrony_free(sy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_in_rounds_groups),
        cmocka_unit_test(test_not_synchronous),
        cmocka_unit_test(test_pool_missing_rounds),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_stale_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
