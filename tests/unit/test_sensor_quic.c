/* sensor, QUIC: the hello reassembly slots and the server ids (JA3S) held
 * at once stay within the memcap's quic_reasm share, which both pools
 * take from. Under --memcap 64M (share 503,300 bytes), 4,200 followed
 * flows whose hello is read and whose server never answers each hold a
 * server id, and 40 flows whose hello never completes hold every slot;
 * sensor.memory.quic_reasm must not pass the share. A flow whose
 * Initial opens but holds no hello gives its slot back at once. A flood of
 * distinct names does not hide an AI host's QUIC flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "ds/sensor.h"
#include "ds/sink.h"
#include "ds/time-units.h"
#include "quic_vectors.h"
#include "test_hex.h"
#include "test_quic_seal.h"
#include "test_sensor_fixture.h"

#define T0 (ds_s_to_us(1767225600)) /* 2026-01-01 00:00:00 UTC */

static int setup(void **state)
{
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_TEST_SOURCE_DIR "/rules";
    cfg.memcap = (uint64_t)64 << 20;
    cfg.all_tls = true; /* every flow followed: its server id is kept */
    *state = fixture_open("/tmp/ds-test-squic-XXXXXX", &cfg);
    return 0;
}

/* A client Initial (v1, packet number 0 in 4 bytes) to an 8-byte DCID,
 * one CRYPTO frame of hello[0, n) padded to 1,162 bytes of frames: a
 * 1,200-byte datagram, copied to p. */
static size_t seal_partial(uint8_t *p, const uint8_t *hello, size_t n)
{
    static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
    uint8_t frames[1162];
    size_t f = 0;
    crypto_frame(frames, &f, hello, 0, n);
    struct sealed out = { .len = 0 };
    seal(&out, QUIC_V1, dcid, sizeof(dcid), 0, frames, f, sizeof(frames));
    memcpy(p, out.b, out.len);
    return out.len;
}

/* The UDP datagram `payload` from 10.0.0.1:port to 10.0.0.2:443 in an
 * Ethernet frame, to the sensor at ts_us. */
