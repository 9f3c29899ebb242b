/* classify: nDPI 4.2 driven the way the sensor drives it, on real handshakes.
 *
 * Each case builds IP/TCP/UDP packets around real TLS/QUIC payloads taken
 * from peer captures with tshark, hands them to classify like sensor.c does,
 * and checks what nDPI learnt against the published results: nDPI's own
 * .out files (JA3C, JA3S, SNI, ALPN) and, for the capture nDPI has no result
 * for, tshark 4.0's tls.handshake.ja3/ja3s. Every case also checks that the
 * nDPI state is given back (state_bytes and heap_bytes return to 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/classify.h"
#include "ds/tls-facts.h"
#include "ds/flow.h"
#include "ds/memcap.h"
#include "ds/packet.h"
#include "test_hex.h"

/* ---- vectors ---------------------------------------------------------- */

/* nDPI tests/cfgs/default/pcap/chrome.pcap, flow 192.168.1.178:64394 ->
 * 146.48.58.18:443, frame 24: Chrome's ClientHello, one 635-byte TLS record
 * (SNI www.iit.cnr.it, ALPN h2,http/1.1, GREASE). seq 1617806504,
 * ack 1583736539. result/chrome.pcap.out: JA3C 1b73862eae8f1711440a446b1ef357fd. */
static const char chrome_ch_hex[] =
    "160301027601000272030302aad935c201779a61c55d1788fc836aa2fb425a52d0e942f45e30"
    "e5f538414f2045128499a158206eccf6192c7fdb1aa59ed7af3c698242cc04ff2ed5afca73b3"
    "0020fafa130313011302cca9cca8c02bc02fc02cc030c013c014009c009d002f003501000209"
    "5a5a000000000013001100000e7777772e6969742e636e722e697400170000ff01000100000a"
    "000a00085a5a001d00170018000b00020100002300000010000e000c02683208687474702f31"
    "2e31000500050100000000000d00120010040308040401050308050501080606010012000000"
    "33002b00295a5a000100001d0020131377b7385b2b5ecd06bd3e5c7ae3fda6440783ee0dc476"
    "ad3544d1b979ff2d002d00020101002b000b0a8a8a0304030303020301001b00030200024469"
    "000500030268324a4a0001000029013b01060100332a7372a0335ac04064835c831fb28019e0"
    "065228c866f002680b0d0a65e6d91cc12939086f8f9287d81b7051fbeff4e5444b0a640620dd"
    "08419df062f64320f40c693e57578be037fa74f17ed7c26f1d007b412367e15eddbc147631b1"
    "bf5726afbc84e9b9b174972c63ba1b2971627ca121f87f385d26da92b6d1cd04b6d686f97df1"
    "a29258872b0f2e8bc0c5dab938be46783a96d1f40480a58ddb8daeaa89c505bc673beaaad892"
    "c578632e1bc6afe8304cf90a3f3d34bbad3862e3fc0dfa1830b5d7667074ed07361180c09913"
    "2748ff8f002578fe06fbc1d0fe2a82d34bbf6b6d945fe03bec39bfdaeea762c01be4c912ca06"
    "40ba65534b745015d931829e46690031306de96aa2b4c8214460e1d6f30f861da7e31c2e881d"
    "5441094276181c23b3b05ac98c7566811ce47a0c0948130c7d47ca";

/* Same flow, frame 26, server to client (seq 1583736539, ack 1617807139):
 * ServerHello (TLS 1.3 via supported_versions), ChangeCipherSpec and the
 * first encrypted record, 260 bytes. .out: JA3S 2253c82f03b621c5144709b393fde2c9,
 * TLSv1.3. */
static const char chrome_sh_hex[] =
    "16030300800200007c030344bc63672a516cf2b9a26bff7bdf7c472aaadc038dc775819ef8de"
    "5efa86cc0f2045128499a158206eccf6192c7fdb1aa59ed7af3c698242cc04ff2ed5afca73b3"
    "1302000034002b0002030400330024001d0020ccd4d46d9c2cd4478d742025870fd78255df1d"
    "8ee7ca42e29c7ae5b5835c975f002900020000140303000101170303002a09817bbf1d0fda46"
    "b0c0ee3f49d76db411818ee5a6971da66ea6401b8d9a1056fc1ec93598bd7a52797a17030300"
    "45282a40eca4b400aa1eac25dac1719cc8b5117608b540f569c2afd6cc4b8729a8ac278fc9c7"
    "a846afbebc0119778556ec3e481f9037a6b1b9597632786e95c1235051b48fbd";

/* suricata-verify tests/tls/tls-client-hello-frag-01/dump_mtu300.pcap, flow
 * 10.20.0.14:38576 -> 142.251.111.105:443: a 517-byte ClientHello (one record,
 * TLS 1.2, SNI www.google.com) cut by a 300-byte MTU into segments of 248
 * (frame 4, seq 538451779), 248 (frame 5) and 21 bytes (frame 6, seq
 * 538452275, ack 381496017). tshark: JA3 a64c29923906f2a1be278be1da0714fa. */
