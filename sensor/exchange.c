/* Request/response turns inside encrypted flows, from TLS record headers
 * followed across TCP segments, and from QUIC packet headers.
 *
 * The model and its approximations are documented in include/ds/exchange.h;
 * this file finds application data and the TLS 1.3 handshake's end, and
 * exchange-turns.c makes turns of that data. Everything here is per packet: no allocation, and work linear in the
 * segment (a re-sync scan looks at each byte offset about once). */
#include "ds/exchange.h"

#include <string.h>

#include "ds/bytes.h"
#include "ds/quic-header.h"
#include "ds/tls-record.h"
#include "exchange-int.h"

/* e->hs: is the connection TLS 1.3, and where is its handshake? */
enum {
    HS_START = 0,  /* no type-23 record seen either way */
    HS_TLS13,      /* the server sent type 23 first: its handshake; the client's Finished is next */
    HS_DONE,       /* type-23 records are application data from here */
};

void exchange_init(struct exchange *e)
{
    memset(e, 0, sizeof(*e));
    e->cli_big_age = UINT32_MAX; /* never */
    e->srv_big_age = UINT32_MAX;
}

void exchange_release(struct exchange *e, struct exchange_pool *p)
{
    if (e == NULL)
        return;
    const struct exchange_listed *newest = exchange_pool_listed(p, e->listed);
    uint32_t h = newest ? newest->next : 0; /* the oldest */
    for (uint32_t i = 0; h != 0 && i < e->kept; i++) {
        uint32_t next = exchange_pool_listed(p, h)->next;
        exchange_pool_put_listed(p, h);
        h = next;
    }
    exchange_pool_put_more(p, e->more);
    exchange_pool_put_held(p, e->held);
    exchange_init(e);
}

const struct turn *exchange_listed_turn(const struct exchange *e, const struct exchange_pool *p,
                                        uint32_t i)
{
    if (e == NULL || i >= e->kept)
        return NULL;
    const struct exchange_listed *newest = exchange_pool_listed(p, e->listed);
    if (newest == NULL)
        return NULL;
    const struct exchange_listed *l = exchange_pool_listed(p, newest->next); /* the oldest */
    while (i-- > 0)
        l = exchange_pool_listed(p, l->next);
    return &l->t;
}

const struct turn *exchange_listed_next(const struct exchange *e, const struct exchange_pool *p,
                                        const struct turn *t)
{
    if (e == NULL || t == NULL)
        return NULL;
    const struct exchange_listed *newest = exchange_pool_listed(p, e->listed);
    if (newest == NULL || t == &newest->t)
        return NULL;
    const struct exchange_listed *l = (const struct exchange_listed *)t; /* t is its first member */
    return &exchange_pool_listed(p, l->next)->t;
}

/* Does the ALPN protocol_name_list offer HTTP/2? */
static bool alpn_offers_h2(const uint8_t *alpn, size_t len)
{
    struct rd r = rd_init(alpn, len);
    while (rd_left(&r) > 0) {
        uint8_t n = rd_u8(&r);
        const uint8_t *name = rd_bytes(&r, n);
        if (name == NULL)
            return false;
        if (n == 2 && name[0] == 'h' && name[1] == '2')
            return true;
    }
    return false;
}

void exchange_hello(struct exchange *e, uint64_t ts_us, const uint8_t *alpn, size_t alpn_len)
{
    if (e == NULL)
        return;
    /* Kept where the server's last data will go (struct exchange): only
     * while the server has sent no record and no data, else too late to
     * time the round trip. */
    if (!e->srv_seen && exchange_srv_last(e) == 0) {
        e->srv_last_us = ts_us;
        e->hs_in_srv = true;
    }
    e->one_stream = alpn == NULL || !alpn_offers_h2(alpn, alpn_len);
}

/* n more application-data bytes in direction dir, saturating. */
static void app_bytes_add(struct exchange *e, int dir, uint32_t n)
{
    uint64_t b = exchange_app_bytes(e, dir);
    b = n > EXCHANGE_APP_BYTES_MAX - b ? EXCHANGE_APP_BYTES_MAX : b + n;
    e->app_lo[dir] = (uint32_t)b;
    e->app_hi[dir] = (uint16_t)(b >> 32);
}

