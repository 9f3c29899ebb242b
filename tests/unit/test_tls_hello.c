/* ClientHello parsing (tls-hello.c): the fields of struct tls_hello, from
 * real hellos and from built ones whose lengths lie; the JA4 each hello
 * gives is checked here too, its formatting rules in test_tls_ja4.c.
 * The vectors and the builder are in tls_hellos.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/tls.h"
#include "tls_hellos.h"

/* Every real hello, parsed from its message. */
static void test_real_hellos(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        size_t n = unhex(v->hex, rec, sizeof(rec));
        struct tls_hello h;
        assert_int_equal(tls_parse_client_hello(rec + 5, n - 5, false, &h), 0);
        assert_string_equal(h.ja4, v->ja4);
        assert_string_equal(h.sni, v->sni);
        assert_int_equal(h.has_sni, v->has_sni);
        assert_int_equal(h.version, v->version);
    }
}

static void test_synthetic_base(void **state)
{
    (void)state;
    struct spec s = base_spec();
    struct tls_hello h;
    char raw[512];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(raw, BASE_RAW);
    assert_string_equal(h.ja4, BASE_JA4);
    assert_string_equal(h.sni, "api.openai.com");
    assert_true(h.has_sni);
    assert_int_equal(h.legacy_version, 0x0303);
    assert_int_equal(h.version, 0x0304);
    assert_int_equal(h.n_ciphers, 5);
    assert_int_equal(h.n_exts, 9);
    assert_int_equal(h.alpn_wire_len, sizeof(alpn_h2_http11) - 1);
    assert_memory_equal(h.alpn_wire, alpn_h2_http11, h.alpn_wire_len);

    /* QUIC only changes the first letter. */
    static struct hb b;
    build(&s, &b, NULL);
    assert_int_equal(tls_parse_client_hello(b.b, b.n, true, &h), 0);
    assert_int_equal(h.ja4[0], 'q');
    assert_string_equal(h.ja4 + 1, BASE_JA4 + 1);
}

/* GREASE (RFC 8701) in every list changes nothing: not counted, not hashed,
 * not taken as the highest supported version. */
static void test_grease(void **state)
{
    (void)state;
    static const uint16_t ciphers[] = { 0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f };
    static const uint16_t versions[] = { 0xfafa, 0x0304, 0x0303 };
    static const uint16_t sigs[] = { 0x0403, 0x1a1a, 0x0804, 0x0401 };
    static const uint16_t others[] = { 0x000a, 0x000b, 0x0017, 0xff01, 0xcaca, 0x0033 };
    struct spec s = base_spec();
    s.ciphers = ciphers;
    s.n_ciphers = 6;
    s.versions = versions;
    s.n_versions = 3;
    s.sigs = sigs;
    s.n_sigs = 4;
    s.others = others;
    s.n_others = 6;
    s.grease_ext = true;
    struct tls_hello h;
    char raw[512];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(raw, BASE_RAW);
    assert_string_equal(h.ja4, BASE_JA4);
    assert_int_equal(h.n_ciphers, 5);
    assert_int_equal(h.n_exts, 9);
    assert_int_equal(h.version, 0x0304);

    /* Not GREASE: same bytes differ, or the low nibble is not 0xa. */
    static const uint16_t near[] = { 0x2a3a, 0x0a0b, 0x1301 };
    s.ciphers = near;
    s.n_ciphers = 3;
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_int_equal(h.n_ciphers, 3);
}

static void test_no_sni(void **state)
{
    (void)state;
    struct spec s = base_spec();
    s.sni = NULL;
    struct tls_hello h;
    char raw[512];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_false(h.has_sni);
    assert_string_equal(h.sni, "");
    /* 'i', one extension fewer; part c is unchanged (SNI is never hashed). */
    assert_string_equal(h.ja4, "t13i0508h2_e133e205ac38_f5e0aee4b195");
}