static const char mtu300_seg1_hex[] =
    "1603010200010001fc0303dbd972da371bd60ec742cc3b216c62bf9c83df9eecf4e1136b46f6"
    "e7f5beb3d10000a0c030c02cc028c024c014c00a00a500a300a1009f006b006a006900680039"
    "0038003700360088008700860085c032c02ec02ac026c00fc005009d003d00350084c02fc02b"
    "c027c023c013c00900a400a200a0009e00670040003f003e0033003200310030009a00990098"
    "00970045004400430042c031c02dc029c025c00ec004009c003c002f00960041c012c0080016"
    "00130010000dc00dc003000a000700ff0100013300000013001100000e7777772e676f6f676c"
    "652e636f6d000b000403000102000a000a000800";
static const char mtu300_seg2_hex[] =
    "17001900180016000d0020001e06010602060305010502050304010402040303010302030302"
    "0102020203000f000101337400000010000e000c02683208687474702f312e31001500c30000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000";
static const char mtu300_seg3_hex[] =
    "000000000000000000000000000000000000000000";

/* Same flow, frame 10, server to client (seq 381496017, ack 538452296): a
 * TLS 1.2 ServerHello record and the first 395 bytes of the Certificate
 * record (3995 bytes, not complete here). tshark: JA3S
 * a27e76e64afe9199440ad714848966f8. */
static const char mtu300_sh_hex[] =
    "16030300600200005c030362ebcc79f919e9e82a26e6d747e3679a932b5174cafc5b78444f57"
    "4e4752440120571a15d3d931263f0044706d2d86f16fe71dabc512be1f50c2b5197f6fe7f334"
    "c02b000014ff01000100000b000201000010000500030268321603030f9b0b000f97000f9400"
    "048b308204873082036fa003020102021100bb2a80cc14fcddbc1202b2a086bd1d17300d0609"
    "2a864886f70d01010b05003046310b300906035504061302555331223020060355040a131947"
    "6f6f676c65205472757374205365727669636573204c4c43311330110603550403130a475453"
    "20434120314333301e170d3232303731383038323533345a170d323231303130303832353333"
    "5a3019311730150603550403130e7777772e676f6f676c652e636f6d3059301306072a8648ce"
    "3d020106082a8648ce3d03010703420004f3bae6ecb9d1697a9187da6dcf12bc274c84f03fe3"
    "3682d728b8605e6df9081da18f3f1a450581477ba1f0d77a3bcdc7a38cd8af2981d5920d7fad"
    "88e430c5cea382026630820262300e0603551d0f0101ff04040302078030130603551d25040c"
    "300a06082b06010505070301300c0603551d130101ff04023000301d0603551d0e041604141c"
    "e2805aee69e0dfed22ba43e0fd9ee6e2b614df301f0603551d230418301680148a747faf85cd"
    "ee95";

/* nDPI tests/cfgs/default/pcap/quic-29.pcap, frame 1: the client's first
 * Initial, QUIC draft-29 (version 0xff00001d), 10.9.0.1:36588 ->
 * 10.9.0.2:443, 1252-byte UDP payload. result/quic-29.pcap.out:
 * SNI localhost, ALPN h3-29, JA3C b3e43d74f4b790abca2f5fe7dd06e7cf. */
