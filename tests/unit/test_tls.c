/* ClientHello parsing, JA4 and TCP reassembly of the ClientHello.
 *
 * Real vectors are the client's first TLS records (record headers included)
 * taken with tshark from the peer captures in ../shared/peer; their expected
 * JA4 is FoxIO's (ja4/rust snapshots) unless the comment says otherwise.
 * Synthetic hellos come from a small builder below, so that each length
 * field can be made to lie on purpose; their expected hashes were computed
 * with Python's hashlib from the raw strings the tests also check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/tls-asm.h"
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

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
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

static const struct vector *vec(const char *name)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        if (strcmp(vectors[i].name, name) == 0)
            return &vectors[i];
    fail_msg("no vector %s", name);
    return NULL;
}

/* Every real hello, parsed from its message and through the fast path. */
static void test_real_hellos(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    struct tls_asm_pool *pool = tls_asm_pool_new(4);
    size_t empty = tls_asm_pool_bytes(pool);
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        size_t n = unhex(v->hex, rec, sizeof(rec));
        struct tls_hello h;
        assert_int_equal(tls_parse_client_hello(rec + 5, n - 5, false, &h), 0);
        assert_string_equal(h.ja4, v->ja4);
        assert_string_equal(h.sni, v->sni);
        assert_int_equal(h.has_sni, v->has_sni);
        assert_int_equal(h.version, v->version);

        struct tls_asm *a = NULL;
        const uint8_t *raw = NULL;
        size_t raw_len = 0;
        memset(&h, 0, sizeof(h));
        assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 1000, rec, n, &h, &raw, &raw_len),
                         TLS_FEED_DONE);
        assert_null(a); /* the whole hello in one segment: no buffer */
        assert_ptr_equal(raw, rec);
        assert_int_equal(tls_asm_raw_seq(a, 1000, rec, raw), 1000);
        assert_int_equal(raw_len, n);
        assert_string_equal(h.ja4, v->ja4);

        /* Lazy: no JA4 from the feed, the same one on request. */
        tls_asm_pool_lazy_ja4(pool, true);
        memset(&h, 0, sizeof(h));
        assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 1000, rec, n, &h, &raw, &raw_len),
                         TLS_FEED_DONE);
        assert_string_equal(h.ja4, "");
        assert_string_equal(h.sni, v->sni);
        assert_int_equal(tls_asm_ja4(pool, &h), 0);
        assert_string_equal(h.ja4, v->ja4);
        tls_asm_pool_lazy_ja4(pool, false);
    }
    assert_int_equal(tls_asm_pool_bytes(pool), empty); /* no buffer was ever taken */
    tls_asm_pool_free(pool);
}

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

static void put8(struct hb *h, unsigned v)
{
    assert_true(h->n < sizeof(h->b));
    h->b[h->n++] = (uint8_t)v;
}

static void put16(struct hb *h, unsigned v)
{
    put8(h, v >> 8);
    put8(h, v & 0xff);
}

static void putn(struct hb *h, const void *p, size_t n)
{
    assert_true(n <= sizeof(h->b) - h->n);
    memcpy(h->b + h->n, p, n);
    h->n += n;
}

/* Reserves a 2-byte length; set_len16 fills it once the body is written. */
static size_t mark16(struct hb *h)
{
    put16(h, 0);
    return h->n - 2;
}

static void set_len16(struct hb *h, size_t at)
{
    size_t n = h->n - at - 2;
    h->b[at] = (uint8_t)(n >> 8);
    h->b[at + 1] = (uint8_t)n;
}

/* Writes the handshake message (type 1, 24-bit length, body) into h. */
static void build(const struct spec *s, struct hb *h, struct offs *o)
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
    for (int i = 0; i < 32; i++)
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
static size_t to_records(const uint8_t *msg, size_t len, size_t per, uint8_t *out, size_t cap)
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
static struct spec base_spec(void)
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

static void parse_spec(const struct spec *s, struct tls_hello *h, char *raw, size_t rawlen)
{
    static struct hb b;
    build(s, &b, NULL);
    assert_int_equal(tls_parse_client_hello(b.b, b.n, false, h), 0);
    if (raw != NULL)
        assert_int_equal(tls_ja4_raw(b.b, b.n, false, raw, rawlen), 0);
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
    /* Fed as a stream that stops early, it only ever asks for more. */
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n - 1, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_non_null(a);
    tls_asm_release(pool, &a);
    assert_null(a);
    tls_asm_release(pool, &a); /* NULL-safe */
    tls_asm_pool_free(pool);
    tls_asm_pool_free(NULL);
}

