/* JA3 (tls-ja3.c): the text and its MD5 for the real hellos of
 * tls_hellos.h against Wireshark's (tshark 4.0, fields
 * tls.handshake.ja3_full and tls.handshake.ja3 on each vector's capture),
 * and the rules on built hellos: GREASE left out of every list, wire order
 * kept, absent or malformed groups and point formats empty, the text not
 * cut when the buffer is short; and JA3S of RFC 9001 A.3's ServerHello. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/tls-hello.h"
#include "ds/tls-ja3.h"
#include "quic_vectors.h"
#include "tls_hellos.h"

/* The text and hash of a ClientHello message, both checked. */
static void check_msg(const uint8_t *msg, size_t len, const char *text, const char *hash)
{
    struct tls_ch c;
    assert_int_equal(tls_ch_parse(msg, len, &c), 0);
    char buf[2048];
    assert_int_equal(tls_ja3_text(&c, buf, sizeof(buf)), (int)strlen(text));
    assert_string_equal(buf, text);
    char ja3[TLS_JA3_LEN];
    tls_ja3(&c, ja3);
    assert_string_equal(ja3, hash);
    /* tls_hello_parse fills the same JA3 for a QUIC hello (JA4 sorting
     * after it does not change it), and none for TCP or without JA4. */
    struct tls_hello h;
    assert_int_equal(tls_hello_parse(msg, len, true, true, &h), 0);
    assert_string_equal(h.ja3, hash);
    assert_int_equal(tls_hello_parse(msg, len, false, true, &h), 0);
    assert_string_equal(h.ja3, "");
    assert_int_equal(tls_hello_parse(msg, len, true, false, &h), 0);
    assert_string_equal(h.ja3, "");
}

/* Real vectors carry their record header (5 bytes) before the message. */
static void check_vec(const char *name, const char *text, const char *hash)
{
    static uint8_t b[TLS_HELLO_MAX + 64];
    size_t n = unhex(vec(name)->hex, b, sizeof(b));
    check_msg(b + 5, n - 5, text, hash);
}

static void test_real_hellos(void **state)
{
    (void)state;
    /* GREASE in ciphers (aaaa), extensions (9a9a, 6a6a) and groups (0a0a). */
    check_vec("chrome_sni",
              "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
              "65281-51-45-5-17513-13-16-35-27-43-0-18-10-23-11-21,29-23-24,0",
              "1c258ebef8eee2dfa3df6d8d07285af9");
    check_vec("tls12_no_sni_spdy",
              "771,49195-49199-158-49162-49161-49171-49172-49159-49169-51-50-57-156-47-53-10-5-4,"
              "65281-10-11-35-13172-16-30032-5-18-13,23-24-25,0",
              "308b0bd904abbef5e0034a1ff7a78920");
    check_vec("tls10_c2", "769,49162-49161-49172-49171-53-47-10,5-10-11-35-23-65281,29-23-24,0",
              "49ed2ef3f1321e5f044f1e71b0e6fdd5");
    /* No groups, no point formats: two empty fields. */
    check_vec("tls10_sni_only",
              "769,57-56-53-22-19-10-51-50-47-154-153-150-5-4-21-18-9-20-17-8-6-3-255,0,,",
              "06a92bf69b367389d2feb0d70501ddfe");
    check_vec("tls12_cloudflare",
              "771,49200-49196-49192-49188-49172-49162-159-107-57-52393-52392-52394-65413-196-136-"
              "129-157-61-53-192-132-49199-49195-49191-49187-49171-49161-158-103-51-190-69-156-60-"
              "47-186-65-49169-49159-5-4-49170-49160-22-10-255,0-11-10-13-16,29-23-24,0",
              "3faa4ad39f690c4ef1c3160caa375465");
    check_vec("firefox",
              "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-"
              "157-47-53,0-23-65281-10-11-35-16-5-34-51-43-13-45-28-21,29-23-24-25-256-257,0",
              "579ccef312d18482fc42e2b822ca2430");
    /* Three point formats. */
    check_vec("curl_mtu300",
              "771,49200-49196-49192-49188-49172-49162-165-163-161-159-107-106-105-104-57-56-55-54-"
              "136-135-134-133-49202-49198-49194-49190-49167-49157-157-61-53-132-49199-49195-"
              "49191-49187-49171-49161-164-162-160-158-103-64-63-62-51-50-49-48-154-153-152-151-"
              "69-68-67-66-49201-49197-49193-49189-49166-49156-156-60-47-150-65-49170-49160-22-19-"
              "16-13-49165-49155-10-7-255,0-11-10-13-15-13172-16-21,23-25-24-22,0-1-2",
              "a64c29923906f2a1be278be1da0714fa");
}

/* base_spec's 0x000a and 0x000b have empty bodies: malformed lists, so
 * empty fields; the hello itself still parses. Hashes from hashlib. */