static const char quic29_initial_hex[] =
    "c2ff00001d12f36e07bf0b7088ef28c71d488acaaff39ffc1143944eda18beb7e548b38d375b"
    "f3c2a3bc0044b743b590a797856cfe3b435db160a5ce8ae47c38a73c65dfb3e7fc034e2681da"
    "0ca59a6a5f5e85969d6f66e1c7e8dbdb824eba947a841c0e536314a8ce65386ba7e42b7da0ef"
    "cc5f933f699b755027e43545c9cdd31b0f7273a78d6a0ce2c6201462ba012c562fd43601e787"
    "2d9a4514085dfc0be2eb3f95d23f665cb374043900dd88dbe158a531faf9dec890f60ddbf539"
    "fdf5de821122dc9e5d59f62f129a7364633f83d1021a1d3a9583ae7901ebabbc1ce17152fe10"
    "f4753c6a7965fd96ad711b4dfe4cf3145cdfe58a185f06ed8b29c485fc910d8a7d3486b9694e"
    "678070e8780218f04a808e46730c166ba4910def45ca760c5b674f71db8f2f9228bf0583ec9b"
    "c8308d2f99f8d303529e419dd4aa25a9fa2d876e881292d454361023073e27c801e46415f1ac"
    "6088dc1c42c726f7776e322e4398dc2c3435d46336f40ab0d0231d94267419950524fa0e058b"
    "5b5a407e000af332fee5d5fa5d0bce4b13a91868d4aea72fe4c67e2ad0577d9e53a297873317"
    "b9e9e348665104f9cee50e20c7b9ec6e1a93497b8cb3cf1609e33dcb89e7e6e1647831a84a2e"
    "e983e255e6915287084c45a4138ec555d2785dcb4dec2316adbb6b55347288aa06e632a38a94"
    "43cbe1409d6a5663976c414e152adcb89e17625e973269acc23224c1973019949fbdbd5cf252"
    "8da05594dd4f5026c900898e60b3620fb0ab836ac44e610f1e01565158ed59487d3f8b39765e"
    "33efa7b08389698ec96925b68bed638bb8c6bf0bd9fa5eb10792539e2b2a9d44dd17c1919110"
    "224e0db91c1b291f0b56aeafcfa3896abf30d960cdc989a0a1e42f146ef2bd249c834fcbc41a"
    "ee4b66ee2fc96fb30ac084cba1ed626f9397ecb4c011fd4d8ba1c9b2bd9382ff32479b280910"
    "41e64fbc13701ec0569e618ae381647b8eea966d744c53c926e623bf7b365a4c69a1faad005d"
    "2ab4692fa198c1e8133078330b07396345df8ca5ca602b1e91ecb30f8ece9d7c4a3247ffbee1"
    "f3193e66799ca87d2f636898a9c982723f43b723923f3ee06ec3a53abfe4288f0a7efaf046ec"
    "583af7d5e39f95bb20daae4ad1c02a05bbee496aeb70a116593f696dc85cb21f82178b3cf9e5"
    "20e852689afebd2010590d10074d85a7dd51a571cc67b44a16ec7a7131f21b4a732dd4fe9b7c"
    "d7872bd00302ed4b6936652a48e398afa06e3c9eb3b975086b74498c04e6e0c4d227998ce9fe"
    "353da7f7a4c98e5eb7e37846b19186328b291155f3e83271ebc8ec72c9001912dfb6e9c02b85"
    "9cadb9b4315c9951b7faf075dc92b0074a5e5937f81bc178c7c02ffa916fda88c36141d63c36"
    "16e825070ac1331b380795c0a175286ccb18a348a80f1c448061d53d562c2a9e8b793c81dfc2"
    "edbc4a3605f361e246c3fb1c1802825ab71ed01f0617c5ce460bb5855bfa33077fb2e068fe81"
    "bd83d52ad093fed868f81101e4658cc86de0b4d1191dd152c9cde739a7cb0e97b935a09d89c5"
    "09c3a96aba73c120ad5ad2bfcc74f02e3a84297f8b374e2bb1afc0611069490e3a42f402b884"
    "4441e8782149445b4ff3902ac22749721f2d6cafbbba040f3746d492586228d7e74370a1ef68"
    "ba7f42bc0f1f30dceb9be8a064ed6b2612d1412228d10e0c1be6b563b6222e27217eea17a0cb"
    "6596eb17f789643b34c3235b131edb7d63e58b4c8033c14d56c501168acf1667abf61903";

/* ---- packet building -------------------------------------------------- */

/* A packet and the bytes it points into. */
struct pk {
    uint8_t buf[70000];
    struct packet p;
};

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b + 2, (uint16_t)v);
}

/* Writes an IPv4 or IPv6 header (by the address family of src) for an L4
 * segment of l4_len bytes; fills the address fields of k->p. Returns the
 * header length. */
static size_t mk_ip(struct pk *k, const char *src, const char *dst, uint8_t proto, size_t l4_len)
{
    struct packet *p = &k->p;
    memset(p, 0, sizeof(*p));
    assert_int_equal(ds_addr_parse(src, &p->src), 0);
    assert_int_equal(ds_addr_parse(dst, &p->dst), 0);
    uint8_t *b = k->buf;
    size_t hl;
    if (ds_addr_is_v4(&p->src)) {
        hl = 20;
        memset(b, 0, hl);
        b[0] = 0x45;
        put16(b + 2, (uint16_t)(hl + l4_len));
        b[8] = 64;
        b[9] = proto;
        memcpy(b + 12, p->src.a + 12, 4);
        memcpy(b + 16, p->dst.a + 12, 4);
        p->ipver = 4;
    } else {
        hl = 40;
        memset(b, 0, hl);
        b[0] = 0x60;
        put16(b + 4, (uint16_t)l4_len);
        b[6] = proto;
        b[7] = 64;
        memcpy(b + 8, p->src.a, 16);
        memcpy(b + 24, p->dst.a, 16);
        p->ipver = 6;
    }
    p->ttl = 64;
    p->proto = proto;
    p->l3 = b;
    p->l3_len = (uint32_t)(hl + l4_len);
    p->caplen = p->wirelen = p->l3_len;
    return hl;
}

static void mk_tcp(struct pk *k, uint64_t ts_us, const char *src, uint16_t sport, const char *dst,
                   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl,
                   size_t len)
{
    size_t hl = mk_ip(k, src, dst, DS_IPPROTO_TCP, 20 + len);
    uint8_t *t = k->buf + hl;
    memset(t, 0, 20);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 502);
    if (len)
        memcpy(t + 20, pl, len);
    struct packet *p = &k->p;
    p->ts_us = ts_us;
    p->sport = sport;
    p->dport = dport;
    p->seq = seq;
    p->ack = ack;
    p->tcp_flags = flags;
    p->win = 502;
    p->payload = t + 20;
    p->payload_len = p->payload_wire = (uint32_t)len;
}

