/* quic-initial: the Initial keys of RFC 9001 A.1, the client Initials of
 * RFC 9001 A.2 (v1) and RFC 9369 A.2 (v2) opened to their ClientHello,
 * and packets sealed here with the same keys: a hello cut into CRYPTO
 * frames sent out of order over two packets that arrive out of order,
 * coalesced packets, a new DCID after a Retry, a draft version, and
 * hostile input (a flipped bit, cut datagrams, frames an Initial may not
 * carry, a CRYPTO stream that is no hello, offsets past the buffer, a flow
 * that never completes); and RFC 9001 A.3's server Initial opened with the
 * server's keys to its ServerHello's JA3S.
 *
 * `test_quic_initial --hellos FILE` instead prints the ClientHello of each
 * UDP flow of a capture that the parser finds, one line a flow: client
 * address and port, server address and port, SNI ("-" for none) and JA4;
 * tests/conformance/ja4_quic.test.sh compares them with FoxIO's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/capture.h"
#include "ds/decode.h"
#include "ds/err.h"
#include "ds/packet.h"
#include "ds/quic-initial.h"
#include "ds/tls.h"
#include "quic_vectors.h"
#include "test_hex.h"
#include "test_quic_seal.h"

static const uint8_t dcid_a[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    uint8_t w[64];
    assert_int_equal(unhex(want, w, sizeof(w)), n);
    assert_memory_equal(got, w, n);
}

/* RFC 9001 A.1. */
static void test_keys_v1(void **state)
{
    (void)state;
    struct quic_keys k;
    assert_int_equal(quic_initial_keys(QUIC_V1, dcid_a, sizeof(dcid_a), false, &k), 0);
    assert_hex(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
    assert_hex(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
    assert_hex(k.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
    assert_int_equal(quic_initial_keys(QUIC_V1, dcid_a, sizeof(dcid_a), true, &k), 0);
    assert_hex(k.key, 16, "cf3a5331653c364c88f0f379b6067e37");
    assert_hex(k.iv, 12, "0ac1493ca1905853b0bba03e");
    assert_hex(k.hp, 16, "c206b8d9b9f0f37644430b490eeaa314");
}

static void test_salts(void **state)
{
    (void)state;
    const uint8_t *v1 = quic_initial_salt(QUIC_V1);
    assert_non_null(v1);
    assert_ptr_equal(quic_initial_salt(0xff000022u), v1); /* draft 34 */
    assert_ptr_equal(quic_initial_salt(0xff000021u), v1); /* draft 33 */
    assert_non_null(quic_initial_salt(0xff00001du));      /* draft 29 */
    assert_ptr_equal(quic_initial_salt(0xff000020u), quic_initial_salt(0xff00001du));
    assert_non_null(quic_initial_salt(0xff00001bu));      /* draft 27 */
    assert_ptr_equal(quic_initial_salt(0xff00001cu), quic_initial_salt(0xff00001bu));
    assert_ptr_not_equal(quic_initial_salt(0xff00001bu), quic_initial_salt(0xff00001du));
    assert_ptr_not_equal(quic_initial_salt(QUIC_V2), v1);
    assert_null(quic_initial_salt(0xff00001au));          /* draft 26 */
    assert_null(quic_initial_salt(0xff000023u));
    assert_null(quic_initial_salt(0x1a2a3a4au));
    assert_null(quic_initial_salt(0xfaceb002u));
    struct quic_keys k;
    assert_int_equal(quic_initial_keys(0x1a2a3a4au, dcid_a, 8, false, &k), -1);
}

struct fixture {
    struct quic_initial *q;
    struct quic_initial_flow f;
    struct tls_hello out;
    uint8_t hello[512];
    size_t hello_len;
    char ja4[TLS_JA4_LEN];
};

static int setup(void **state)
{
    static struct fixture fx;
    memset(&fx, 0, sizeof(fx));
    fx.q = quic_initial_new();
    assert_non_null(fx.q);
    quic_initial_flow_init(&fx.f);
    fx.hello_len = unhex(rfc9001_a2_hello, fx.hello, sizeof(fx.hello));
    struct tls_hello h;
    assert_int_equal(tls_parse_client_hello(fx.hello, fx.hello_len, true, &h), 0);
    memcpy(fx.ja4, h.ja4, sizeof(fx.ja4));
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    quic_initial_free(fx->q);
    return 0;
}

static void assert_example_hello(const struct fixture *fx)
{
    assert_true(fx->out.has_sni);
    assert_string_equal(fx->out.sni, "example.com");
    assert_string_equal(fx->out.ja4, fx->ja4);
    assert_string_equal(fx->out.ja4, "q13d0211an_62ed6f6ca7ad_4d634acda6c0");
    assert_int_equal(fx->out.version, 0x0304);
}

static void test_rfc_packet(void **state, const char *hex)
{
    struct fixture *fx = *state;
    static uint8_t pkt[1200];
    size_t n = unhex(hex, pkt, sizeof(pkt));
    assert_int_equal(n, 1200);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, n, &fx->out), QUIC_INITIAL_HELLO);
    assert_example_hello(fx);
    const struct quic_initial_stats *st = quic_initial_stats(fx->q);
    assert_int_equal(st->initials, 1);
    assert_int_equal(st->hellos, 1);
    assert_int_equal(st->auth_failed, 0);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, n, &fx->out), QUIC_INITIAL_IGNORED);
}

