/* Request/response turns from synthesized TLS streams and QUIC datagrams:
 * each test writes the byte stream of each direction as TLS records (the
 * record bodies are filler: only headers and lengths matter), cuts it into
 * TCP segments at chosen places and times, and checks the turns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ds/exchange.h"
#include "ds/tls-record.h"

/* One direction's byte stream and how much of it was sent. */
struct stream {
    uint8_t buf[1 << 20];
    uint32_t len;
    uint32_t isn;  /* sequence number of buf[0] */
    uint32_t sent;
};

struct fx {
    struct exchange ex;
    struct exchange_pool *pool; /* listed turns, requests in flight, held records */
    int flow;            /* what the exchange belongs to (the sensor's flow) */
    struct turn_sink to; /* on_turn, this fixture, &flow */
    struct stream s[2];
    struct turn got[64]; /* turns reported through the callback */
    unsigned ngot;
};

static void on_turn(void *ctx, void *owner, const struct turn *t)
{
    struct fx *f = ctx;
    assert_ptr_equal(owner, &f->flow);
    if (f->ngot < 64)
        f->got[f->ngot] = *t;
    f->ngot++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    exchange_init(&f->ex);
    f->pool = exchange_pool_new(1024, 64, 64);
    if (f->pool == NULL)
        return -1;
    f->to = (struct turn_sink){ on_turn, f, &f->flow, f->pool };
    f->s[0].isn = 0xfffff000u; /* near the wrap, so sequence arithmetic is tested too */
    f->s[1].isn = 1000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    exchange_release(&f->ex, f->pool);
    exchange_pool_free(f->pool);
    free(f);
    return 0;
}

/* Appends a record (type, version 0x0303, body of len filler bytes). */
static void rec(struct fx *f, int dir, uint8_t type, uint16_t len)
{
    struct stream *s = &f->s[dir];
    assert_true(s->len + 5u + len <= sizeof(s->buf));
    uint8_t *p = s->buf + s->len;
    p[0] = type;
    p[1] = 3;
    p[2] = 3;
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)len;
    memset(p + 5, 0xa5 ^ (uint8_t)s->len, len);
    s->len += 5u + len;
}

/* The newest open turn (the request being built). */
static const struct turn *cur(const struct fx *f)
{
    static struct turn t;
    assert_true(f->ex.nopen > 0);
    t = exchange_open_turn(&f->ex, f->pool, f->ex.nopen - 1u);
    return &t;
}

/* Sends the next n bytes of the stream as one segment at time ts. */
static void seg(struct fx *f, int dir, uint64_t ts, uint32_t n)
{
    struct stream *s = &f->s[dir];
    assert_true(s->sent + n <= s->len);
    exchange_tcp(&f->ex, dir, ts, s->isn + s->sent, s->buf + s->sent, n, &f->to);
    s->sent += n;
}

/* Sends everything not yet sent, in segments of at most mss bytes. */
static void flush(struct fx *f, int dir, uint64_t ts, uint32_t mss)
{
    struct stream *s = &f->s[dir];
    while (s->sent < s->len) {
        uint32_t n = s->len - s->sent < mss ? s->len - s->sent : mss;
        seg(f, dir, ts, n);
    }
}

/* Drops the next n bytes (lost segments). */
static void lose(struct fx *f, int dir, uint32_t n)
{
    f->s[dir].sent += n;
}

/* The TLS 1.2 handshake: only types 20 and 22, nothing counts. */
static void tls12_handshake(struct fx *f)
{
    rec(f, 0, 22, 512);  /* ClientHello */
    flush(f, 0, 100, 1448);
    rec(f, 1, 22, 90);   /* ServerHello */
    rec(f, 1, 22, 3000); /* Certificate */
    rec(f, 1, 22, 300);  /* ServerKeyExchange, ServerHelloDone */
    flush(f, 1, 200, 1448);
    rec(f, 0, 22, 37);   /* ClientKeyExchange */
    rec(f, 0, 20, 1);    /* ChangeCipherSpec */
    rec(f, 0, 22, 40);   /* Finished (encrypted) */
    flush(f, 0, 300, 1448);
    rec(f, 1, 20, 1);
    rec(f, 1, 22, 40);
    flush(f, 1, 400, 1448);
}

static void assert_turn(const struct turn *t, uint64_t start, uint32_t req, uint32_t resp,
                        uint32_t req_recs, uint32_t resp_recs, uint64_t ttfb, uint64_t dur)
{
    assert_int_equal(t->start_us, start);
    assert_int_equal(t->req_bytes, req);
    assert_int_equal(t->resp_bytes, resp);
    assert_int_equal(t->req_records, req_recs);
    assert_int_equal(t->resp_records, resp_recs);
    assert_int_equal(t->ttfb_us, ttfb);
    assert_int_equal(t->resp_dur_us, dur);
}

/* HTTP/1.1 keep-alive over TLS 1.2: three requests, three answers. */
static void test_keepalive_three_turns(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    assert_int_equal(exchange_app_bytes(&f->ex, 0) + exchange_app_bytes(&f->ex, 1), 0);

    rec(f, 0, 23, 300);
    flush(f, 0, 1000, 1448);
    rec(f, 1, 23, 2000);
    flush(f, 1, 1500, 1448); /* two segments at 1500 */
    rec(f, 1, 23, 500);
    flush(f, 1, 1800, 1448);

    rec(f, 0, 23, 310);
    flush(f, 0, 3000, 1448);
    assert_int_equal(f->ngot, 1); /* the second request closed the first turn */
    rec(f, 1, 23, 1000);
    flush(f, 1, 3200, 1448);

    rec(f, 0, 23, 320);
    flush(f, 0, 5000, 1448);
    rec(f, 1, 23, 100);
    flush(f, 1, 5100, 1448);
    rec(f, 1, 23, 100);
    flush(f, 1, 5300, 1448);
    assert_int_equal(f->ngot, 2);

    exchange_finish(&f->ex, &f->to);
    exchange_finish(&f->ex, &f->to); /* idempotent */
    assert_int_equal(f->ngot, 3);
    assert_int_equal(f->ex.count, 3);
    assert_int_equal(f->ex.kept, 3);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 300, 2500, 1, 2, 500, 300);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 3000, 310, 1000, 1, 1, 200, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 2), 5000, 320, 200, 1, 2, 100, 200);
    assert_memory_equal(&f->got[1], exchange_listed_turn(&f->ex, f->pool, 1), sizeof(struct turn));
    assert_int_equal(exchange_app_bytes(&f->ex, 0), 930);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), 3700);
    assert_int_equal(f->ex.resync, 0);
}

/* TLS 1.3 with HTTP/2: the server's encrypted handshake and the client's
 * Finished are type 23 but not data; the server's NewSessionTicket and
 * SETTINGS come before the answer; the client's SETTINGS ACK and
 * WINDOW_UPDATEs are small records that must not split the turn. */
static void test_tls13_h2(void **state)
{
    struct fx *f = *state;
    rec(f, 0, 22, 1900); /* Chrome-sized ClientHello: two segments */
    flush(f, 0, 100, 1448);
    rec(f, 1, 22, 122);  /* ServerHello */
    rec(f, 1, 20, 1);    /* middlebox-compatibility CCS */
    rec(f, 1, 23, 2500); /* EncryptedExtensions, Certificate, CertificateVerify */
    rec(f, 1, 23, 53);   /* Finished */
    flush(f, 1, 200, 1448);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), 0);

    rec(f, 0, 20, 1);    /* CCS */
    rec(f, 0, 23, 53);   /* Finished */
    rec(f, 0, 23, 90);   /* HTTP/2 preface + SETTINGS + WINDOW_UPDATE */
    rec(f, 0, 23, 400);  /* HEADERS + DATA: the request */
    flush(f, 0, 2000, 1448);
    assert_true((f->ex.nopen > 0));
    assert_int_equal(cur(f)->req_bytes, 490);

    rec(f, 1, 23, 250);  /* NewSessionTicket */
    rec(f, 1, 23, 40);   /* SETTINGS, WINDOW_UPDATE */
    flush(f, 1, 2100, 1448);
    rec(f, 0, 23, 26);   /* SETTINGS ACK: small, stays in the turn */
    flush(f, 0, 2150, 1448);
    rec(f, 1, 23, 40);   /* response HEADERS */
    flush(f, 1, 2500, 1448);
    for (int i = 0; i < 5; i++) {
        rec(f, 1, 23, 1200); /* DATA */
        flush(f, 1, 2600 + (uint64_t)i * 100, 1448);
        rec(f, 0, 23, 30);   /* WINDOW_UPDATE */
        flush(f, 0, 2650 + (uint64_t)i * 100, 1448);
    }
    assert_int_equal(f->ngot, 0);

    rec(f, 0, 23, 420); /* the next request, long after the last WINDOW_UPDATE */
    flush(f, 0, 40000, 1448);
    assert_int_equal(f->ngot, 1);
    rec(f, 1, 23, 900);
    flush(f, 1, 40300, 1448);
    exchange_finish(&f->ex, &f->to);

    assert_int_equal(f->ex.count, 2);
    /* Turn 1: 490 + 26 + 5 * 30 request bytes; the ticket and SETTINGS (at
     * 2100, within the slack of the client's Finished at 2000) and the small
     * response HEADERS are the handshake's tail or small: the first DATA
     * record (2600) times the response. */
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 2000, 490 + 26 + 150, 250 + 40 + 40 + 6000, 2 + 1 + 5, 8, 600,
                3000 - 2600);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 40000, 420, 900, 1, 1, 300, 0);
    /* Neither the 2553 handshake bytes nor the client's 53-byte Finished count. */
    assert_int_equal(exchange_app_bytes(&f->ex, 0), 490 + 26 + 150 + 420);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), 250 + 40 + 40 + 6000 + 900);
}

/* A large record cut over many segments: bytes arrive at each segment's
 * time; one record; the response lasts from the first to the last piece. */
static void test_record_spanning_segments(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 200);
    flush(f, 0, 1000, 1448);
    rec(f, 1, 23, 16000);
    uint64_t ts = 2000;
    while (f->s[1].sent < f->s[1].len) {
        uint32_t left = f->s[1].len - f->s[1].sent;
        seg(f, 1, ts, left < 1000 ? left : 1000);
        /* everything sent after the handshake (3456 bytes) but the header */
        assert_int_equal(cur(f)->resp_bytes, f->s[1].sent - 3456 - 5);
        ts += 10;
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    /* 16005 bytes in 17 segments: the last at 2000 + 16 * 10. */
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 200, 16000, 1, 1, 1000, 160);
}