static void test_sni_forms(void **state)
{
    (void)state;
    struct spec s = base_spec();
    struct tls_hello h;

    s.sni = "API.OpenAI.COM";
    parse_spec(&s, &h, NULL, 0);
    assert_string_equal(h.sni, "api.openai.com");
    assert_string_equal(h.ja4, BASE_JA4);

    /* Not printable: no usable name, but the extension is there ('d'). */
    static const char *bad[] = { "api.openai.com\x01", "api openai.com", "\x80\x81", "a\x7f" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.sni = bad[i];
        s.sni_len = 0;
        parse_spec(&s, &h, NULL, 0);
        assert_true(h.has_sni);
        assert_string_equal(h.sni, "");
        assert_string_equal(h.ja4, BASE_JA4);
    }
    /* An embedded NUL is not a host name either. */
    s.sni = "api\0evil.com";
    s.sni_len = 12;
    parse_spec(&s, &h, NULL, 0);
    assert_string_equal(h.sni, "");

    /* The longest name that fits, and one byte more. */
    static char name[TLS_SNI_MAX + 1];
    memset(name, 'a', sizeof(name));
    s.sni = name;
    s.sni_len = TLS_SNI_MAX - 1;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(strlen(h.sni), TLS_SNI_MAX - 1);
    s.sni_len = TLS_SNI_MAX;
    parse_spec(&s, &h, NULL, 0);
    assert_string_equal(h.sni, "");
    assert_true(h.has_sni);
}

/* The wire copy keeps whole entries only, up to TLS_ALPN_WIRE_MAX bytes. */
static void test_alpn_wire_cap(void **state)
{
    (void)state;
    uint8_t wire[400];
    size_t n = 0;
    for (int i = 0; i < 36; i++) { /* 36 entries of 1 + 9 bytes: 360 bytes */
        wire[n++] = 9;
        memcpy(wire + n, "protocolX", 9);
        wire[n + 8] = (uint8_t)('a' + i % 26);
        n += 9;
    }
    struct spec s = base_spec();
    s.alpn = wire;
    s.alpn_len = n;
    struct tls_hello h;
    parse_spec(&s, &h, NULL, 0);
    size_t whole = (TLS_ALPN_WIRE_MAX / 10) * 10; /* whole entries that fit the cap */
    assert_int_equal(h.alpn_wire_len, whole);
    assert_memory_equal(h.alpn_wire, wire, whole);
    assert_memory_equal(h.ja4 + 8, "pa", 2);
}

/* Version: highest of supported_versions, else legacy_version; names. */
static void test_versions(void **state)
{
    (void)state;
    static const uint16_t v12[] = { 0x0303, 0x0302 };
    static const uint16_t draft[] = { 0x7f1c, 0x0303 }; /* TLS 1.3 draft 28 */
    static const uint16_t only_grease[] = { 0x4a4a };
    struct spec s = base_spec();
    struct tls_hello h;

    s.versions = v12;
    parse_spec(&s, &h, NULL, 0);
    assert_memory_equal(h.ja4, "t12d", 4);
    s.versions = draft;
    parse_spec(&s, &h, NULL, 0);
    assert_memory_equal(h.ja4, "t00d", 4); /* FoxIO: unknown version is 00 */
    assert_int_equal(h.version, 0x7f1c);
    s.versions = only_grease;
    s.n_versions = 1;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.version, 0x0303); /* falls back to legacy_version */
    s.versions = NULL;
    s.legacy = 0x0300;
    parse_spec(&s, &h, NULL, 0);
    assert_memory_equal(h.ja4, "ts3d", 4);

    assert_string_equal(tls_version_name(0x0304), "TLSv1.3");
    assert_string_equal(tls_version_name(0x0303), "TLSv1.2");
    assert_string_equal(tls_version_name(0x0302), "TLSv1.1");
    assert_string_equal(tls_version_name(0x0301), "TLSv1");
    assert_string_equal(tls_version_name(0x0300), "SSLv3");
    assert_string_equal(tls_version_name(0x0002), "SSLv2");
    assert_null(tls_version_name(0x7f1c));
    assert_null(tls_version_name(0x0a0a));
    assert_null(tls_version_name(0));
}

