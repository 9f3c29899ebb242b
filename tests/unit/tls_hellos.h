/* Test data shared by the TLS unit tests (test_tls_hello.c, test_tls_ja4.c,
 * test_tls_asm.c, test_proxy_preamble.c): real ClientHellos and a builder of
 * synthetic ones. Include after cmocka.h; the helpers are static inline so a
 * test that does not use one is not warned about it.
 *
 * Real vectors are the client's first TLS records (record headers included)
 * taken with tshark from the peer captures in ../shared/peer; their expected
 * JA4 is FoxIO's (ja4/rust snapshots) unless the comment says otherwise.
 * Synthetic hellos come from a small builder below, so that each length
 * field can be made to lie on purpose; their expected hashes were computed
 * with Python's hashlib from the raw strings the tests also check. */
#ifndef DS_TEST_TLS_HELLOS_H
#define DS_TEST_TLS_HELLOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ds/tls.h"

/* A string literal and its length without the NUL. */
#define LIT(s) s, sizeof(s) - 1

/* ---- Real ClientHellos ---------------------------------------------------- */

/* Chrome 120-era ClientHello, TLS 1.3, GREASE in ciphers, extensions,
 * supported_versions and groups; SNI clientservices.googleapis.com, ALPN
 * h2,http/1.1; 517 bytes in one record and one segment.
 * ja4/pcap/tls-sni.pcapng stream 0 (192.168.1.168:50112 -> 142.251.16.94:443).
 * FoxIO: t13d1516h2_8daaf6152771_e5627efa2ab1 */
static const char chrome_sni[] =
    "1603010200010001fc03030f9e38acb9a54a7c6e00e29a70ac2feee180ff76d7f25dca84"
    "932a66a42d1e5a20bc58b92f865e6b9aa4a6371cadcb0afe1da1c0f705209a11d52357f5"
    "6d5dd9620020aaaa130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f"
    "0035010001939a9a0000ff010001000033002b00290a0a000100001d0020cf55af2603e9"
    "2f59eb321779706a18fa6b96b16c16404c2264ed687a59401878002d0002010100050005"
    "0100000000446900050003026832000d0012001004030804040105030805050108060601"
    "0010000e000c02683208687474702f312e3100230000001b0003020002002b0007060a0a"
    "0304030300000022002000001d636c69656e7473657276696365732e676f6f676c656170"
    "69732e636f6d00120000000a000a00080a0a001d0017001800170000000b000201006a6a"
    "000100001500ba0000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000";

/* The same Chrome hello with its first ALPN value replaced by two bytes
 * >= 0x80 (0xba 0xad, then http/1.1). FoxIO prints "99".
 * ja4/pcap/tls-non-ascii-alpn.pcapng stream 0.
 * FoxIO: t13d151699_8daaf6152771_e5627efa2ab1 */
static const char chrome_non_ascii_alpn[] =
    "1603010200010001fc03030f9e38acb9a54a7c6e00e29a70ac2feee180ff76d7f25dca84"
    "932a66a42d1e5a20bc58b92f865e6b9aa4a6371cadcb0afe1da1c0f705209a11d52357f5"
    "6d5dd9620020aaaa130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f"
    "0035010001939a9a0000ff010001000033002b00290a0a000100001d0020cf55af2603e9"
    "2f59eb321779706a18fa6b96b16c16404c2264ed687a59401878002d0002010100050005"
    "0100000000446900050003026832000d0012001004030804040105030805050108060601"
    "0010000e000c02baad08687474702f312e3100230000001b0003020002002b0007060a0a"
    "0304030300000022002000001d636c69656e7473657276696365732e676f6f676c656170"
    "69732e636f6d00120000000a000a00080a0a001d0017001800170000000b000201006a6a"
    "000100001500ba0000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000";

/* TLS 1.2 hello without SNI, ALPN spdy/3.1,http/1.1 (so "s1"), no
 * supported_versions. suricata-verify/tests/ja4-tls/input.pcap.
 * Suricata (agrees with the FoxIO rules): t12i1810s1_27d4652c4487_06a4338d0495 */