static void mk_udp(struct pk *k, uint64_t ts_us, const char *src, uint16_t sport, const char *dst,
                   uint16_t dport, const uint8_t *pl, size_t len)
{
    size_t hl = mk_ip(k, src, dst, DS_IPPROTO_UDP, 8 + len);
    uint8_t *u = k->buf + hl;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(8 + len));
    put16(u + 6, 0);
    memcpy(u + 8, pl, len);
    struct packet *p = &k->p;
    p->ts_us = ts_us;
    p->sport = sport;
    p->dport = dport;
    p->payload = u + 8;
    p->payload_len = p->payload_wire = (uint32_t)len;
}

/* A followed flow as the sensor hands it over: no nDPI state, and where
 * what nDPI learns goes (the sensor passes its app state's). */
struct tflow {
    struct flow f;
    uint32_t tls;      /* its fact set */
};

/* The string table and the fact sets over it the TLS facts go to (the
 * sensor's, in a run). */
static struct intern *strs;
static struct tls_facts *facts;

static int strs_setup(void **state)
{
    (void)state;
    strs = intern_new(1024, 1 << 20, 0);
    facts = tls_facts_new(1024, 1 << 20, strs, 0);
    return strs && facts ? 0 : -1;
}

static int strs_teardown(void **state)
{
    (void)state;
    tls_facts_free(facts);
    intern_free(strs);
    return 0;
}

static struct classify *new_classify(size_t max_states)
{
    struct classify *c = classify_new(max_states, NULL);
    classify_set_facts(c, facts);
    return c;
}

static const struct flow_tls *view(uint32_t id)
{
    return tls_facts_get(facts, id);
}

static const char *tls_s(uint32_t id, enum flow_tls_str k)
{
    return tls_facts_str(facts, view(id), k, NULL);
}

static size_t tls_len(uint32_t id, enum flow_tls_str k)
{
    size_t n;
    tls_facts_str(facts, view(id), k, &n);
    return n;
}

static void tflow_init(struct tflow *t, uint8_t proto)
{
    memset(t, 0, sizeof(*t));
    t->f.proto = proto;
    t->f.flags = FLOW_F_FOLLOW;
}

static void assert_state_returned(const struct classify *c)
{
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->state_bytes, 0);
    assert_int_equal(st->heap_bytes, 0);
}

static uint8_t raw[70000];
static uint8_t srv[4096];
static struct pk pk;

/* ---- TLS over TCP ----------------------------------------------------- */

/* Chrome's TLS 1.3 handshake: JA3 from the synthesized hello, then JA3S and
 * the version from the ServerHello, after which nDPI is done and its state
 * is back in the pool. */
static void run_chrome(const char *cli, const char *srvaddr)
{
    struct classify *c = new_classify(16);
    assert_non_null(c);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    assert_int_equal(n, 635);
    /* The packet that completed the hello carried all of it. */
    mk_tcp(&pk, 1000000, cli, 64394, srvaddr, 443, 1617806504u, 1583736539u,
           DS_TCP_ACK | DS_TCP_PSH, raw, n);
    assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 1617806504u, &t.tls), 0);
    assert_non_null(t.f.cls);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3S), "");
    assert_int_equal(view(t.tls)->version, 0); /* not negotiated yet */
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->flows, 1);
    assert_int_equal(st->pkts, 1);
    assert_true(st->state_size >= 688);
    assert_true(st->heap_bytes > 0); /* nDPI's TLS reassembly buffer, at least */
    assert_int_equal(st->state_bytes, st->state_size + st->heap_bytes);
    size_t held = st->state_bytes;

    /* A pure ACK from the server is not nDPI's business. */
    mk_tcp(&pk, 1010000, srvaddr, 443, cli, 64394, 1583736539u, 1617807139u, DS_TCP_ACK, NULL, 0);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 0);
    assert_int_equal(t.f.ndpi_pkts, 1);

    n = unhex(chrome_sh_hex, srv, sizeof(srv));
    assert_int_equal(n, 260);
    mk_tcp(&pk, 1020000, srvaddr, 443, cli, 64394, 1583736539u, 1617807139u,
           DS_TCP_ACK | DS_TCP_PSH, srv, n);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3S), "2253c82f03b621c5144709b393fde2c9");
    assert_int_equal(view(t.tls)->version, 0x0304);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
    assert_string_equal(tls_s(t.tls, FLOW_TLS_NDPI), "TLS");
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);
    assert_null(t.f.cls);
    assert_int_equal(t.f.ndpi_pkts, 2);
    assert_int_equal(st->done, 1);
    assert_state_returned(c);
    print_message("    nDPI state of a classified TLS flow: %zu bytes while nDPI ran "
                  "(%zu pooled struct + %zu nDPI heap), 0 after\n",
                  held, st->state_size, held - st->state_size);

    /* Later packets go nowhere. */
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_int_equal(st->pkts, 2);
    classify_free(c);
}

static void test_tls13_chrome(void **state)
{
    (void)state;
    run_chrome("192.168.1.178", "146.48.58.18");
}

