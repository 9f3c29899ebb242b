/* decode: every link type, IPv4/IPv6 header paths, and every error kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/decode.h"

/* Builds IPv4 + TCP (20-byte header, flags ACK|PSH) carrying `plen` bytes
 * of payload 'x' at buf; returns the IP packet length. */
static size_t build_ipv4_tcp(uint8_t *buf, size_t plen)
{
    size_t total = 20 + 20 + plen;
    memset(buf, 0, total);
    buf[0] = 0x45;
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    buf[8] = 64;
    buf[9] = 6;
    memcpy(buf + 12, (uint8_t[]){ 10, 0, 0, 1 }, 4);
    memcpy(buf + 16, (uint8_t[]){ 192, 0, 2, 7 }, 4);
    uint8_t *t = buf + 20;
    t[0] = 0xc3, t[1] = 0x50;     /* sport 50000 */
    t[2] = 0x01, t[3] = 0xbb;     /* dport 443 */
    t[4] = 0, t[5] = 0, t[6] = 0x10, t[7] = 0x00;  /* seq 4096 */
    t[12] = 0x50;                 /* data offset 5 */
    t[13] = 0x18;                 /* ACK|PSH */
    memset(t + 20, 'x', plen);
    return total;
}

static size_t build_ipv6_udp(uint8_t *buf, uint8_t first_next, const uint8_t *ext, size_t extlen,
                             size_t plen)
{
    size_t total = 40 + extlen + 8 + plen;
    memset(buf, 0, total);
    buf[0] = 0x60;
    size_t pl = total - 40;
    buf[4] = (uint8_t)(pl >> 8);
    buf[5] = (uint8_t)pl;
    buf[6] = first_next;
    buf[7] = 64;
    buf[8] = 0x20, buf[9] = 0x01, buf[10] = 0x0d, buf[11] = 0xb8, buf[23] = 1;  /* 2001:db8::1 */
    buf[24] = 0x20, buf[25] = 0x01, buf[26] = 0x0d, buf[27] = 0xb8, buf[39] = 2; /* 2001:db8::2 */
    if (extlen)
        memcpy(buf + 40, ext, extlen);
    uint8_t *u = buf + 40 + extlen;
    u[0] = 0xd4, u[1] = 0x31;  /* 54321 */
    u[2] = 0x01, u[3] = 0xbb;  /* 443 */
    u[4] = (uint8_t)((8 + plen) >> 8);
    u[5] = (uint8_t)(8 + plen);
    return total;
}

static void test_ethernet_ipv4_tcp(void **state)
{
    (void)state;
    uint8_t f[200] = { 0 };
    f[12] = 0x08, f[13] = 0x00;
    size_t n = 14 + build_ipv4_tcp(f + 14, 10);
    struct decode_stats st = { 0 };
    struct packet p;
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, (uint32_t)n, 7, &p), DECODE_OK);
    assert_int_equal(p.proto, DS_IPPROTO_TCP);
    assert_int_equal(p.ipver, 4);
    assert_int_equal(p.sport, 50000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.seq, 4096);
    assert_int_equal(p.tcp_flags, 0x18);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(p.payload[0], 'x');
    assert_int_equal(p.ts_us, 7);
    assert_true(ds_addr_is_v4(&p.src));
    assert_int_equal(p.src.a[15], 1);
    assert_int_equal(p.l3_len, 50);
    assert_int_equal(st.pkts, 1);
    assert_int_equal(st.tcp, 1);
}

/* A record that claims fewer bytes on the wire than it captured: decoded on
 * the captured bytes, and counted. */