/* The handshake's time leaves srv_last_us: the server's data takes it. */
static void hs_forget(struct exchange *e)
{
    if (e->hs_in_srv) {
        e->srv_last_us = 0;
        e->hs_in_srv = false;
    }
}

/* The server's first record, or its first raw bytes (on_data), at ts: the
 * handshake's round trip from the client's hello, if that was known.
 * Saturated at 32 bits (71 minutes: a handshake no TLS stack waits that
 * long for); compared only as 1.5 and 2 round trips plus slack. */
static void srv_first(struct exchange *e, uint64_t ts)
{
    e->srv_seen = true;
    if (e->hs_in_srv && ts > e->srv_last_us) { /* srv_last_us is the hello's time */
        uint64_t rtt = ts - e->srv_last_us;
        e->rtt_us = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
    }
    hs_forget(e);
}

/* n bytes of application data in direction dir at time ts. */
static void on_data(struct exchange *e, int dir, uint64_t ts, uint32_t n, unsigned flags,
                    const struct turn_sink *to)
{
    app_bytes_add(e, dir, n);
    if (dir == 0) {
        exchange_turns_client(e, ts, n, flags, to);
        return;
    }
    /* The server's data takes the handshake's word. Raw bytes before its
     * first record (its first segment was lost) are its first bytes: they
     * time the round trip first (srv_first forgets the hello then); after
     * it, the tail's first record was judged already (record_start). */
    if (!e->srv_seen)
        srv_first(e, ts);
    else
        hs_forget(e);
    exchange_turns_server(e, ts, n, flags, to);
}

/* ---- TLS over TCP ----------------------------------------------------- */

/* The tracker's next expected sequence number, kept as 16-bit halves so
 * that struct rec_track needs only 2-byte alignment (exchange.h). */
static uint32_t track_seq(const struct rec_track *t)
{
    return (uint32_t)t->seq_hi << 16 | t->seq_lo;
}

static void track_seq_set(struct rec_track *t, uint32_t seq)
{
    t->seq_lo = (uint16_t)(seq & 0xffffu);
    t->seq_hi = (uint16_t)(seq >> 16);
}

/* The flags of the current record's bytes. */
static unsigned rec_flags(const struct rec_track *t)
{
    return (t->big ? U_BIG : 0u) | (t->tail ? U_TAIL : 0u) | (t->full ? U_FULL : 0u) |
           (t->empty ? U_EMPTY : 0u) | (t->body ? U_BODY : 0u);
}

/* What a synchronised tracker accepts as the next header; anything else
 * means we lost the record boundaries. The largest body a peer may send is
 * TLS_RECORD_MAX: 2^14 plaintext plus TLS 1.2's allowance for MAC, padding
 * and compression (RFC 5246 section 6.2.3). */
static bool hdr_valid(uint8_t type, uint16_t version, uint16_t len)
{
    return type >= TLS_RECORD_CHANGE_CIPHER_SPEC && type <= TLS_RECORD_HEARTBEAT &&
           tls_record_version_plausible(version) && len <= TLS_RECORD_MAX;
}

/* A record header's first k bytes (1 to 4), whose rest is in a later
 * segment, packed into the 16 bits of t->hdr_part (exchange.h: no body is
 * being read then). Only a prefix of a header that hdr_valid() accepts
 * needs its bytes: type 20 to 24, version 3.0 to 3.4 (major 3 implied),
 * a length's high byte at most TLS_RECORD_MAX's: packed as type - 20 (3
 * bits), the minor version (3 bits) and that byte (8 bits). Any other
 * prefix makes an invalid header whatever follows, and header_complete
 * reads no byte of an invalid one (only how many came earlier):
 * HDR_PART_BAD stands for them all. */
#define HDR_PART_BAD 0xffffu
_Static_assert((4u | 4u << 3 | (TLS_RECORD_MAX >> 8) << 6) < HDR_PART_BAD,
               "a valid header prefix packs below HDR_PART_BAD");

/* Whether some header that starts with h[0, k) passes hdr_valid(): the
 * prefix completed with the least that could follow it (major version 3,
 * the rest 0). */
static bool hdr_prefix_valid(const uint8_t *h, uint32_t k)
{
    unsigned major = k >= 2 ? h[1] : 3u, minor = k >= 3 ? h[2] : 0u, len_hi = k >= 4 ? h[3] : 0u;
    return hdr_valid(h[0], (uint16_t)(major << 8 | minor), (uint16_t)(len_hi << 8));
}

