/* quic-header: hand-made long and short headers (v1, v2, a draft, version
 * negotiation), hostile lengths and cut input, variable-length integers
 * (RFC 9000 appendix A.1), and the three tests the modules make today
 * rewritten with the one reader, over every first byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/quic-header.h"

/* v1 Initial: c3 (long, fixed, type 0, 4-byte packet number), version 1,
 * DCID 8 bytes 8394c8f03e515708, SCID empty, then token length 0 and
 * Length 0x449e (RFC 9001 A.2's client Initial). */
static const uint8_t v1_initial[] = {
    0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
    0x57, 0x08, 0x00, 0x00, 0x44, 0x9e,
};

static void test_v1_initial(void **state)
{
    (void)state;
    struct rd r = rd_init(v1_initial, sizeof(v1_initial));
    struct quic_header h;
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_true(h.long_form);
    assert_true(h.fixed_bit);
    assert_int_equal(h.first, 0xc3);
    assert_int_equal(h.version, QUIC_V1);
    assert_int_equal(h.type, QUIC_PT_INITIAL);
    assert_string_equal(quic_header_type_name(h.type), "Initial");
    assert_int_equal(h.dcid_len, 8);
    assert_ptr_equal(h.dcid, v1_initial + 6);
    assert_int_equal(h.scid_len, 0);
    assert_non_null(h.scid);
    assert_int_equal(r.off, 15);   /* at the token length */
    assert_true(quic_version_known(h.version));
    assert_int_equal(quic_varint_read(&r), 0);      /* token length */
    assert_int_equal(quic_varint_read(&r), 0x49e);  /* Length */
    assert_int_equal(rd_left(&r), 0);
    assert_false(r.bad);
}

/* Version 2 numbers its long-header types differently (RFC 9369 3.2). */
static void test_v2_types(void **state)
{
    (void)state;
    /* d3: type bits 01, which is Initial in v2 and 0-RTT in v1 */
    uint8_t p[] = { 0xd3, 0x6b, 0x33, 0x43, 0xcf, 0x01, 0xaa, 0x02, 0xbb, 0xcc };
    struct rd r = rd_init(p, sizeof(p));
    struct quic_header h;
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_int_equal(h.version, QUIC_V2);
    assert_int_equal(h.type, QUIC_PT_INITIAL);
    assert_int_equal(h.dcid_len, 1);
    assert_int_equal(h.dcid[0], 0xaa);
    assert_int_equal(h.scid_len, 2);
    assert_int_equal(h.scid[0], 0xbb);
    assert_int_equal(r.off, sizeof(p));
    /* wire type bits -> v1 numbering, in v2 and in v1 */
    static const enum quic_ptype v2[4] = { QUIC_PT_RETRY, QUIC_PT_INITIAL, QUIC_PT_0RTT,
                                           QUIC_PT_HANDSHAKE };
    static const enum quic_ptype v1[4] = { QUIC_PT_INITIAL, QUIC_PT_0RTT, QUIC_PT_HANDSHAKE,
                                           QUIC_PT_RETRY };
    for (unsigned t = 0; t < 4; t++) {
        uint8_t first = (uint8_t)(0xc0u | (t << 4) | 0x05u);
        assert_int_equal(quic_long_type(first, QUIC_V2), v2[t]);
        assert_int_equal(quic_long_type(first, QUIC_V1), v1[t]);
    }
    assert_string_equal(quic_header_type_name(QUIC_PT_0RTT), "0-RTT");
    assert_string_equal(quic_header_type_name(QUIC_PT_HANDSHAKE), "Handshake");
    assert_string_equal(quic_header_type_name(QUIC_PT_RETRY), "Retry");
    assert_string_equal(quic_header_type_name((enum quic_ptype)99), "unknown");
}

static void test_versions(void **state)
{
    (void)state;
    /* draft-29 Handshake: e0, ff00001d */
    uint8_t d[] = { 0xe0, 0xff, 0x00, 0x00, 0x1d, 0x00, 0x00 };
    struct rd r = rd_init(d, sizeof(d));
    struct quic_header h;
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_int_equal(h.version, 0xff00001du);
    assert_int_equal(h.type, QUIC_PT_HANDSHAKE);
    assert_true(quic_version_is_draft(h.version));
    assert_true(quic_version_known(h.version));
    assert_true(quic_version_known(0xfaceb002u));   /* mvfst */
    assert_true(quic_version_is_mvfst(0xfaceb00fu));
    assert_false(quic_version_known(0x51303530u));  /* Google "Q050" */
    assert_false(quic_version_known(QUIC_VERSION_NEGOTIATION));
    assert_false(quic_version_is_draft(0xff000100u));
    assert_true(quic_version_is_reserved(0x1a2a3a4au));
    assert_true(quic_version_is_reserved(0xfafafafau));
    assert_false(quic_version_is_reserved(QUIC_V1));
    assert_false(quic_version_is_reserved(QUIC_V2));
    assert_false(quic_version_known(0x1a2a3a4au));
}