static const char tls12_no_sni_spdy[] =
    "16030100af010000ab0303942d1fef575d770207c29dbe2401ccf05dcde1d2a5869c4a3e"
    "ee38db551ad9bc000024c02bc02f009ec00ac009c013c014c007c011003300320039009c"
    "002f0035000a000500040100005eff01000100000a00080006001700180019000b000201"
    "00002300003374000000100014001208737064792f332e3108687474702f312e31755000"
    "0000050005010000000000120000000d0012001004010501020104030503020304020202";

/* TLS 1.0 hello from malware C2 traffic: no SNI, no ALPN, no
 * signature_algorithms, 7 ciphers, 6 extensions.
 * suricata-verify/tests/bug-5713-01/TLSv1-Extracted-MaliciousC2.pcap.
 * FoxIO rules: t10i070600_c50f5591e341_c39ab67fec8e (Suricata hashes a
 * trailing '_' and gets ..._ce66f3b797c1; see peer/README.md). */
static const char tls10_c2[] =
    "16030100630100005f0301637f446dcd85125fd92500d38403dd1ea1215aae7ecc05fd6e"
    "749fe7bb73104300000ec00ac009c014c0130035002f000a010000280005000501000000"
    "00000a00080006001d00170018000b000201000023000000170000ff01000100";

/* TLS 1.0 hello (old curl/OpenSSL) with 23 ciphers and the SNI extension
 * only: part c is twelve zeros. SNI www.github.com.
 * ja4/pcap/https3-301-get.pcap stream 0.
 * FoxIO: t10d230100_6a57a6f57151_000000000000 */
static const char tls10_sni_only[] =
    "16030100720100006e030152937a55b696cc98ae7b08ec10e765c98aefa82db3081771f8"
    "627617b967980800002e00390038003500160013000a00330032002f009a009900960005"
    "00040015001200090014001100080006000300ff0100001700000013001100000e777777"
    "2e6769746875622e636f6d";

/* TLS 1.2 hello over IPv6 with 46 ciphers (several non-standard values
 * such as ff85) and 5 extensions; SNI www.cloudflare.com, ALPN h2,http/1.1.
 * ja4/pcap/tls-alpn-h2.pcap stream 0.
 * FoxIO: t12d4605h2_85626a9a5f7f_aaf95bb78ec9 */
static const char tls12_cloudflare[] =
    "16030100e8010000e40303858226c04fbaeddef4246093b4cfdab38f9dcfef145360e417"
    "686575cac49c7000005cc030c02cc028c024c014c00a009f006b0039cca9cca8ccaaff85"
    "00c400880081009d003d003500c00084c02fc02bc027c023c013c009009e0067003300be"
    "0045009c003c002f00ba0041c011c00700050004c012c0080016000a00ff0100005f0000"
    "001700150000127777772e636c6f7564666c6172652e636f6d000b00020100000a000800"
    "06001d00170018000d001c001a06010603efef0501050304010403eeeeeded0301030302"
    "0102030010000e000c02683208687474702f312e31";

/* Firefox hello, TLS 1.3 through supported_versions, record version
 * 0x0301, 17 ciphers, 15 extensions (delegated_credentials 0x0022 holds
 * signature algorithms too: JA4 must take them from 0x000d only).
 * SNI contile.services.mozilla.com. ja4/pcap/tls12.pcap stream 0.
 * FoxIO: t13d1715h2_5b57614c22b0_3d5424432f57 */
static const char firefox[] =
    "1603010200010001fc0303ecb2691addb2bf6c599c7aaae23de5f42561cc04eb41029acc"
    "6fc050a16ac1d22046f8617b580ac9358e2aa44e306d52466bcc989c87c8ca64309f5faf"
    "50ba7b4d0022130113031302c02bc02fcca9cca8c02cc030c00ac009c013c014009c009d"
    "002f00350100019100000021001f00001c636f6e74696c652e73657276696365732e6d6f"
    "7a696c6c612e636f6d00170000ff01000100000a000e000c001d00170018001901000101"
    "000b00020100002300000010000e000c02683208687474702f312e310005000501000000"
    "000022000a000804030503060302030033006b0069001d00208909858fbeb6ed2f1248ba"
    "5b9e2978bead0e840110192c61daed0096798b184400170041044d183d91f5eed35791fa"
    "982464e3b0214aaa5f5d1b78616d9b9fbebc22d11f535b2f94c686143136aa795e6e5a87"
    "5d6c08064ad5b76d44caad766e2483012748002b00050403040303000d00180016040305"
    "03060308040805080604010501060102030201002d00020101001c000240010015007a00"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000";