/* Record headers cut inside, and several records in one segment. */
static void test_split_header_and_packed_records(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 100);
    rec(f, 0, 23, 150);
    seg(f, 0, 1000, 105 + 2); /* the second header's first 2 bytes */
    seg(f, 0, 1001, 1);       /* one more header byte alone */
    assert_int_equal(cur(f)->req_records, 1);
    seg(f, 0, 1002, 2 + 50);  /* the header completes, part of the body */
    assert_int_equal(cur(f)->req_records, 2);
    assert_int_equal(cur(f)->req_bytes, 150);
    flush(f, 0, 1003, 1448);
    assert_int_equal(cur(f)->req_bytes, 250);

    for (int i = 0; i < 10; i++)
        rec(f, 1, 23, 100);
    flush(f, 1, 2000, 1448); /* ten records in one segment */
    exchange_finish(&f->ex, &f->to);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 250, 1000, 2, 10, 1000, 0);
}

/* What a client stream did to a fresh exchange: all a test compares. */
struct split_result {
    uint64_t bytes;
    uint32_t resync, count, req_bytes, req_records;
    uint16_t version;
    bool synced;
};

/* Feeds b[0, n) to a fresh exchange in direction 0: its first `head`
 * bytes as one segment, then up to `pieces` segments of `piece` bytes (the
 * last takes the rest); the turns are finished. */
static void split_feed(struct exchange_pool *p, const uint8_t *b, uint32_t n, uint32_t head,
                       uint32_t piece, unsigned pieces, struct split_result *r)
{
    const struct turn_sink to = { NULL, NULL, NULL, p };
    struct exchange e;
    exchange_init(&e);
    memset(r, 0, sizeof(*r)); /* padding too: compared whole */
    uint32_t at = head < n ? head : n;
    exchange_tcp(&e, 0, 1000, 5000, b, at, &to);
    for (unsigned i = 0; at < n; i++) {
        uint32_t len = i + 1 < pieces && piece < n - at ? piece : n - at;
        exchange_tcp(&e, 0, 1001 + i, 5000 + at, b + at, len, &to);
        at += len;
    }
    exchange_finish(&e, &to);
    const struct turn *t = exchange_listed_turn(&e, p, 0);
    r->bytes = exchange_app_bytes(&e, 0);
    r->resync = e.resync;
    r->count = e.count;
    r->req_bytes = t ? t->req_bytes : 0;
    r->req_records = t ? t->req_records : 0;
    r->version = e.dir[0].version;
    r->synced = e.dir[0].synced;
    exchange_release(&e, p);
}

/* A record header split across segments is kept packed in 16 bits
 * (exchange.c, hdr_pack): wherever it is cut, and cut byte by byte, a
 * header of every kind reads as it does whole, valid or not (a prefix no
 * valid header has, and headers invalid only from a later byte). */
static void test_split_header_every_byte(void **state)
{
    (void)state;
    static const uint8_t hdrs[][TLS_RECORD_HDR_LEN] = {
        { 23, 3, 3, 0, 50 },    { 22, 3, 1, 0, 50 },    { 20, 3, 0, 0, 1 },
        { 24, 3, 4, 0, 60 },    { 21, 3, 2, 0, 2 },     { 23, 3, 4, 0x48, 0x00 },
        { 23, 3, 0, 0x01, 0x2c }, /* valid: any type and version, the largest length */
        { 19, 3, 3, 0, 50 },    { 25, 3, 3, 0, 50 },    { 23, 2, 3, 0, 50 },
        { 23, 3, 5, 0, 50 },    { 23, 3, 3, 0x49, 0 },  { 23, 3, 3, 0x48, 1 },
        { 0xff, 0xff, 0xff, 0xff, 0xff }, /* invalid from each byte, then at the last */
    };
    static uint8_t b[2 * 5 + 100 + TLS_RECORD_MAX + 5 + 200];
    struct exchange_pool *p = exchange_pool_new(16, 4, 4);
    assert_non_null(p);
    for (size_t v = 0; v < sizeof(hdrs) / sizeof(hdrs[0]); v++) {
        const uint8_t *h = hdrs[v];
        uint32_t body = (uint32_t)h[3] << 8 | h[4];
        bool valid = h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4 && body <= TLS_RECORD_MAX;
        /* A (23, 100 bytes), the header (and its body when valid), B (22,
         * 200: a handshake record, so that the version the header's record
         * left, if it is application data, is still there). */
        uint32_t n = 0;
        const uint8_t a[] = { 23, 3, 3, 0, 100 }, bh[] = { 22, 3, 3, 0, 200 };
        memcpy(b + n, a, 5);
        memset(b + n + 5, 0xa5, 100);
        n += 105;
        uint32_t at = n;
        memcpy(b + n, h, 5);
        n += 5;
        if (valid) {
            memset(b + n, 0x5a, body);
            n += body;
        }
        memcpy(b + n, bh, 5);
        memset(b + n + 5, 0xa5, 200);
        n += 205;
        struct split_result whole, cut;
        split_feed(p, b, n, n, 0, 0, &whole);
        assert_int_equal(whole.resync, valid ? 0 : 1);
        for (uint32_t k = 1; k < TLS_RECORD_HDR_LEN; k++) {
            split_feed(p, b, n, at + k, n, 1, &cut);            /* cut after k bytes */
            assert_memory_equal(&cut, &whole, sizeof(cut));
            split_feed(p, b, n, at, 1, k + 1, &cut); /* its first k bytes one by one */
            assert_memory_equal(&cut, &whole, sizeof(cut));
        }
    }
    exchange_pool_free(p);
}

/* Retransmitted segments (whole or overlapping) count once. */
static void test_retransmission(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 300);
    flush(f, 0, 1000, 1448);
    rec(f, 1, 23, 3000);
    seg(f, 1, 2000, 1000);
    /* The same segment again, then an overlapping one. */
    struct stream *s = &f->s[1];
    exchange_tcp(&f->ex, 1, 2100, s->isn + s->sent - 1000, s->buf + s->sent - 1000, 1000,
                 &f->to);
    assert_int_equal(cur(f)->resp_bytes, 995);
    exchange_tcp(&f->ex, 1, 2200, s->isn + s->sent - 500, s->buf + s->sent - 500, 1500,
                 &f->to);
    s->sent += 1000;
    assert_int_equal(cur(f)->resp_bytes, 1995);
    flush(f, 1, 2300, 1448);
    /* A retransmission of the request after the answer began: ignored, no new turn. */
    struct stream *c = &f->s[0];
    exchange_tcp(&f->ex, 0, 2400, c->isn + c->sent - 305, c->buf + c->sent - 305, 305,
                 &f->to);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 300, 3000, 1, 1, 1000, 300);
    assert_int_equal(f->ex.resync, 0);
}

/* Lost segments: inside one record the boundaries survive; across a
 * boundary the tracker counts raw bytes until a header re-synchronises it. */
static void test_gap_and_resync(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 300);
    flush(f, 0, 1000, 1448);

    /* Record A: 4000 bytes; its middle 1000 are lost: still synced. */
    rec(f, 1, 23, 4000);
    seg(f, 1, 2000, 1500);
    lose(f, 1, 1000);
    seg(f, 1, 2100, 1505);
    assert_int_equal(f->ex.resync, 0);
    assert_int_equal(cur(f)->resp_bytes, 4000); /* the lost bytes are the record's */
    assert_int_equal(cur(f)->resp_records, 1);

    /* Records B (1000), C (1000), D (800), E (500): the loss covers the end
     * of B and the start of C, including C's header. */
    rec(f, 1, 23, 1000);
    rec(f, 1, 23, 1000);
    rec(f, 1, 23, 800);
    rec(f, 1, 23, 500);
    seg(f, 1, 2200, 600);  /* B's header and 595 body bytes */
    lose(f, 1, 600);       /* B's last 405, C's header and 190 of its body */
    seg(f, 1, 2300, 810);  /* C's remaining 810 */
    assert_int_equal(f->ex.resync, 1);
    seg(f, 1, 2400, 805 + 505); /* D and E, whole: D's header re-syncs */
    assert_int_equal(f->ex.resync, 1);
    assert_true(f->ex.dir[1].synced);
    exchange_finish(&f->ex, &f->to);
    /* Counted: A 4000, B's 595 seen, C's 810 raw, D 800 and E 500; the raw
     * bytes are not a record: A, B, D, E. */
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 300, 4000 + 595 + 810 + 800 + 500, 1, 4, 1000, 400);
}

/* Re-sync when the raw bytes and the next header share a segment, and a
 * segment that is not at a record boundary in the first place (capture
 * started mid-connection). */
static void test_resync_inside_segment_and_midstream(void **state)
{
    struct fx *f = *state;
    /* Client stream starts mid-record: 700 bytes of a record body, then a
     * request record of 300. */
    struct stream *c = &f->s[0];
    memset(c->buf, 0x17, 700); /* 0x17 0x17 ...: type 23 but version 0x1717: not plausible */
    c->len = 700;
    rec(f, 0, 23, 300);
    seg(f, 0, 1000, 1005);
    assert_int_equal(f->ex.resync, 1);
    assert_true(f->ex.dir[0].synced);
    assert_int_equal(cur(f)->req_bytes, 1000);
    assert_int_equal(cur(f)->req_records, 1); /* the raw bytes are not a record */

    rec(f, 1, 23, 2000);
    flush(f, 1, 1100, 1448);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 1000, 2000, 1, 1, 100, 0);
}

/* A header that does not parse while synced (garbage injected) loses sync
 * and is counted once. */
static void test_bad_header_while_synced(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 200);
    struct stream *c = &f->s[0];
    memset(c->buf + c->len, 0x42, 50); /* not a record */
    c->len += 50;
    rec(f, 0, 23, 200);
    flush(f, 0, 1000, 1448);
    assert_int_equal(f->ex.resync, 1);
    assert_int_equal(cur(f)->req_bytes, 200 + 50 + 200);
    assert_int_equal(cur(f)->req_records, 2);
}

/* While lost, look-alike headers inside the raw bytes are refused: one
 * with another record version than the direction uses, and one whose
 * record would end inside the segment without a header after it. */
static void test_resync_rejects_fakes(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 300);
    flush(f, 0, 1000, 1448);

    struct stream *s = &f->s[1];
    uint32_t a = s->len;
    rec(f, 1, 23, 1000); /* A */
    rec(f, 1, 23, 3000); /* B */
    rec(f, 1, 23, 100);  /* C */
    static const uint8_t wrong_version[5] = { 23, 3, 1, 0, 16 };
    static const uint8_t no_chain[5] = { 23, 3, 3, 0, 32 };
    memcpy(s->buf + a + 1600, wrong_version, 5);
    memcpy(s->buf + a + 1621, wrong_version, 5); /* chained: only the version gives it away */
    memcpy(s->buf + a + 2000, no_chain, 5);
    seg(f, 1, 2000, 500);  /* A's header and 495 bytes */
    lose(f, 1, 1000);      /* A's last 505 bytes, B's header, 490 of B */
    seg(f, 1, 2100, 2510 + 105);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.resync, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 300, 495 + 2510 + 100, 1, 2, 1000, 100);
}

/* Loss inside the handshake: the ClientHello's record version (0x0301) is
 * not the connection's, so it must not stop the re-sync on 0x0303 data. */
