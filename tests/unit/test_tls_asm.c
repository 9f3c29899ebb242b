/* Reassembly of the ClientHello over TCP (tls-asm.c): whole hellos without
 * a buffer, hellos cut into segments in and out of order, with overlaps and
 * retransmissions, over several records, at the size limit; lying record
 * lengths; streams that are not TLS; the buffer pool. The vectors and the
 * builder are in tls_hellos.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/memcap.h"
#include "ds/tls-asm.h"
#include "ds/tls.h"
#include "tls_hellos.h"

/* Every real hello through the fast path: no buffer, the JA4 at once or,
 * lazily, on request. */
static void test_real_hellos_whole(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    struct tls_asm_pool *pool = tls_asm_pool_new(4, NULL);
    size_t empty = tls_asm_pool_bytes(pool);
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        size_t n = unhex(v->hex, rec, sizeof(rec));
        struct tls_hello h;
        uint32_t a = 0;
        const uint8_t *raw = NULL;
        size_t raw_len = 0;
        memset(&h, 0, sizeof(h));
        assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 1000, rec, n, &h, &raw, &raw_len),
                         TLS_FEED_DONE);
        assert_int_equal(a, 0); /* the whole hello in one segment: no buffer */
        assert_ptr_equal(raw, rec);
        assert_int_equal(tls_asm_raw_seq(pool, a, 1000, rec, raw), 1000);
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

/* A hello fed as a stream that stops early only ever asks for more. */
static void test_truncated_stream(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    size_t n = unhex(chrome_sni, rec, sizeof(rec));
    struct tls_hello h;
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n - 1, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_not_equal(a, 0);
    tls_asm_release(pool, &a);
    assert_int_equal(a, 0);
    tls_asm_release(pool, &a); /* NULL-safe */
    tls_asm_pool_free(pool);
    tls_asm_pool_free(NULL);
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
    struct tls_asm_pool *pool = tls_asm_pool_new(2, NULL);
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
        uint32_t a = 0;
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
    struct tls_asm_pool *pool = tls_asm_pool_new(2, NULL);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint32_t a = 0;
        struct tls_hello h;
        const uint8_t *raw;
        size_t raw_len;
        enum tls_feed r = tls_asm_feed(pool, &a, false, 0, 12345, (const uint8_t *)t[i].data,
                                       t[i].len, &h, &raw, &raw_len);
        if (r != t[i].want)
            fail_msg("%s: got %d, want %d", t[i].what, r, t[i].want);
        if (r != TLS_FEED_MORE)
            assert_int_equal(a, 0); /* decided from the first segment: no buffer taken */
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
                               uint32_t *a)
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
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
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
    assert_int_equal(tls_asm_raw_seq(pool, a, isn + (uint32_t)last->from, rec + last->from, raw),
                     isn);
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
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
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

    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    /* Whole, in one (large offload) segment: still no buffer. */
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n, &h, &raw, &raw_len), TLS_FEED_DONE);
    assert_int_equal(a, 0);
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
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;

    /* One record: 5 + message = TLS_HELLO_MAX. The padding extension adds 4 + pad. */
    s.pad = TLS_HELLO_MAX - 5 - base - 4;
    build(&s, &b, NULL);
    size_t n = to_records(b.b, b.n, TLS_HELLO_MAX, rec, sizeof(rec));
    assert_int_equal(n, TLS_HELLO_MAX);
    uint32_t a = 0;
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
    assert_int_equal(a, 0);
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
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 990, rec, 10, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(a, 0);
    assert_int_equal(tls_asm_feed(pool, &a, true, 1000, 990, rec, 10 + len, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(tls_asm_raw_seq(pool, a, 990, rec, raw), 1000);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

/* At most max_buffers flows reassemble at once; the next one takes the
 * buffer held longest (counted), whose flow is told at its next segment
 * (RECLAIMED). A whole hello needs no buffer at all. */
static void test_pool_exhaustion(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX];
    size_t len = unhex(chrome_sni, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(2, NULL);
    size_t empty = tls_asm_pool_bytes(pool);
    uint32_t a[3] = { 0, 0, 0 };
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[1], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_true(tls_asm_pool_bytes(pool) >= empty + 2 * TLS_HELLO_MAX);
    /* The whole hello at once needs no buffer: nothing is reclaimed. */
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, len, &h, &raw, &raw_len),
                     TLS_FEED_DONE);
    assert_int_equal(a[2], 0);
    assert_int_equal(tls_asm_pool_reclaimed(pool), 0);
    /* A third split hello: the buffer held longest (a[0]'s) is reclaimed
     * for it, and a[0] learns at its next segment that its hello is lost. */
    struct memcap *mc = memcap_new(MEMCAP_DEFAULT);
    tls_asm_pool_free(pool);
    pool = tls_asm_pool_new(2, mc);
    a[0] = a[1] = a[2] = 0;
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[1], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    size_t full = tls_asm_pool_bytes(pool);
    /* Out of order first segment: needs a buffer too. */
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 100, rec + 100, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_not_equal(a[2], 0);
    assert_int_equal(tls_asm_pool_bytes(pool), full); /* no new buffer */
    assert_int_equal(tls_asm_pool_reclaimed(pool), 1);
    assert_int_equal(memcap_evicted_count(mc, MEMCAP_EV_HELLO_BUFFERS), 1);
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 100, rec + 100, len - 100, &h, &raw,
                                  &raw_len),
                     TLS_FEED_RECLAIMED);
    tls_asm_release(pool, &a[0]); /* the reclaimed slot: nothing to give back */
    assert_int_equal(a[0], 0);
    /* a[1] still has its buffer and completes; a[2] too, from its start. */
    assert_int_equal(tls_asm_feed(pool, &a[1], true, 0, 100, rec + 100, len - 100, &h, &raw,
                                  &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 200, rec + 200, len - 200, &h, &raw,
                                  &raw_len),
                     TLS_FEED_DONE);
    /* The next reclaim takes the longest held of those left: a[1]'s. */
    tls_asm_release(pool, &a[2]);
    assert_int_equal(tls_asm_feed(pool, &a[0], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[2], true, 0, 0, rec, 100, &h, &raw, &raw_len),
                     TLS_FEED_MORE);
    assert_int_equal(tls_asm_feed(pool, &a[1], true, 0, 100, rec + 100, 10, &h, &raw, &raw_len),
                     TLS_FEED_RECLAIMED);
    assert_int_equal(tls_asm_pool_reclaimed(pool), 2);
    tls_asm_release(pool, &a[0]);
    tls_asm_release(pool, &a[1]);
    tls_asm_release(pool, &a[2]);
    tls_asm_pool_free(pool);
    memcap_free(mc);

    /* A pool of none: only whole hellos. */
    pool = tls_asm_pool_new(0, NULL);
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
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    uint32_t a = 0;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, rec, n1 + sizeof(ccs) + n2, &h, &raw,
                                  &raw_len),
                     TLS_FEED_DONE);
    assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(raw_len, n1);
    /* The records end before the segment does: more follow in it. */
    assert_int_equal(tls_asm_raw_seq(pool, a, 0, rec, raw), 0);
    tls_asm_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hellos_whole),
        cmocka_unit_test(test_truncated_stream),
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