/* Repeated extensions: the first server_name, ALPN and signature_algorithms
 * count; every copy is counted and hashed (FoxIO's Rust tool keeps
 * duplicates when sorting). */
static void test_duplicate_extensions(void **state)
{
    (void)state;
    static const uint8_t extra[] = {
        0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09, 'e', 'v', 'i', 'l', '.', 'c', 'o',
        'm', '1',                                                   /* server_name evil.com1 */
        0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'z', 'z',        /* ALPN "zz" */
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x06, 0x01,            /* sig algs 0601 */
        0x00, 0x17, 0x00, 0x00,                                    /* 0017 again */
    };
    struct spec s = base_spec();
    s.extra = extra;
    s.extra_len = sizeof(extra);
    struct tls_hello h;
    char raw[512];
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_string_equal(h.sni, "api.openai.com");
    assert_int_equal(h.n_exts, 13);
    assert_string_equal(raw, "t13d0513h2_1301,1302,1303,c02b,c02f_"
                             "000a,000b,000d,000d,0017,0017,002b,0033,ff01_0403,0804,0401");

    /* Two entries in one server_name list: an unknown name type first, then
     * two host names; the first host name is the SNI. */
    static const uint8_t two[] = {
        0x00, 0x00, 0x00, 0x12, 0x00, 0x10,
        0x07, 0x00, 0x01, 'x',                      /* name type 7 */
        0x00, 0x00, 0x03, 'o', 'n', 'e',            /* host_name one */
        0x00, 0x00, 0x03, 't', 'w', 'o',            /* host_name two */
    };
    s = base_spec();
    s.sni = NULL;
    s.extra = two;
    s.extra_len = sizeof(two);
    parse_spec(&s, &h, NULL, 0);
    assert_true(h.has_sni);
    assert_string_equal(h.sni, "one");
}

/* An encrypted_client_hello extension (0xfe0d) holding an outer
 * ECHClientHello: type, kdf_id, aead_id, config_id, enc<2>, payload<2>, as
 * Chrome's GREASE ECH has them (HKDF-SHA256, AES-128-GCM, a 32-byte X25519
 * enc, a 144-byte payload). Returns its length in out. */
static size_t ech_ext(uint8_t *out, uint8_t type, size_t enc_len, size_t payload_len)
{
    size_t n = 0;
    size_t body = 1 + 5 + 2 + enc_len + 2 + payload_len;
    out[n++] = 0xfe;
    out[n++] = 0x0d;
    out[n++] = (uint8_t)(body >> 8);
    out[n++] = (uint8_t)body;
    out[n++] = type;
    static const uint8_t suite[] = { 0x00, 0x01, 0x00, 0x01, 0x7b }; /* config_id 0x7b */
    memcpy(out + n, suite, sizeof(suite));
    n += sizeof(suite);
    out[n++] = (uint8_t)(enc_len >> 8);
    out[n++] = (uint8_t)enc_len;
    for (size_t i = 0; i < enc_len; i++)
        out[n++] = (uint8_t)(0x5a ^ i);
    out[n++] = (uint8_t)(payload_len >> 8);
    out[n++] = (uint8_t)payload_len;
    for (size_t i = 0; i < payload_len; i++)
        out[n++] = (uint8_t)(0xa5 ^ (i * 7));
    return n;
}

/* GREASE ECH keeps the service's name in the outer SNI; a real ECH's outer
 * SNI is the provider's public name (or absent), and the service's own name
 * is then unknown. JA4 counts the extension either way. */