static uint16_t hdr_pack(const uint8_t *h, uint32_t k)
{
    if (!hdr_prefix_valid(h, k))
        return HDR_PART_BAD;
    unsigned v = (unsigned)(h[0] - TLS_RECORD_CHANGE_CIPHER_SPEC);
    if (k >= 3)
        v |= (unsigned)h[2] << 3;
    if (k >= 4)
        v |= (unsigned)h[3] << 6;
    return (uint16_t)v;
}

/* hdr_pack's inverse into h[0, k); a bad prefix comes back as one that
 * hdr_valid() refuses (type 0), as the bytes it stood for would be. */
static void hdr_unpack(uint16_t v, uint32_t k, uint8_t *h)
{
    if (v == HDR_PART_BAD) {
        memset(h, 0, k);
        return;
    }
    h[0] = (uint8_t)(TLS_RECORD_CHANGE_CIPHER_SPEC + (v & 7u));
    if (k >= 2)
        h[1] = 3;
    if (k >= 3)
        h[2] = (uint8_t)((v >> 3) & 7u);
    if (k >= 4)
        h[3] = (uint8_t)(v >> 6);
}

/* What a lost tracker accepts to re-synchronise: strictly inside hdr_valid(),
 * so that a header found by the scan is never refused by the parser.
 * Tighter bounds to re-synchronise on: random bytes pass these at about
 * 2 offsets in 10^7 (before the check of the header after), and TLS 1.3
 * allows no more than TLS_RECORD_MAX_TLS13 (RFC 8446 section 5.2). */
static bool hdr_plausible(const struct rec_track *t, const uint8_t *h)
{
    uint16_t version = be16(h + 1), len = be16(h + 3);
    if (h[0] < TLS_RECORD_CHANGE_CIPHER_SPEC || h[0] > TLS_RECORD_APPLICATION_DATA)
        return false;
    if (version < 0x0301 || version > 0x0304 || len == 0 || len > TLS_RECORD_MAX_TLS13)
        return false;
    return t->version == 0 || version == t->version;
}

/* Offset of the first plausible record header in p[0..n), or n. A header
 * whose record ends inside the segment must be followed by another one (or by
 * the segment's end): one plausible header alone is too easy to fake. */
static uint32_t resync_find(const struct rec_track *t, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; n >= TLS_RECORD_HDR_LEN && i <= n - TLS_RECORD_HDR_LEN; i++) {
        if (!hdr_plausible(t, p + i))
            continue;
        uint64_t end = (uint64_t)i + TLS_RECORD_HDR_LEN + be16(p + i + 3);
        if (end >= n)
            return i;
        if (end + TLS_RECORD_HDR_LEN <= n && hdr_plausible(t, p + end))
            return i;
        if (end + TLS_RECORD_HDR_LEN > n)
            return i; /* the next header is cut by the segment's end */
    }
    return n;
}

/* Whether the server's bytes at ts are within the handshake tail's window
 * (tail_open): the first within 1.5 round trips and the slack of the
 * Finished, the next close behind the server's last data. */
static bool tail_window(const struct exchange *e, uint64_t ts)
{
    /* The first: srv_last_us is still the Finished (hs_in_srv), no server
     * data has come since. The next: srv_last_us is the tail's last data. */
    uint64_t rtt = e->rtt_us, since = e->srv_last_us;
    uint64_t limit = since + EXCHANGE_TAIL_GAP_US;
    if (e->hs_in_srv)
        limit = since + rtt + rtt / 2 + EXCHANGE_TAIL_SLACK_US;
    return ts <= limit && (ts >= since || !e->hs_in_srv);
}

/* The server's type-23 record of body len at ts, after the client's TLS 1.3
 * Finished: is it still the handshake's tail (session tickets, an HTTP/2
 * server's first SETTINGS)? Small, the first within 1.5 round trips and the
 * slack of the Finished, the next ones close behind it; the first record
 * that is not ends the tail. */
static bool tail_record(struct exchange *e, uint64_t ts, uint16_t len)
{
    if (!e->tail_open)
        return false;
    if (len <= EXCHANGE_TAIL_MAX && tail_window(e, ts))
        return true;
    e->tail_open = false;
    return false;
}

/* TLS 1.3 handshake tracking for a type-23 record: false if the record is
 * part of the handshake (the server's encrypted flight, the client's
 * Finished), not application data. */