static void test_resync_after_handshake_loss(void **state)
{
    struct fx *f = *state;
    rec(f, 0, 22, 600);
    f->s[0].buf[2] = 1; /* record version 0x0301 */
    rec(f, 0, 23, 300);
    rec(f, 0, 23, 200);
    seg(f, 0, 1000, 300);
    lose(f, 0, 400);        /* the ClientHello's end and the first request's header */
    seg(f, 0, 1100, 100);   /* raw: inside the first request */
    assert_int_equal(f->ex.resync, 1);
    flush(f, 0, 1200, 1448); /* the rest of it, then the second request's header */
    assert_true(f->ex.dir[0].synced);
    assert_int_equal(cur(f)->req_bytes, 100 + 110 + 200); /* raw 100 and 110, then R2 */
    assert_int_equal(cur(f)->req_records, 1);              /* the raw bytes are no record */
}

/* The ClientHello read elsewhere: exchange_tcp_at() sets where the stream
 * goes on; a retransmitted hello is ignored, a gap after it is a gap. */
static void test_tcp_at(void **state)
{
    struct fx *f = *state;
    rec(f, 0, 22, 1900);
    struct stream *c = &f->s[0];
    c->sent = c->len; /* tls.c had it */
    exchange_tcp_at(&f->ex, 0, c->isn + c->sent);
    exchange_tcp(&f->ex, 0, 50, c->isn, c->buf, 1448, &f->to); /* hello again */
    assert_int_equal(exchange_app_bytes(&f->ex, 0), 0);
    assert_int_equal(f->ex.resync, 0);
    rec(f, 0, 23, 400);
    rec(f, 0, 23, 400);
    lose(f, 0, 405);
    flush(f, 0, 1000, 1448); /* the second record after a lost first one */
    assert_int_equal(f->ex.resync, 1);
    assert_int_equal(cur(f)->req_bytes, 400);
    assert_int_equal(cur(f)->req_records, 1);
    exchange_tcp_at(NULL, 0, 0);
    exchange_tcp_at(&f->ex, 2, 0);
}

/* HTTP/2 after a response: a request's small HEADERS record written just
 * before its DATA belongs to the new turn; a WINDOW_UPDATE sent at the end
 * of an answer, long before the next request, belongs to the old one. */
static void test_h2_small_records_between_turns(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 300);
    flush(f, 0, 1000000, 1448);
    rec(f, 1, 23, 2000);
    flush(f, 1, 1100000, 1448);

    rec(f, 0, 23, 34);  /* HEADERS */
    flush(f, 0, 2000000, 1448);
    rec(f, 0, 23, 138); /* DATA, 100 us later */
    flush(f, 0, 2000100, 1448);
    rec(f, 1, 23, 1500);
    flush(f, 1, 2200000, 1448);

    rec(f, 0, 23, 30);  /* WINDOW_UPDATE at the end of the answer */
    flush(f, 0, 2200500, 1448);
    rec(f, 0, 23, 40);  /* HEADERS of the next request, 3 s later */
    flush(f, 0, 5200000, 1448);
    rec(f, 0, 23, 200); /* and its DATA */
    flush(f, 0, 5200050, 1448);
    rec(f, 1, 23, 700);
    flush(f, 1, 5300000, 1448);

    rec(f, 0, 23, 20);  /* a small record after the last answer, then the end */
    flush(f, 0, 5400000, 1448);
    exchange_finish(&f->ex, &f->to);

    assert_int_equal(f->ex.count, 3);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000000, 300, 2000, 1, 1, 100000, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 2000000, 34 + 138 + 30, 1500, 3, 1, 200000, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 2), 5200000, 40 + 200 + 20, 700, 3, 1, 100000, 0);
}

/* A streamed answer: many records over time, the client sending small
 * flow-control records meanwhile; the small first record (response
 * headers) does not time the answer when large ones follow. */
static void test_streaming_response(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 900);
    flush(f, 0, 10000, 1448);
    rec(f, 1, 23, 50); /* HTTP/2 HEADERS: small */
    flush(f, 1, 10200, 1448);
    for (int i = 0; i < 200; i++) {
        rec(f, 1, 23, 120); /* one token event each */
        flush(f, 1, 12000 + (uint64_t)i * 50, 1448);
        if (i % 20 == 19) {
            rec(f, 0, 23, 30);
            flush(f, 0, 12000 + (uint64_t)i * 50 + 1, 1448);
        }
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 10000, 900 + 10 * 30, 50 + 200 * 120, 11, 201, 2000, 199 * 50);
}

/* Only small answers: they still time the response. */
static void test_small_answer_times_response(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 400);
    flush(f, 0, 1000, 1448);
    rec(f, 1, 23, 40);
    flush(f, 1, 1300, 1448);
    rec(f, 1, 23, 40);
    flush(f, 1, 1400, 1448);
    /* A small answer does not let the next record open a turn (it could be
     * a WINDOW_UPDATE during an upload): the next request merges. */
    rec(f, 0, 23, 400);
    flush(f, 0, 2000, 1448);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 1000, 800, 80, 2, 2, 300, 100);
}

/* An open turn keeps one pair of response times: those of any record
 * until its first large one, then the large ones' (a small record after
 * them moves nothing). Hours apart, on a keep-alive connection: times
 * past 2^32 us (71.6 minutes) must not wrap. The request's start is
 * exact (64 bits); offsets from it saturate at UINT32_MAX (a first byte
 * 80 minutes late reads 4294967295 us, where a wrap would read
 * 505032704). */
static void test_long_flow_times(void **state)
{
    struct fx *f = *state;
    const uint64_t min = 60000000, hour = 60 * min;
    exchange_hello(&f->ex, 50, NULL, 0); /* no ALPN: HTTP/1.1, one request at a time */
    tls12_handshake(f);

    rec(f, 0, 23, 300);
    flush(f, 0, 1000, 1448);
    rec(f, 1, 23, 40);   /* small first: the pair is any record's */
    flush(f, 1, 1500, 1448);
    rec(f, 1, 23, 2000); /* the first large one: the pair becomes the large ones' */
    flush(f, 1, 2000, 1448);
    rec(f, 1, 23, 1000);
    flush(f, 1, 4000, 1448);
    rec(f, 1, 23, 40);   /* two hours later, small: neither time moves */
    flush(f, 1, 1000 + 2 * hour, 1448);

    const uint64_t t2 = 1000 + 3 * hour; /* above 2^32 */
    rec(f, 0, 23, 300);
    flush(f, 0, t2, 1448);
    assert_int_equal(f->ngot, 1);
    assert_turn(&f->got[0], 1000, 300, 40 + 2000 + 1000 + 40, 1, 4, 1000, 2000);
    rec(f, 1, 23, 500);
    flush(f, 1, t2 + 80 * min, 1448);
    rec(f, 1, 23, 500);
    flush(f, 1, t2 + 90 * min, 1448);
    exchange_finish(&f->ex, &f->to);

    assert_int_equal(f->ex.count, 2);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), t2, 300, 1000, 1, 2, UINT32_MAX, 0);
    assert_int_equal(exchange_app_bytes(&f->ex, 0), 600);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), 40 + 2000 + 1000 + 40 + 1000);
}

/* More turns than kept: all counted and reported, the first 32 kept. */
static void test_many_turns(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    for (unsigned i = 0; i < 40; i++) {
        uint64_t t0 = 100000 + (uint64_t)i * 1000;
        rec(f, 0, 23, (uint16_t)(200 + i));
        flush(f, 0, t0, 1448);
        rec(f, 1, 23, (uint16_t)(1000 + i));
        flush(f, 1, t0 + 50 + i, 1448);
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 40);
    assert_int_equal(f->ex.kept, EXCHANGE_TURNS_KEPT);
    assert_int_equal(f->ngot, 40);
    for (unsigned i = 0; i < EXCHANGE_TURNS_KEPT; i++)
        assert_turn(exchange_listed_turn(&f->ex, f->pool, i), 100000 + (uint64_t)i * 1000, 200 + i, 1000 + i, 1, 1,
                    50 + i, 0);
    assert_turn(&f->got[39], 139000, 239, 1039, 1, 1, 89, 0);
}

/* HTTP/2 over TLS 1.3: the client's preface and SETTINGS, answered by the
 * server's SETTINGS and session tickets, is connection set-up, not a turn. */
static void test_http2_setup_not_a_turn(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 94);          /* preface + SETTINGS + WINDOW_UPDATE */
    flush(f, 0, 100000, 1448);
    rec(f, 1, 23, 250);         /* two tickets and SETTINGS */
    rec(f, 1, 23, 250);
    rec(f, 1, 23, 121);
    flush(f, 1, 100040, 1448);
    rec(f, 0, 23, 2769);        /* the request */
    flush(f, 0, 100050, 1448);
    rec(f, 1, 23, 8000);
    flush(f, 1, 100900, 1448);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 0)->req_bytes, 2769);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 0)->start_us, 100050);
}

/* ---- Real clients' record sequences (issue 9, item 6) ----
 * Sizes and times below are those of pcaps/turns (tools/capture-clients.sh
 * --turns: nginx 1.22 with TLS 1.3 on loopback, a mock API that thinks
 * 0.3-1.5 s and streams server-sent events 40 ms apart), read with tshark;
 * where a real network changes the timing (a round trip of milliseconds
 * instead of microseconds), the test says so. */

/* A TLS 1.3 handshake: the client's hello at `hello` offering ALPN `alpn`
 * ("h2" or "http/1.1"), the server's flight at `srv` (ServerHello, CCS,
 * EncryptedExtensions, Certificate, CertificateVerify, Finished as nginx
 * sends them), the client's CCS and Finished at `fin`. */
static void tls13_handshake(struct fx *f, uint64_t hello, uint64_t srv, uint64_t fin,
                            const char *alpn)
{
    uint8_t wire[16];
    size_t n = strlen(alpn);
    assert_true(n < sizeof(wire));
    wire[0] = (uint8_t)n;
    memcpy(wire + 1, alpn, n);
    rec(f, 0, 22, 512);
    flush(f, 0, hello, 1448);
    exchange_hello(&f->ex, hello, wire, n + 1);
    rec(f, 1, 22, 122);
    rec(f, 1, 20, 1);
    rec(f, 1, 23, 36);
    rec(f, 1, 23, 935);
    rec(f, 1, 23, 96);
    rec(f, 1, 23, 69);
    flush(f, 1, srv, 1448);
    rec(f, 0, 20, 1);
    rec(f, 0, 23, 69);
    flush(f, 0, fin, 1448);
}

/* One record of `len` body bytes sent alone at ts. */
static void rec_at(struct fx *f, int dir, uint64_t ts, uint16_t len)
{
    rec(f, dir, 23, len);
    flush(f, dir, ts, 1448);
}

/* Item 6, "first-turn time to first byte is the TLS 1.3 session ticket":
 * node's fetch (openai and anthropic SDKs) sends its request in the segment
 * of its Finished; nginx's two NewSessionTicket records (298 bytes) come
 * 332 us later, the answer after the API's think time (4.52 s in the issue).
 * The tickets are the handshake's tail: they do not time the answer. */