/* Version negotiation: version 0, the fixed bit not required, the type
 * bits meaningless; its CIDs are read like any other. */
static void test_version_negotiation(void **state)
{
    (void)state;
    uint8_t p[] = { 0x8a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 1, 2, 3, 4,
                    0x00, 0x00, 0x00, 0x01 };   /* supported: v1 */
    struct rd r = rd_init(p, sizeof(p));
    struct quic_header h;
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_true(h.long_form);
    assert_false(h.fixed_bit);
    assert_int_equal(h.version, QUIC_VERSION_NEGOTIATION);
    assert_int_equal(h.type, QUIC_PT_VERSION_NEGOTIATION);
    assert_string_equal(quic_header_type_name(h.type), "Version Negotiation");
    assert_int_equal(h.dcid_len, 0);
    assert_int_equal(h.scid_len, 4);
    assert_int_equal(rd_be32(&r), QUIC_V1);
}

static void test_short_header(void **state)
{
    (void)state;
    uint8_t p[] = { 0x41, 0xde, 0xad, 0xbe, 0xef, 0x00 };
    struct rd r = rd_init(p, sizeof(p));
    struct quic_header h;
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_SHORT);
    assert_false(h.long_form);
    assert_true(h.fixed_bit);
    assert_int_equal(h.type, QUIC_PT_1RTT);
    assert_string_equal(quic_header_type_name(h.type), "1-RTT");
    assert_int_equal(h.version, 0);
    assert_null(h.dcid);
    assert_int_equal(r.off, 1);
    r = rd_init(p, sizeof(p));
    assert_int_equal(quic_header_read_version(&r, &h), QUIC_HDR_SHORT);
    assert_int_equal(r.off, 1);
}

/* Cut anywhere inside the header: TRUNCATED, never a read past the end. */
static void test_truncated(void **state)
{
    (void)state;
    struct quic_header h;
    struct rd r = rd_init(NULL, 0);
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_TRUNCATED);
    assert_true(r.bad);
    /* v1_initial's header ends after its SCID length byte (15 bytes) */
    for (size_t n = 1; n < 15; n++) {
        r = rd_init(v1_initial, n);
        assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_TRUNCATED);
        assert_true(r.bad);
        r = rd_init(v1_initial, n);
        assert_int_equal(quic_header_read_version(&r, &h),
                         n < 5 ? QUIC_HDR_TRUNCATED : QUIC_HDR_LONG);
    }
    r = rd_init(v1_initial, 15);
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_int_equal(rd_left(&r), 0);
    /* a variable-length integer cut short */
    uint8_t v[] = { 0x80, 0x01, 0x02 };
    r = rd_init(v, sizeof(v));
    assert_int_equal(quic_varint_read(&r), 0);
    assert_true(r.bad);
}

/* A CID length of 21 is refused before its bytes are looked for; 20 passes. */
static void test_cid_bounds(void **state)
{
    (void)state;
    uint8_t p[5 + 1 + 21 + 1 + 21];
    memset(p, 0x11, sizeof(p));
    p[0] = 0xc0;
    p[1] = 0, p[2] = 0, p[3] = 0, p[4] = 1;
    struct quic_header h;

    p[5] = 21;
    struct rd r = rd_init(p, sizeof(p));
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_BAD_CID);
    p[5] = 255;
    r = rd_init(p, sizeof(p));
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_BAD_CID);

    p[5] = 20;
    p[5 + 1 + 20] = 21;   /* SCID length */
    r = rd_init(p, sizeof(p));
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_BAD_CID);
    assert_int_equal(h.dcid_len, 20);

    p[5 + 1 + 20] = 20;
    r = rd_init(p, sizeof(p));
    assert_int_equal(quic_header_read(&r, &h), QUIC_HDR_LONG);
    assert_int_equal(h.scid_len, 20);
    assert_int_equal(r.off, 5 + 1 + 20 + 1 + 20);
}