static bool past_handshake(struct exchange *e, int dir, uint64_t ts)
{
    if (dir == 1) {
        if (e->hs == HS_START)
            e->hs = HS_TLS13; /* server speaks type 23 first: TLS 1.3 handshake */
        return e->hs != HS_TLS13;
    }
    uint8_t was = e->hs;
    e->hs = HS_DONE;
    if (was != HS_TLS13)
        return true;
    /* The client's Finished: the server's tail may follow. The server has
     * sent no application data (its records were its handshake under
     * HS_TLS13, and raw bytes would have ended that), so the Finished's
     * time can wait where the server's last data will go; were there any,
     * no tail is looked for. */
    if (exchange_srv_last(e) != 0)
        return false;
    e->srv_last_us = ts;
    e->hs_in_srv = true;
    e->tail_open = true;
    return false;
}

/* A record header was parsed: decide whether its body is application data. */
static void record_start(struct exchange *e, int dir, struct rec_track *t, uint64_t ts,
                         uint8_t type, uint16_t len, const struct turn_sink *to)
{
    t->body_left = len;
    t->big = len > EXCHANGE_TLS_SMALL;
    t->full = len >= EXCHANGE_TLS_FULL;
    t->empty = exchange_empty_frame_record(len);
    t->body = len > EXCHANGE_HEADERS_MAX;
    t->tail = false;
    t->counted = false;
    if (dir == 1 && !e->srv_seen)
        srv_first(e, ts);
    if (type != TLS_RECORD_APPLICATION_DATA || !past_handshake(e, dir, ts))
        return;
    if (dir == 1)
        t->tail = tail_record(e, ts, len);
    t->counted = true;
    on_data(e, dir, ts, 0, U_START | U_RECORD | rec_flags(t), to);
}

/* Bytes of a direction whose record boundaries we do not know. */
static void unsynced_data(struct exchange *e, int dir, uint64_t ts, uint32_t n,
                          const struct turn_sink *to)
{
    if (n == 0)
        return;
    e->hs = HS_DONE;
    /* The server's raw bytes become its last data, from which the tail's
     * window would run: past the window they end the tail, as a record
     * would (in it, they may be the tail's, as its records' bodies are). */
    if (dir == 1 && e->tail_open && !tail_window(e, ts))
        e->tail_open = false;
    on_data(e, dir, ts, n, U_START | (n > EXCHANGE_TLS_SMALL ? U_BIG : 0), to);
}

static void lose_sync(struct exchange *e, struct rec_track *t)
{
    if (t->synced && e->resync < UINT32_MAX)
        e->resync++;
    t->synced = false;
    t->hdr_len = 0;
    t->body_left = 0;
    t->counted = false;
    t->tail = false;
}

void exchange_tcp_at(struct exchange *e, int dir, uint32_t next_seq)
{
    if (e == NULL || (dir != 0 && dir != 1))
        return;
    struct rec_track *t = &e->dir[dir];
    t->started = true;
    t->synced = true;
    track_seq_set(t, next_seq);
    t->hdr_len = 0;
    t->body_left = 0;
    t->counted = false;
}

/* Places a segment that starts at seq in direction dir's stream: bytes
 * already seen are trimmed off the front of p[0, *n); a gap inside a record
 * whose length we know keeps the tracker in sync (the missing bytes were
 * that record's), any other gap loses it. Returns false if every byte of the
 * segment was seen already. */
static bool segment_place(struct exchange *e, int dir, uint64_t ts_us, uint32_t seq,
                          const uint8_t **p, uint32_t *n, const struct turn_sink *to)
{
    struct rec_track *t = &e->dir[dir];
    int32_t d = (int32_t)(seq - track_seq(t));
    if (d < 0) {
        uint32_t old = (uint32_t)(-(int64_t)d);
        if (old >= *n)
            return false; /* a retransmission of bytes already seen */
        *p += old;
        *n -= old;
    } else if (d > 0) {
        uint32_t gap = (uint32_t)d;
        if (t->synced && t->hdr_len == 0 && gap <= t->body_left) {
            /* Lost bytes inside a record whose length we know: the boundary
             * after it is still known; the missing bytes were that record's. */
            t->body_left = (uint16_t)(t->body_left - gap);
            if (t->counted)
                on_data(e, dir, ts_us, gap, rec_flags(t), to);
        } else {
            lose_sync(e, t);
        }
        track_seq_set(t, seq);
    }
    track_seq_set(t, track_seq(t) + *n);
    return true;
}

