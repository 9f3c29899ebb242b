/* flow-app: a TLS fact set's strings each hold one reference in the
 * shared string table (set twice, set to the same string, released
 * twice), a flow's facts are one shared set it lets go when it ends, and
 * the shared tables and pools sized within the memcap's shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/exchange.h"
#include "ds/flow-app.h"
#include "ds/intern.h"
#include "ds/tls-facts.h"

static uint64_t entries(const struct intern *in)
{
    struct intern_stats st;
    intern_stats_get(in, &st);
    return st.entries;
}

/* Set, set again to the same string, replaced, cleared, released twice:
 * the table ends empty and a string two flows share stays while one holds
 * it. */
static void test_tls_strings_refcount(void **state)
{
    (void)state;
    struct flow_app_shared sh;
    assert_int_equal(flow_app_shared_init(&sh, 1024, 0, 0, 7), 0);
    struct flow_tls a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    flow_tls_set_str(&a, sh.strings, FLOW_TLS_SNI, "api.openai.com", 255);
    uint32_t id = a.str[FLOW_TLS_SNI];
    flow_tls_set_str(&a, sh.strings, FLOW_TLS_SNI, "api.openai.com", 255);
    assert_int_equal(a.str[FLOW_TLS_SNI], id);
    flow_tls_set_str(&b, sh.strings, FLOW_TLS_SNI, "api.openai.com", 255);
    assert_int_equal(b.str[FLOW_TLS_SNI], id);
    assert_int_equal(entries(sh.strings), 1);
    flow_tls_set(&a, sh.strings, FLOW_TLS_ALPN, "\x02h2", 3);
    flow_tls_set_str(&a, sh.strings, FLOW_TLS_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 64);
    assert_int_equal(entries(sh.strings), 3);
    flow_tls_set(&a, sh.strings, FLOW_TLS_ALPN, NULL, 0); /* cleared */
    assert_false(flow_tls_has(&a, FLOW_TLS_ALPN));
    assert_int_equal(entries(sh.strings), 2);
    flow_tls_release(&a, sh.strings);
    flow_tls_release(&a, sh.strings); /* a second release holds nothing */
    assert_int_equal(entries(sh.strings), 1);
    assert_string_equal(flow_tls_str(&b, sh.strings, FLOW_TLS_SNI, NULL), "api.openai.com");
    flow_tls_release(&b, sh.strings);
    assert_int_equal(entries(sh.strings), 0);
    flow_app_shared_free(&sh);
}

/* What pool.c gives an object: its size rounded up to 16 bytes. */
static size_t pooled(size_t size)
{
    return (size + 15) & ~(size_t)15;
}

/* The exchange pool at its caps fits the turn_pool share it was given:
 * each kind of object counted at what the pool makes it cost. */
static void test_turn_pool_within_share(void **state)
{
    (void)state;
    const size_t share = 100000;
    struct flow_app_shared sh;
    assert_int_equal(flow_app_shared_init(&sh, 1u << 20, 0, share, 7), 0);
    struct exchange_pool_stats st;
    exchange_pool_stats_get(sh.turns, &st);
    size_t listed = st.listed_cap * pooled(sizeof(struct exchange_listed));
    size_t more = st.more_cap * pooled(sizeof(struct exchange_open_more));
    size_t held = st.held_cap * pooled(sizeof(struct exchange_held));
    assert_true(st.listed_cap > 0 && st.more_cap > 0 && st.held_cap > 0);
    assert_true(listed <= share / 100 * 60);
    assert_true(more <= share / 100 * 25);
    assert_true(held <= share / 100 * 15);
    assert_true(listed + more + held <= share);
    flow_app_shared_free(&sh);
}

static uint64_t sets_held(const struct tls_facts *tf)
{
    struct tls_facts_stats st;
    tls_facts_stats_get(tf, &st);
    return st.entries;
}

/* A flow's TLS facts are one id into the shared fact sets: two flows with
 * the same facts hold one set; flow_app_release lets it go with its
 * strings, and the app holds nothing after. */
static void test_flow_facts_released(void **state)
{
    (void)state;
    struct flow_app_shared sh;
    assert_int_equal(flow_app_shared_init(&sh, 1024, 0, 0, 7), 0);
    struct flow_app a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    tls_facts_set_str(sh.facts, &a.tls, FLOW_TLS_SNI, "api.openai.com", 255);
    tls_facts_set_str(sh.facts, &b.tls, FLOW_TLS_SNI, "api.openai.com", 255);
    assert_int_equal(a.tls, b.tls);
    assert_int_equal(sets_held(sh.facts), 1);
    flow_app_release(&a, &sh);
    assert_int_equal(a.tls, 0);
    assert_int_equal(sets_held(sh.facts), 1);
    flow_app_release(&b, &sh);
    assert_int_equal(sets_held(sh.facts), 0);
    assert_int_equal(entries(sh.strings), 0);
    flow_app_release(NULL, &sh);
    flow_app_shared_free(&sh);
}

/* A strings share too small for what a million flows would want holds
 * both tables: the fact sets taken until the table refuses fit the share
 * with the string table's part beside them, and strings are still taken. */
static void test_facts_within_strings_share(void **state)
{
    (void)state;
    const size_t share = 200000;
    struct flow_app_shared sh;
    assert_int_equal(flow_app_shared_init(&sh, 1u << 20, share, 0, 7), 0);
    uint32_t n = 0;
    for (;; n++) {
        uint32_t id = 0;
        struct flow_tls t;
        tls_facts_edit(sh.facts, 0, &t);
        t.quic_version = n + 1;
        if (!tls_facts_commit(sh.facts, &id, &t))
            break;
    }
    assert_true(n >= 100);
    assert_true(tls_facts_size(n) < share);
    assert_true(tls_facts_bytes_used(sh.facts) < share);
    uint32_t s = intern_take(sh.strings, "api.openai.com", 14);
    assert_int_not_equal(s, 0);
    intern_drop(sh.strings, s);
    flow_app_shared_free(&sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_strings_refcount),
        cmocka_unit_test(test_turn_pool_within_share),
        cmocka_unit_test(test_flow_facts_released),
        cmocka_unit_test(test_facts_within_strings_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