static void test_rfc9001_a2(void **state)
{
    test_rfc_packet(state, rfc9001_a2_packet);
}

static void test_rfc9369_a2(void **state)
{
    test_rfc_packet(state, rfc9369_a2_packet);
}

/* RFC 9001 A.3: the server's Initial opens with the server keys of the
 * DCID of the client's A.2 Initial, and its ServerHello gives the JA3S
 * tshark reads ("771,4865,51-43"). A bit flipped, the client's own packet,
 * a server id without version: no JA3S. A Retry moves the keys to its SCID. */
static void test_rfc9001_a3_server(void **state)
{
    struct fixture *fx = *state;
    static uint8_t pkt[1200], srv[200];
    size_t n = unhex(rfc9001_a2_packet, pkt, sizeof(pkt));
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, n, &fx->out), QUIC_INITIAL_HELLO);
    struct quic_server_id id;
    quic_initial_server_id(&fx->f, &id);
    assert_int_equal(id.version, QUIC_V1);
    assert_int_equal(id.dcid_len, sizeof(dcid_a));
    assert_memory_equal(id.dcid, dcid_a, sizeof(dcid_a));
    size_t m = unhex(rfc9001_a3_packet, srv, sizeof(srv));
    assert_int_equal(m, 135);
    char ja3s[TLS_JA3_LEN];
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, srv, m, ja3s), QUIC_SERVER_JA3S);
    assert_string_equal(ja3s, "eb1d94daa7e0344597e756a1fb6e7054");
    assert_int_equal(quic_initial_stats(fx->q)->server_hellos, 1);

    srv[60] ^= 1;
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, srv, m, ja3s), QUIC_SERVER_MORE);
    srv[60] ^= 1;
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, pkt, n, ja3s), QUIC_SERVER_MORE);
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, srv, 40, ja3s), QUIC_SERVER_MORE);
    struct quic_server_id none;
    quic_initial_flow_init(&fx->f);
    quic_initial_server_id(&fx->f, &none);
    assert_int_equal(none.version, 0);
    assert_int_equal(quic_initial_server_ja3s(fx->q, &none, srv, m, ja3s), QUIC_SERVER_FAIL);
    assert_int_equal(quic_initial_stats(fx->q)->server_hellos, 1);

    /* RFC 9001 A.4's Retry: the client's next DCID is its SCID, and so are
     * the server's keys; A.3's packet, sealed for the old DCID, no longer
     * opens. */
    static const char retry[] =
        "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba";
    uint8_t rp[64];
    size_t rn = unhex(retry, rp, sizeof(rp));
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, rp, rn, ja3s), QUIC_SERVER_MORE);
    assert_int_equal(id.dcid_len, 8);
    assert_hex(id.dcid, 8, "f067a5502a4262b5");
    assert_int_equal(quic_initial_server_ja3s(fx->q, &id, srv, m, ja3s), QUIC_SERVER_MORE);
}

/* Chrome's way: the hello in shuffled CRYPTO frames with PING and PADDING
 * between them, over two packets; the second packet comes first. */