/* The record header hdr[0, TLS_RECORD_HDR_LEN) is complete: if it is valid
 * its record starts and true is returned. If not, the tracker loses sync, the header's
 * `earlier` bytes from earlier segments count as data, and false is
 * returned. */
static bool header_complete(struct exchange *e, int dir, struct rec_track *t, const uint8_t *hdr,
                            uint64_t ts_us, uint32_t earlier, const struct turn_sink *to)
{
    t->hdr_len = 0;
    uint8_t type = hdr[0];
    uint16_t version = be16(hdr + 1), rlen = be16(hdr + 3);
    if (!hdr_valid(type, version, rlen)) {
        unsynced_data(e, dir, ts_us, earlier, to);
        lose_sync(e, t);
        return false;
    }
    /* Handshake records may carry an older version (a ClientHello's is
     * often 0x0301); application data carries the connection's. */
    if (type == TLS_RECORD_APPLICATION_DATA)
        t->version = version;
    record_start(e, dir, t, ts_us, type, rlen, to);
    return true;
}

/* Walks the new bytes p[0, n) of direction dir, record by record: a lost
 * tracker scans for a plausible header (the bytes before it are raw data),
 * a record's body is data if the record is application data, and a header,
 * which may span segments, starts the next record. */
static void segment_walk(struct exchange *e, int dir, uint64_t ts_us, const uint8_t *p,
                         uint32_t n, const struct turn_sink *to)
{
    struct rec_track *t = &e->dir[dir];
    /* Progress: a lost tracker's scan consumes bytes or stops at a plausible
     * header, which the parser then accepts (plausible implies valid) and
     * consumes; a refused header is rewound only to be scanned past. So a
     * few steps per byte always suffice; the bound guards against a future
     * mistake turning into a hang on hostile input. */
    uint64_t steps = (uint64_t)n * 4 + 8;
    while (n > 0 && steps-- > 0) {
        if (!t->synced) {
            uint32_t at = resync_find(t, p, n);
            unsynced_data(e, dir, ts_us, at, to);
            p += at;
            n -= at;
            if (n > 0)
                t->synced = true;
            continue;
        }
        if (t->hdr_len == 0 && t->body_left > 0) { /* (hdr_len > 0: no body) */
            uint32_t take = n < t->body_left ? n : t->body_left;
            if (t->counted)
                on_data(e, dir, ts_us, take, rec_flags(t), to);
            t->body_left = (uint16_t)(t->body_left - take);
            p += take;
            n -= take;
            continue;
        }
        /* The header: its bytes from earlier segments (packed in
         * t->hdr_part), then this one's. Incomplete, its 1 to 4 bytes are
         * packed for the next segment. */
        uint8_t hdr[TLS_RECORD_HDR_LEN];
        uint32_t had = t->hdr_len;
        uint32_t take = TLS_RECORD_HDR_LEN - had;
        if (take > n)
            take = n;
        if (had > 0)
            hdr_unpack(t->hdr_part, had, hdr);
        memcpy(hdr + had, p, take);
        p += take;
        n -= take;
        if (had + take < TLS_RECORD_HDR_LEN) {
            t->hdr_part = hdr_pack(hdr, had + take);
            t->hdr_len = (uint8_t)(had + take) & 7u; /* below 5 here */
            break;
        }
        if (!header_complete(e, dir, t, hdr, ts_us, TLS_RECORD_HDR_LEN - take, to)) {
            /* Not a record boundary after all: scan again from the header's
             * first byte in this segment. */
            p -= take;
            n += take;
        }
    }
}

void exchange_tcp(struct exchange *e, int dir, uint64_t ts_us, uint32_t seq,
                  const uint8_t *payload, uint32_t len, const struct turn_sink *to)
{
    if (e == NULL || payload == NULL || len == 0 || (dir != 0 && dir != 1))
        return;
    struct rec_track *t = &e->dir[dir];
    if (!t->started) {
        /* A connection's first payload byte is a record header; if this one
         * is not (capture started mid-flow), the parser below loses sync.
         * A position set by exchange_tcp_at() is kept. */
        t->started = true;
        if (!t->synced) {
            t->synced = true;
            track_seq_set(t, seq);
        }
    }
    const uint8_t *p = payload;
    uint32_t n = len;
    if (segment_place(e, dir, ts_us, seq, &p, &n, to))
        segment_walk(e, dir, ts_us, p, n, to);
}