/* The synthesized packet is IPv6 when the flow is; JA3 does not depend on it. */
static void test_tls13_chrome_ipv6(void **state)
{
    (void)state;
    run_chrome("2001:db8::178", "2001:db8:1::18");
}

/* A full string table refuses the flow's JA3 and JA3S: each is counted as
 * refused once, not again at every later packet nDPI sees (the flow keeps
 * no JA3 either way). */
static void test_refused_once(void **state)
{
    (void)state;
    struct intern *full = intern_new(1, 1 << 16, 0), *saved = strs;
    struct tls_facts *saved_facts = facts;
    assert_non_null(full);
    assert_int_not_equal(intern_take(full, "held", 4), 0); /* its one entry */
    strs = full;
    facts = tls_facts_new(16, 1 << 16, full, 0);
    assert_non_null(facts);
    struct classify *c = new_classify(16);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    mk_tcp(&pk, 1000000, "192.168.1.178", 64394, "146.48.58.18", 443, 1617806504u,
           1583736539u, DS_TCP_ACK | DS_TCP_PSH, raw, n);
    assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 1617806504u, &t.tls), 0);
    n = unhex(chrome_sh_hex, srv, sizeof(srv));
    mk_tcp(&pk, 1020000, "146.48.58.18", 443, "192.168.1.178", 64394, 1583736539u,
           1617807139u, DS_TCP_ACK | DS_TCP_PSH, srv, n);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_false(flow_tls_has(view(t.tls), FLOW_TLS_JA3));
    assert_false(flow_tls_has(view(t.tls), FLOW_TLS_JA3S));
    assert_int_equal(view(t.tls)->version, 0x0304);
    struct intern_stats st;
    intern_stats_get(full, &st);
    /* JA3 and JA3S once each; nDPI's protocol name ("TLS") once */
    assert_int_equal(st.refused, 3);
    classify_free(c);
    tls_facts_drop(facts, t.tls);
    tls_facts_free(facts);
    facts = saved_facts;
    strs = saved;
    intern_free(full);
}

/* A ClientHello cut into three segments by a 300-byte MTU reaches nDPI as one
 * synthesized segment; the TLS 1.2 ServerHello gives JA3S and the version,
 * and nDPI then waits for the certificate, so the flow ends first. */
static void test_split_hello_tls12(void **state)
{
    (void)state;
    struct classify *c = new_classify(16);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    size_t n1 = unhex(mtu300_seg1_hex, raw, sizeof(raw));
    size_t n2 = unhex(mtu300_seg2_hex, raw + n1, sizeof(raw) - n1);
    size_t n3 = unhex(mtu300_seg3_hex, raw + n1 + n2, sizeof(raw) - n1 - n2);
    assert_int_equal(n1, 248);
    assert_int_equal(n2, 248);
    assert_int_equal(n3, 21);
    size_t n = n1 + n2 + n3;
    /* The completing packet is the third segment: its own seq is not the
     * hello's first byte. */
    mk_tcp(&pk, 2000000, "10.20.0.14", 38576, "142.251.111.105", 443, 538452275u, 381496017u,
           DS_TCP_ACK | DS_TCP_PSH, raw + n1 + n2, n3);
    assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 538451779u, &t.tls), 0);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "a64c29923906f2a1be278be1da0714fa");

    size_t m = unhex(mtu300_sh_hex, srv, sizeof(srv));
    assert_int_equal(m, 496);
    mk_tcp(&pk, 2010000, "142.251.111.105", 443, "10.20.0.14", 38576, 381496017u, 538452296u,
           DS_TCP_ACK, srv, m);
    /* The ServerHello gives JA3S and the version; the certificate that
     * follows would teach us nothing, so nDPI is done and freed here. */
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3S), "a27e76e64afe9199440ad714848966f8");
    assert_int_equal(view(t.tls)->version, 0x0303);
    assert_null(t.f.cls);
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);

    classify_end(c, &t.f, &t.tls);   /* a no-op once done */
    assert_null(t.f.cls);
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3S), "a27e76e64afe9199440ad714848966f8");
    /* nDPI's sub-protocol from the SNI www.google.com. */
    assert_string_equal(tls_s(t.tls, FLOW_TLS_NDPI), "TLS.Google");
    assert_int_equal(classify_stats(c)->ended, 0); /* done by nDPI itself, not ended early */
    assert_state_returned(c);
    classify_end(c, &t.f, &t.tls); /* no state: nothing happens */
    classify_free(c);
}

/* Application data that never ends the handshake: nDPI is stopped within
 * CLASSIFY_MAX_PKTS packets whatever happens. */