static void test_ech(void **state)
{
    (void)state;
    static uint8_t ext[512];
    struct spec s = base_spec();
    struct tls_hello h;
    char raw[512];

    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_NONE);
    assert_null(tls_ech_name(h.ech));

    s.extra = ext;
    s.extra_len = ech_ext(ext, 0, 32, 144);
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_int_equal(h.ech, TLS_ECH_GREASE);
    assert_string_equal(tls_ech_name(h.ech), "grease");
    assert_string_equal(h.sni, "api.openai.com");
    assert_int_equal(h.ech_public, 0);
    assert_null(tls_ech_public_name(h.ech_public));
    assert_int_equal(h.n_exts, 10);
    assert_non_null(strstr(raw, ",fe0d,ff01_"));

    s.sni = "Cloudflare-ECH.com";
    parse_spec(&s, &h, raw, sizeof(raw));
    assert_int_equal(h.ech, TLS_ECH_REAL);
    assert_string_equal(tls_ech_name(h.ech), "real");
    assert_string_equal(h.sni, "");
    assert_true(h.has_sni);
    assert_string_equal(tls_ech_public_name(h.ech_public), "cloudflare-ech.com");
    assert_true(h.ja4[3] == 'd'); /* the outer hello had an SNI */

    /* A name that merely contains the public name is GREASE. */
    s.sni = "x.cloudflare-ech.com";
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_GREASE);
    assert_string_equal(h.sni, "x.cloudflare-ech.com");

    s.sni = NULL;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_REAL);
    assert_int_equal(h.ech_public, 0);
    assert_null(tls_ech_public_name(h.ech_public));

    /* An empty enc is allowed (the draft: enc<0..2^16-1>). */
    s = base_spec();
    s.extra = ext;
    s.extra_len = ech_ext(ext, 0, 0, 1);
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_GREASE);
    assert_null(tls_ech_public_name(0));
    assert_null(tls_ech_public_name(200));
}

/* A malformed ECHClientHello is reported as such (no "ech" in events); the
 * hello and its JA4 stand. Every cut of the body, every lying length. */
static void test_ech_malformed(void **state)
{
    (void)state;
    static uint8_t ext[512];
    struct spec s = base_spec();
    struct tls_hello h;
    s.extra = ext;

    s.extra_len = ech_ext(ext, 1, 0, 0) - 9; /* inner(1): the type byte alone */
    ext[3] = 1;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);
    assert_null(tls_ech_name(h.ech));
    assert_string_equal(h.sni, "api.openai.com");
    assert_int_equal(h.n_exts, 10); /* the extension counts for JA4 */
    assert_memory_equal(h.ja4 + 10, BASE_JA4 + 10, 14); /* "_" part b "_" */

    s.extra_len = ech_ext(ext, 2, 32, 144); /* unknown type */
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);

    s.extra_len = ech_ext(ext, 0, 32, 0); /* empty payload: payload<1..> */
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);

    /* Every shorter body: the extension length says k, the fields say more. */
    size_t full = ech_ext(ext, 0, 32, 144);
    for (size_t k = 0; k + 4 < full; k++) {
        ext[2] = (uint8_t)(k >> 8);
        ext[3] = (uint8_t)k;
        s.extra_len = 4 + k;
        parse_spec(&s, &h, NULL, 0);
        assert_int_equal(h.ech, TLS_ECH_BAD);
        assert_string_equal(h.sni, "api.openai.com");
    }
    /* A byte after the payload. */
    full = ech_ext(ext, 0, 32, 144);
    ext[full] = 0;
    ext[3] = (uint8_t)(ext[3] + 1);
    s.extra_len = full + 1;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);
    /* Lengths that point past the body: enc, then payload. */
    full = ech_ext(ext, 0, 32, 144);
    ext[4 + 6] = 0xff;
    s.extra_len = full;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);
    full = ech_ext(ext, 0, 32, 144);
    ext[4 + 8 + 32] = 0xff;
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);

    /* Only the first ECH extension counts: a good one after a bad one. */
    size_t bad = ech_ext(ext, 2, 0, 1);
    s.extra_len = bad + ech_ext(ext + bad, 0, 32, 144);
    parse_spec(&s, &h, NULL, 0);
    assert_int_equal(h.ech, TLS_ECH_BAD);
}