static void test_malformed_lists_empty(void **state)
{
    (void)state;
    static struct hb b;
    struct spec s = base_spec();
    build(&s, &b, NULL);
    check_msg(b.b, b.n, "771,4865-4866-4867-49195-49199,0-10-11-23-65281-51-16-43-13,,",
              "e67217fac296d7c4a5c2444d72821c65");
}

static void test_grease_left_out(void **state)
{
    (void)state;
    static const uint16_t ciphers[] = { 0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f };
    /* supported_groups 0a0a, x25519, secp256r1; ec_point_formats 0, 1. */
    static const uint8_t lists[] = { 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x0a, 0x0a, 0x00,
                                     0x1d, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x03, 0x02, 0x00, 0x01 };
    static struct hb b;
    struct spec s = base_spec();
    s.ciphers = ciphers;
    s.n_ciphers = 6;
    s.others = NULL;
    s.n_others = 0;
    s.grease_ext = true;
    s.extra = lists;
    s.extra_len = sizeof(lists);
    build(&s, &b, NULL);
    check_msg(b.b, b.n, "771,4865-4866-4867-49195-49199,0-16-43-13-10-11,29-23,0-1",
              "c29753a2dc2dd73ba2cf01f24bcd9c47");
}

/* A hello with no extensions block (before TLS 1.2 it may end there). */
static void test_no_extensions(void **state)
{
    (void)state;
    static const uint16_t one[] = { 0x002f };
    static struct hb b;
    struct spec s = { .legacy = 0x0303, .ciphers = one, .n_ciphers = 1, .no_ext_block = true };
    build(&s, &b, NULL);
    check_msg(b.b, b.n, "771,47,,,", "fde4273625b2ac63bd01d9c500dac91b");
}

static void test_text_buffer_too_small(void **state)
{
    (void)state;
    static struct hb b;
    struct spec s = base_spec();
    build(&s, &b, NULL);
    struct tls_ch c;
    assert_int_equal(tls_ch_parse(b.b, b.n, &c), 0);
    const char *want = "771,4865-4866-4867-49195-49199,0-10-11-23-65281-51-16-43-13,,";
    size_t n = strlen(want);
    char buf[128];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(tls_ja3_text(&c, buf, n), -1);
    assert_string_equal(buf, "");
    assert_int_equal(tls_ja3_text(&c, buf, n + 1), (int)n);
    assert_string_equal(buf, want);
}

/* JA3S of RFC 9001 A.3's ServerHello (tshark: "771,4865,51-43",
 * eb1d94daa7e0344597e756a1fb6e7054), and what is not a ServerHello. */
static void test_ja3s(void **state)
{
    (void)state;
    uint8_t sh[128];
    size_t n = unhex(rfc9001_a3_server_hello, sh, sizeof(sh));
    char ja3s[TLS_JA3_LEN], text[64];
    assert_int_equal(tls_ja3s(sh, n, ja3s, text, sizeof(text)), 0);
    assert_string_equal(text, "771,4865,51-43");
    assert_string_equal(ja3s, "eb1d94daa7e0344597e756a1fb6e7054");
    assert_int_equal(tls_ja3s(sh, n, ja3s, NULL, 0), 0);
    assert_string_equal(ja3s, "eb1d94daa7e0344597e756a1fb6e7054");
    /* Text buffer one byte short: -1, both outputs "". */
    assert_int_equal(tls_ja3s(sh, n, ja3s, text, strlen("771,4865,51-43")), -1);
    assert_string_equal(text, "");
    assert_string_equal(ja3s, "");
    /* Cut inside the extensions, or a length that does not nest. */
    assert_int_equal(tls_ja3s(sh, n - 1, ja3s, NULL, 0), -1);
    sh[3] = (uint8_t)(sh[3] + 1);
    assert_int_equal(tls_ja3s(sh, n + 1, ja3s, NULL, 0), -1);
    sh[3] = (uint8_t)(sh[3] - 1);
    /* A ServerHello without extensions (before TLS 1.2): two fields and an
     * empty third. */
    uint8_t old[4 + 2 + 32 + 1 + 2 + 1] = { 0x02, 0x00, 0x00, 0x26, 0x03, 0x01 };
    memset(old + 6, 0x11, 32);   /* random; then no session id, 0x002f, null */
    old[39] = 0x00;
    old[40] = 0x2f;
    assert_int_equal(tls_ja3s(old, sizeof(old), ja3s, text, sizeof(text)), 0);
    assert_string_equal(text, "769,47,");
    /* A ClientHello is not a ServerHello. */
    static struct hb b;
    struct spec s = base_spec();
    build(&s, &b, NULL);
    assert_int_equal(tls_ja3s(b.b, b.n, ja3s, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hellos),
        cmocka_unit_test(test_malformed_lists_empty),
        cmocka_unit_test(test_grease_left_out),
        cmocka_unit_test(test_no_extensions),
        cmocka_unit_test(test_text_buffer_too_small),
        cmocka_unit_test(test_ja3s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