static void test_packet_cap(void **state)
{
    (void)state;
    struct classify *c = new_classify(4);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    mk_tcp(&pk, 3000000, "10.0.0.1", 50000, "10.0.0.2", 443, 1000u, 5000u,
           DS_TCP_ACK | DS_TCP_PSH, raw, n);
    assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 1000u, &t.tls), 0);
    uint8_t rec[105] = { 0x17, 0x03, 0x03, 0x00, 100 };
    uint32_t seq = 1000u + (uint32_t)n;
    int done = 0;
    for (int i = 0; i < 100 && !done; i++) {
        mk_tcp(&pk, 3000000 + (uint64_t)i * 1000, "10.0.0.1", 50000, "10.0.0.2", 443, seq, 5000u,
               DS_TCP_ACK | DS_TCP_PSH, rec, sizeof(rec));
        seq += sizeof(rec);
        done = classify_packet(c, &t.f, &pk.p, &t.tls);
    }
    assert_int_equal(done, 1);
    assert_true(t.f.ndpi_pkts <= CLASSIFY_MAX_PKTS);
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->done + st->capped, 1);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
    assert_state_returned(c);
    classify_free(c);
}

/* What nDPI learns goes where each call says: nowhere for NULL (the flow
 * holds none of it), and what nDPI still knows at the end to classify_end's. */
static void test_out_is_the_callers(void **state)
{
    (void)state;
    struct classify *c = new_classify(4);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    mk_tcp(&pk, 3000000, "10.0.0.1", 50000, "10.0.0.2", 443, 1000u, 5000u,
           DS_TCP_ACK | DS_TCP_PSH, raw, n);
    assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 1000u, NULL), 0);
    assert_int_equal(classify_stats(c)->pkts, 1);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "");
    classify_end(c, &t.f, &t.tls);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);
    assert_state_returned(c);
    classify_free(c);
}

/* nDPI takes 16-bit packet lengths: a hello over CLASSIFY_HELLO_MAX is
 * refused and counted; one of exactly that size makes a 65535-byte IPv6
 * packet and is accepted. */
static void test_hello_size_limit(void **state)
{
    (void)state;
    struct classify *c = new_classify(4);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_TCP);
    memset(raw, 0, sizeof(raw));
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    mk_tcp(&pk, 4000000, "2001:db8::1", 50001, "2001:db8::2", 443, 7u, 9u, DS_TCP_ACK, raw, n);
    assert_int_equal(
        classify_begin_tcp_hello(c, &t.f, &pk.p, raw, CLASSIFY_HELLO_MAX + 1, 7u, &t.tls), -1);
    assert_null(t.f.cls);
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->too_big, 1);
    assert_int_equal(st->flows, 0);
    assert_int_equal(st->pkts, 0);

    assert_int_equal(
        classify_begin_tcp_hello(c, &t.f, &pk.p, raw, CLASSIFY_HELLO_MAX, 7u, &t.tls), 0);
    assert_int_equal(st->pkts, 1);
    /* The first record is the real hello; nDPI reads it from the big packet. */
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
    classify_end(c, &t.f, &t.tls);
    assert_state_returned(c);
    classify_free(c);
}

/* max_states bounds the flows nDPI works on at once; a state given back is
 * reused. */
static void test_no_state(void **state)
{
    (void)state;
    struct classify *c = new_classify(1);
    struct tflow a, b;
    tflow_init(&a, DS_IPPROTO_UDP);
    tflow_init(&b, DS_IPPROTO_UDP);
    assert_int_equal(classify_begin(c, &a.f), 0);
    assert_int_equal(classify_begin(c, &a.f), 0); /* already has state */
    assert_int_equal(classify_begin(c, &b.f), -1);
    assert_null(b.f.cls);
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->no_state, 1);
    assert_int_equal(st->flows, 1);
    assert_int_equal(st->state_bytes, st->state_size);
    classify_end(c, &a.f, &a.tls);
    assert_state_returned(c);
    assert_int_equal(classify_begin(c, &b.f), 0);
    assert_non_null(b.f.cls);
    classify_end(c, &b.f, &b.tls);
    assert_state_returned(c);
    /* A classified flow is not started again. */
    assert_int_equal(classify_begin(c, &b.f), 0);
    assert_null(b.f.cls);
    classify_free(c);
    classify_free(NULL);

    /* Without a classifier (nDPI failed to start) flows go on without it. */
    struct tflow d;
    tflow_init(&d, DS_IPPROTO_TCP);
    assert_int_equal(classify_begin(NULL, &d.f), -1);
    size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
    mk_tcp(&pk, 1, "10.0.0.1", 1, "10.0.0.2", 443, 1u, 1u, DS_TCP_ACK, raw, n);
    assert_int_equal(classify_begin_tcp_hello(NULL, &d.f, &pk.p, raw, n, 1u, &d.tls), -1);
    assert_int_equal(classify_packet(NULL, &d.f, &pk.p, &d.tls), 0);
    classify_end(NULL, &d.f, &d.tls);
    assert_null(d.f.cls);
    assert_int_equal(classify_stats(NULL)->flows, 0);
}

/* ---- QUIC ------------------------------------------------------------- */

/* nDPI decrypts the draft-29 Initial: SNI, ALPN (converted to the wire
 * form), JA3; the version comes from the long header. */