static void test_out_of_order_two_packets(void **state)
{
    struct fixture *fx = *state;
    uint8_t f1[600], f2[600];
    size_t n1 = 0, n2 = 0;
    /* packet 0: [180, 241), PING, PADDING, [0, 60) */
    crypto_frame(f1, &n1, fx->hello, 180, fx->hello_len);
    f1[n1++] = 0x01;
    f1[n1++] = 0x00;
    f1[n1++] = 0x00;
    crypto_frame(f1, &n1, fx->hello, 0, 60);
    /* packet 1: ACK (one range and one more), [120, 180), PING, [60, 120) */
    const uint8_t ack[] = { 0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x01 };
    memcpy(f2, ack, sizeof(ack));
    n2 = sizeof(ack);
    crypto_frame(f2, &n2, fx->hello, 120, 180);
    f2[n2++] = 0x01;
    crypto_frame(f2, &n2, fx->hello, 60, 120);
    struct sealed a = { .len = 0 }, b = { .len = 0 };
    seal(&a, QUIC_V1, dcid_a, 8, 0, f1, n1, 1100);
    seal(&b, QUIC_V1, dcid_a, 8, 1, f2, n2, 1100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, b.b, b.len, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(fx->f.prefix, 0);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, a.b, a.len, &fx->out),
                     QUIC_INITIAL_HELLO);
    assert_example_hello(fx);
    assert_int_equal(quic_initial_stats(fx->q)->initials, 2);
    assert_int_equal(quic_initial_stats(fx->q)->bad_frames, 0);
}

/* Two Initials coalesced in one datagram (each frame in its own packet),
 * then a Handshake packet and junk the walk must step over or stop at;
 * v2 numbering for the types. */
static void test_coalesced_v2(void **state)
{
    struct fixture *fx = *state;
    uint8_t f1[300], f2[300];
    size_t n1 = 0, n2 = 0;
    crypto_frame(f1, &n1, fx->hello, 100, fx->hello_len);
    crypto_frame(f2, &n2, fx->hello, 0, 100);
    struct sealed d = { .len = 0 };
    seal(&d, QUIC_V2, dcid_a, 8, 0, f1, n1, 200);
    seal(&d, QUIC_V2, dcid_a, 8, 1, f2, n2, 200);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, d.b, d.len, &fx->out),
                     QUIC_INITIAL_HELLO);
    assert_example_hello(fx);
    assert_int_equal(quic_initial_stats(fx->q)->initials, 2);
}

/* A Retry gives a new DCID: the client's next Initial has new keys and
 * the hello again from offset 0. The first Initial's part stays. */
static void test_new_dcid_after_retry(void **state)
{
    struct fixture *fx = *state;
    uint8_t f1[300], f2[300];
    size_t n1 = 0, n2 = 0;
    crypto_frame(f1, &n1, fx->hello, 0, 100);
    crypto_frame(f2, &n2, fx->hello, 0, fx->hello_len);
    static const uint8_t dcid_b[5] = { 1, 2, 3, 4, 5 };
    struct sealed a = { .len = 0 }, b = { .len = 0 };
    seal(&a, QUIC_V1, dcid_a, 8, 0, f1, n1, 1100);
    seal(&b, QUIC_V1, dcid_b, 5, 1, f2, n2, 1100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, a.b, a.len, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(fx->f.prefix, 100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, b.b, b.len, &fx->out),
                     QUIC_INITIAL_HELLO);
    assert_example_hello(fx);
    assert_int_equal(fx->f.dcid_len, 5);
}

static void test_draft29(void **state)
{
    struct fixture *fx = *state;
    uint8_t f[300];
    size_t n = 0;
    crypto_frame(f, &n, fx->hello, 0, fx->hello_len);
    struct sealed d = { .len = 0 };
    seal(&d, 0xff00001du, dcid_a, 8, 0, f, n, 1100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, d.b, d.len, &fx->out),
                     QUIC_INITIAL_HELLO);
    assert_example_hello(fx);
}

/* One bit flipped anywhere after the header: the packet does not open.
 * Every cut of the RFC packet: nothing opens, nothing breaks. */