/* Every prefix of a hello is refused, never over-read (ASan checks that). */
static void test_truncated(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    size_t n = unhex(chrome_sni, rec, sizeof(rec));
    struct tls_hello h;
    for (size_t k = 0; k < n - 5; k++) {
        /* A copy of exactly k bytes, so ASan sees any read past it. */
        uint8_t *m = test_malloc(k ? k : 1);
        memcpy(m, rec + 5, k);
        assert_int_equal(tls_parse_client_hello(m, k, false, &h), -1);
        test_free(m);
    }
}

/* Each length field of the hello made one too big, one too small, and
 * absurd: the parser refuses the message every time. */
static void test_lying_lengths(void **state)
{
    (void)state;
    static struct hb b;
    struct offs o;
    struct spec s = base_spec();
    build(&s, &b, &o);
    struct tls_hello h;
    assert_int_equal(tls_parse_client_hello(b.b, b.n, false, &h), 0);

    struct field {
        const char *name;
        size_t at;
        unsigned width; /* bytes */
    } f[] = {
        { "handshake length", o.hs_len, 3 },
        { "session id length", o.sid_len, 1 },
        { "cipher suites length", o.cs_len, 2 },
        { "compression methods length", o.comp_len, 1 },
        { "extensions length", o.exts_len, 2 },
        { "server_name extension length", o.sni_ext, 2 },
        { "server_name list length", o.sni_list, 2 },
        { "host name length", o.sni_name, 2 },
        { "ALPN extension length", o.alpn_ext, 2 },
        { "ALPN list length", o.alpn_list, 2 },
        { "ALPN first name length", o.alpn_entry, 1 },
        { "supported_versions extension length", o.sv_ext, 2 },
        { "supported_versions list length", o.sv_len, 1 },
        { "signature_algorithms extension length", o.sig_ext, 2 },
        { "signature_algorithms list length", o.sig_len, 2 },
    };
    static uint8_t m[sizeof(b.b)];
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint32_t v = 0;
        for (unsigned k = 0; k < f[i].width; k++)
            v = (v << 8) | b.b[f[i].at + k];
        uint32_t max = f[i].width == 1 ? 0xff : f[i].width == 2 ? 0xffff : 0xffffff;
        uint32_t lies[] = { v + 1, v - 1, max, 0 };
        for (size_t j = 0; j < sizeof(lies) / sizeof(lies[0]); j++) {
            if (lies[j] == v || lies[j] > max)
                continue;
            memcpy(m, b.b, b.n);
            for (unsigned k = 0; k < f[i].width; k++)
                m[f[i].at + k] = (uint8_t)(lies[j] >> (8 * (f[i].width - 1 - k)));
            if (tls_parse_client_hello(m, b.n, false, &h) != -1)
                fail_msg("%s = %u (really %u) was accepted", f[i].name, lies[j], v);
        }
    }

    /* An odd cipher suites length is refused even when it nests. */
    memcpy(m, b.b, b.n);
    size_t cs = o.cs_len;
    set16(m + cs, 9);
    assert_int_equal(tls_parse_client_hello(m, b.n, false, &h), -1);

    /* Not a ClientHello. */
    memcpy(m, b.b, b.n);
    m[0] = 2;
    assert_int_equal(tls_parse_client_hello(m, b.n, false, &h), -1);
    assert_int_equal(tls_parse_client_hello(NULL, 0, false, &h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hellos),
        cmocka_unit_test(test_synthetic_base),
        cmocka_unit_test(test_grease),
        cmocka_unit_test(test_no_sni),
        cmocka_unit_test(test_sni_forms),
        cmocka_unit_test(test_alpn_wire_cap),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_duplicate_extensions),
        cmocka_unit_test(test_ech),
        cmocka_unit_test(test_ech_malformed),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_lying_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