static void test_ticket_is_not_first_byte(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 988, 2234, 16853, "http/1.1");
    rec_at(f, 0, 16853, 375);          /* POST /v1/chat/completions */
    rec_at(f, 1, 17185, 298);          /* NewSessionTicket */
    rec_at(f, 1, 17227, 298);          /* NewSessionTicket */
    rec_at(f, 1, 16853 + 4520000, 297); /* response headers */
    for (uint64_t i = 0; i < 8; i++)
        rec_at(f, 1, 16853 + 4560000 + i * 40000, 135); /* SSE chunks */
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 16853, 375, 2 * 298 + 297 + 8 * 135, 1, 11, 4520000,
                40000 + 7 * 40000);
}

/* The tail is one flight: wget sent its GET after the tickets had come, and
 * nginx answered it 159 us later with 358 bytes, 1.2 ms after the tickets;
 * that small answer is the response, and the next GETs are turns. */
static void test_tail_is_one_flight(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 449, 2657, 46012, "http/1.1");
    rec_at(f, 1, 46287, 282);
    rec_at(f, 1, 46331, 282);
    rec_at(f, 0, 47388, 157);
    rec_at(f, 1, 47547, 358);
    rec_at(f, 0, 47898, 157);
    rec_at(f, 1, 47985, 358);
    rec_at(f, 0, 48216, 158);
    rec_at(f, 1, 48309, 768);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 3);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 47388, 157, 358, 1, 1, 159, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 47898, 157, 358, 1, 1, 87, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 2), 48216, 158, 768, 1, 1, 93, 0);
}

/* The handshake's times share the word of the server's last data
 * (struct exchange): the hello's until the server's first record (a
 * 20 ms round trip), then the Finished's. The client's request, sent
 * before any server data, sees none; the first ticket may come until
 * fin + 1.5 round trips + EXCHANGE_TAIL_SLACK_US (21500 + 30000 + 2000 =
 * 53500), the next until the last + EXCHANGE_TAIL_GAP_US (54000); the
 * record after (54501) is the answer's first byte: ttfb 54501 - 21600. */
static void test_handshake_word(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1000, 21000, 21500, "http/1.1");
    assert_int_equal(f->ex.rtt_us, 20000);
    assert_true(f->ex.hs_in_srv);
    assert_int_equal(f->ex.srv_last_us, 21500);  /* the Finished */
    assert_int_equal(exchange_srv_last(&f->ex), 0);
    rec_at(f, 0, 21600, 300);
    assert_int_equal(exchange_srv_last(&f->ex), 0);
    rec_at(f, 1, 53500, 282);                    /* the first ticket, at the limit */
    assert_false(f->ex.hs_in_srv);
    assert_int_equal(exchange_srv_last(&f->ex), 53500);
    rec_at(f, 1, 54000, 282);                    /* the next, at the gap's limit */
    rec_at(f, 1, 54501, 120);                    /* the answer */
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 21600, 300, 282 + 282 + 120, 1, 3,
                54501 - 21600, 0);
}

/* One microsecond past the first ticket's window, a small record is the
 * answer, not the tail: ttfb 53501 - 21600. */
static void test_handshake_word_late_ticket(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1000, 21000, 21500, "http/1.1");
    rec_at(f, 0, 21600, 300);
    rec_at(f, 1, 53501, 282);
    assert_false(f->ex.tail_open);
    exchange_finish(&f->ex, &f->to);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 21600, 300, 282, 1, 1, 53501 - 21600,
                0);
}

/* The server's first segment after the hello lost (TLS 1.2): the next one
 * starts inside the Certificate record (raw bytes), then the next header,
 * 20 ms after the hello. The round trip is still 20000 (the server's first
 * bytes): the held 40-byte GET after a whole one-record answer, answered
 * 10 ms later (within 1.5 round trips + EXCHANGE_TAIL_SLACK_US = 32 ms),
 * is a request of its own. Two turns. (The hello's time shares the word of
 * the server's last data: the raw bytes took that word before the header
 * came, and the round trip was unknown, 0: one turn of 340 bytes.) */
static void test_rtt_after_lost_server_segment(void **state)
{
    struct fx *f = *state;
    rec(f, 0, 22, 512);
    flush(f, 0, 100, 1448);
    exchange_hello(&f->ex, 100, NULL, 0);
    rec(f, 1, 22, 90);
    rec(f, 1, 22, 3000);
    rec(f, 1, 22, 300);
    lose(f, 1, 1448);
    flush(f, 1, 20100, 1448); /* raw 1448 + 204, then ServerKeyExchange's header */
    assert_int_equal(f->ex.resync, 1);
    assert_int_equal(f->ex.rtt_us, 20000);
    rec(f, 0, 22, 37);
    rec(f, 0, 20, 1);
    rec(f, 0, 22, 40);
    flush(f, 0, 20200, 1448);
    rec(f, 1, 20, 1);
    rec(f, 1, 22, 40);
    flush(f, 1, 40300, 1448);
    rec_at(f, 0, 100000, 300);
    rec_at(f, 1, 150000, 2000); /* one record: an unstreamed answer */
    rec_at(f, 0, 300000, 40);   /* small: held */
    rec_at(f, 1, 310000, 300);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 2);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 100000, 300, 2000, 1, 1, 50000, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 300000, 40, 300, 1, 1, 10000, 0);
}

/* The server's raw bytes (a gap ended inside a record) long after the
 * tail's window end the tail: the small records after them, 100 us apart,
 * are the answer's (large: above EXCHANGE_TLS_SMALL), not tail, so the
 * answer lasts from the raw bytes (5000000) to the last (5000200). First
 * after a ticket at 30000 (window to 30500), then with no ticket (the
 * Finished's window, to 53500). */
static void raw_after_tail(struct fx *f, bool ticket)
{
    tls13_handshake(f, 1000, 21000, 21500, "http/1.1");
    rec_at(f, 0, 21600, 300);
    if (ticket)
        rec_at(f, 1, 30000, 282);
    rec(f, 1, 23, 1000);       /* the answer's first record: its first 900 bytes lost */
    rec(f, 1, 23, 200);
    rec(f, 1, 23, 200);
    rec(f, 1, 23, 200);
    lose(f, 1, 900);
    seg(f, 1, 5000000, 105 + 205); /* raw 105, then the first small record */
    assert_int_equal(f->ex.resync, 1);
    assert_false(f->ex.tail_open);
    seg(f, 1, 5000100, 205);
    seg(f, 1, 5000200, 205);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 21600, 300,
                (ticket ? 282u : 0u) + 105 + 3 * 200, 1, (ticket ? 1u : 0u) + 3, 5000000 - 21600,
                200);
}

static void test_raw_bytes_end_tail(void **state)
{
    raw_after_tail(*state, true);
}

static void test_raw_bytes_end_finished_window(void **state)
{
    raw_after_tail(*state, false);
}

/* Application-data bytes are 48 bits each way: the carry into the high 16
 * bits, and saturation at 2^48 - 1. */
static void test_app_bytes_48(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    f->ex.app_lo[0] = UINT32_MAX - 99u;          /* 2^32 - 100 so far */
    rec_at(f, 0, 1000, 300);
    assert_int_equal(exchange_app_bytes(&f->ex, 0), (UINT64_C(1) << 32) + 200u);
    assert_int_equal(f->ex.app_hi[0], 1);
    assert_int_equal(f->ex.app_lo[0], 200);
    f->ex.app_lo[1] = UINT32_MAX - 10u;
    f->ex.app_hi[1] = UINT16_MAX;                /* 11 below the top */
    rec_at(f, 1, 2000, 100);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), EXCHANGE_APP_BYTES_MAX);
    rec_at(f, 1, 3000, 100);
    assert_int_equal(exchange_app_bytes(&f->ex, 1), EXCHANGE_APP_BYTES_MAX);
}

/* Item 6, "an invented turn" (curl over HTTP/2): the request's HEADERS,
 * then the server's tickets and SETTINGS, then curl's SETTINGS ACK and the
 * DATA. Sizes from curl-h2.pcap; times of a 20 ms network (on loopback curl's
 * DATA follows its HEADERS by 180 us; over a network it waits for the
 * server's SETTINGS, a round trip). The SETTINGS are no answer: one turn. */
static void test_h2_settings_do_not_split(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 100, 20500, 21000, "h2");
    rec_at(f, 0, 21130, 81);   /* preface, SETTINGS, WINDOW_UPDATE */
    rec_at(f, 0, 21345, 102);  /* HEADERS POST /v1/chat/completions */
    rec_at(f, 1, 41230, 282);  /* NewSessionTicket x 2 */
    rec_at(f, 1, 41251, 282);
    rec_at(f, 1, 41274, 66);   /* SETTINGS, WINDOW_UPDATE */
    rec_at(f, 1, 41562, 30);   /* SETTINGS ACK */
    rec_at(f, 0, 41635, 26);   /* curl's SETTINGS ACK */
    rec_at(f, 0, 41680, 148);  /* DATA: the prompt */
    rec_at(f, 1, 980000, 277); /* the answer */
    for (uint64_t i = 0; i < 14; i++)
        rec_at(f, 1, 1020000 + i * 40000, 202);
    rec_at(f, 1, 1578389, 40);
    rec_at(f, 1, 1578687, 26);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 21130, 81 + 102 + 26 + 148,
                2 * 282 + 66 + 30 + 277 + 14 * 202 + 40 + 26, 4, 21, 980000 - 21130,
                1020000 + 13 * 40000 - 980000);
}

/* The same with the body late (curl -T - reading a pipe, curl-h2.pcap):
 * the preface and HEADERS, the server's tickets and SETTINGS 200 us later,
 * the DATA 225 ms later and its END_STREAM. One request. */
static void test_h2_late_body_after_settings(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 6763170, 6766281, 6787031, "h2");
    rec_at(f, 0, 6787142, 81);
    rec_at(f, 0, 6787194, 84);
    rec_at(f, 1, 6787387, 282);
    rec_at(f, 1, 6787411, 282);
    rec_at(f, 1, 6787486, 79);
    rec_at(f, 0, 7012274, 148);
    rec_at(f, 0, 7013466, 26);
    rec_at(f, 0, 7013508, 26);
    rec_at(f, 1, 7772116, 277);
    for (uint64_t i = 0; i < 11; i++)
        rec_at(f, 1, 7813678 + i * 43000, 202);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 6787142, 81 + 84 + 148 + 26 + 26,
                2 * 282 + 79 + 277 + 11 * 202, 5, 15, 7772116 - 6787142,
                7813678 + 10 * 43000 - 7772116);
}

/* Item 6, "a swallowed request" (Chromium over HTTP/2): GET /v1/ping
 * answered by nginx's 204 (a 62-byte record), then a POST 12 s later. The
 * small answer and the long silence end the turn. */
