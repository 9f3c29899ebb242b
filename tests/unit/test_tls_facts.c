/* tls-facts: flows with the same facts share one set; a set holds one
 * reference to each of its strings and lets them go with its last flow;
 * an update is a new set and the old one goes; the empty set needs no
 * entry; a full table refuses a change (counted) and the flow keeps what
 * it had; the table's size within its share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/intern.h"
#include "ds/tls-facts.h"

#define SEED 0x5eedu
#define JA4 "t13d1516h2_8daaf6152771_e5627efa2ab1"

static struct intern *strs;

static int setup(void **state)
{
    (void)state;
    strs = intern_new(64, 1 << 16, SEED);
    return strs ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    intern_free(strs);
    return 0;
}

static uint64_t string_entries(void)
{
    struct intern_stats st;
    intern_stats_get(strs, &st);
    return st.entries;
}

static struct tls_facts_stats stats(const struct tls_facts *tf)
{
    struct tls_facts_stats st;
    tls_facts_stats_get(tf, &st);
    return st;
}

/* A flow's hello as the sensor commits it: SNI, JA4 and versions at once. */
static bool hello(struct tls_facts *tf, uint32_t *id, const char *sni, uint16_t version)
{
    struct flow_tls t;
    tls_facts_edit(tf, *id, &t);
    flow_tls_set_str(&t, strs, FLOW_TLS_SNI, sni, 255);
    flow_tls_set_str(&t, strs, FLOW_TLS_JA4, JA4, 255);
    t.hello_version = version;
    return tls_facts_commit(tf, id, &t);
}

/* Two flows with the same hello hold one set; the strings are held once
 * by it; a later fact of one flow gives it a set of its own, and the
 * other keeps the first; the last flow gone frees the sets and their
 * strings. */
static void test_shared_and_updated(void **state)
{
    (void)state;
    struct tls_facts *tf = tls_facts_new(16, 1 << 14, strs, SEED);
    assert_non_null(tf);
    uint32_t a = 0, b = 0;
    assert_true(hello(tf, &a, "api.openai.com", 0x0304));
    assert_true(hello(tf, &b, "api.openai.com", 0x0304));
    assert_int_not_equal(a, 0);
    assert_int_equal(a, b);
    assert_int_equal(stats(tf).entries, 1);
    assert_int_equal(string_entries(), 2);
    const struct flow_tls *v = tls_facts_get(tf, a);
    assert_string_equal(tls_facts_str(tf, v, FLOW_TLS_SNI, NULL), "api.openai.com");
    assert_string_equal(tls_facts_str(tf, v, FLOW_TLS_JA4, NULL), JA4);
    assert_int_equal(v->hello_version, 0x0304);
    assert_false(flow_tls_has(v, FLOW_TLS_JA3));

    /* b's ServerHello: a set of its own with JA3S; a's is unchanged. */
    uint32_t first = a;
    assert_true(tls_facts_set_str(tf, &b, FLOW_TLS_JA3S, "fedcba9876543210fedcba9876543210", 32));
    assert_int_not_equal(b, a);
    assert_int_equal(a, first);
    assert_int_equal(stats(tf).entries, 2);
    assert_int_equal(string_entries(), 3);
    assert_false(flow_tls_has(tls_facts_get(tf, a), FLOW_TLS_JA3S));
    assert_string_equal(tls_facts_str(tf, tls_facts_get(tf, b), FLOW_TLS_SNI, NULL),
                        "api.openai.com");

    /* a learns the same: it joins b's set, and the first set goes. */
    assert_true(tls_facts_set_str(tf, &a, FLOW_TLS_JA3S, "fedcba9876543210fedcba9876543210", 32));
    assert_int_equal(a, b);
    assert_int_equal(stats(tf).entries, 1);

    /* The same change again is no change. */
    assert_true(tls_facts_set_str(tf, &a, FLOW_TLS_JA3S, "fedcba9876543210fedcba9876543210", 32));
    assert_int_equal(a, b);
    assert_int_equal(stats(tf).entries, 1);

    tls_facts_drop(tf, a);
    assert_int_equal(stats(tf).entries, 1);
    assert_int_equal(string_entries(), 3);
    tls_facts_drop(tf, b);
    assert_int_equal(stats(tf).entries, 0);
    assert_int_equal(string_entries(), 0);
    assert_int_equal(stats(tf).refused, 0);
    tls_facts_free(tf);
    tls_facts_free(NULL);
}

/* Nothing known is the empty set, id 0, which needs no entry; a set
 * cleared back to nothing is id 0 again; id 0 reads as all zeros. */