static void set16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
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
        int width; /* bytes */
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
        for (int k = 0; k < f[i].width; k++)
            v = (v << 8) | b.b[f[i].at + k];
        uint32_t max = f[i].width == 1 ? 0xff : f[i].width == 2 ? 0xffff : 0xffffff;
        uint32_t lies[] = { v + 1, v - 1, max, 0 };
        for (size_t j = 0; j < sizeof(lies) / sizeof(lies[0]); j++) {
            if (lies[j] == v || lies[j] > max)
                continue;
            memcpy(m, b.b, b.n);
            for (int k = 0; k < f[i].width; k++)
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

/* Record and handshake lengths that lie, seen by the reassembler. */
static void test_lying_record_lengths(void **state)
{
    (void)state;
    static struct hb b;
    static uint8_t rec[TLS_HELLO_MAX + 64];
    struct spec s = base_spec();
    build(&s, &b, NULL);
    size_t n = to_records(b.b, b.n, TLS_HELLO_MAX, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(2);
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    static uint8_t m[sizeof(rec)];
    struct {
        const char *what;
        size_t at;
        unsigned val;
        int width;
        enum tls_feed want;
    } t[] = {
        /* Record claims more than was sent: wait for it. */
        { "record length + 1", 3, (unsigned)(n - 5 + 1), 2, TLS_FEED_MORE },
        /* Record shorter than the message: the next "record" is the hello's tail. */
        { "record length - 1", 3, (unsigned)(n - 5 - 1), 2, TLS_FEED_BAD },
        { "record length 0", 3, 0, 2, TLS_FEED_BAD },
        { "record length > 2^14", 3, 16385, 2, TLS_FEED_BAD },
        { "record length 0xffff", 3, 0xffff, 2, TLS_FEED_BAD },
        /* The 24-bit handshake length is at 6..8; these set its low 16 bits.
         * Longer than its records: wait for another record. */
        { "handshake length + 1", 7, (unsigned)(b.n - 4 + 1), 2, TLS_FEED_MORE },
        /* Shorter: complete, but then the extensions do not fit. */
        { "handshake length - 1", 7, (unsigned)(b.n - 4 - 1), 2, TLS_FEED_BAD },
        { "handshake length 0", 7, 0, 2, TLS_FEED_BAD },
        /* Its high byte: 0x01xxxx is over TLS_HELLO_MAX, refused at once. */
        { "handshake length too big", 6, 0x01, 1, TLS_FEED_BAD },
        { "handshake type 2", 5, 0x02, 1, TLS_FEED_BAD },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        memcpy(m, rec, n);
        if (t[i].width == 2)
            set16(m + t[i].at, t[i].val);
        else
            m[t[i].at] = (uint8_t)t[i].val;
        struct tls_asm *a = NULL;
        enum tls_feed r = tls_asm_feed(pool, &a, true, 7, 7, m, n, &h, &raw, &raw_len);
        if (r != t[i].want)
            fail_msg("%s: got %d, want %d", t[i].what, r, t[i].want);
        tls_asm_release(pool, &a);
    }
    tls_asm_pool_free(pool);
}

/* Streams that are not TLS, and TLS that is not a client's first flight. */
static void test_not_tls(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *data;
        size_t len;
        enum tls_feed want;
    } t[] = {
        { "HTTP", LIT("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), TLS_FEED_NOT_TLS },
        { "SSH", LIT("SSH-2.0-OpenSSH_9.2\r\n"), TLS_FEED_NOT_TLS },
        { "application data first", LIT("\x17\x03\x03\x00\x10"), TLS_FEED_NOT_TLS },
        { "record version 2.0", LIT("\x16\x02\x00\x00\x10"), TLS_FEED_NOT_TLS },
        { "record version 3.9", LIT("\x16\x03\x09\x00\x10"), TLS_FEED_NOT_TLS },
        { "SSLv2 hello", LIT("\x80\x2e\x01\x03\x01\x00\x15"), TLS_FEED_NOT_TLS },
        { "one byte 0x16", LIT("\x16"), TLS_FEED_MORE },
        { "ServerHello", LIT("\x16\x03\x03\x00\x04\x02\x00\x00\x00"), TLS_FEED_BAD },
        { "CONNECT without TLS after", LIT("CONNECT a:443 HTTP/1.1\r\n\r\nGET /"),
          TLS_FEED_NOT_TLS },
        { "C but not CONNECT", LIT("CONNEXION"), TLS_FEED_NOT_TLS },
        { "SOCKS4 BIND", LIT("\x04\x02\x01\xbb\x01\x02\x03\x04\x00"), TLS_FEED_NOT_TLS },
        { "SOCKS5 no methods", LIT("\x05\x00\x05\x01\x00\x01"), TLS_FEED_NOT_TLS },
    };
    struct tls_asm_pool *pool = tls_asm_pool_new(2);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct tls_asm *a = NULL;
        struct tls_hello h;
        const uint8_t *raw;
        size_t raw_len;
        enum tls_feed r = tls_asm_feed(pool, &a, false, 0, 12345, (const uint8_t *)t[i].data,
                                       t[i].len, &h, &raw, &raw_len);
        if (r != t[i].want)
            fail_msg("%s: got %d, want %d", t[i].what, r, t[i].want);
        if (r != TLS_FEED_MORE)
            assert_null(a); /* decided from the first segment: no buffer taken */
        tls_asm_release(pool, &a);
    }
    tls_asm_pool_free(pool);
}

/* ---- Reassembly ----------------------------------------------------------- */

struct seg {
    size_t from, to; /* stream offsets */
};

/* Feeds `rec` cut into the given segments, in the order given, at stream
 * offsets from isn. Returns the result of the last feed; every earlier one
 * must be MORE. */
static enum tls_feed feed_segs(struct tls_asm_pool *pool, const uint8_t *rec,
                               const struct seg *segs, size_t n, bool known, uint32_t isn,
                               struct tls_hello *h, const uint8_t **raw, size_t *raw_len,
                               struct tls_asm **a)
{
    enum tls_feed r = TLS_FEED_MORE;
    for (size_t i = 0; i < n; i++) {
        r = tls_asm_feed(pool, a, known, isn, isn + (uint32_t)segs[i].from, rec + segs[i].from,
                         segs[i].to - segs[i].from, h, raw, raw_len);
        if (i + 1 < n && r != TLS_FEED_MORE)
            fail_msg("segment %zu [%zu, %zu): got %d before the end", i, segs[i].from, segs[i].to,
                     r);
    }
    return r;
}

static void check_split(const char *vname, const struct seg *segs, size_t n, bool known,
                        uint32_t isn)
{
    static uint8_t rec[TLS_HELLO_MAX];
    const struct vector *v = vec(vname);
    size_t len = unhex(v->hex, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    assert_int_equal(feed_segs(pool, rec, segs, n, known, isn, &h, &raw, &raw_len, &a),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, v->ja4);
    assert_string_equal(h.sni, v->sni);
    assert_int_equal(raw_len, len);
    assert_memory_equal(raw, rec, len);
    assert_true(tls_asm_pool_bytes(pool) > TLS_HELLO_MAX); /* a buffer was taken */
    /* The records start at the stream's first byte, whichever segment came last. */
    const struct seg *last = &segs[n - 1];
    assert_int_equal(tls_asm_raw_seq(a, isn + (uint32_t)last->from, rec + last->from, raw), isn);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

static void test_two_segments(void **state)
{
    (void)state;
    const struct seg s[] = { { 0, 300 }, { 300, 517 } };
    check_split("chrome_sni", s, 2, true, 1000);
    check_split("chrome_sni", s, 2, false, 1000); /* no SYN seen: the first segment starts it */
    const struct seg rev[] = { { 300, 517 }, { 0, 300 } };
    check_split("chrome_sni", rev, 2, true, 1000);
    /* Cut inside the record header and inside the handshake header. */
    const struct seg h1[] = { { 0, 3 }, { 3, 517 } };
    check_split("chrome_sni", h1, 2, true, 1000);
    const struct seg h2[] = { { 0, 7 }, { 7, 517 } };
    check_split("chrome_sni", h2, 2, true, 1000);
}

static void test_three_segments_out_of_order(void **state)
{
    (void)state;
    const struct seg a[] = { { 400, 517 }, { 0, 200 }, { 200, 400 } };
    check_split("firefox", a, 3, true, 5);
    const struct seg b[] = { { 200, 400 }, { 400, 517 }, { 0, 200 } };
    check_split("firefox", b, 3, true, 5);
    /* Sequence numbers that wrap past 2^32 inside the hello. */
    check_split("firefox", b, 3, true, 0xffffff00u);
}

static void test_overlap_retransmission(void **state)
{
    (void)state;
    /* Repeats, overlaps, a segment inside another, a late first segment. */
    const struct seg s[] = { { 100, 300 }, { 100, 300 }, { 250, 450 }, { 120, 130 },
                             { 400, 517 }, { 0, 150 } };
    check_split("tls12_cloudflare", (const struct seg[]){ { 0, 100 }, { 50, 237 } }, 2, true, 9);
    check_split("chrome_sni", s, 6, true, 77);

    /* A retransmission that says something else does not change bytes
     * already received: the first copy wins. */
    static uint8_t rec[TLS_HELLO_MAX], evil[TLS_HELLO_MAX];
    size_t len = unhex(chrome_sni, rec, sizeof(rec));
    memcpy(evil, rec, len);
    memset(evil + 1, 0xee, 300); /* record header, hello header, random... */
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, 310, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, evil, 400, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 400, rec + 400, len - 400, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_memory_equal(raw, rec, len);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

/* The capture's own cut: 248 + 248 + 21 bytes (suricata-verify dump_mtu300). */
static void test_mtu300(void **state)
{
    (void)state;
    const struct seg s[] = { { 0, 248 }, { 248, 496 }, { 496, 517 } };
    check_split("curl_mtu300", s, 3, true, 3412);
    const struct seg r[] = { { 496, 517 }, { 248, 496 }, { 0, 248 } };
    check_split("curl_mtu300", r, 3, true, 3412);
}

/* A ClientHello larger than one record (as post-quantum key shares make
 * them), fed whole, at a 1448-byte MSS, and backwards at a 300-byte MTU. */
static void test_multi_record(void **state)
{
    (void)state;
    static struct hb b;
    static uint8_t rec[TLS_HELLO_MAX + 64];
    struct spec s = base_spec();
    s.pad = 9000;
    build(&s, &b, NULL);
    size_t n = to_records(b.b, b.n, 4000, rec, sizeof(rec)); /* three records */
    struct tls_hello want;
    assert_int_equal(tls_parse_client_hello(b.b, b.n, false, &want), 0);
    assert_memory_equal(want.ja4, "t13d0510h2_e133e205ac38_", 24);

    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    /* Whole, in one (large offload) segment: still no buffer. */
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_DONE);
    assert_null(a);
    assert_string_equal(h.ja4, want.ja4);
    assert_ptr_equal(raw, rec);
    assert_int_equal(raw_len, n);

    /* 1448-byte segments in order. */
    enum tls_feed r = TLS_FEED_MORE;
    for (size_t off = 0; off < n; off += 1448) {
        size_t k = n - off < 1448 ? n - off : 1448;
        r = tls_asm_feed(pool, &a, true, 0, (uint32_t)off, rec + off, k, &h, &raw, &raw_len);
        if (off + k < n)
            assert_int_equal(r, TLS_FEED_MORE);
    }
    assert_int_equal(r, TLS_FEED_DONE);
    assert_string_equal(h.ja4, want.ja4);
    assert_int_equal(raw_len, n);
    tls_asm_release(pool, &a);

    /* 248-byte segments, last first. */
    size_t nseg = (n + 247) / 248;
    for (size_t i = nseg; i-- > 0;) {
        size_t off = i * 248;
        size_t k = n - off < 248 ? n - off : 248;
        r = tls_asm_feed(pool, &a, true, 0, (uint32_t)off, rec + off, k, &h, &raw, &raw_len);
        if (i > 0)
            assert_int_equal(r, TLS_FEED_MORE);
    }
    assert_int_equal(r, TLS_FEED_DONE);
    assert_string_equal(h.ja4, want.ja4);
    tls_asm_release(pool, &a);

    /* Records of one byte: the handshake header itself spans four records. */
    struct spec small = base_spec();
    build(&small, &b, NULL);
    n = to_records(b.b, b.n, 1, rec, sizeof(rec));
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_DONE);
    assert_string_equal(h.ja4, BASE_JA4);
    assert_int_equal(raw_len, 6 * b.n);
    tls_asm_pool_free(pool);
}

/* The largest hello taken, and one byte more. */
static void test_size_limit(void **state)
{
    (void)state;
    static struct hb b;
    static uint8_t rec[TLS_HELLO_MAX + 64];
    struct spec s = base_spec();
    build(&s, &b, NULL);
    size_t base = b.n;
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;

    /* One record: 5 + message = TLS_HELLO_MAX. The padding extension adds 4 + pad. */
    s.pad = TLS_HELLO_MAX - 5 - base - 4;
    build(&s, &b, NULL);
    size_t n = to_records(b.b, b.n, TLS_HELLO_MAX, rec, sizeof(rec));
    assert_int_equal(n, TLS_HELLO_MAX);
    struct tls_asm *a = NULL;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_DONE);
    assert_int_equal(raw_len, TLS_HELLO_MAX);
    /* Over 2^14 bytes in one record is not allowed; two records then. */
    n = to_records(b.b, b.n, 8192, rec, sizeof(rec));
    assert_int_equal(n, TLS_HELLO_MAX + 5);
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_BAD);
    s.pad -= 5;
    build(&s, &b, NULL);
    n = to_records(b.b, b.n, 8192, rec, sizeof(rec));
    assert_int_equal(n, TLS_HELLO_MAX);
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_DONE);
    /* The same through the buffer, in two halves. */
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n / 2, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, (uint32_t)(n / 2), rec + n / 2, n - n / 2, &h,
                                  &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_int_equal(raw_len, TLS_HELLO_MAX);
    tls_asm_release(pool, &a);
    /* Bytes far beyond the limit are ignored rather than taken for the start. */
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 100000, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_null(a);
    tls_asm_pool_free(pool);
}