/* TLS 1.2 hello (80 ciphers, SNI www.google.com, ALPN h2,http/1.1) that
 * the capture carries in three TCP segments of 248, 248 and 21 bytes (a
 * 300-byte MTU). suricata-verify/tests/tls/tls-client-hello-frag-01/
 * dump_mtu300.pcap. No FoxIO output for it: the JA4 was checked against
 * an independent Python computation from tshark's fields.
 * t12d8008h2_9cedc1f1428b_046e095b7c4a */
static const char curl_mtu300[] =
    "1603010200010001fc0303dbd972da371bd60ec742cc3b216c62bf9c83df9eecf4e1136b"
    "46f6e7f5beb3d10000a0c030c02cc028c024c014c00a00a500a300a1009f006b006a0069"
    "006800390038003700360088008700860085c032c02ec02ac026c00fc005009d003d0035"
    "0084c02fc02bc027c023c013c00900a400a200a0009e00670040003f003e003300320031"
    "0030009a0099009800970045004400430042c031c02dc029c025c00ec004009c003c002f"
    "00960041c012c008001600130010000dc00dc003000a000700ff01000133000000130011"
    "00000e7777772e676f6f676c652e636f6d000b000403000102000a000a00080017001900"
    "180016000d0020001e060106020603050105020503040104020403030103020303020102"
    "020203000f000101337400000010000e000c02683208687474702f312e31001500c30000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000";

struct vector {
    const char *name;
    const char *hex;
    const char *ja4;
    const char *sni;  /* "" when there is none */
    bool has_sni;
    uint16_t version; /* what JA4 reports */
};

static const struct vector vectors[] = {
    { "chrome_sni", chrome_sni, "t13d1516h2_8daaf6152771_e5627efa2ab1",
      "clientservices.googleapis.com", true, 0x0304 },
    { "chrome_non_ascii_alpn", chrome_non_ascii_alpn, "t13d151699_8daaf6152771_e5627efa2ab1",
      "clientservices.googleapis.com", true, 0x0304 },
    { "tls12_no_sni_spdy", tls12_no_sni_spdy, "t12i1810s1_27d4652c4487_06a4338d0495", "", false,
      0x0303 },
    { "tls10_c2", tls10_c2, "t10i070600_c50f5591e341_c39ab67fec8e", "", false, 0x0301 },
    { "tls10_sni_only", tls10_sni_only, "t10d230100_6a57a6f57151_000000000000", "www.github.com",
      true, 0x0301 },
    { "tls12_cloudflare", tls12_cloudflare, "t12d4605h2_85626a9a5f7f_aaf95bb78ec9",
      "www.cloudflare.com", true, 0x0303 },
    { "firefox", firefox, "t13d1715h2_5b57614c22b0_3d5424432f57", "contile.services.mozilla.com",
      true, 0x0304 },
    { "curl_mtu300", curl_mtu300, "t12d8008h2_9cedc1f1428b_046e095b7c4a", "www.google.com", true,
      0x0303 },
};

static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; p[0] != '\0'; p += 2) {
        assert_true(p[1] != '\0');
        assert_true(n < cap);
        unsigned v = 0;
        for (int i = 0; i < 2; i++) {
            char c = p[i];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else
                fail_msg("bad hex digit %c", c);
        }
        out[n++] = (uint8_t)v;
    }
    return n;
}

static inline const struct vector *vec(const char *name)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        if (strcmp(vectors[i].name, name) == 0)
            return &vectors[i];
    fail_msg("no vector %s", name);
    return NULL;
}