static void test_small_answer_then_silence(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1823, 4243, 180888, "h2");
    rec_at(f, 1, 185896, 266);   /* tickets and SETTINGS before any request */
    rec_at(f, 1, 185942, 266);
    rec_at(f, 1, 185972, 57);
    rec_at(f, 0, 187107, 87);    /* preface */
    rec_at(f, 0, 188975, 460);   /* GET / */
    rec_at(f, 1, 189151, 144);
    rec_at(f, 1, 189187, 1143);
    rec_at(f, 0, 257799, 26);    /* SETTINGS ACK */
    rec_at(f, 0, 269663, 101);   /* GET /v1/ping */
    rec_at(f, 1, 275863, 62);    /* 204 */
    rec_at(f, 0, 12364498, 114); /* POST: HEADERS, PRIORITY, DATA */
    rec_at(f, 0, 12364597, 34);
    rec_at(f, 0, 12364614, 169);
    rec_at(f, 1, 12367954, 47);
    rec_at(f, 1, 12707875, 277);
    for (uint64_t i = 0; i < 14; i++)
        rec_at(f, 1, 12744118 + i * 40300, 203);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 3);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 269663, 101, 62, 1, 1, 275863 - 269663, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 2), 12364498, 114 + 34 + 169, 47 + 277 + 14 * 203, 3, 16,
                12707875 - 12364498, 12744118 + 13 * 40300 - 12707875);
}

/* An event of the concurrent-streams schedule below. */
struct ev {
    uint64_t ts;
    int dir;
    uint16_t len;
    uint16_t seq; /* order among equal times */
};

static int ev_cmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define H2C_WORKERS 4
#define H2C_PER_WORKER 12
#define H2C_EVENTS (H2C_WORKERS * H2C_PER_WORKER * 24)

/* Item 6, "HTTP/2 multiplexing": httpx over HTTP/2 with 4 workers on one
 * connection (pcaps/turns/httpx-h2-concurrent.pcap), each closed-loop: a
 * request is HEADERS (61 bytes), DATA (231) and an END_STREAM DATA (26)
 * written together; nginx sends a WINDOW_UPDATE (30) on the DATA (servers
 * that do not are the `quiet` case), and after the API's think time
 * (0.3-1.5 s, drawn here by a fixed LCG) the answer: 277, 6-16 chunks of
 * 201-209 bytes 40 ms apart, 40 and 26; 1 ms after its last record the
 * worker sends its next request. Answers of different streams overlap.
 * Every request is a turn with its own size; the responses' bytes all go to
 * turns. Returns how many turns' time to first byte is a think time. */
static unsigned h2_concurrent(struct fx *f, bool quiet)
{
    static struct ev ev[H2C_EVENTS];
    unsigned n = 0;
    uint16_t seq = 0;
    uint32_t lcg = 12345;
    uint64_t resp_total = 0;
    tls13_handshake(f, 1392, 1995, 3031, "h2");
    rec_at(f, 1, 3228, 282);
    rec_at(f, 1, 3263, 282);
    rec_at(f, 1, 3335, 57);
    rec_at(f, 0, 3640, 99); /* preface */
    rec_at(f, 1, 3675, 26);
    for (unsigned w = 0; w < H2C_WORKERS; w++) {
        uint64_t t = 100000 + w * 150000; /* the workers' first requests, apart */
        for (unsigned r = 0; r < H2C_PER_WORKER; r++) {
            ev[n++] = (struct ev){ t, 0, 61, seq++ };
            ev[n++] = (struct ev){ t + 80, 0, 231, seq++ };
            ev[n++] = (struct ev){ t + 100, 0, 26, seq++ };
            if (!quiet) {
                ev[n++] = (struct ev){ t + 150, 1, 30, seq++ };
                resp_total += 30;
            }
            lcg = lcg * 1103515245u + 12345u;
            t += 300000 + (lcg >> 8) % 1200000;
            unsigned chunks = 6 + (lcg >> 4) % 11;
            ev[n++] = (struct ev){ t, 1, 277, seq++ };
            resp_total += 277 + 40 + 26;
            for (unsigned c = 0; c < chunks; c++) {
                t += 40000;
                ev[n++] = (struct ev){ t, 1, (uint16_t)(201 + c % 9), seq++ };
                resp_total += 201 + c % 9;
            }
            ev[n++] = (struct ev){ t + 300, 1, 40, seq++ };
            ev[n++] = (struct ev){ t + 600, 1, 26, seq++ };
            t += 1600;
        }
    }
    assert_true(n <= H2C_EVENTS);
    qsort(ev, n, sizeof(ev[0]), ev_cmp);
    for (unsigned i = 0; i < n; i++)
        rec_at(f, ev[i].dir, ev[i].ts, ev[i].len);
    exchange_finish(&f->ex, &f->to);

    assert_int_equal(f->ex.count, H2C_WORKERS * H2C_PER_WORKER);
    assert_int_equal(f->ngot, H2C_WORKERS * H2C_PER_WORKER);
    uint64_t resp = 0;
    unsigned think = 0;
    for (unsigned i = 0; i < f->ngot; i++) {
        assert_int_equal(f->got[i].req_bytes, 61 + 231 + 26);
        assert_int_equal(f->got[i].req_records, 3);
        resp += f->got[i].resp_bytes;
        if (i > 0)
            assert_true(f->got[i].start_us > f->got[i - 1].start_us);
        if (f->got[i].ttfb_us >= 300000)
            think++;
    }
    assert_int_equal(resp, resp_total);
    print_message("%u of %u turns with a think time as ttfb\n", think, f->ngot);
    return think;
}

/* Answers are given to turns by runs (exchange.h): most turns' time to
 * first byte is a think time, not another stream's next chunk (42 of 48
 * here; 2 of 48 when each request took the server's data after it). */
static void test_h2_concurrent_streams(void **state)
{
    struct fx *f = *state;
    assert_true(h2_concurrent(f, false) >= 40);
    assert_true(f->ex.mux);
}

static void test_h2_concurrent_streams_quiet_server(void **state)
{
    struct fx *f = *state;
    assert_true(h2_concurrent(f, true) >= 40);
    assert_true(f->ex.mux);
}

/* Two requests in flight, then (httpx-h2-concurrent.pcap at 12.155 s) a
 * stream's end, request A (HEADERS, DATA), A's END_STREAM held 6.5 ms by
 * Nagle, and 6.1 ms after it request B's HEADERS and DATA: A's END_STREAM
 * and B's HEADERS are held together, yet B is a request of its own. */
static void test_h2_late_end_stream_then_next_request(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1392, 1995, 3031, "h2");
    rec_at(f, 0, 100000, 61);  /* request 1 */
    rec_at(f, 0, 100080, 231);
    rec_at(f, 0, 100100, 26);
    rec_at(f, 0, 250000, 61);  /* request 2, while 1 waits: two in flight */
    rec_at(f, 0, 250080, 231);
    rec_at(f, 0, 250100, 26);
    for (uint64_t i = 0; i < 12; i++)
        rec_at(f, 1, 11700000 + i * 40000, 203);
    rec_at(f, 1, 12154995, 40);
    rec_at(f, 1, 12155827, 26);
    rec_at(f, 0, 12156862, 61); /* A */
    rec_at(f, 1, 12156979, 30);
    rec_at(f, 0, 12157148, 231);
    rec_at(f, 1, 12163652, 201);
    rec_at(f, 0, 12163664, 26); /* A's END_STREAM */
    rec_at(f, 1, 12168720, 40);
    rec_at(f, 1, 12169019, 26);
    rec_at(f, 0, 12169749, 61); /* B */
    rec_at(f, 1, 12169850, 30);
    rec_at(f, 0, 12169989, 231);
    exchange_finish(&f->ex, &f->to);
    assert_true(f->ex.mux);
    assert_int_equal(f->ex.count, 4);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->start_us, 12156862);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->req_bytes, 61 + 231 + 26);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 3)->start_us, 12169749);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 3)->req_bytes, 61 + 231);
}

/* The most requests in flight at once among the reported turns, each from
 * its start to its last response byte. */
static unsigned max_overlap(const struct fx *f)
{
    unsigned best = 0;
    for (unsigned i = 0; i < f->ngot && i < 64; i++) {
        uint64_t t = f->got[i].start_us;
        unsigned n = 0;
        for (unsigned j = 0; j < f->ngot && j < 64; j++) {
            uint64_t end = f->got[j].start_us + f->got[j].ttfb_us + f->got[j].resp_dur_us;
            n += f->got[j].start_us <= t && end > t;
        }
        if (n > best)
            best = n;
    }
    return best;
}

/* An HTTP/2 connection's start (httpx on pcaps/harvest): the handshake, a
 * ticket and the server's SETTINGS, the client's preface, the server's
 * SETTINGS ACK. */
static void h2_start(struct fx *f)
{
    tls13_handshake(f, 1392, 1995, 3031, "h2");
    rec_at(f, 1, 3228, 282);
    rec_at(f, 1, 3335, 57);
    rec_at(f, 0, 3640, 99);   /* preface */
    rec_at(f, 1, 3675, 26);   /* SETTINGS ACK */
}

/* Two requests in flight on an HTTP/2 connection (mux), as the httpx-h2
 * harvester's start: HEADERS with its body, END_STREAM. */
static void h2_two_in_flight(struct fx *f)
{
    h2_start(f);
    rec_at(f, 0, 4000, 661);  /* request 1: HEADERS and DATA */
    rec_at(f, 0, 4100, 26);   /* the client's SETTINGS ACK */
    rec_at(f, 1, 60000, 30);  /* a WINDOW_UPDATE: no answer yet */
    rec_at(f, 0, 150000, 610); /* request 2 while 1 waits */
    rec_at(f, 0, 150100, 26);  /* its END_STREAM */
    assert_true(f->ex.mux);
}

/* Item 6, "max_concurrency is wrong both ways" (issue 9; pcaps/harvest,
 * httpx with 4 streams: 7.8 in flight on average where nginx logged 3.9):
 * four closed-loop workers whose server-sent-event answers interleave
 * without a silence, so runs never end. nginx ends every answer with an
 * empty DATA frame (END_STREAM, a 26-byte record); each ends one turn, so
 * no more than 4 turns are ever in flight and every request is a turn. */