static void test_wirelen_short(void **state)
{
    (void)state;
    uint8_t f[200] = { 0 };
    f[12] = 0x08, f[13] = 0x00;
    size_t n = 14 + build_ipv4_tcp(f + 14, 10);
    struct decode_stats st = { 0 };
    struct packet p;
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, 20, 0, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(p.wirelen, n);
    assert_int_equal(st.err[DECODE_ERR_WIRELEN], 1);
    assert_int_equal(st.err[DECODE_ERR_SNAPLEN], 0);
    assert_string_equal(decode_err_name(DECODE_ERR_WIRELEN), "wirelen_short");
}

static void test_vlan_and_qinq(void **state)
{
    (void)state;
    uint8_t f[220] = { 0 };
    /* 802.1ad outer tag, 802.1Q inner tag, then IPv4. */
    f[12] = 0x88, f[13] = 0xa8;
    f[14] = 0x00, f[15] = 0x64, f[16] = 0x81, f[17] = 0x00;
    f[18] = 0x00, f[19] = 0x0a, f[20] = 0x08, f[21] = 0x00;
    size_t n = 22 + build_ipv4_tcp(f + 22, 0);
    struct decode_stats st = { 0 };
    struct packet p;
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.dport, 443);
    /* Both ids kept, outermost first. */
    assert_int_equal(p.vlan.n, 2);
    assert_int_equal(p.vlan.id[0], 100);
    assert_int_equal(p.vlan.id[1], 10);
    assert_int_equal(p.vlan.id[2], 0);

    /* One 802.1Q tag: TCI 0xe014 is priority 7, DEI set, id 20 (0x014). */
    memset(f, 0, sizeof(f));
    f[12] = 0x81, f[13] = 0x00;
    f[14] = 0xf0, f[15] = 0x14, f[16] = 0x08, f[17] = 0x00;
    n = 18 + build_ipv4_tcp(f + 18, 0);
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.vlan.n, 1);
    assert_int_equal(p.vlan.id[0], 20);

    /* Four tags (0x9100, 0x88a8, 0x8100, 0x8100: ids 1, 2, 3, 4095): all kept. */
    memset(f, 0, sizeof(f));
    const uint8_t four[] = { 0x91, 0x00, 0x00, 0x01, 0x88, 0xa8, 0x00, 0x02, 0x81, 0x00,
                             0x00, 0x03, 0x81, 0x00, 0x0f, 0xff, 0x08, 0x00 };
    memcpy(f + 12, four, sizeof(four));
    n = 12 + sizeof(four) + build_ipv4_tcp(f + 12 + sizeof(four), 0);
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.vlan.n, 4);
    assert_int_equal(p.vlan.id[0], 1);
    assert_int_equal(p.vlan.id[1], 2);
    assert_int_equal(p.vlan.id[2], 3);
    assert_int_equal(p.vlan.id[3], 4095);

    /* Untagged: no ids. */
    memset(f, 0, sizeof(f));
    f[12] = 0x08, f[13] = 0x00;
    n = 14 + build_ipv4_tcp(f + 14, 0);
    assert_int_equal(decode_frame(&st, 1, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.vlan.n, 0);
    assert_int_equal(p.vlan.id[0], 0);

    /* Linux SLL with the tag libpcap puts back: protocol 0x8100 at 14, the
     * TCI (id 30) at 16, the real protocol at 18. */
    memset(f, 0, sizeof(f));
    f[14] = 0x81, f[15] = 0x00, f[16] = 0x00, f[17] = 0x1e, f[18] = 0x08, f[19] = 0x00;
    n = 20 + build_ipv4_tcp(f + 20, 2);
    assert_int_equal(decode_frame(&st, 113, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.vlan.n, 1);
    assert_int_equal(p.vlan.id[0], 30);
    assert_int_equal(p.payload_len, 2);
    /* A tag cut short is a truncated link header. */
    assert_int_equal(decode_frame(&st, 113, f, 19, 19, 0, &p), DECODE_ERR_LINK_TRUNCATED);
    f[12] = 0x81, f[13] = 0x00;
    assert_int_equal(decode_frame(&st, 1, f, 17, 17, 0, &p), DECODE_ERR_LINK_TRUNCATED);

    /* Too many tags: five 0x8100 in a row. */
    uint8_t g[100] = { 0 };
    g[12] = 0x81, g[13] = 0x00;
    for (int i = 0; i < 5; i++)
        g[16 + 4 * i] = 0x81, g[17 + 4 * i] = 0x00;
    assert_int_equal(decode_frame(&st, 1, g, sizeof(g), sizeof(g), 0, &p), DECODE_ERR_NOT_IP);
}

static void test_sll_sll2_raw_null(void **state)
{
    (void)state;
    struct decode_stats st = { 0 };
    struct packet p;
    uint8_t f[200] = { 0 };
    /* Linux SLL: protocol at offset 14. */
    f[14] = 0x08, f[15] = 0x00;
    size_t n = 16 + build_ipv4_tcp(f + 16, 3);
    assert_int_equal(decode_frame(&st, 113, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 3);
    /* SLL2: protocol at offset 0, 20-byte header. */
    memset(f, 0, sizeof(f));
    f[0] = 0x08, f[1] = 0x00;
    n = 20 + build_ipv4_tcp(f + 20, 4);
    assert_int_equal(decode_frame(&st, 276, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 4);
    /* Raw IP, as libpcap reports it on Linux (12) and as LINKTYPE_RAW (101). */
    n = build_ipv4_tcp(f, 5);
    assert_int_equal(decode_frame(&st, 12, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    /* BSD loopback: AF_INET = 2 in host order (little-endian here) and AF_INET6 = 30 (macOS). */
    memset(f, 0, sizeof(f));
    f[0] = 2;
    n = 4 + build_ipv4_tcp(f + 4, 1);
    assert_int_equal(decode_frame(&st, 0, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    memset(f, 0, sizeof(f));
    f[3] = 30; /* big-endian 30 */
    n = 4 + build_ipv6_udp(f + 4, 17, NULL, 0, 2);
    assert_int_equal(decode_frame(&st, 108, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.ipver, 6);
    /* An unknown link type is counted, not fatal. */
    assert_int_equal(decode_frame(&st, 147, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_LINKTYPE);
    assert_int_equal(st.err[DECODE_ERR_LINKTYPE], 1);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    struct decode_stats st = { 0 };
    struct packet p;
    uint8_t f[300];
    /* hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP */
    uint8_t ext[24] = { 0 };
    ext[0] = 60, ext[1] = 0;           /* next: dest opts; length 8 */
    ext[8] = 17, ext[9] = 1;           /* next: UDP; length 16 */
    size_t n = build_ipv6_udp(f, 0, ext, sizeof(ext), 12);
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.proto, DS_IPPROTO_UDP);
    assert_int_equal(p.sport, 54321);
    assert_int_equal(p.payload_len, 12);
    assert_int_equal(p.src.a[0], 0x20);
    /* A real fragment (offset 0, M bit set) is counted and skipped. */
    uint8_t frag[8] = { 17, 0, 0x00, 0x01, 0, 0, 0, 1 };
    n = build_ipv6_udp(f, 44, frag, sizeof(frag), 4);
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_IP_FRAGMENT);
    /* An atomic fragment (offset 0, no M bit) is a whole packet. */
    frag[3] = 0;
    n = build_ipv6_udp(f, 44, frag, sizeof(frag), 4);
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
    /* An extension header running past the packet. */
    uint8_t longext[8] = { 17, 200, 0, 0, 0, 0, 0, 0 };
    n = build_ipv6_udp(f, 0, longext, sizeof(longext), 0);
    assert_int_not_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_OK);
}

static void test_ipv4_errors(void **state)
{
    (void)state;
    struct decode_stats st = { 0 };
    struct packet p;
    uint8_t f[200];
    size_t n = build_ipv4_tcp(f, 10);
    /* header length below 20 */
    f[0] = 0x44;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_IPV4_BAD);
    /* total length larger than the frame */
    n = build_ipv4_tcp(f, 10);
    f[2] = 0x10;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_IPV4_BAD);
    /* fragment: MF set */
    n = build_ipv4_tcp(f, 10);
    f[6] = 0x20;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_IP_FRAGMENT);
    /* fragment: offset set */
    n = build_ipv4_tcp(f, 10);
    f[7] = 0x10;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_IP_FRAGMENT);
    /* truncated IP header */
    assert_int_equal(decode_frame(&st, 101, f, 12, 12, 0, &p), DECODE_ERR_IPV4_TRUNCATED);
    /* TCP data offset below 5 */
    n = build_ipv4_tcp(f, 10);
    f[32] = 0x40;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_TCP_BAD);
    /* TCP header cut by the snap length */
    n = build_ipv4_tcp(f, 10);
    assert_int_equal(decode_frame(&st, 101, f, 30, (uint32_t)n, 0, &p), DECODE_ERR_TCP_TRUNCATED);
    /* payload cut by the snap length: decoded, counted */
    assert_int_equal(decode_frame(&st, 101, f, 44, (uint32_t)n, 0, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(p.payload_wire, 10);
    assert_int_equal(st.err[DECODE_ERR_SNAPLEN], 1);
    /* ICMP */
    n = build_ipv4_tcp(f, 0);
    f[9] = 1;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_OTHER_L4);
    /* not IP at all */
    f[0] = 0x30;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_NOT_IP);
    /* Ethernet frame shorter than its header */
    assert_int_equal(decode_frame(&st, 1, f, 10, 10, 0, &p), DECODE_ERR_LINK_TRUNCATED);
    /* empty frame */
    assert_int_equal(decode_frame(&st, 101, f, 0, 0, 0, &p), DECODE_ERR_LINK_TRUNCATED);
    assert_string_equal(decode_err_name(DECODE_ERR_IP_FRAGMENT), "ip_fragment");
}

static void test_udp_errors(void **state)
{
    (void)state;
    struct decode_stats st = { 0 };
    struct packet p;
    uint8_t f[200];
    size_t n = build_ipv6_udp(f, 17, NULL, 0, 10);
    /* UDP length below 8 */
    f[44] = 0, f[45] = 4;
    assert_int_equal(decode_frame(&st, 101, f, (uint32_t)n, (uint32_t)n, 0, &p), DECODE_ERR_UDP_BAD);
    /* UDP header cut */
    assert_int_equal(decode_frame(&st, 101, f, 44, 44, 0, &p), DECODE_ERR_IPV6_BAD);
    n = build_ipv6_udp(f, 17, NULL, 0, 10);
    assert_int_equal(decode_frame(&st, 101, f, 44, (uint32_t)n, 0, &p), DECODE_ERR_UDP_TRUNCATED);
}

/* Every prefix of a valid frame decodes or fails cleanly (ASan checks reads). */
static void test_every_prefix(void **state)
{
    (void)state;
    uint8_t f[200] = { 0 };
    f[12] = 0x81, f[13] = 0x00, f[16] = 0x08, f[17] = 0x00;
    size_t n = 18 + build_ipv4_tcp(f + 18, 20);
    struct decode_stats st = { 0 };
    struct packet p;
    for (size_t cut = 0; cut <= n; cut++) {
        uint8_t *copy = test_malloc(cut ? cut : 1);
        memcpy(copy, f, cut);
        (void)decode_frame(&st, 1, copy, (uint32_t)cut, (uint32_t)n, 0, &p);
        test_free(copy);
    }
    assert_int_equal(st.pkts, n + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4_tcp),
        cmocka_unit_test(test_wirelen_short),
        cmocka_unit_test(test_vlan_and_qinq),
        cmocka_unit_test(test_sll_sll2_raw_null),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv4_errors),
        cmocka_unit_test(test_udp_errors),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
