/* intern: one copy per string, reference counts (and holds), reuse of freed entries
 * and blocks, the caps (entries, bytes, length, chain) refusing and
 * counting, and colliding strings told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/hash.h"
#include "ds/intern.h"

#define SEED 0x1234u

static uint64_t refused(const struct intern *in)
{
    struct intern_stats st;
    intern_stats_get(in, &st);
    return st.refused;
}

static uint64_t entries(const struct intern *in)
{
    struct intern_stats st;
    intern_stats_get(in, &st);
    return st.entries;
}

static void test_one_copy_and_refcount(void **state)
{
    (void)state;
    struct intern *in = intern_new(64, 1 << 16, SEED);
    assert_non_null(in);
    uint32_t a = intern_take(in, "api.openai.com", 14);
    uint32_t b = intern_take(in, "api.openai.com", 14);
    uint32_t c = intern_take(in, "api.anthropic.com", 17);
    assert_true(a != 0 && a == b && c != a);
    assert_int_equal(entries(in), 2);
    size_t len;
    assert_string_equal(intern_get(in, a, &len), "api.openai.com");
    assert_int_equal(len, 14);
    intern_drop(in, a);
    assert_string_equal(intern_get(in, b, NULL), "api.openai.com"); /* one reference left */
    intern_drop(in, b);
    assert_int_equal(entries(in), 1);
    assert_string_equal(intern_get(in, a, &len), ""); /* gone */
    assert_int_equal(len, 0);
    assert_int_equal(intern_take(in, "", 0), 0);     /* nothing to hold, not a refusal */
    assert_string_equal(intern_get(in, 0, NULL), "");
    assert_int_equal(refused(in), 0);
    intern_drop(in, c);
    intern_drop(in, 0);
    intern_free(in);
    intern_free(NULL);
}

/* intern_hold: one more reference to a held string (a copy of what
 * refers to it), which then needs one more drop; nothing for id 0 or a
 * string no longer held. */
static void test_hold(void **state)
{
    (void)state;
    struct intern *in = intern_new(8, 1 << 16, SEED);
    assert_non_null(in);
    uint32_t a = intern_take(in, "api.openai.com", 14);
    assert_int_equal(intern_hold(in, a), a);
    intern_drop(in, a);
    assert_string_equal(intern_get(in, a, NULL), "api.openai.com"); /* the held copy */
    intern_drop(in, a);
    assert_int_equal(entries(in), 0);
    assert_int_equal(intern_hold(in, a), 0); /* gone: not brought back */
    assert_int_equal(intern_hold(in, 0), 0);
    assert_int_equal(intern_hold(NULL, a), 0);
    assert_int_equal(entries(in), 0);
    assert_int_equal(refused(in), 0);
    intern_free(in);
}

/* Bytes with NULs (an ALPN wire list) are kept whole. */
static void test_bytes(void **state)
{
    (void)state;
    struct intern *in = intern_new(16, 1 << 16, SEED);
    static const uint8_t alpn[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    static const uint8_t other[] = { 2, 'h', '2', 0 };
    uint32_t a = intern_take(in, alpn, sizeof(alpn));
    uint32_t b = intern_take(in, other, sizeof(other));
    assert_true(a != 0 && b != 0 && a != b);
    size_t len;
    const char *p = intern_get(in, a, &len);
    assert_int_equal(len, sizeof(alpn));
    assert_memory_equal(p, alpn, sizeof(alpn));
    intern_free(in);
}

/* A freed entry and its block serve the next string; the memory in use
 * does not grow when strings come and go. */
static void test_reuse_after_release(void **state)
{
    (void)state;
    struct intern *in = intern_new(4, 1 << 16, SEED);
    char name[32];
    uint32_t first = intern_take(in, "a.example", 9);
    intern_drop(in, first);
    size_t used = intern_bytes_used(in);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(name, sizeof(name), "host%d.example", i);
        uint32_t id = intern_take(in, name, (size_t)n);
        assert_true(id != 0);
        assert_string_equal(intern_get(in, id, NULL), name);
        intern_drop(in, id);
    }
    assert_int_equal(intern_bytes_used(in), used);
    assert_int_equal(entries(in), 0);
    assert_int_equal(refused(in), 0);
    intern_free(in);
}