static void test_h2_end_stream_ends_answers(void **state)
{
    struct fx *f = *state;
    h2_start(f);
    rec_at(f, 0, 4100, 26); /* the client's SETTINGS ACK */
    /* worker w: request at next[w], answer of len[w] chunks from ans[w] */
    uint64_t next[4], ans[4];
    unsigned left[4];
    for (unsigned w = 0; w < 4; w++) {
        next[w] = 10000 + w * 30000;
        ans[w] = UINT64_MAX;
        left[w] = 0;
    }
    unsigned sent = 0;
    uint32_t lcg = 7;
    uint64_t tstart[48], tend[48];
    unsigned cur_req[4] = { 0, 0, 0, 0 };
    for (uint64_t t = 10000; t < 30000000 && sent < 48; t += 1000) {
        for (unsigned w = 0; w < 4; w++) {
            if (t == next[w] && sent < 48) {
                rec_at(f, 0, t, 65);        /* HEADERS */
                rec_at(f, 0, t + 200, 600); /* DATA */
                rec_at(f, 0, t + 300, 26);  /* END_STREAM */
                tstart[sent] = t;
                cur_req[w] = sent;
                sent++;
                lcg = lcg * 1103515245u + 12345u;
                ans[w] = t + 200000; /* the model's think time */
                left[w] = 5 + (lcg >> 8) % 20;
            } else if (ans[w] != UINT64_MAX && t >= ans[w] && (t - ans[w]) % 40000 == 0) {
                if (left[w]-- > 0) {
                    rec_at(f, 1, t + 100 * w, 203);
                } else {
                    rec_at(f, 1, t + 100 * w, 40);
                    rec_at(f, 1, t + 100 * w + 300, 26); /* END_STREAM */
                    tend[cur_req[w]] = t + 100 * w + 300;
                    ans[w] = UINT64_MAX;
                    next[w] = t + 2000; /* the worker's next request, 2 ms on */
                }
            }
        }
    }
    exchange_finish(&f->ex, &f->to);
    assert_true(f->ex.mux);
    assert_int_equal(sent, 48);
    assert_int_equal(f->ex.count, 48);
    assert_int_equal(f->got[0].req_bytes, 99 + 26 + 65 + 600 + 26); /* preface, ACK */
    for (unsigned i = 1; i < f->ngot; i++)
        assert_int_equal(f->got[i].req_bytes, 65 + 600 + 26);
    unsigned truth = 0;
    for (unsigned i = 0; i < sent; i++) {
        unsigned n = 0;
        for (unsigned j = 0; j < sent; j++)
            n += tstart[j] <= tstart[i] && tend[j] > tstart[i];
        truth = n > truth ? n : truth;
    }
    print_message("most turns in flight: %u (truth %u)\n", max_overlap(f), truth);
    assert_true(max_overlap(f) <= truth);
    assert_true(max_overlap(f) + 1 >= truth);
}

/* Item 6 (pcaps/harvest, httpx at 40.828 s): a request's HEADERS (65) and
 * its DATA 88 ms later, other streams' answers going on between: one
 * request, not two in flight. */
static void test_h2_late_body_same_request(void **state)
{
    struct fx *f = *state;
    h2_two_in_flight(f);
    rec_at(f, 1, 600000, 277);
    rec_at(f, 1, 640000, 203);
    rec_at(f, 0, 650000, 65);  /* HEADERS of request 3 */
    rec_at(f, 1, 650300, 30);  /* nginx's WINDOW_UPDATE for it */
    rec_at(f, 1, 680000, 203);
    rec_at(f, 1, 720000, 203);
    rec_at(f, 0, 738000, 660); /* its DATA, with END_STREAM */
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 3);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->start_us, 650000);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->req_bytes, 65 + 660);
}

/* Item 6 (pcaps/harvest, httpx at 1000.53 s and 1185.91 s): workers writing
 * their requests 3 to 7 ms apart, under EXCHANGE_JOIN_US. A request ends
 * with the client's END_STREAM alone, or its next HEADERS-sized record
 * after a body is another request's HEADERS: two requests each time. */
static void test_h2_requests_ms_apart(void **state)
{
    struct fx *f = *state;
    h2_two_in_flight(f);
    rec_at(f, 1, 600000, 277);
    /* END_STREAM alone between them */
    rec_at(f, 0, 700000, 65);
    rec_at(f, 0, 700400, 692);
    rec_at(f, 0, 705300, 26);
    rec_at(f, 0, 706600, 61);
    rec_at(f, 0, 707200, 646);
    /* no END_STREAM between: [HEADERS][DATA] then [HEADERS][DATA][END][END] */
    rec_at(f, 0, 900000, 62);
    rec_at(f, 0, 900500, 623);
    rec(f, 0, 23, 61);
    rec(f, 0, 23, 451);
    rec(f, 0, 23, 26);
    rec(f, 0, 23, 26);
    flush(f, 0, 904100, 1448);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 6);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->req_bytes, 65 + 692 + 26);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 3)->start_us, 706600);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 3)->req_bytes, 61 + 646);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 4)->req_bytes, 62 + 623);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 5)->start_us, 904100);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 5)->req_bytes, 61 + 451 + 26 + 26);
}

/* Item 6, HTTP/2 multiplexing (httpx-h2-concurrent.pcap, port 49084): four
 * workers start at once; the first request leaves on its own, Nagle's
 * algorithm holds the next three DATA frames (231) and their END_STREAMs
 * (26) for the server's ACK and sends them in one 801-byte segment. TLS
 * records stay apart inside it: [DATA][END][DATA][END][DATA][END] is three
 * requests, each with its own size. Before that, the HEADERS of requests 3
 * and 4 (one 70-byte record) follow request 1's HEADERS and body (D1 and H2
 * in one 319-byte record): HEADERS-sized data after a body is another
 * request (request_ended), which opens there and takes the next body: four
 * turns, the second starting when its HEADERS left. */
static void test_h2_coalesced_requests_split(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1392, 1995, 3031, "h2");
    rec_at(f, 1, 3228, 282);
    rec_at(f, 1, 3263, 282);
    rec_at(f, 1, 3335, 57);
    rec_at(f, 0, 3640, 99);  /* preface */
    rec_at(f, 1, 3675, 26);
    rec_at(f, 0, 4414, 121); /* HEADERS 1 */
    rec_at(f, 1, 4512, 30);
    rec_at(f, 0, 4589, 319); /* DATA 1, HEADERS 2 */
    rec_at(f, 1, 4634, 43);
    rec_at(f, 0, 4780, 70);  /* HEADERS 3 and 4 */
    rec_at(f, 1, 4805, 30);
    rec_at(f, 0, 5195, 26);  /* END_STREAM 1 */
    for (int i = 0; i < 3; i++) {
        rec(f, 0, 23, 231);
        rec(f, 0, 23, 26);
    }
    flush(f, 0, 50571, 1448); /* one segment */
    for (uint64_t i = 0; i < 4; i++) {
        rec_at(f, 1, 472878 + i * 30000, 278);
        rec_at(f, 1, 480000 + i * 30000, 201);
    }
    exchange_finish(&f->ex, &f->to);
    assert_true(f->ex.mux);
    assert_int_equal(f->ex.count, 4);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 0)->req_bytes, 99 + 121 + 319);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 1)->start_us, 4780);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 1)->req_bytes, 70 + 26 + 231 + 26);
    for (int i = 2; i < 4; i++) {
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, (uint32_t)i)->start_us, 50571);
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, (uint32_t)i)->req_bytes, 231 + 26);
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, (uint32_t)i)->req_records, 2);
    }
}

/* A long body in one write stays one request: [DATA][DATA][DATA], and a
 * WINDOW_UPDATE (30) or a PING ACK (34) between its records. */
static void test_h2_long_body_write_not_split(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 1392, 1995, 3031, "h2");
    rec_at(f, 0, 3640, 99);
    rec_at(f, 1, 3675, 26);
    rec(f, 0, 23, 61);
    rec(f, 0, 23, 1200);
    rec(f, 0, 23, 30);
    rec(f, 0, 23, 1200);
    rec(f, 0, 23, 1200);
    rec(f, 0, 23, 34);
    rec(f, 0, 23, 1200);
    flush(f, 0, 100000, 1448);
    rec_at(f, 1, 900000, 407);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 0)->req_records, 7);
    assert_false(f->ex.mux);
}

/* Client control records while the server streams never open a turn, on an
 * HTTP/2 connection whose requests do not overlap (httpx, one worker):
 * WINDOW_UPDATE (30), PING ACK (34) and SETTINGS ACK (26) between chunks;
 * the next request 0.5 s after the answer, the one after that 1 ms after. */
static void test_h2_sequential_control_records(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 706, 21248, 22268, "h2");
    rec_at(f, 1, 23141, 282);
    rec_at(f, 0, 23150, 99);
    rec_at(f, 1, 23174, 282);
    rec_at(f, 1, 23286, 124);
    uint64_t t = 1166994;
    for (unsigned r = 0; r < 3; r++) {
        rec_at(f, 0, t, 79);
        rec_at(f, 0, t + 94, 370);
        rec_at(f, 0, t + 126, 26);
        rec_at(f, 1, t + 271, 30);
        t += 416000;
        rec_at(f, 1, t, 277);
        for (unsigned c = 0; c < 12; c++) {
            t += 40000;
            rec_at(f, 1, t, 202);
            rec_at(f, 0, t + 200, c % 3 == 0 ? 30 : c % 3 == 1 ? 34 : 26);
        }
        rec_at(f, 1, t + 300, 40);
        rec_at(f, 1, t + 360, 26);
        t += r == 0 ? 500000 : 1000;
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, i)->req_records, 3 + 12);
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, i)->resp_records, 1 + 1 + 12 + 2);
        assert_int_equal(exchange_listed_turn(&f->ex, f->pool, i)->ttfb_us, 416000 - 271 + 271);
    }
    assert_false(f->ex.mux);
}

/* Item 6, bodiless HTTP/2 GETs (curl-h2.pcap, port 58326, times in us from
 * the capture's start): an unstreamed answer in one record (407), then curl
 * sends GET /v1/models as one 54-byte HEADERS record 291 us later and, once
 * it is answered, GET /v1/ping in 39 bytes: small like a WINDOW_UPDATE, but
 * each starts a client write after a whole one-record answer and is answered
 * at once. Three turns, not one. */
static void test_h2_small_gets_after_unstreamed(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 21583, 27808, 34432, "h2");
    rec_at(f, 1, 36571, 282); /* tickets, the server's SETTINGS */
    rec_at(f, 1, 36603, 282);
    rec_at(f, 1, 36645, 57);
    rec_at(f, 0, 37974, 81);  /* preface, SETTINGS */
    rec_at(f, 1, 38016, 26);
    rec_at(f, 0, 55985, 102); /* POST 1: streamed */
    rec_at(f, 0, 60052, 26);
    rec_at(f, 0, 60081, 148);
    rec_at(f, 1, 60232, 30);
    rec_at(f, 1, 937444, 277);
    for (uint64_t i = 0; i < 10; i++)
        rec_at(f, 1, 980111 + i * 45000, 203);
    rec_at(f, 1, 1430561, 40);
    rec_at(f, 1, 1430923, 26);
    rec_at(f, 0, 1431204, 66); /* POST 2: unstreamed */
    rec_at(f, 0, 1431221, 131);
    rec_at(f, 1, 1431671, 30);
    rec_at(f, 1, 2374369, 407);
    rec_at(f, 0, 2374660, 54); /* GET /v1/models */
    rec_at(f, 1, 2374827, 26);
    rec_at(f, 1, 2374948, 242);
    rec_at(f, 0, 2375065, 39); /* GET /v1/ping */
    rec_at(f, 1, 2375112, 62); /* 204 */
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 4);
    assert_false(f->ex.mux);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 1431204, 66 + 131, 30 + 407, 2, 2, 2374369 - 1431204, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 2), 2374660, 54, 26 + 242, 1, 2, 2374948 - 2374660, 0);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 3), 2375065, 39, 62, 1, 1, 2375112 - 2375065, 0);
}