/* ---- A ClientHello builder -------------------------------------------- */

struct spec {
    uint16_t legacy;
    const uint16_t *ciphers;
    size_t n_ciphers;
    bool no_ext_block;        /* end the hello after the compression methods */
    const char *sni;          /* NULL: no server_name extension */
    size_t sni_len;           /* 0: strlen(sni) */
    const uint8_t *alpn;      /* protocol_name_list; NULL: no ALPN extension */
    size_t alpn_len;
    const uint16_t *versions; /* NULL: no supported_versions */
    size_t n_versions;
    const uint16_t *sigs;     /* NULL: no signature_algorithms */
    size_t n_sigs;
    const uint16_t *others;   /* further extensions, empty bodies */
    size_t n_others;
    bool grease_ext;          /* a GREASE extension first */
    size_t pad;               /* a padding extension (0x0015) of this many bytes */
    const uint8_t *extra;     /* whole extensions appended as they are */
    size_t extra_len;
};

/* Where each length field of a built hello sits, to make it lie. */
struct offs {
    size_t hs_len, sid_len, cs_len, comp_len, exts_len;
    size_t sni_ext, sni_list, sni_name, alpn_ext, alpn_list, alpn_entry, sv_ext, sv_len, sig_ext,
        sig_len;
};

struct hb {
    uint8_t b[TLS_HELLO_MAX + 1024];
    size_t n;
};

static inline void put8(struct hb *h, unsigned v)
{
    assert_true(h->n < sizeof(h->b));
    h->b[h->n++] = (uint8_t)v;
}

static inline void put16(struct hb *h, unsigned v)
{
    put8(h, v >> 8);
    put8(h, v & 0xff);
}

static inline void putn(struct hb *h, const void *p, size_t n)
{
    assert_true(n <= sizeof(h->b) - h->n);
    memcpy(h->b + h->n, p, n);
    h->n += n;
}

/* Reserves a 2-byte length; set_len16 fills it once the body is written. */
static inline size_t mark16(struct hb *h)
{
    put16(h, 0);
    return h->n - 2;
}

static inline void set_len16(struct hb *h, size_t at)
{
    size_t n = h->n - at - 2;
    h->b[at] = (uint8_t)(n >> 8);
    h->b[at + 1] = (uint8_t)n;
}

/* Writes the handshake message (type 1, 24-bit length, body) into h. */
static inline void build(const struct spec *s, struct hb *h, struct offs *o)
{
    struct offs dummy;
    if (o == NULL)
        o = &dummy;
    memset(o, 0, sizeof(*o));
    h->n = 0;
    put8(h, 1);
    o->hs_len = h->n;
    put8(h, 0);
    put16(h, 0);
    put16(h, s->legacy);
    for (unsigned i = 0; i < 32; i++)
        put8(h, 0x40 + i); /* random */
    o->sid_len = h->n;
    put8(h, 32);
    for (int i = 0; i < 32; i++)
        put8(h, 0x5a);
    o->cs_len = mark16(h);
    for (size_t i = 0; i < s->n_ciphers; i++)
        put16(h, s->ciphers[i]);
    set_len16(h, o->cs_len);
    o->comp_len = h->n;
    put8(h, 1);
    put8(h, 0);
    if (!s->no_ext_block) {
        o->exts_len = mark16(h);
        if (s->grease_ext) {
            put16(h, 0x3a3a);
            put16(h, 1);
            put8(h, 0);
        }
        if (s->sni != NULL) {
            size_t n = s->sni_len ? s->sni_len : strlen(s->sni);
            put16(h, 0x0000);
            o->sni_ext = mark16(h);
            o->sni_list = mark16(h);
            put8(h, 0);
            o->sni_name = h->n;
            put16(h, (unsigned)n);
            putn(h, s->sni, n);
            set_len16(h, o->sni_list);
            set_len16(h, o->sni_ext);
        }
        for (size_t i = 0; i < s->n_others; i++) {
            put16(h, s->others[i]);
            put16(h, 0);
        }
        if (s->alpn != NULL) {
            put16(h, 0x0010);
            o->alpn_ext = mark16(h);
            o->alpn_list = mark16(h);
            o->alpn_entry = h->n;
            putn(h, s->alpn, s->alpn_len);
            set_len16(h, o->alpn_list);
            set_len16(h, o->alpn_ext);
        }
        if (s->versions != NULL) {
            put16(h, 0x002b);
            o->sv_ext = mark16(h);
            o->sv_len = h->n;
            put8(h, (unsigned)(2 * s->n_versions));
            for (size_t i = 0; i < s->n_versions; i++)
                put16(h, s->versions[i]);
            set_len16(h, o->sv_ext);
        }
        if (s->sigs != NULL) {
            put16(h, 0x000d);
            o->sig_ext = mark16(h);
            o->sig_len = mark16(h);
            for (size_t i = 0; i < s->n_sigs; i++)
                put16(h, s->sigs[i]);
            set_len16(h, o->sig_len);
            set_len16(h, o->sig_ext);
        }
        if (s->pad > 0) {
            put16(h, 0x0015);
            put16(h, (unsigned)s->pad);
            for (size_t i = 0; i < s->pad; i++)
                put8(h, 0);
        }
        if (s->extra != NULL)
            putn(h, s->extra, s->extra_len);
        set_len16(h, o->exts_len);
    }
    size_t body = h->n - 4;
    h->b[1] = (uint8_t)(body >> 16);
    h->b[2] = (uint8_t)(body >> 8);
    h->b[3] = (uint8_t)body;
}