/* RFC 9000 appendix A.1's examples. */
static void test_varint(void **state)
{
    (void)state;
    static const struct {
        uint8_t b[8];
        size_t n;
        uint64_t v;
    } ex[] = {
        { { 0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c }, 8, 151288809941952652ull },
        { { 0x9d, 0x7f, 0x3e, 0x7d }, 4, 494878333 },
        { { 0x7b, 0xbd }, 2, 15293 },
        { { 0x25 }, 1, 37 },
        { { 0x40, 0x25 }, 2, 37 },
    };
    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        struct rd r = rd_init(ex[i].b, ex[i].n);
        assert_true(quic_varint_read(&r) == ex[i].v);
        assert_false(r.bad);
        assert_int_equal(r.off, ex[i].n);
    }
}

/* ---- the modules' tests as written at 3c93c3f, and with the reader ---- */

/* sensor.c quic_first_packet, less its length checks. */
static bool sensor_old(const uint8_t *p)
{
    if ((p[0] & 0xc0) != 0xc0)
        return false;
    return be32(p + 1) != 0;
}

static bool sensor_new(const uint8_t *p, size_t n)
{
    struct rd r = rd_init(p, n);
    struct quic_header h;
    return quic_header_read_version(&r, &h) == QUIC_HDR_LONG && h.fixed_bit &&
           h.version != QUIC_VERSION_NEGOTIATION;
}

/* classify.c quic_hdr_of */
static void classify_old(const uint8_t *p, size_t n, uint32_t *version, bool *initial)
{
    struct rd r = rd_init(p, n);
    uint8_t first = rd_u8(&r);
    uint32_t v = rd_be32(&r);
    *version = 0;
    *initial = false;
    if (r.bad || !(first & 0x80))
        return;
    *version = v;
    unsigned type = (first >> 4) & 3u;
    *initial = v != 0 && type == (v == 0x6b3343cfu ? 1u : 0u);
}

static void classify_new(const uint8_t *p, size_t n, uint32_t *version, bool *initial)
{
    struct rd r = rd_init(p, n);
    struct quic_header h;
    bool is_long = quic_header_read_version(&r, &h) == QUIC_HDR_LONG;
    *version = is_long ? h.version : 0;
    *initial = is_long && h.type == QUIC_PT_INITIAL;
}

/* exchange.c: the version filter and the type in v1 numbering */
static int exchange_old(uint8_t first, uint32_t v)
{
    bool known = v == 1 || v == 0x6b3343cfu || (v & 0xffffff00u) == 0xff000000u ||
                 (v & 0xfffffff0u) == 0xfaceb000u;
    if (!known)
        return -1;
    unsigned type = (first >> 4) & 3;
    if (v == 0x6b3343cfu)
        type = (type + 3) & 3;
    return (int)type;
}

static int exchange_new(uint8_t first, uint32_t v)
{
    return quic_version_known(v) ? (int)quic_long_type(first, v) : -1;
}

static void test_module_readers(void **state)
{
    (void)state;
    static const uint32_t versions[] = { 0, QUIC_V1, QUIC_V2, 0xff00001du, 0xff000022u,
                                         0xfaceb002u, 0x1a2a3a4au, 0x51303530u, 0x6b3343ceu,
                                         0xffffffffu };
    for (unsigned f = 0; f < 256; f++) {
        for (size_t k = 0; k < sizeof(versions) / sizeof(versions[0]); k++) {
            uint8_t p[7] = { (uint8_t)f, 0, 0, 0, 0, 0, 0 };
            uint32_t v = versions[k];
            p[1] = (uint8_t)(v >> 24), p[2] = (uint8_t)(v >> 16);
            p[3] = (uint8_t)(v >> 8), p[4] = (uint8_t)v;
            assert_int_equal(sensor_new(p, sizeof(p)), sensor_old(p));
            for (size_t n = 0; n <= sizeof(p); n++) {
                uint32_t vo, vn;
                bool io, in;
                classify_old(p, n, &vo, &io);
                classify_new(p, n, &vn, &in);
                assert_int_equal(vn, vo);
                assert_int_equal(in, io);
            }
            assert_int_equal(exchange_new((uint8_t)f, v), exchange_old((uint8_t)f, v));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_initial),
        cmocka_unit_test(test_v2_types),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_version_negotiation),
        cmocka_unit_test(test_short_header),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_cid_bounds),
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_module_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