/* A segment that starts before the stream (data on a retransmitted SYN,
 * say) is trimmed to the part after the start. */
static void test_before_start(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX + 10];
    memset(rec, 0xaa, 10);
    size_t len = unhex(chrome_sni, rec + 10, sizeof(rec) - 10);
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 990, rec, 10, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_null(a);
    assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 990, rec, 10 + len, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(tls_asm_raw_seq(a, 990, rec, raw), 1000);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

/* At most max_buffers flows reassemble at once; the next one is BAD, and a
 * released buffer serves again. A whole hello needs no buffer at all. */
static void test_pool_exhaustion(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    size_t len = unhex(chrome_sni, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(2);
    size_t empty = tls_asm_pool_bytes(pool);
    struct tls_asm *a[3] = { NULL, NULL, NULL };
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[1], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_true(tls_asm_pool_bytes(pool) >= empty + 2 * TLS_HELLO_MAX);
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_BAD);
    assert_null(a[2]);
    /* Out of order first segment: needs a buffer too. */
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 100, rec + 100, 100, &h, &raw, &raw_len),
                     TLS_FEED_BAD);
    /* The whole hello at once still works. */
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, len, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_null(a[2]);
    tls_asm_release(pool, &a[0]);
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 100, rec + 100, len - 100, &h, &raw,
                                  &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    tls_asm_release(pool, &a[1]);
    tls_asm_release(pool, &a[2]);
    tls_asm_pool_free(pool);

    /* A pool of none: only whole hellos. */
    pool = tls_asm_pool_new(0);
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, len, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_BAD);
    tls_asm_pool_free(pool);
}