static void test_quic_draft29(void **state)
{
    (void)state;
    struct classify *c = new_classify(16);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_UDP);
    assert_int_equal(classify_begin(c, &t.f), 0);
    assert_int_equal(classify_stats(c)->state_bytes, classify_stats(c)->state_size);
    size_t n = unhex(quic29_initial_hex, raw, sizeof(raw));
    assert_int_equal(n, 1252);
    mk_udp(&pk, 5000000, "10.9.0.1", 36588, "10.9.0.2", 443, raw, n);
    int r = classify_packet(c, &t.f, &pk.p, &t.tls);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_SNI), "localhost");
    static const uint8_t alpn[] = { 5, 'h', '3', '-', '2', '9' };
    assert_int_equal(tls_len(t.tls, FLOW_TLS_ALPN), sizeof(alpn));
    assert_memory_equal(tls_s(t.tls, FLOW_TLS_ALPN), alpn, sizeof(alpn));
    assert_int_equal(view(t.tls)->quic_version, 0xff00001du);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "b3e43d74f4b790abca2f5fe7dd06e7cf");
    /* The whole ClientHello was in this Initial: nothing left for nDPI. */
    assert_int_equal(r, 1);
    assert_true(t.f.flags & FLOW_F_CLASSIFIED);
    assert_int_equal(strncmp(tls_s(t.tls, FLOW_TLS_NDPI), "QUIC", 4), 0);
    assert_state_returned(c);
    classify_free(c);
}

/* Our parser's SNI and ALPN are kept when nDPI has its own. */
static void test_quic_keeps_ours(void **state)
{
    (void)state;
    struct classify *c = new_classify(16);
    struct tflow t;
    tflow_init(&t, DS_IPPROTO_UDP);
    tls_facts_set_str(facts, &t.tls, FLOW_TLS_SNI, "ours.example", 255);
    tls_facts_set(facts, &t.tls, FLOW_TLS_ALPN, "\x02h3", 3);
    assert_int_equal(classify_begin(c, &t.f), 0);
    size_t n = unhex(quic29_initial_hex, raw, sizeof(raw));
    mk_udp(&pk, 5000000, "10.9.0.1", 36588, "10.9.0.2", 443, raw, n);
    classify_packet(c, &t.f, &pk.p, &t.tls);
    classify_end(c, &t.f, &t.tls);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_SNI), "ours.example");
    assert_int_equal(tls_len(t.tls, FLOW_TLS_ALPN), 3);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "b3e43d74f4b790abca2f5fe7dd06e7cf");
    assert_state_returned(c);
    classify_free(c);
}

/* A QUIC flow as the sensor sees it: the client is 10.9.0.1:36588. */
static void quic_flow(struct tflow *t)
{
    tflow_init(t, DS_IPPROTO_UDP);
    assert_int_equal(ds_addr_parse("10.9.0.1", &t->f.cli), 0);
    assert_int_equal(ds_addr_parse("10.9.0.2", &t->f.srv), 0);
    t->f.cport = 36588;
    t->f.sport = 443;
}

/* nDPI 4.2 gives up on a QUIC flow whose first packet it cannot read; when
 * that packet was not an Initial it could ever read (here a 0-RTT packet, or
 * an Initial with a version-negotiation probe version, both captured before
 * the real Initial), classify starts nDPI again on the client's next Initial.
 * Packets in between are not handed over. */
static void run_quic_retry(uint8_t first_byte, uint32_t version)
{
    struct classify *c = new_classify(16);
    struct tflow t;
    quic_flow(&t);
    assert_int_equal(classify_begin(c, &t.f), 0);
    size_t n = unhex(quic29_initial_hex, raw, sizeof(raw));
    static uint8_t odd[2048];
    memcpy(odd, raw, n);
    odd[0] = first_byte;
    odd[1] = (uint8_t)(version >> 24);
    odd[2] = (uint8_t)(version >> 16);
    odd[3] = (uint8_t)(version >> 8);
    odd[4] = (uint8_t)version;
    mk_udp(&pk, 6000000, "10.9.0.1", 36588, "10.9.0.2", 443, odd, n);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 0);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "");
    assert_non_null(t.f.cls);
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(st->quic_retries, 1);
    /* The server's answer is not a new start. */
    static const uint8_t vn[] = { 0x80, 0, 0, 0, 0, 0, 0 };
    mk_udp(&pk, 6001000, "10.9.0.2", 443, "10.9.0.1", 36588, vn, sizeof(vn));
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 0);
    assert_int_equal(t.f.ndpi_pkts, 1);
    mk_udp(&pk, 6002000, "10.9.0.1", 36588, "10.9.0.2", 443, raw, n);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_int_equal(t.f.ndpi_pkts, 2);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_SNI), "localhost");
    assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "b3e43d74f4b790abca2f5fe7dd06e7cf");
    assert_int_equal(view(t.tls)->quic_version, 0xff00001du);
    assert_state_returned(c);
    classify_free(c);
}

static void test_quic_retry_after_0rtt(void **state)
{
    (void)state;
    /* Long header, packet type 1 (0-RTT) instead of 0 (Initial). */
    run_quic_retry(0xd2, 0xff00001du);
}

static void test_quic_retry_after_probe(void **state)
{
    (void)state;
    /* The same Initial under a reserved version: the version is
     * authenticated with the packet, so nDPI cannot open it. */
    run_quic_retry(0xc2, 0x1a2a3a4au);
}