/* Item 6 (httpx-h2-seq.pcap, port 42704, and chromium.pcap alike): after a
 * streamed answer, 0.7 s of silence (the round trip is 20.5 ms), then GET
 * /v1/ping as one 53-byte record, answered by a 62-byte 204: a request of
 * its own. The HEADERS of the POST before it (51 bytes) arrive after an
 * unstreamed answer, and the server's WINDOW_UPDATE comes before the body:
 * the request starts at its HEADERS. */
static void test_h2_small_get_after_silence(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 706, 21248, 22268, "h2");
    rec_at(f, 1, 23141, 282);
    rec_at(f, 0, 23150, 99);  /* preface and SETTINGS, */
    rec_at(f, 0, 23150, 85);  /* GET /v1/models */
    rec_at(f, 1, 23174, 282);
    rec_at(f, 1, 23286, 186);
    rec_at(f, 1, 23308, 124);
    rec_at(f, 0, 14051474, 52); /* POST: unstreamed */
    rec_at(f, 0, 14051576, 421);
    rec_at(f, 0, 14051602, 26);
    rec_at(f, 1, 14051645, 30);
    rec_at(f, 1, 16136270, 455);
    rec_at(f, 1, 16136332, 26);
    rec_at(f, 0, 16795090, 51); /* POST: streamed */
    rec_at(f, 1, 16795343, 30);
    rec_at(f, 0, 16795353, 250);
    rec_at(f, 0, 16795360, 26);
    rec_at(f, 1, 17274515, 277);
    for (uint64_t i = 0; i < 5; i++)
        rec_at(f, 1, 17315838 + i * 40000, 201);
    rec_at(f, 1, 17517950, 40);
    rec_at(f, 1, 17518473, 26);
    rec_at(f, 0, 18222722, 53); /* GET /v1/ping */
    rec_at(f, 1, 18222864, 62);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 4);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 1)->start_us, 14051474);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->start_us, 16795090);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->req_bytes, 51 + 250 + 26);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->ttfb_us, 17274515 - 16795090);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 3), 18222722, 53, 62, 1, 1, 18222864 - 18222722, 0);
}

/* What stays control: a WINDOW_UPDATE after a streamed answer's chunk (the
 * server goes on 40 ms later, at its own pace), a WINDOW_UPDATE that
 * unblocks a bulk transfer (full-size records before it, more at once after
 * it) and a PING ACK after an unstreamed answer (nothing answers it). */
static void test_h2_small_control_stays_control(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 706, 21248, 22268, "h2");
    rec_at(f, 0, 23150, 99);
    rec_at(f, 1, 23174, 282);
    rec_at(f, 0, 1000000, 400); /* POST: streamed */
    rec_at(f, 1, 1500000, 277);
    for (uint64_t i = 0; i < 6; i++) {
        rec_at(f, 1, 1540000 + i * 40000, 201);
        rec_at(f, 0, 1540300 + i * 40000, 30);
    }
    rec_at(f, 0, 3000000, 80); /* GET: a bulk download */
    for (uint64_t i = 0; i < 4; i++)
        rec_at(f, 1, 3001000 + i * 100, 16401);
    rec_at(f, 0, 3030000, 30); /* unblocks */
    for (uint64_t i = 0; i < 4; i++)
        rec_at(f, 1, 3030200 + i * 100, 16401);
    rec_at(f, 0, 5000000, 400); /* POST: unstreamed */
    rec_at(f, 1, 5600000, 407);
    rec_at(f, 1, 5600400, 34); /* the server's PING */
    rec_at(f, 0, 5600600, 34); /* its ACK */
    rec_at(f, 1, 9000000, 34);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 3);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 0)->req_records, 1 + 6);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 1)->req_records, 2);
    assert_int_equal(exchange_listed_turn(&f->ex, f->pool, 2)->req_records, 2);
}

/* HTTP/1.1 (no "h2" offered): httpx wrote its headers (232) and its body
 * (129) separately, and Nagle's algorithm held the body until nginx's
 * delayed ACK 43 ms later: one request, never two in flight. */
static void test_h1_body_after_delayed_ack(void **state)
{
    struct fx *f = *state;
    tls13_handshake(f, 410, 923, 2142, "http/1.1");
    rec_at(f, 1, 2287, 298);
    rec_at(f, 1, 2324, 298);
    rec_at(f, 0, 2707, 232);
    rec_at(f, 0, 45411, 129);
    rec_at(f, 1, 46435, 180);
    rec_at(f, 1, 46463, 134);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 2707, 232 + 129, 180 + 134, 2, 2, 46435 - 2707, 28);
}

/* No handshake seen, no answer: a request alone is a turn at the end. */
static void test_request_without_answer(void **state)
{
    struct fx *f = *state;
    rec(f, 0, 23, 500);
    flush(f, 0, 7000, 1448);
    const struct turn_sink pool_only = { NULL, NULL, NULL, f->pool }; /* listed, not reported */
    exchange_finish(&f->ex, &pool_only);
    assert_int_equal(f->ex.count, 1);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 0), 7000, 500, 0, 1, 0, 0, 0);
}

/* A shared pool of `listed` listed turns and none of the rest, for the
 * tests of its exhaustion. */
static void small_pool(struct fx *f, size_t listed)
{
    exchange_pool_free(f->pool);
    f->pool = exchange_pool_new(listed, 0, 0);
    assert_non_null(f->pool);
    f->to.pool = f->pool;
}

/* The pool's listed turns used up: later turns are counted and reported,
 * not listed (the flow event's turns_not_listed), and the pool counts them;
 * released, the listed ones go back. */
static void test_pool_listed_exhausted(void **state)
{
    struct fx *f = *state;
    small_pool(f, 2);
    tls12_handshake(f);
    for (unsigned i = 0; i < 5; i++) {
        uint64_t t0 = 100000 + (uint64_t)i * 1000;
        rec(f, 0, 23, (uint16_t)(200 + i));
        flush(f, 0, t0, 1448);
        rec(f, 1, 23, (uint16_t)(1000 + i));
        flush(f, 1, t0 + 50 + i, 1448);
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 5);
    assert_int_equal(f->ex.kept, 2);
    assert_int_equal(f->ngot, 5);
    assert_turn(exchange_listed_turn(&f->ex, f->pool, 1), 101000, 201, 1001, 1, 1, 51, 0);
    assert_null(exchange_listed_next(&f->ex, f->pool, exchange_listed_turn(&f->ex, f->pool, 1)));
    struct exchange_pool_stats st;
    exchange_pool_stats_get(f->pool, &st);
    assert_int_equal(st.listed, 2);
    assert_int_equal(st.listed_refused, 3);
    exchange_release(&f->ex, f->pool);
    exchange_pool_stats_get(f->pool, &st);
    assert_int_equal(st.listed, 0);
    assert_int_equal(f->ex.kept, 0);
}

/* No block for a second request in flight: the oldest closes, as at
 * EXCHANGE_OPEN_MAX, counted. No state to hold a small client record: it
 * is more of the newest request, counted. */
static void test_pool_open_and_held_exhausted(void **state)
{
    struct fx *f = *state;
    small_pool(f, 8);
    tls12_handshake(f);
    rec(f, 0, 23, 300);
    flush(f, 0, 100000, 1448);
    rec(f, 0, 23, 300); /* a write of its own, no answer yet: alongside (HTTP/2) */
    flush(f, 0, 200000, 1448);
    assert_int_equal(f->ngot, 1); /* the first closed for it */
    assert_int_equal(f->ex.nopen, 1);
    rec(f, 1, 23, 2000);
    flush(f, 1, 250000, 1448);
    rec(f, 0, 23, 30); /* small: would be held */
    flush(f, 0, 400000, 1448);
    assert_int_equal(cur(f)->req_bytes, 330);
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, 2);
    struct exchange_pool_stats st;
    exchange_pool_stats_get(f->pool, &st);
    assert_int_equal(st.more_refused, 1);
    assert_int_equal(st.held_refused, 1);
    assert_int_equal(f->ex.more, 0);
    assert_int_equal(f->ex.held, 0);
}

/* Flow i of test_pool_handles: its handshake, then two requests in flight
 * (HTTP/2: the second a write of its own, no answer yet), of 300 + i and
 * 400 + i bytes. Its exchange is left in f->ex. */
static void two_in_flight(struct fx *f, unsigned i)
{
    exchange_init(&f->ex);
    for (int d = 0; d < 2; d++)
        f->s[d].len = f->s[d].sent = 0;
    tls12_handshake(f);
    rec(f, 0, 23, (uint16_t)(300 + i));
    flush(f, 0, 100000, 1448);
    rec(f, 0, 23, (uint16_t)(400 + i));
    flush(f, 0, 200000, 1448);
}

/* The block of requests in flight is a 32-bit handle into the shared pool
 * (slabs of 128): flows beyond the first slab find their own block, the
 * flow past the cap closes its oldest turn (counted), and released blocks
 * are taken again by later flows. */
static void test_pool_handles(void **state)
{
    struct fx *f = *state;
    enum { CAP = 300, FLOWS = CAP + 1 };
    exchange_pool_free(f->pool);
    f->pool = exchange_pool_new(64, CAP, 0);
    assert_non_null(f->pool);
    f->to.pool = f->pool;
    struct exchange *ex = calloc(FLOWS, sizeof(*ex));
    assert_non_null(ex);
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < FLOWS; i++) {
            two_in_flight(f, i);
            ex[i] = f->ex;
        }
        struct exchange_pool_stats st;
        exchange_pool_stats_get(f->pool, &st);
        assert_int_equal(st.more, CAP);
        assert_int_equal(st.more_refused, (uint64_t)round + 1u);
        for (unsigned i = 0; i < CAP; i++) {
            assert_int_equal(ex[i].nopen, 2);
            assert_int_not_equal(ex[i].more, 0);
            assert_int_equal(exchange_open_turn(&ex[i], f->pool, 0).req_bytes, 300 + i);
            assert_int_equal(exchange_open_turn(&ex[i], f->pool, 1).req_bytes, 400 + i);
        }
        assert_int_equal(ex[CAP].nopen, 1); /* no block: the oldest closed for it */
        assert_int_equal(ex[CAP].more, 0);
        for (unsigned i = 0; i < FLOWS; i++)
            exchange_release(&ex[i], f->pool);
        exchange_pool_stats_get(f->pool, &st);
        assert_int_equal(st.more, 0);
        assert_int_equal(st.listed, 0);
    }
    free(ex);
    exchange_init(&f->ex);
}