static void test_empty_set(void **state)
{
    (void)state;
    struct tls_facts *tf = tls_facts_new(16, 1 << 14, strs, SEED);
    assert_non_null(tf);
    uint32_t id = 0;
    struct flow_tls t;
    tls_facts_edit(tf, id, &t);
    assert_true(tls_facts_commit(tf, &id, &t));
    assert_int_equal(id, 0);
    assert_int_equal(stats(tf).entries, 0);
    assert_true(tls_facts_set_str(tf, &id, FLOW_TLS_NDPI, "TLS", 31));
    assert_int_not_equal(id, 0);
    assert_true(tls_facts_set(tf, &id, FLOW_TLS_NDPI, NULL, 0));
    assert_int_equal(id, 0);
    assert_int_equal(stats(tf).entries, 0);
    assert_int_equal(string_entries(), 0);
    const struct flow_tls *v = tls_facts_get(tf, 0);
    assert_int_equal(v->version, 0);
    assert_string_equal(tls_facts_str(tf, v, FLOW_TLS_SNI, NULL), "");
    /* No table: nothing is kept, nothing breaks. */
    assert_false(tls_facts_set_str(NULL, &id, FLOW_TLS_SNI, "x", 1));
    assert_int_equal(id, 0);
    assert_int_equal(tls_facts_get(NULL, 5)->quic_version, 0);
    tls_facts_drop(NULL, 5);
    tls_facts_free(tf);
}

/* A full table refuses a new set: the flow keeps the set it had (its SNI
 * is not lost), the change is counted, and the string the change took is
 * let go again. A set freed makes room. */
static void test_full_keeps_old(void **state)
{
    (void)state;
    struct tls_facts *tf = tls_facts_new(2, 1 << 14, strs, SEED);
    assert_non_null(tf);
    uint32_t a = 0, b = 0, c = 0;
    assert_true(hello(tf, &a, "a.example", 0x0304));
    assert_true(hello(tf, &b, "b.example", 0x0304));
    uint64_t held = string_entries();
    assert_false(hello(tf, &c, "c.example", 0x0304)); /* a third set: none left */
    assert_int_equal(c, 0);
    assert_int_equal(stats(tf).refused, 1);
    assert_int_equal(string_entries(), held); /* c.example was let go */
    /* a's update would need a third set while a's own is held: refused. */
    assert_false(tls_facts_set_str(tf, &a, FLOW_TLS_JA3, "0123456789abcdef0123456789abcdef", 32));
    assert_string_equal(tls_facts_str(tf, tls_facts_get(tf, a), FLOW_TLS_SNI, NULL), "a.example");
    assert_false(flow_tls_has(tls_facts_get(tf, a), FLOW_TLS_JA3));
    assert_int_equal(stats(tf).refused, 2);
    tls_facts_drop(tf, b);
    assert_true(tls_facts_set_str(tf, &a, FLOW_TLS_JA3, "0123456789abcdef0123456789abcdef", 32));
    assert_true(flow_tls_has(tls_facts_get(tf, a), FLOW_TLS_JA3));
    assert_int_equal(stats(tf).entries, 1);
    tls_facts_drop(tf, a);
    assert_int_equal(stats(tf).entries, 0);
    assert_int_equal(string_entries(), 0);
    tls_facts_free(tf);
}

/* Many distinct sets through a small bucket array: each found again and
 * freed (chains are walked and unlinked), and the entries reused. */
static void test_many_sets_reused(void **state)
{
    (void)state;
    struct tls_facts *tf = tls_facts_new(40, 1 << 14, strs, SEED);
    assert_non_null(tf);
    uint32_t ids[40];
    for (int round = 0; round < 3; round++) {
        for (uint16_t i = 0; i < 40; i++) {
            ids[i] = 0;
            struct flow_tls t;
            tls_facts_edit(tf, 0, &t);
            t.quic_version = 1000u + i;
            t.ech = (uint8_t)(i & 3);
            tls_facts_commit(tf, &ids[i], &t);
            assert_int_not_equal(ids[i], 0);
        }
        assert_int_equal(stats(tf).entries, 40);
        for (uint16_t i = 0; i < 40; i++) {
            const struct flow_tls *v = tls_facts_get(tf, ids[i]);
            assert_int_equal(v->quic_version, 1000u + i);
            assert_int_equal(v->ech, i & 3);
        }
        for (int i = 39; i >= 0; i--)
            tls_facts_drop(tf, ids[i]);
        assert_int_equal(stats(tf).entries, 0);
    }
    assert_true(tls_facts_bytes_used(tf) <= tls_facts_size(40));
    tls_facts_free(tf);
}

/* A table of n sets allocates tls_facts_size(n), which fits the bytes
 * given; the sets within a byte count fit it; too few bytes: no table. */
static void test_size_within(void **state)
{
    (void)state;
    assert_null(tls_facts_new(1024, tls_facts_size(1024) - 1, strs, SEED));
    struct tls_facts *tf = tls_facts_new(1024, tls_facts_size(1024), strs, SEED);
    assert_non_null(tf);
    tls_facts_free(tf);
    for (size_t bytes = 1024; bytes < ((size_t)1 << 24); bytes *= 3) {
        uint32_t n = tls_facts_sets_within(bytes);
        assert_true(n > 0);
        assert_true(tls_facts_size(n) <= bytes);
    }
    assert_int_equal(tls_facts_sets_within(16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_and_updated), cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_full_keeps_old),     cmocka_unit_test(test_many_sets_reused),
        cmocka_unit_test(test_size_within),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