static void udp_packet(struct fixture *fx, uint16_t port, const uint8_t *payload, size_t n,
                       uint64_t ts_us)
{
    static uint8_t f[1600];
    static const uint8_t eth[] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
    assert_true(n + 42 <= sizeof(f));
    memcpy(f, eth, sizeof(eth));
    uint8_t *ip = f + sizeof(eth);
    size_t total = 20 + 8 + n;
    const uint8_t iph[20] = { 0x45, 0, (uint8_t)(total >> 8), (uint8_t)total, 0, 1, 0, 0, 64, 17,
                              0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
    memcpy(ip, iph, sizeof(iph));
    uint8_t *udp = ip + 20;
    const uint8_t udph[8] = { (uint8_t)(port >> 8), (uint8_t)port, 0x01, 0xbb,
                              (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };
    memcpy(udp, udph, sizeof(udph));
    memcpy(udp + 8, payload, n);
    size_t len = sizeof(eth) + total;
    sensor_packet(fx->s, 1 /* DLT_EN10MB */, f, (uint32_t)len, (uint32_t)len, ts_us);
}

/* The value after the k-th (from 0) `"key":` in the events file. */
static unsigned long long nth_value(struct fixture *fx, const char *key, int k)
{
    sink_flush(fx->sink);
    FILE *f = fopen(fx->path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(buf, pat);
    for (int i = 0; i < k && p != NULL; i++)
        p = strstr(p + 1, pat);
    assert_non_null(p);
    return strtoull(p + strlen(pat), NULL, 10);
}

static void test_quic_reasm_within_share(void **state)
{
    struct fixture *fx = *state;
    static uint8_t whole[1200], part[1200], hello[512];
    size_t wn = unhex(rfc9001_a2_packet, whole, sizeof(whole));
    size_t hn = unhex(rfc9001_a2_hello, hello, sizeof(hello));
    size_t pn = seal_partial(part, hello, hn / 2);
    assert_int_equal(pn, 1200);
    uint64_t ts = T0;
    /* Hellos read, servers silent: each flow keeps a server id. */
    for (uint16_t i = 0; i < 4200; i++)
        udp_packet(fx, (uint16_t)(10000 + i), whole, wn, ts++);
    /* Hellos that never complete: every slot held. */
    for (uint16_t i = 0; i < 40; i++)
        udp_packet(fx, (uint16_t)(20000 + i), part, pn, ts++);
    sensor_stats_now(fx->s);
    /* sensor.memory.quic_reasm comes first, sensor.memcap.shares' last. */
    unsigned long long used = nth_value(fx, "quic_reasm", 0);
    unsigned long long share = nth_value(fx, "quic_reasm", 1);
    assert_int_equal(share, 503300);
    assert_true(nth_value(fx, "reassembling", 0) > 0);
    assert_true(nth_value(fx, "server_shed", 0) > 0);
    print_message("quic_reasm %llu bytes, share %llu\n", used, share);
    assert_true(used <= share);
}

/* A flow whose Initial opens but holds no ClientHello (the CRYPTO stream
 * starts with another handshake type: anyone can seal such an Initial)
 * gives its slot back at once, and takes none again: 300 of them, within
 * two seconds, then 10 flows whose hello is on its way; none of those is
 * shed and no slot stays held by a failed flow. */
static void test_quic_failed_hello_frees_slot(void **state)
{
    struct fixture *fx = *state;
    static uint8_t bad[1200], part[1200], hello[512];
    size_t hn = unhex(rfc9001_a2_hello, hello, sizeof(hello));
    size_t pn = seal_partial(part, hello, hn / 2);
    hello[0] = 0x02;   /* a ServerHello's type */
    size_t bn = seal_partial(bad, hello, hn);
    assert_int_equal(bn, 1200);
    uint64_t ts = T0;
    for (uint16_t i = 0; i < 300; i++) {
        udp_packet(fx, (uint16_t)(10000 + i), bad, bn, ts++);
        udp_packet(fx, (uint16_t)(10000 + i), bad, bn, ts++);   /* no second slot */
    }
    for (uint16_t i = 0; i < 10; i++)   /* the share holds about 26 slots */
        udp_packet(fx, (uint16_t)(20000 + i), part, pn, ts++);
    sensor_stats_now(fx->s);
    assert_int_equal(nth_value(fx, "shed", 0), 0);
    assert_int_equal(nth_value(fx, "reassembling", 0), 10);
}

/* A flood of QUIC hellos each naming another host fills the string and
 * fact-set tables (their share of --memcap 64M holds about 4,000 names);
 * a flow to chatgpt.com after them is still told by the name in its hello,
 * which our parser read, not left to the address ranges because its fact
 * set was refused. Every flood flow is decided when its hello is read, so
 * none keeps a reassembly slot while the server ids are used up. */
static void test_quic_name_flood(void **state)
{
    struct fixture *fx = *state;
    static uint8_t pkt[1200], hello[512];
    size_t hn = unhex(rfc9001_a2_hello, hello, sizeof(hello));
    uint8_t *name = memmem(hello, hn, "example.com", 11);
    assert_non_null(name);
    uint64_t ts = T0;
    char host[12];
    for (unsigned i = 0; i < 4050; i++) {
        snprintf(host, sizeof(host), "n%04u.x.com", i);
        memcpy(name, host, 11);
        assert_int_equal(seal_partial(pkt, hello, hn), 1200);
        udp_packet(fx, (uint16_t)(10000 + i), pkt, 1200, ts++);
    }
    memcpy(name, "chatgpt.com", 11);
    assert_int_equal(seal_partial(pkt, hello, hn), 1200);
    udp_packet(fx, 20000, pkt, 1200, ts++);
    sensor_stats_now(fx->s);
    /* sensor.tls_facts.refused (after sensor.strings'): the flood filled it. */
    assert_true(nth_value(fx, "refused", 1) > 0);
    assert_int_equal(nth_value(fx, "shed", 0), 0);
    assert_int_equal(nth_value(fx, "openai", 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quic_reasm_within_share, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_quic_failed_hello_frees_slot, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_quic_name_flood, setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