/* After a HelloRetryRequest the client sends a second ClientHello; the first
 * is the one fingerprinted, even when both arrive in one segment. */
static void test_hello_retry(void **state)
{
    (void)state;
    static uint8_t rec[2 * TLS_HELLO_MAX];
    size_t n1 = unhex(chrome_sni, rec, sizeof(rec));
    static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
    memcpy(rec + n1, ccs, sizeof(ccs));
    size_t n2 = unhex(tls12_no_sni_spdy, rec + n1 + sizeof(ccs), sizeof(rec) - n1 - sizeof(ccs));
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n1 + sizeof(ccs) + n2, &h, &raw,
                                  &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(raw_len, n1);
    /* The records end before the segment does: more follow in it. */
    assert_int_equal(tls_asm_raw_seq(a, 0, rec, raw), 0);
    tls_asm_pool_free(pool);
}

/* TLS through a forward proxy: the client's stream opens with the proxy
 * request (HTTP CONNECT, SOCKS 4, 4a, 5), then the hello once the proxy has
 * answered. raw gives the records only. */
static void test_proxies(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *pre;
        size_t len;
    } t[] = {
        { "HTTP CONNECT", LIT("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n"
                              "Proxy-Authorization: Basic dTpw\r\n\r\n") },
        { "SOCKS4", LIT("\x04\x01\x01\xbb\x5d\xb8\xd8\x77\x00") },
        { "SOCKS4 with user", LIT("\x04\x01\x01\xbb\x5d\xb8\xd8\x77" "bob\x00") },
        { "SOCKS4a", LIT("\x04\x01\x01\xbb\x00\x00\x00\x01\x00" "api.openai.com\x00") },
        { "SOCKS5 no auth, name",
          LIT("\x05\x01\x00" "\x05\x01\x00\x03\x0e" "api.openai.com" "\x01\xbb") },
        { "SOCKS5 user/pass, IPv4",
          LIT("\x05\x02\x00\x02" "\x01\x03" "bob" "\x03" "pwd"
              "\x05\x01\x00\x01\x5d\xb8\xd8\x77\x01\xbb") },
        { "SOCKS5 user/pass offered, none chosen, IPv6",
          LIT("\x05\x02\x00\x02" "\x05\x01\x00\x04" "0123456789abcdef" "\x01\xbb") },
    };
    static uint8_t rec[TLS_HELLO_MAX], s[TLS_HELLO_MAX + 256];
    size_t len = unhex(tls10_sni_only, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(1);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        memcpy(s, t[i].pre, t[i].len);
        memcpy(s + t[i].len, rec, len);
        struct tls_asm *a = NULL;
        struct tls_hello h;
        const uint8_t *raw = NULL;
        size_t raw_len = 0;
        /* The request, then the hello in its own segment (after the proxy's reply). */
        enum tls_feed r = tls_asm_feed(pool, &a, true, 50, 50, s, t[i].len, &h, &raw, &raw_len);
        if (r != TLS_FEED_MORE)
            fail_msg("%s: request alone gave %d", t[i].what, r);
        r = tls_asm_feed(pool, &a, true, 50, 50 + (uint32_t)t[i].len, s + t[i].len, len, &h, &raw,
                         &raw_len);
        if (r != TLS_FEED_DONE)
            fail_msg("%s: gave %d", t[i].what, r);
        assert_string_equal(h.ja4, "t10d230100_6a57a6f57151_000000000000");
        assert_string_equal(h.sni, "www.github.com");
        assert_int_equal(raw_len, len);
        assert_memory_equal(raw, rec, len);
        assert_int_equal(tls_asm_raw_seq(a, 50 + (uint32_t)t[i].len, s + t[i].len, raw),
                         50 + t[i].len);
        tls_asm_release(pool, &a);
        /* All in one segment: the fast path. */
        r = tls_asm_feed(pool, &a, true, 50, 50, s, t[i].len + len, &h, &raw, &raw_len);
        assert_int_equal(r, TLS_FEED_DONE);
        assert_null(a);
        assert_ptr_equal(raw, s + t[i].len);
        assert_int_equal(tls_asm_raw_seq(a, 50, s, raw), 50 + t[i].len);
        /* Cut one byte into the request. */
        r = tls_asm_feed(pool, &a, true, 50, 50, s, 1, &h, &raw, &raw_len);
        assert_int_equal(r, TLS_FEED_MORE);
        r = tls_asm_feed(pool, &a, true, 50, 51, s + 1, t[i].len + len - 1, &h, &raw, &raw_len);
        assert_int_equal(r, TLS_FEED_DONE);
        tls_asm_release(pool, &a);
    }
    /* An HTTP request head that never ends is not taken for a proxy request. */
    static uint8_t big[5000];
    memset(big, 'x', sizeof(big));
    memcpy(big, "CONNECT ", 8);
    struct tls_asm *a = NULL;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, big, sizeof(big), &h, &raw, &raw_len),
                     TLS_FEED_NOT_TLS);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hellos),
        cmocka_unit_test(test_ja4_raw),
        cmocka_unit_test(test_synthetic_base),
        cmocka_unit_test(test_grease),
        cmocka_unit_test(test_no_sni),
        cmocka_unit_test(test_sni_forms),
        cmocka_unit_test(test_alpn_chars),
        cmocka_unit_test(test_no_alpn),
        cmocka_unit_test(test_alpn_wire_cap),
        cmocka_unit_test(test_empty_lists),
        cmocka_unit_test(test_counts_cap),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_sigalgs_source),
        cmocka_unit_test(test_duplicate_extensions),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_lying_lengths),
        cmocka_unit_test(test_lying_record_lengths),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_two_segments),
        cmocka_unit_test(test_three_segments_out_of_order),
        cmocka_unit_test(test_overlap_retransmission),
        cmocka_unit_test(test_mtu300),
        cmocka_unit_test(test_multi_record),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_before_start),
        cmocka_unit_test(test_pool_exhaustion),
        cmocka_unit_test(test_hello_retry),
        cmocka_unit_test(test_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