/* The circular list of listed turns at its edges: one turn (a list of
 * itself), and more turns than EXCHANGE_TURNS_KEPT (the list stops at it,
 * oldest first; the rest are counted, and are no refusal of the pool);
 * released, every listed turn goes back once, and a second release
 * holds nothing. */
static void test_pool_listed_edges(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    struct exchange_pool_stats st;
    for (unsigned i = 0; i < EXCHANGE_TURNS_KEPT + 8; i++) {
        uint64_t t0 = 100000 + (uint64_t)i * 1000;
        rec(f, 0, 23, (uint16_t)(200 + i));
        flush(f, 0, t0, 1448);
        rec(f, 1, 23, (uint16_t)(1000 + i));
        flush(f, 1, t0 + 50, 1448);
        if (i == 1) { /* the first turn closed: one listed */
            assert_int_equal(f->ex.kept, 1);
            const struct turn *only = exchange_listed_turn(&f->ex, f->pool, 0);
            assert_non_null(only);
            assert_null(exchange_listed_next(&f->ex, f->pool, only));
            assert_null(exchange_listed_turn(&f->ex, f->pool, 1));
        }
    }
    exchange_finish(&f->ex, &f->to);
    assert_int_equal(f->ex.count, EXCHANGE_TURNS_KEPT + 8);
    assert_int_equal(f->ex.kept, EXCHANGE_TURNS_KEPT);
    unsigned n = 0;
    for (const struct turn *t = exchange_listed_turn(&f->ex, f->pool, 0); t != NULL;
         t = exchange_listed_next(&f->ex, f->pool, t)) {
        assert_int_equal(t->req_bytes, 200 + n);
        n++;
    }
    assert_int_equal(n, EXCHANGE_TURNS_KEPT);
    exchange_pool_stats_get(f->pool, &st);
    assert_int_equal(st.listed, EXCHANGE_TURNS_KEPT);
    assert_int_equal(st.listed_refused, 0);
    exchange_release(&f->ex, f->pool);
    exchange_release(&f->ex, f->pool);
    exchange_pool_stats_get(f->pool, &st);
    assert_int_equal(st.listed, 0);
    assert_int_equal(st.more, 0);
    assert_int_equal(st.held, 0);
    assert_null(exchange_listed_turn(&f->ex, f->pool, 0));
}

static void test_bad_arguments(void **state)
{
    struct fx *f = *state;
    uint8_t b[8] = { 23, 3, 3, 0, 3, 1, 2, 3 };
    exchange_tcp(NULL, 0, 1, 1, b, 8, NULL);
    exchange_tcp(&f->ex, 0, 1, 1, NULL, 8, NULL);
    exchange_tcp(&f->ex, 0, 1, 1, b, 0, NULL);
    exchange_tcp(&f->ex, 2, 1, 1, b, 8, NULL);
    exchange_tcp(&f->ex, -1, 1, 1, b, 8, NULL);
    exchange_udp(&f->ex, 2, 1, b, 8, NULL);
    exchange_udp(NULL, 0, 1, b, 8, NULL);
    exchange_finish(NULL, NULL);
    assert_int_equal(exchange_app_bytes(&f->ex, 0), 0);
    assert_false(f->ex.dir[0].started);
}

/* ---- QUIC ---- */

static size_t quic_long(uint8_t *p, uint32_t version, unsigned type, size_t payload_len)
{
    size_t o = 0;
    p[o++] = (uint8_t)(0xc0 | (type << 4) | 0x01);
    p[o++] = (uint8_t)(version >> 24);
    p[o++] = (uint8_t)(version >> 16);
    p[o++] = (uint8_t)(version >> 8);
    p[o++] = (uint8_t)version;
    p[o++] = 8; /* DCID */
    memset(p + o, 0x11, 8);
    o += 8;
    p[o++] = 0; /* SCID */
    int initial = version == 0x6b3343cfu ? type == 1 : type == 0;
    if (initial)
        p[o++] = 0; /* token length */
    p[o++] = (uint8_t)(0x40 | (payload_len >> 8)); /* 2-byte varint length */
    p[o++] = (uint8_t)payload_len;
    memset(p + o, 0x22, payload_len);
    return o + payload_len;
}

static size_t quic_short(uint8_t *p, size_t len)
{
    memset(p, 0x33, len);
    p[0] = 0x41;
    return len;
}

static void test_quic(void **state)
{
    struct fx *f = *state;
    struct exchange *e = &f->ex;
    uint8_t d[1500];
    size_t n;

    n = quic_long(d, 1, 0, 1180); /* client Initial */
    exchange_udp(e, 0, 100, d, (uint32_t)n, &f->to);
    n = quic_long(d, 1, 0, 100);  /* server Initial + Handshake, coalesced */
    n += quic_long(d + n, 1, 2, 1000);
    exchange_udp(e, 1, 200, d, (uint32_t)n, &f->to);
    assert_int_equal(exchange_app_bytes(e, 0) + exchange_app_bytes(e, 1), 0);
    assert_false((e->nopen > 0));

    /* Client Handshake coalesced with its first 1-RTT packet (the request). */
    n = quic_long(d, 1, 2, 60);
    size_t hs = n;
    n += quic_short(d + n, 400);
    exchange_udp(e, 0, 1000, d, (uint32_t)n, &f->to);
    assert_int_equal(exchange_app_bytes(e, 0), 400);
    (void)hs;

    n = quic_short(d, 1200);
    exchange_udp(e, 1, 1300, d, (uint32_t)n, &f->to);
    exchange_udp(e, 0, 1310, d, 40, &f->to); /* an ACK: small, in no turn's request */
    exchange_udp(e, 1, 1400, d, (uint32_t)n, &f->to);
    exchange_udp(e, 1, 1500, d, 700, &f->to);
    assert_int_equal(f->ngot, 0);

    exchange_udp(e, 0, 3000, d, 350, &f->to); /* the next request */
    assert_int_equal(f->ngot, 1);
    exchange_udp(e, 1, 3100, d, 900, &f->to);
    exchange_finish(e, &f->to);

    assert_int_equal(e->count, 2);
    assert_turn(exchange_listed_turn(e, f->pool, 0), 1000, 400, 3100, 1, 3, 300, 200);
    assert_turn(exchange_listed_turn(e, f->pool, 1), 3000, 350, 900, 1, 1, 100, 0);
    assert_int_equal(exchange_app_bytes(e, 0), 400 + 40 + 350); /* the ACK too */
    assert_int_equal(exchange_app_bytes(e, 1), 1200 + 1200 + 700 + 900);
}

static void test_quic_0rtt_v2_and_junk(void **state)
{
    struct fx *f = *state;
    struct exchange *e = &f->ex;
    uint8_t d[1500];
    size_t n;

    /* QUIC v2: Initial (type bits 01) coalesced with 0-RTT (type bits 10). */
    n = quic_long(d, 0x6b3343cfu, 1, 1000);
    size_t init = n;
    n += quic_long(d + n, 0x6b3343cfu, 2, 300);
    exchange_udp(e, 0, 500, d, (uint32_t)n, &f->to);
    assert_int_equal(exchange_app_bytes(e, 0), n - init); /* the 0-RTT packet, header included */
    assert_true((e->nopen > 0));

    /* Version negotiation and an unknown version: nothing counted. */
    uint64_t before = exchange_app_bytes(e, 1);
    n = quic_long(d, 0, 0, 50);
    exchange_udp(e, 1, 600, d, (uint32_t)n, &f->to);
    n = quic_long(d, 0x51303530u, 0, 50); /* "Q050" */
    exchange_udp(e, 1, 600, d, (uint32_t)n, &f->to);
    /* Truncated long headers and a length beyond the datagram. */
    exchange_udp(e, 1, 600, d, 3, &f->to);
    n = quic_long(d, 1, 2, 500);
    exchange_udp(e, 1, 600, d, (uint32_t)(n - 10), &f->to);
    assert_int_equal(exchange_app_bytes(e, 1), before);

    /* A v1 Handshake whose DCID is 21 bytes (RFC 9000 17.2: invalid) ends
     * the walk: the 1-RTT packet coalesced after it is not counted. */
    n = 0;
    d[n++] = 0xe1; /* long header, Handshake */
    d[n++] = 0, d[n++] = 0, d[n++] = 0, d[n++] = 1;
    d[n++] = 21; /* DCID length */
    memset(d + n, 0x11, 21);
    n += 21;
    d[n++] = 0;    /* SCID length */
    d[n++] = 0x40; /* Length: 2-byte varint, 16 */
    d[n++] = 16;
    memset(d + n, 0x22, 16);
    n += 16;
    n += quic_short(d + n, 400);
    exchange_udp(e, 1, 700, d, (uint32_t)n, &f->to);
    assert_int_equal(exchange_app_bytes(e, 1), before);
}

/* A client segment that loses record sync between two large records: the
 * raw bytes before the re-synchronised header are held (no record), and
 * the large record after them in the same write splits it as HTTP/2
 * requests written together would. Raw bytes are no record: the request
 * before must not be given UINT32_MAX records (a held count of 0 less
 * one), and every turn's records stay what was sent. */
static void test_split_raw_bytes_held(void **state)
{
    struct fx *f = *state;
    tls12_handshake(f);
    rec(f, 0, 23, 400);
    struct stream *c = &f->s[0];
    memset(c->buf + c->len, 0, 5);   /* 5 bytes that are no record header */
    c->len += 5;
    rec(f, 0, 23, 400);
    flush(f, 0, 1000, 1448);         /* one segment */
    rec(f, 1, 23, 3000);
    flush(f, 1, 1500, 1448);
    exchange_finish(&f->ex, &f->to);
    /* One request: both records and the raw bytes between them. */
    assert_int_equal(f->ngot, 1);
    assert_turn(&f->got[0], 1000, 805, 3000, 2, 1, 500, 0);
    assert_int_equal(f->ex.resync, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keepalive_three_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls13_h2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_spanning_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_header_and_packed_records, setup, teardown),
        cmocka_unit_test(test_split_header_every_byte),
        cmocka_unit_test_setup_teardown(test_retransmission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_and_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync_inside_segment_and_midstream, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_header_while_synced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync_rejects_fakes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync_after_handshake_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_small_records_between_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_answer_times_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_flow_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http2_setup_not_a_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_is_not_first_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_is_one_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_word_late_ticket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_bytes_48, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtt_after_lost_server_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_bytes_end_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_bytes_end_finished_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_settings_do_not_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_late_body_after_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_answer_then_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_concurrent_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_concurrent_streams_quiet_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_h2_late_end_stream_then_next_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_h2_sequential_control_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_coalesced_requests_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_end_stream_ends_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_late_body_same_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_requests_ms_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_long_body_write_not_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_small_gets_after_unstreamed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_small_get_after_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_small_control_stays_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h1_body_after_delayed_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_without_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_listed_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_open_and_held_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_listed_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quic_0rtt_v2_and_junk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_raw_bytes_held, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