/* Wraps a handshake message in TLS records of at most `per` bytes each. */
static inline size_t to_records(const uint8_t *msg, size_t len, size_t per, uint8_t *out,
                                size_t cap)
{
    size_t n = 0;
    for (size_t off = 0; off < len; off += per) {
        size_t k = len - off < per ? len - off : per;
        assert_true(n + 5 + k <= cap);
        out[n++] = 0x16;
        out[n++] = 0x03;
        out[n++] = 0x01;
        out[n++] = (uint8_t)(k >> 8);
        out[n++] = (uint8_t)k;
        memcpy(out + n, msg + off, k);
        n += k;
    }
    return n;
}

static const uint16_t base_ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f };
static const uint16_t base_versions[] = { 0x0304, 0x0303 };
static const uint16_t base_sigs[] = { 0x0403, 0x0804, 0x0401 };
static const uint16_t base_others[] = { 0x000a, 0x000b, 0x0017, 0xff01, 0x0033 };
static const uint8_t alpn_h2_http11[] = "\x02h2\x08http/1.1";

/* TLS 1.3, SNI api.openai.com, ALPN h2,http/1.1, 5 ciphers, 9 extensions. */
static inline struct spec base_spec(void)
{
    struct spec s = {
        .legacy = 0x0303,
        .ciphers = base_ciphers,
        .n_ciphers = 5,
        .sni = "api.openai.com",
        .alpn = alpn_h2_http11,
        .alpn_len = sizeof(alpn_h2_http11) - 1,
        .versions = base_versions,
        .n_versions = 2,
        .sigs = base_sigs,
        .n_sigs = 3,
        .others = base_others,
        .n_others = 5,
    };
    return s;
}

#define BASE_RAW                                                                                   \
    "t13d0509h2_1301,1302,1303,c02b,c02f_000a,000b,000d,0017,002b,0033,ff01_0403,0804,0401"
/* sha256("1301,1302,1303,c02b,c02f") and
 * sha256("000a,000b,000d,0017,002b,0033,ff01_0403,0804,0401"), from hashlib. */
#define BASE_JA4 "t13d0509h2_e133e205ac38_f5e0aee4b195"

static inline void parse_spec(const struct spec *s, struct tls_hello *h, char *raw,
                              size_t rawlen)
{
    static struct hb b;
    build(s, &b, NULL);
    assert_int_equal(tls_parse_client_hello(b.b, b.n, false, h), 0);
    if (raw != NULL)
        assert_int_equal(tls_ja4_raw(b.b, b.n, false, raw, rawlen), 0);
}

static inline void set16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

#endif