/* ---- QUIC ------------------------------------------------------------- */

/* The datagram is one short-header packet, above the 1200 bytes every path
 * carries and larger than every earlier datagram its way: a path MTU probe
 * (RFC 9000 14.3, RFC 8899: PING and PADDING), no data. A sender uses a
 * larger size only once a probe of that size was acknowledged, so the first
 * datagram of a new largest size is the probe. */
static bool quic_probe(const struct exchange *e, int dir, const uint8_t *payload, uint32_t len)
{
    return !(payload[0] & QUIC_FORM_LONG) && len > EXCHANGE_QUIC_FULL && len > e->dir[dir].quic_max;
}

/* One 1-RTT or 0-RTT packet of n bytes; full: it ends a datagram of at
 * least EXCHANGE_QUIC_FULL bytes; probe: quic_probe(). Every packet
 * is counted as application data; the turns get the client's packets above
 * the small size (below it they are ACKs and flow control: a request with
 * its QPACK headers is larger) and the server's packets, not path MTU probes.
 * A client packet that is not full size ends the client's write: the next
 * large one starts a request of its own (Chromium sends each request, headers
 * and body, in packets of its own), however soon. */
static void quic_packet(struct exchange *e, int dir, uint64_t ts, uint32_t n, bool full,
                        bool probe, const struct turn_sink *to)
{
    bool big = n > EXCHANGE_QUIC_SMALL;
    if (probe || (dir == 0 && !big)) {
        app_bytes_add(e, dir, n);
        return;
    }
    unsigned flags = U_START | U_RECORD | (big ? U_BIG : 0u);
    if (dir == 0) {
        if (!e->dir[0].full)
            flags |= U_WRITE;
        e->dir[0].full = full;
    }
    on_data(e, dir, ts, n, flags, to);
}

void exchange_udp(struct exchange *e, int dir, uint64_t ts_us, const uint8_t *payload,
                  uint32_t len, const struct turn_sink *to)
{
    if (e == NULL || payload == NULL || len == 0 || (dir != 0 && dir != 1))
        return;
    bool probe = quic_probe(e, dir, payload, len);
    if (len > e->dir[dir].quic_max)
        e->dir[dir].quic_max = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
    struct rd r = rd_init(payload, len);
    /* A datagram holds at most a few coalesced packets (Initial, 0-RTT,
     * Handshake, then 1-RTT); stop walking after that many. */
    for (int k = 0; k < 4 && rd_left(&r) > 0; k++) {
        size_t start = r.off;
        struct quic_header h;
        enum quic_header_res res = quic_header_read(&r, &h);
        if (res == QUIC_HDR_SHORT) {
            /* Short header: 1-RTT, runs to the end of the datagram. */
            quic_packet(e, dir, ts_us, (uint32_t)(len - start), len >= EXCHANGE_QUIC_FULL, probe,
                        to);
            return;
        }
        /* Version negotiation, Google QUIC, unknown versions: not ours to
         * count. A connection ID over 20 bytes (QUIC_HDR_BAD_CID) ends the
         * walk too: RFC 9000 17.2 makes such a v1 packet invalid. Before
         * quic-header.h this walk skipped the CID and went on; no capture
         * or scenario replayed differently. */
        if (res != QUIC_HDR_LONG || !quic_version_known(h.version))
            return;
        if (h.type == QUIC_PT_RETRY)
            return;
        if (h.type == QUIC_PT_INITIAL) {
            uint64_t token = quic_varint_read(&r);
            if (token > rd_left(&r))
                return;
            rd_skip(&r, (size_t)token);
        }
        uint64_t plen = quic_varint_read(&r);
        if (r.bad || plen > rd_left(&r))
            return;
        rd_skip(&r, (size_t)plen);
        if (h.type == QUIC_PT_0RTT) /* early data: the client's application data */
            quic_packet(e, dir, ts_us, (uint32_t)(r.off - start),
                        r.off == len && len >= EXCHANGE_QUIC_FULL, false, to);
    }
}

void exchange_finish(struct exchange *e, const struct turn_sink *to)
{
    if (e == NULL)
        return;
    exchange_turns_finish(e, to);
}