/* At max_entries, a new string is refused and counted; a held one is still
 * found; dropping one makes room. */
static void test_full_entries(void **state)
{
    (void)state;
    struct intern *in = intern_new(3, 1 << 16, SEED);
    uint32_t id[3];
    const char *s[3] = { "one", "two", "three" };
    for (int i = 0; i < 3; i++)
        id[i] = intern_take(in, s[i], strlen(s[i]));
    assert_int_equal(intern_take(in, "four", 4), 0);
    assert_int_equal(refused(in), 1);
    assert_int_equal(intern_take(in, "two", 3), id[1]);
    intern_drop(in, id[0]);
    uint32_t four = intern_take(in, "four", 4);
    assert_true(four != 0);
    assert_string_equal(intern_get(in, four, NULL), "four");
    assert_string_equal(intern_get(in, id[2], NULL), "three");
    intern_free(in);
}

/* cap_bytes bounds the string storage: long strings stop fitting first;
 * a string over INTERN_LEN_MAX never fits. A cap too small for the table
 * itself makes no table. */
static void test_full_bytes(void **state)
{
    (void)state;
    assert_null(intern_new(1024, 100, SEED));
    size_t fixed_guess = intern_bytes_used(NULL);
    assert_int_equal(fixed_guess, 0);
    struct intern *in = intern_new(64, 8192, SEED);
    assert_non_null(in);
    char big[INTERN_LEN_MAX + 2];
    memset(big, 'x', sizeof(big));
    assert_int_equal(intern_take(in, big, INTERN_LEN_MAX + 1), 0);
    unsigned got = 0;
    for (int i = 0; i < 64; i++) {
        big[0] = (char)('A' + i);
        if (intern_take(in, big, 300) != 0) /* a 512-byte block each */
            got++;
    }
    assert_true(got > 0 && got < 64);
    assert_true(intern_bytes_used(in) <= 8192);
    assert_int_equal(refused(in), 1 + (64 - got));
    /* Short strings still fit in what is left... or are refused, counted. */
    uint64_t before = refused(in);
    uint32_t s = intern_take(in, "short", 5);
    assert_true(s != 0 || refused(in) == before + 1);
    intern_free(in);
}

/* Strings in one bucket are told apart, and a chain stops growing at
 * INTERN_CHAIN_MAX: the next string of that bucket is refused. */
static void test_collisions(void **state)
{
    (void)state;
    struct intern *in = intern_new(16, 1 << 16, SEED); /* 16 buckets */
    char names[INTERN_CHAIN_MAX + 1][16];
    int n = 0;
    for (int i = 0; n < INTERN_CHAIN_MAX + 1; i++) {
        char s[16];
        int len = snprintf(s, sizeof(s), "h%d", i);
        if ((ds_hash_bytes32(SEED, s, (size_t)len) & 15u) == 3u)
            memcpy(names[n++], s, sizeof(s));
    }
    uint32_t id[INTERN_CHAIN_MAX];
    for (int i = 0; i < INTERN_CHAIN_MAX; i++) {
        id[i] = intern_take(in, names[i], strlen(names[i]));
        assert_true(id[i] != 0);
    }
    for (int i = 0; i < INTERN_CHAIN_MAX; i++) {
        assert_int_equal(intern_take(in, names[i], strlen(names[i])), id[i]);
        assert_string_equal(intern_get(in, id[i], NULL), names[i]);
    }
    const char *last = names[INTERN_CHAIN_MAX];
    assert_int_equal(intern_take(in, last, strlen(last)), 0);
    assert_int_equal(refused(in), 1);
    /* Another seed spreads them. */
    struct intern *other = intern_new(16, 1 << 16, SEED + 1);
    unsigned ok = 0;
    for (int i = 0; i <= INTERN_CHAIN_MAX; i++)
        ok += intern_take(other, names[i], strlen(names[i])) != 0;
    assert_int_equal(ok, INTERN_CHAIN_MAX + 1);
    /* Freeing one in the middle of the chain keeps the others. */
    intern_drop(in, id[3]);
    intern_drop(in, id[3]);
    assert_true(intern_take(in, last, strlen(last)) != 0);
    assert_string_equal(intern_get(in, id[4], NULL), names[4]);
    intern_free(in);
    intern_free(other);
}