/* An Initial nDPI cannot read for good (a version 4.2 does not know) ends
 * nDPI's work at once: the next Initial would fail the same way. */
static void test_quic_unknown_version_no_retry(void **state)
{
    (void)state;
    struct classify *c = new_classify(16);
    struct tflow t;
    quic_flow(&t);
    assert_int_equal(classify_begin(c, &t.f), 0);
    size_t n = unhex(quic29_initial_hex, raw, sizeof(raw));
    raw[1] = 0x6b; /* QUIC v2 final, 0x6b3343cf: newer than nDPI 4.2 */
    raw[2] = 0x33;
    raw[3] = 0x43;
    raw[4] = 0xcf;
    raw[0] = 0xd2; /* v2's Initial type is 1 */
    mk_udp(&pk, 7000000, "10.9.0.1", 36588, "10.9.0.2", 443, raw, n);
    assert_int_equal(classify_packet(c, &t.f, &pk.p, &t.tls), 1);
    assert_int_equal(classify_stats(c)->quic_retries, 0);
    assert_string_equal(tls_s(t.tls, FLOW_TLS_SNI), "");
    assert_int_equal(view(t.tls)->quic_version, 0x6b3343cfu);
    assert_state_returned(c);
    classify_free(c);
}

/* classify_reset makes nDPI's module afresh only when a flow since may have
 * filled its caches: a TLS 1.3 hello to an unknown server (its certificate
 * encrypted) did not, so nothing is made again, and the module classifies
 * as before. */
static void test_reset_empties_caches(void **state)
{
    (void)state;
    struct classify *c = new_classify(16);
    assert_non_null(c);
    const struct classify_stats *st = classify_stats(c);
    assert_int_equal(classify_reset(c), 0);
    assert_int_equal(st->module_resets, 0); /* nothing handed over: nothing cached */
    for (int round = 0; round < 2; round++) {
        struct tflow t;
        tflow_init(&t, DS_IPPROTO_TCP);
        size_t n = unhex(chrome_ch_hex, raw, sizeof(raw));
        mk_tcp(&pk, 1000000, "192.168.1.178", 64394, "146.48.58.18", 443, 1617806504u,
               1583736539u, DS_TCP_ACK | DS_TCP_PSH, raw, n);
        assert_int_equal(classify_begin_tcp_hello(c, &t.f, &pk.p, raw, n, 1617806504u, &t.tls),
                         0);
        assert_string_equal(tls_s(t.tls, FLOW_TLS_JA3), "1b73862eae8f1711440a446b1ef357fd");
        classify_end(c, &t.f, &t.tls);
        assert_state_returned(c);
        assert_int_equal(classify_reset(c), 0);
        assert_int_equal(st->module_resets, 0); /* no certificate read: caches untouched */
    }
    assert_true(st->module_bytes > 0);
    classify_free(c);
    assert_int_equal(classify_reset(NULL), 0);
}

/* nDPI state is held to the memcap's ndpi share: past it a new flow gets
 * none, counted in the classifier and in the memcap. */
static void test_ndpi_share(void **state)
{
    (void)state;
    static struct flow flows[4096];
    struct memcap *mc = memcap_new(MEMCAP_MIN);
    struct classify *c = classify_new(4096, mc);
    assert_non_null(c);
    const struct classify_stats *st = classify_stats(c);
    size_t fit = memcap_share(mc, MEMCAP_NDPI) / st->state_size;
    assert_true(fit > 100 && fit < 4096);
    size_t taken = 0;
    for (size_t i = 0; i < 4096; i++) {
        memset(&flows[i], 0, sizeof(flows[i]));
        flows[i].proto = DS_IPPROTO_UDP;
        if (classify_begin(c, &flows[i]) == 0)
            taken++;
    }
    assert_int_equal(taken, fit);
    assert_true(st->state_bytes <= memcap_share(mc, MEMCAP_NDPI));
    assert_int_equal(st->no_state, 4096 - fit);
    for (size_t i = 0; i < 4096; i++)
        classify_end(c, &flows[i], NULL);
    assert_state_returned(c);
    classify_free(c);
    memcap_free(mc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_chrome),
        cmocka_unit_test(test_tls13_chrome_ipv6),
        cmocka_unit_test(test_refused_once),
        cmocka_unit_test(test_split_hello_tls12),
        cmocka_unit_test(test_packet_cap),
        cmocka_unit_test(test_out_is_the_callers),
        cmocka_unit_test(test_hello_size_limit),
        cmocka_unit_test(test_no_state),
        cmocka_unit_test(test_quic_draft29),
        cmocka_unit_test(test_quic_keeps_ours),
        cmocka_unit_test(test_quic_retry_after_0rtt),
        cmocka_unit_test(test_quic_retry_after_probe),
        cmocka_unit_test(test_quic_unknown_version_no_retry),
        cmocka_unit_test(test_reset_empties_caches),
        cmocka_unit_test(test_ndpi_share),
    };
    return cmocka_run_group_tests(tests, strs_setup, strs_teardown);
}
