/* JA4 (tls-ja4.c): the raw JA4_r form against FoxIO's, and how each part
 * is formatted (ALPN characters, empty lists, counts capped at 99, where the
 * signature algorithms come from). The vectors and the builder are in
 * tls_hellos.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/tls.h"
#include "tls_hellos.h"

/* The raw (JA4_r) form against FoxIO's JA4_r.1 strings in
 * ja4/python/test/testdata/{tls-sni.pcapng,tls12.pcap,https3-301-get.pcap}.json. */
static void test_ja4_raw(void **state)
{
    (void)state;
    static const struct {
        const char *vec;
        const char *raw;
    } t[] = {
        { "chrome_sni",
          "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
          "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
          "0403,0804,0401,0503,0805,0501,0806,0601" },
        { "firefox",
          "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,c030,"
          "cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,ff01_"
          "0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201" },
        /* No extensions left once SNI is dropped: nothing after the second '_'. */
        { "tls10_sni_only",
          "t10d230100_0003,0004,0005,0006,0008,0009,000a,0011,0012,0013,0014,0015,0016,002f,0032,"
          "0033,0035,0038,0039,0096,0099,009a,00ff_" },
        /* No signature algorithms: no '_' after the extensions (ciphers from
         * tshark; sha256 of them is c50f5591e341, as in the JA4). */
        { "tls10_c2",
          "t10i070600_000a,002f,0035,c009,c00a,c013,c014_0005,000a,000b,0017,0023,ff01" },
    };
    static uint8_t rec[TLS_HELLO_MAX];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n = unhex(vec(t[i].vec)->hex, rec, sizeof(rec));
        char buf[1024];
        assert_int_equal(tls_ja4_raw(rec + 5, n - 5, false, buf, sizeof(buf)), 0);
        assert_string_equal(buf, t[i].raw);
        /* A buffer one byte short fails cleanly. */
        size_t need = strlen(t[i].raw) + 1;
        assert_int_equal(tls_ja4_raw(rec + 5, n - 5, false, buf, need - 1), -1);
        assert_string_equal(buf, "");
    }
}

/* ALPN part of JA4, as FoxIO's tool prints it (peer/README.md). */
static void test_alpn_chars(void **state)
{
    (void)state;
    static const struct {
        const char *wire;
        size_t len;
        const char *want;
    } t[] = {
        { "\x02h2", 3, "h2" },
        { "\x08http/1.1\x02h2", 12, "h1" },       /* first value only */
        { "\x01" "a", 2, "a0" },                   /* one character: FoxIO's "a0" */
        { "\x02\xba\xad", 3, "99" },               /* non-ASCII bytes */
        { "\x03" "h\xff" "3", 4, "h3" },           /* only first and last count */
        { "\x02h/", 3, "h9" },                     /* ASCII punctuation: '9' too */
        { "", 0, "00" },                           /* empty list */
        { "\x00\x02h2", 4, "00" },                 /* empty first value */
    };
    struct spec s = base_spec();
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        s.alpn = (const uint8_t *)t[i].wire;
        s.alpn_len = t[i].len;
        struct tls_hello h;
        parse_spec(&s, &h, NULL, 0);
        assert_memory_equal(h.ja4 + 8, t[i].want, 2);
        assert_memory_equal(h.ja4 + 10, BASE_JA4 + 10, sizeof(BASE_JA4) - 10);
    }
}

static void test_no_alpn(void **state)
{
    (void)state;
    struct spec s = base_spec();
    s.alpn = NULL;
    struct tls_hello h;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.alpn_wire_len, 0);
    assert_string_equal(h.ja4, "t13d050800_e133e205ac38_f5e0aee4b195");
}

/* No ciphers and no extension block at all: both hashes are twelve zeros. */
static void test_empty_lists(void **state)
{
    (void)state;
    struct spec s = { .legacy = 0x0301, .no_ext_block = true };
    struct tls_hello h;
    char raw[64];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(h.ja4, "t10i000000_000000000000_000000000000");
    assert_string_equal(raw, "t10i000000__");
    assert_int_equal(h.version, 0x0301);
    /* An empty extension block is the same. */
    s.no_ext_block = false;
    parse_spec(&s, &h, NULL, 0);
    assert_string_equal(h.ja4, "t10i000000_000000000000_000000000000");
    /* Only the padding extension: hashed, and no '_' after it. */
    s.pad = 10;
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(raw, "t10i000100__0015");
    assert_string_equal(h.ja4, "t10i000100_000000000000_4298e3b3ed58"); /* sha256("0015") */
}

/* Counts stop at 99; every value still goes into the hash. */
static void test_counts_cap(void **state)
{
    (void)state;
    static uint16_t ciphers[150];
    for (size_t i = 0; i < 150; i++)
        ciphers[i] = (uint16_t)(0x0100 + i);
    static uint16_t others[120];
    for (size_t i = 0; i < 120; i++)
        others[i] = (uint16_t)(0x1000 + i);
    struct spec s = base_spec();
    s.ciphers = ciphers;
    s.n_ciphers = 150;
    s.others = others;
    s.n_others = 120;
    struct tls_hello h;
    static char raw[4096];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_memory_equal(h.ja4, "t13d9999h2_", 11);
    assert_int_equal(h.n_ciphers, 150);
    assert_int_equal(h.n_exts, 124);
    assert_int_equal(strlen(raw), 11 + 150 * 5 - 1 + 1 + (120 + 2) * 5 - 1 + 1 + 3 * 5 - 1);
}

/* Signature algorithms come from 0x000d only, first occurrence, wire order. */
static void test_sigalgs_source(void **state)
{
    (void)state;
    struct spec s = base_spec();
    static const uint16_t others[] = { 0x000a, 0x000b, 0x0017, 0xff01, 0x0033, 0x0032 };
    s.others = others; /* signature_algorithms_cert, empty: must not matter */
    s.n_others = 6;
    struct tls_hello h;
    char raw[512];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(raw, "t13d0510h2_1301,1302,1303,c02b,c02f_"
                             "000a,000b,000d,0017,002b,0032,0033,ff01_0403,0804,0401");
    /* Without signature algorithms there is no trailing '_'. */
    s.sigs = NULL;
    s.others = base_others;
    s.n_others = 5;
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(raw, "t13d0508h2_1301,1302,1303,c02b,c02f_000a,000b,0017,002b,0033,ff01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja4_raw),
        cmocka_unit_test(test_alpn_chars),
        cmocka_unit_test(test_no_alpn),
        cmocka_unit_test(test_empty_lists),
        cmocka_unit_test(test_counts_cap),
        cmocka_unit_test(test_sigalgs_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