/* Storage freed by strings of one size serves strings of any other: a
 * table whose storage was used up by long strings (hostile SNIs of 400
 * bytes) and short ones, then emptied, still takes a JA4-sized string, and
 * a table used up by shorter strings, emptied, takes a long one. */
static void fill_then_empty(struct intern *in, size_t first_len, size_t then_len)
{
    uint32_t id[256];
    unsigned n = 0;
    char s[INTERN_LEN_MAX + 1];
    memset(s, 'x', sizeof(s));
    for (size_t len = first_len; len > 0; len = len == first_len ? then_len : 0) {
        for (unsigned i = 0; n < 256; i++) {
            snprintf(s, 32, "%zu.%u.", len, i);
            s[strlen(s)] = 'x';
            uint32_t got = intern_take(in, s, len);
            if (got == 0)
                break;
            id[n++] = got;
        }
    }
    assert_true(n < 256); /* the storage ran out, not the entries */
    for (unsigned i = 0; i < n; i++)
        intern_drop(in, id[i]);
    assert_int_equal(entries(in), 0);
}

static void test_freed_storage_any_size(void **state)
{
    (void)state;
    char s[INTERN_LEN_MAX + 1];
    memset(s, 'j', sizeof(s));
    struct intern *in = intern_new(256, 16384, SEED);
    assert_non_null(in);
    fill_then_empty(in, 400, 12);
    uint64_t before = refused(in);
    uint32_t ja4 = intern_take(in, s, 36);
    assert_true(ja4 != 0);
    assert_int_equal(refused(in), before);
    intern_drop(in, ja4);
    fill_then_empty(in, 40, 12);
    before = refused(in);
    uint32_t sni = intern_take(in, s, 300);
    assert_true(sni != 0);
    assert_int_equal(refused(in), before);
    assert_true(intern_bytes_used(in) <= 16384);
    intern_free(in);
}

/* The seed moves every string: strings whose bytes differ only in their
 * high bits ('a' 0x61, 'q' 0x71, 'A' 0x41, 'Q' 0x51) do not share one of
 * 16 buckets under every seed (bare FNV-1a's low bits depend on the low
 * bits of the seed and of each byte only, so they did, and the ninth was
 * refused whatever the seed: a fixed set of names anyone could compute
 * kept a table's bucket full under any random seed). */
static void test_seed_spreads_high_bits(void **state)
{
    (void)state;
    static const char v[4] = { 'a', 'q', 'A', 'Q' };
    for (uint32_t seed = 1; seed <= 32; seed++) {
        struct intern *in = intern_new(16, 1 << 16, seed * 0x9e3779b9u); /* 16 buckets */
        assert_non_null(in);
        for (unsigned i = 0; i < 16; i++) {
            char s[2] = { v[i % 4], v[i / 4] };
            assert_true(intern_take(in, s, 2) != 0);
        }
        assert_int_equal(refused(in), 0);
        intern_free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_copy_and_refcount), cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_reuse_after_release),   cmocka_unit_test(test_full_entries),
        cmocka_unit_test(test_full_bytes),            cmocka_unit_test(test_collisions),
        cmocka_unit_test(test_freed_storage_any_size),
        cmocka_unit_test(test_seed_spreads_high_bits), cmocka_unit_test(test_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