static void test_tampered_and_cut(void **state)
{
    struct fixture *fx = *state;
    static uint8_t pkt[1200];
    size_t n = unhex(rfc9001_a2_packet, pkt, sizeof(pkt));
    for (size_t at = 18; at < n; at += 97) {
        pkt[at] ^= 0x20;
        assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, n, &fx->out), QUIC_INITIAL_MORE);
        pkt[at] ^= 0x20;
    }
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, cut, &fx->out),
                         QUIC_INITIAL_MORE);
    const struct quic_initial_stats *st = quic_initial_stats(fx->q);
    assert_int_equal(st->initials, 0);
    assert_true(st->auth_failed >= 12);
    assert_true(st->truncated > 0);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, pkt, n, &fx->out), QUIC_INITIAL_HELLO);
}

/* A STREAM frame ends the packet; the CRYPTO data before it is kept. */
static void test_bad_frame(void **state)
{
    struct fixture *fx = *state;
    uint8_t f[300];
    size_t n = 0;
    crypto_frame(f, &n, fx->hello, 0, 50);
    f[n++] = 0x08;
    crypto_frame(f, &n, fx->hello, 50, fx->hello_len);
    struct sealed d = { .len = 0 };
    seal(&d, QUIC_V1, dcid_a, 8, 0, f, n, 1100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, d.b, d.len, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(fx->f.prefix, 50);
    assert_int_equal(quic_initial_stats(fx->q)->bad_frames, 1);
    /* a CRYPTO frame longer than the packet */
    n = 0;
    crypto_frame(f, &n, fx->hello, 50, fx->hello_len);
    f[4] = 0xff;
    struct sealed e = { .len = 0 };
    seal(&e, QUIC_V1, dcid_a, 8, 1, f, n, 0);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, e.b, e.len, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_stats(fx->q)->bad_frames, 2);
}

/* A CRYPTO stream that does not start with a ClientHello; one past the
 * buffer; one that says its hello is larger than the buffer. */
static void test_not_hello_and_overflow(void **state)
{
    struct fixture *fx = *state;
    uint8_t f[300];
    size_t n = 0;
    uint8_t sh[8] = { 2, 0, 0, 4, 1, 2, 3, 4 };
    crypto_frame(f, &n, sh, 0, sizeof(sh));
    struct sealed d = { .len = 0 };
    seal(&d, QUIC_V1, dcid_a, 8, 0, f, n, 100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, d.b, d.len, &fx->out), QUIC_INITIAL_FAIL);
    assert_int_equal(quic_initial_stats(fx->q)->not_hello, 1);

    quic_initial_flow_init(&fx->f);
    const uint8_t far[] = { 0x06, 0x80, 0x00, 0x40, 0x00, 0x04, 1, 2, 3, 4 }; /* offset 16384 */
    struct sealed e = { .len = 0 };
    seal(&e, QUIC_V1, dcid_a, 8, 0, far, sizeof(far), 100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, e.b, e.len, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_stats(fx->q)->crypto_overflow, 1);

    quic_initial_flow_init(&fx->f);
    uint8_t big[8] = { 1, 0, 0x40, 0x00, 3, 3, 0, 0 }; /* 16384 + 4 bytes */
    n = 0;
    crypto_frame(f, &n, big, 0, sizeof(big));
    struct sealed g = { .len = 0 };
    seal(&g, QUIC_V1, dcid_a, 8, 0, f, n, 100);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, g.b, g.len, &fx->out), QUIC_INITIAL_FAIL);
    assert_int_equal(quic_initial_stats(fx->q)->crypto_overflow, 2);
}

/* A gap that never fills: the flow gives up after QUIC_INITIAL_PKTS_MAX
 * Initials. */
static void test_gives_up(void **state)
{
    struct fixture *fx = *state;
    uint8_t f[300];
    size_t n = 0;
    crypto_frame(f, &n, fx->hello, 10, fx->hello_len);
    enum quic_initial_res res = QUIC_INITIAL_MORE;
    unsigned i;
    for (i = 0; i < 100 && res == QUIC_INITIAL_MORE; i++) {
        struct sealed d = { .len = 0 };
        seal(&d, QUIC_V1, dcid_a, 8, i, f, n, 1100);
        res = quic_initial_datagram(fx->q, &fx->f, d.b, d.len, &fx->out);
    }
    assert_int_equal(res, QUIC_INITIAL_FAIL);
    assert_int_equal(i, QUIC_INITIAL_PKTS_MAX);
    assert_int_equal(quic_initial_stats(fx->q)->gave_up, 1);
}

