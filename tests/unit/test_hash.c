/* hash: published FNV-1a and splitmix64 vectors, the seeded and piecewise
 * forms, and the hashes the modules compute today written with hash.h (so
 * that moving a module onto it keeps every table's layout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/hash.h"
#include "ds/packet.h"

/* FNV-1a test vectors (Fowler, Noll, Vo; draft-eastlake-fnv): seed 0 is
 * the published function. */
static void test_fnv1a_vectors(void **state)
{
    (void)state;
    assert_int_equal(ds_fnv1a32(0, "", 0), 0x811c9dc5u);
    assert_int_equal(ds_fnv1a32(0, "a", 1), 0xe40c292cu);
    assert_int_equal(ds_fnv1a32(0, "foobar", 6), 0xbf9cf968u);
    assert_true(ds_fnv1a64(0, "", 0) == 0xcbf29ce484222325ull);
    assert_true(ds_fnv1a64(0, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(ds_fnv1a64(0, "foobar", 6) == 0x85944171f73967e8ull);
}

static void test_fnv1a_forms(void **state)
{
    (void)state;
    /* the pieces compose to the one-shot hash */
    uint32_t h = ds_fnv1a32_init(0);
    h = ds_fnv1a32_add(h, "foo", 3);
    h = ds_fnv1a32_add_str(h, "ba");
    h = ds_fnv1a32_step(h, 'r');
    assert_int_equal(h, 0xbf9cf968u);
    uint64_t h64 = ds_fnv1a64_add(ds_fnv1a64_init(0), "foo", 3);
    h64 = ds_fnv1a64_step(h64, 'b');
    h64 = ds_fnv1a64_add(h64, "ar", 2);
    assert_true(h64 == 0x85944171f73967e8ull);
    /* reverse: the hash of the reversed bytes */
    assert_int_equal(ds_fnv1a32_rev(0, "foobar", 6), ds_fnv1a32(0, "raboof", 6));
    assert_int_equal(ds_fnv1a32_rev(0, "foobar", 6), 0x6f5d6112u);
    assert_int_equal(ds_fnv1a32_rev(0, "", 0), 0x811c9dc5u);
    /* a seed is XORed into the basis: "a" with seed 0x12345678 */
    assert_int_equal(ds_fnv1a32_init(0x12345678u), 0x811c9dc5u ^ 0x12345678u);
    assert_int_equal(ds_fnv1a32(0x12345678u, "a", 1), 0x8538eb54u);
    assert_int_not_equal(ds_fnv1a32(1, "a", 1), ds_fnv1a32(0, "a", 1));
    assert_true(ds_fnv1a64(1, "a", 1) != ds_fnv1a64(0, "a", 1));
    assert_int_equal(ds_fnv1a32_rev(7, "ab", 2), ds_fnv1a32(7, "ba", 2));
}

/* catalog.c's use of _rev: one right-to-left pass; the state just before
 * a dot is the reverse hash of the suffix after it. */
static void test_fnv1a_rev_suffixes(void **state)
{
    (void)state;
    static const char name[] = "api.eu.openai.com";
    size_t n = sizeof(name) - 1;
    unsigned dots = 0;
    uint32_t h = ds_fnv1a32_init(0);
    for (size_t i = n; i-- > 0;) {
        if (name[i] == '.') {
            assert_int_equal(h, ds_fnv1a32_rev(0, name + i + 1, n - i - 1));
            dots++;
        }
        h = ds_fnv1a32_step(h, (uint8_t)name[i]);
    }
    assert_int_equal(dots, 3);
    assert_int_equal(h, ds_fnv1a32_rev(0, name, n));
}

/* splitmix64 with state 0 outputs mix(k * golden) for k = 1, 2, 3 (Vigna's
 * splitmix64.c): e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f. */
static void test_mix64_vectors(void **state)
{
    (void)state;
    const uint64_t golden = 0x9e3779b97f4a7c15ull;
    assert_true(ds_mix64(golden) == 0xe220a8397b1dcdafull);
    assert_true(ds_mix64(golden * 2) == 0x6e789e6aa1b965f4ull);
    assert_true(ds_mix64(golden * 3) == 0x06c45d188009454full);
    assert_true(ds_mix64(0) == 0);
    assert_true(ds_mix64(1) == 0x5692161d100b05e5ull);
}

/* The 16-byte hash and the address hash over it: ::ffff:192.0.2.1. */
static void test_key16(void **state)
{
    (void)state;
    struct ds_addr a;
    const uint8_t v4[4] = { 192, 0, 2, 1 };
    ds_addr_from_v4(&a, v4);
    uint64_t w0, w1;
    memcpy(&w0, a.a, 8);
    memcpy(&w1, a.a + 8, 8);
    for (uint64_t seed = 0; seed < 4; seed++) {
        assert_true(ds_hash_key16(a.a, seed) == ds_mix64(ds_mix64(w0 ^ seed) ^ w1));
        assert_true(ds_addr_hash(&a, seed) == ds_hash_key16(a.a, seed));
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    assert_true(ds_addr_hash(&a, 0) == 0x071c5a8e3548d912ull);
    assert_true(ds_addr_hash(&a, 0x5eed1e55u) == 0x65d561938bef4229ull);
#endif
    /* neighbouring IPv4 addresses land far apart in the low bits */
    struct ds_addr b;
    const uint8_t v4b[4] = { 192, 0, 2, 2 };
    ds_addr_from_v4(&b, v4b);
    assert_int_not_equal(ds_addr_hash(&a, 0) & 0xffff, ds_addr_hash(&b, 0) & 0xffff);
}

/* ---- today's module hashes, as they are written at 3c93c3f ---- */

static uint32_t cluster_key_hash_old(const char *ja4, const char *provider, int32_t bin)
{
    uint32_t h = 2166136261u ^ (uint32_t)bin * 0x9e3779b1u;
    for (const char *p = ja4; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (const char *p = provider; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

static uint32_t cluster_key_hash_new(const char *ja4, const char *provider, int32_t bin)
{
    uint32_t h = ds_fnv1a32_init((uint32_t)bin * 0x9e3779b1u);
    h = ds_fnv1a32_add_str(h, ja4);
    h = ds_fnv1a32_step(h, 0xff);
    return ds_fnv1a32_add_str(h, provider);
}

static uint32_t thr_hash_old(uint32_t sid, uint8_t track, const struct ds_addr *k)
{
    uint32_t h = 2166136261u ^ sid;
    h = (h ^ track) * 16777619u;
    for (int i = 0; i < 16; i++)
        h = (h ^ k->a[i]) * 16777619u;
    return h ^ (h >> 15);
}

static uint32_t thr_hash_new(uint32_t sid, uint8_t track, const struct ds_addr *k)
{
    uint32_t h = ds_fnv1a32_step(ds_fnv1a32_init(sid), track);
    h = ds_fnv1a32_add(h, k->a, sizeof(k->a));
    return h ^ (h >> 15);
}

static uint64_t host_hash_old(const char *h)
{
    uint64_t x = 0xcbf29ce484222325ull;
    for (; *h; h++) {
        unsigned char c = (unsigned char)*h;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        x ^= c;
        x *= 0x100000001b3ull;
    }
    return x ? x : 1;
}

static uint64_t host_hash_new(const char *h)
{
    uint64_t x = ds_fnv1a64_init(0);
    for (; *h; h++) {
        unsigned char c = (unsigned char)*h;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        x = ds_fnv1a64_step(x, c);
    }
    return x ? x : 1;
}

static void test_module_hashes(void **state)
{
    (void)state;
    static const char *ja4[] = { "", "t13d1516h2_8daaf6152771_e5627efa2ab1", "q13d0310h3_55b375c5d22e_cd85d2d88918" };
    static const char *prov[] = { "", "openai", "anthropic" };
    for (int32_t bin = -3; bin <= 3; bin++)
        for (unsigned i = 0; i < 3; i++)
            for (unsigned j = 0; j < 3; j++)
                assert_int_equal(cluster_key_hash_new(ja4[i], prov[j], bin),
                                 cluster_key_hash_old(ja4[i], prov[j], bin));
    struct ds_addr a;
    assert_int_equal(ds_addr_parse("2001:db8::1", &a), 0);
    for (uint32_t sid = 0; sid < 2000000; sid += 99991)
        for (uint8_t track = 0; track < 3; track++)
            assert_int_equal(thr_hash_new(sid, track, &a), thr_hash_old(sid, track, &a));
    static const char *hosts[] = { "", "API.OpenAI.com", "api.anthropic.com", "x" };
    for (unsigned i = 0; i < 4; i++)
        assert_true(host_hash_new(hosts[i]) == host_hash_old(hosts[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a_vectors),
        cmocka_unit_test(test_fnv1a_forms),
        cmocka_unit_test(test_fnv1a_rev_suffixes),
        cmocka_unit_test(test_mix64_vectors),
        cmocka_unit_test(test_key16),
        cmocka_unit_test(test_module_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
