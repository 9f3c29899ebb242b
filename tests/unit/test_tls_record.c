/* tls-record: the constants, record and handshake headers whole and cut
 * short, and exchange.c's header check rewritten with the vocabulary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/tls-record.h"

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(TLS_RECORD_HDR_LEN, 5);
    assert_int_equal(TLS_RECORD_CHANGE_CIPHER_SPEC, 20);
    assert_int_equal(TLS_RECORD_ALERT, 21);
    assert_int_equal(TLS_RECORD_HANDSHAKE, 22);
    assert_int_equal(TLS_RECORD_APPLICATION_DATA, 23);
    assert_int_equal(TLS_RECORD_HEARTBEAT, 24);
    assert_int_equal(TLS_RECORD_PLAINTEXT_MAX, 1 << 14);
    assert_int_equal(TLS_RECORD_MAX, (1 << 14) + 2048);
    assert_int_equal(TLS_RECORD_MAX_TLS13, (1 << 14) + 256);
    assert_int_equal(TLS_HANDSHAKE_HDR_LEN, 4);
    assert_int_equal(TLS_HANDSHAKE_CLIENT_HELLO, 1);
    assert_int_equal(TLS_HANDSHAKE_SERVER_HELLO, 2);
}

static void test_record_hdr(void **state)
{
    (void)state;
    /* 16 0301 0200: a handshake record of 512 bytes, as a first ClientHello
     * opens; then 17 0303 4000: 2^14 bytes of application data */
    static const uint8_t p[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x17, 0x03, 0x03, 0x40, 0x00 };
    struct rd r = rd_init(p, sizeof(p));
    struct tls_record_hdr h;
    assert_true(tls_record_hdr_read(&r, &h));
    assert_int_equal(h.type, TLS_RECORD_HANDSHAKE);
    assert_int_equal(h.major, 3);
    assert_int_equal(h.minor, 1);
    assert_int_equal(h.version, 0x0301);
    assert_int_equal(h.len, 512);
    assert_int_equal(r.off, TLS_RECORD_HDR_LEN);
    assert_true(tls_record_hdr_read(&r, &h));
    assert_int_equal(h.type, TLS_RECORD_APPLICATION_DATA);
    assert_int_equal(h.version, 0x0303);
    assert_int_equal(h.len, TLS_RECORD_PLAINTEXT_MAX);
    assert_int_equal(rd_left(&r), 0);
    assert_false(tls_record_hdr_read(&r, &h));   /* nothing left */
    assert_int_equal(h.type, 0);
}

/* A header cut short: false, and the bytes that arrived are still there. */
static void test_record_hdr_partial(void **state)
{
    (void)state;
    static const uint8_t p[] = { 0x16, 0x03, 0x04, 0x00, 0x10 };
    struct tls_record_hdr h;
    for (size_t n = 0; n < sizeof(p); n++) {
        struct rd r = rd_init(p, n);
        assert_false(tls_record_hdr_read(&r, &h));
        assert_true(r.bad);
        assert_int_equal(h.type, n >= 1 ? 0x16 : 0);
        assert_int_equal(h.major, n >= 2 ? 3 : 0);
        assert_int_equal(h.minor, n >= 3 ? 4 : 0);
        assert_int_equal(h.len, 0);
    }
    struct rd r = rd_init(p, sizeof(p));
    assert_true(tls_record_hdr_read(&r, &h));
    assert_int_equal(h.len, 16);
}

static void test_versions(void **state)
{
    (void)state;
    for (uint16_t v = 0x0300; v <= 0x0304; v++)
        assert_true(tls_record_version_plausible(v));
    assert_false(tls_record_version_plausible(0x0305));
    assert_false(tls_record_version_plausible(0x0200));   /* SSL 2 */
    assert_false(tls_record_version_plausible(0x0403));
    assert_false(tls_record_version_plausible(0x0000));
    assert_false(tls_record_version_plausible(0xfefd));   /* DTLS 1.2 */
}

static void test_handshake_hdr(void **state)
{
    (void)state;
    /* 01 0001fc: a ClientHello of 508 bytes */
    static const uint8_t p[] = { 0x01, 0x00, 0x01, 0xfc };
    struct rd r = rd_init(p, sizeof(p));
    struct tls_handshake_hdr h;
    assert_true(tls_handshake_hdr_read(&r, &h));
    assert_int_equal(h.type, TLS_HANDSHAKE_CLIENT_HELLO);
    assert_int_equal(h.len, 508);
    assert_int_equal(r.off, TLS_HANDSHAKE_HDR_LEN);
    for (size_t n = 0; n < sizeof(p); n++) {
        r = rd_init(p, n);
        assert_false(tls_handshake_hdr_read(&r, &h));
        assert_int_equal(h.len, 0);
    }
    static const uint8_t sh[] = { 0x02, 0xff, 0xff, 0xff };
    r = rd_init(sh, sizeof(sh));
    assert_true(tls_handshake_hdr_read(&r, &h));
    assert_int_equal(h.type, TLS_HANDSHAKE_SERVER_HELLO);
    assert_int_equal(h.len, 0xffffff);
}

/* exchange.c hdr_valid as written at 3c93c3f, and with the vocabulary. */
static bool hdr_valid_old(uint8_t type, uint16_t version, uint16_t len)
{
    return type >= 20 && type <= 24 && (version >> 8) == 3 && (version & 0xff) <= 4 &&
           len <= 16384 + 2048;
}

static bool hdr_valid_new(uint8_t type, uint16_t version, uint16_t len)
{
    return type >= TLS_RECORD_CHANGE_CIPHER_SPEC && type <= TLS_RECORD_HEARTBEAT &&
           tls_record_version_plausible(version) && len <= TLS_RECORD_MAX;
}

static void test_exchange_check(void **state)
{
    (void)state;
    static const uint16_t lens[] = { 0, 1, 16384, 16640, 18432, 18433, 65535 };
    for (unsigned t = 0; t < 256; t += 1) {
        for (uint32_t v = 0; v <= 0xffff; v += (t >= 19 && t <= 25) ? 1 : 257) {
            for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
                assert_int_equal(hdr_valid_new((uint8_t)t, (uint16_t)v, lens[k]),
                                 hdr_valid_old((uint8_t)t, (uint16_t)v, lens[k]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_record_hdr),
        cmocka_unit_test(test_record_hdr_partial),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_handshake_hdr),
        cmocka_unit_test(test_exchange_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