/* Not QUIC, a short header, an unknown version: nothing read. */
static void test_not_initial(void **state)
{
    struct fixture *fx = *state;
    const uint8_t shorthdr[] = { 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const uint8_t unknown[] = { 0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5 };
    const uint8_t badcid[] = { 0xc0, 0, 0, 0, 1, 0xff, 0 };
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, shorthdr, sizeof(shorthdr), &fx->out),
                     QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, unknown, sizeof(unknown), &fx->out),
                     QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, badcid, sizeof(badcid), &fx->out),
                     QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_datagram(fx->q, &fx->f, NULL, 0, &fx->out), QUIC_INITIAL_MORE);
    assert_int_equal(quic_initial_stats(fx->q)->not_initial, 4);
}

/* ---- --hellos: the parser over a capture, flow by flow ---- */

#define DUMP_FLOWS 256

struct dump_flow {
    struct ds_addr src, dst;
    uint16_t sport, dport;
    struct quic_initial_flow f;
};

struct dump {
    struct quic_initial *q;
    struct decode_stats st;
    struct dump_flow flows[DUMP_FLOWS];
    unsigned n;
    unsigned full;
};

static struct dump_flow *dump_find(struct dump *d, const struct packet *p)
{
    for (unsigned i = 0; i < d->n; i++) {
        struct dump_flow *f = &d->flows[i];
        if (f->sport == p->sport && f->dport == p->dport &&
            memcmp(&f->src, &p->src, sizeof(f->src)) == 0 &&
            memcmp(&f->dst, &p->dst, sizeof(f->dst)) == 0)
            return f;
    }
    if (d->n == DUMP_FLOWS) {
        d->full++;
        return NULL;
    }
    struct dump_flow *f = &d->flows[d->n++];
    f->src = p->src;
    f->dst = p->dst;
    f->sport = p->sport;
    f->dport = p->dport;
    quic_initial_flow_init(&f->f);
    return f;
}

static void dump_packet(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
                        uint32_t wirelen, uint64_t ts_us)
{
    struct dump *d = ctx;
    struct packet p;
    if (decode_frame(&d->st, linktype, data, caplen, wirelen, ts_us, &p) != DECODE_OK ||
        p.proto != DS_IPPROTO_UDP || p.payload_len == 0 || !(p.payload[0] & QUIC_FORM_LONG))
        return;
    struct dump_flow *f = dump_find(d, &p);
    struct tls_hello h;
    if (f == NULL || quic_initial_datagram(d->q, &f->f, p.payload, p.payload_len, &h) !=
                         QUIC_INITIAL_HELLO)
        return;
    char src[64], dst[64];
    ds_addr_str(&f->src, src, sizeof(src));
    ds_addr_str(&f->dst, dst, sizeof(dst));
    printf("%s %u %s %u %s %s\n", src, f->sport, dst, f->dport, h.has_sni && h.sni[0] ? h.sni : "-",
           h.ja4);
}

static int dump_hellos(const char *path)
{
    static struct dump d;
    char err[256];
    struct capture *c = NULL;
    if (capture_open_file(path, NULL, &c, err, sizeof(err)) != DS_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    d.q = quic_initial_new();
    if (d.q == NULL) {
        capture_close(c);
        fprintf(stderr, "%s: out of memory\n", path);
        return 1;
    }
    enum ds_err rc = capture_run(c, dump_packet, &d, err, sizeof(err));
    capture_close(c);
    const struct quic_initial_stats *st = quic_initial_stats(d.q);
    fprintf(stderr, "%s: %llu datagrams, %llu Initials opened, %llu not opened, %llu hellos%s\n",
            path, (unsigned long long)st->datagrams, (unsigned long long)st->initials,
            (unsigned long long)st->auth_failed, (unsigned long long)st->hellos,
            d.full ? " (flow table full)" : "");
    quic_initial_free(d.q);
    if (rc != DS_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--hellos") == 0)
        return dump_hellos(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_v1),
        cmocka_unit_test(test_salts),
        cmocka_unit_test_setup_teardown(test_rfc9001_a2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc9369_a2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc9001_a3_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_two_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coalesced_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_dcid_after_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_draft29, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_and_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_hello_and_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_initial, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
