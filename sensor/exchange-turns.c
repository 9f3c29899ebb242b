/* Turns from application data: which client data is a new request, which
 * open turn the server's data goes to, and when a turn is complete.
 *
 * The model and its approximations are documented in include/ds/exchange.h.
 * At most EXCHANGE_OPEN_MAX turns are open, oldest first: e->open0, then
 * e->more (a block from the shared pool, held only while two or more are
 * open); they close oldest first (a shift of that small array), so turns
 * are reported in the order their requests started. Small client records
 * being held live in e->held, also from the pool while there are any; the
 * listed turns in a circular list from it. The block and the held state
 * are named by 32-bit handles, found through the pool of the turn_sink
 * each call is given (pool_of). Nothing is allocated: the pool's
 * objects are recycled, and when one runs out the fallback is counted
 * (exchange.h). */
#include "exchange-int.h"

#include <string.h>

#define EXCH_O_BIG 0x1u     /* a response record above the small size (not tail) */
#define EXCH_O_ANY 0x2u     /* a response record of any size (not tail) */
#define EXCH_O_TAIL 0x4u    /* records of the TLS 1.3 handshake's tail */
#define EXCH_O_TAILBIG 0x8u /* one of them above the small size */
#define EXCH_O_BIG2 0x10u   /* a second response record above the small size */
#define EXCH_O_ENDED 0x20u  /* requests in flight together: an END_STREAM ended its
                             * answer (exchange_turns_server) */
#define EXCH_O_REQEND 0x40u /* HTTP/2: the client's END_STREAM alone ended its request
                             * (client_record) */
#define EXCH_O_REQHDR 0x80u  /* the request has a HEADERS-sized record (not the preface,
                              * not an empty frame) */
#define EXCH_O_REQBODY 0x100u /* and after it one too large for HEADERS: a body */
#define EXCH_O_PREFACE 0x200u /* the connection's first request: its first record is the
                               * HTTP/2 preface */

/* What a client request record does to the newest turn. */
enum req_kind {
    REQ_MORE,      /* more of the newest turn's request */
    REQ_NEXT,      /* a new request after the newest turn's answer */
    REQ_ALONGSIDE, /* a new request while the newest turn still waits */
};

static uint32_t sat_add32(uint32_t a, uint64_t b)
{
    uint64_t s = (uint64_t)a + b;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* ts - start in microseconds, 0 if ts is earlier (capture timestamps can
 * step backwards; never report a wrapped time), saturating. */
static uint32_t offset32(uint64_t ts, uint64_t start)
{
    if (ts <= start)
        return 0;
    uint64_t d = ts - start;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* The packet time open turn o's request started at. */
static uint64_t open_start(const struct exchange_open *o)
{
    return (uint64_t)o->start_hi << 32 | o->start_lo;
}

static void open_set_start(struct exchange_open *o, uint64_t start)
{
    o->start_lo = (uint32_t)start;
    o->start_hi = (uint32_t)(start >> 32);
}

/* The shared pool that to names (NULL: none). The exchange's handles
 * (more, held) are only ever set from it, so a call without one finds none. */
static struct exchange_pool *pool_of(const struct turn_sink *to)
{
    return to != NULL ? to->pool : NULL;
}

/* Open turn i: open0, then the block. */
static struct exchange_open *open_at(struct exchange *e, unsigned i, const struct turn_sink *to)
{
    return i == 0 ? &e->open0 : &exchange_pool_more(pool_of(to), e->more)->open[i - 1];
}

static const struct exchange_open *open_at_c(const struct exchange *e, unsigned i,
                                             const struct turn_sink *to)
{
    return i == 0 ? &e->open0 : &exchange_pool_more(pool_of(to), e->more)->open[i - 1];
}

static struct exchange_open *newest(struct exchange *e, const struct turn_sink *to)
{
    return e->nopen > 0 ? open_at(e, e->nopen - 1u, to) : NULL;
}

/* The turn the server's run goes to. */
static struct exchange_open *target(struct exchange *e, const struct turn_sink *to)
{
    if (e->nopen == 0)
        return NULL;
    return open_at(e, e->target < e->nopen ? e->target : e->nopen - 1u, to);
}

/* The held records' state (NULL: none). */
static struct exchange_held *held_of(const struct exchange *e, const struct turn_sink *to)
{
    return exchange_pool_held(pool_of(to), e->held);
}

/* ---- the held records' compact form -------------------------------- */

/* A gap of exchange_req_start in 32 bits: UINT32_MAX is "none, or at least
 * that long" (see struct exchange_held), read back as UINT64_MAX. */
static uint32_t gap_pack(uint64_t g)
{
    return g >= UINT32_MAX ? UINT32_MAX : (uint32_t)g;
}

static uint64_t gap_unpack(uint32_t g)
{
    return g == UINT32_MAX ? UINT64_MAX : g;
}

static struct exchange_req_start held_start(const struct exchange_held *h)
{
    struct exchange_req_start r = { h->start_at, gap_unpack(h->start_gap),
                                    gap_unpack(h->start_big_gap), h->start_reacts,
                                    h->start_fresh, h->start_srv_full,
                                    gap_unpack(h->start_srv_gap) };
    return r;
}

static struct exchange_req_start held_last(const struct exchange_held *h)
{
    struct exchange_req_start r = { h->last_at, gap_unpack(h->last_gap),
                                    gap_unpack(h->last_big_gap), h->last_reacts,
                                    h->last_fresh, h->last_srv_full, UINT64_MAX };
    return r;
}

static void held_set_start(struct exchange_held *h, const struct exchange_req_start *r)
{
    h->start_at = r->at;
    h->start_gap = gap_pack(r->gap_us);
    h->start_big_gap = gap_pack(r->big_gap_us);
    h->start_srv_gap = gap_pack(r->srv_gap_us);
    h->start_reacts = r->reacts;
    h->start_fresh = r->fresh;
    h->start_srv_full = r->srv_full;
}

/* The last held record's start; its server gap is never read (the rules
 * that look at a server gap look at the first held record's). */
static void held_set_last(struct exchange_held *h, const struct exchange_req_start *r)
{
    h->last_at = r->at;
    h->last_gap = gap_pack(r->gap_us);
    h->last_big_gap = gap_pack(r->big_gap_us);
    h->last_reacts = r->reacts;
    h->last_fresh = r->fresh;
    h->last_srv_full = r->srv_full;
}

/* ---- closing -------------------------------------------------------- */

/* The response's times: its large records if any, else any record (or the
 * handshake tail's): o->first and o->last hold whichever (add_response). */
static void turn_times(const struct exchange_open *o, struct turn *t)
{
    if (!(o->flags & (EXCH_O_BIG | EXCH_O_ANY | EXCH_O_TAIL)))
        return;
    t->ttfb_us = o->first;
    t->resp_dur_us = o->last > o->first ? o->last - o->first : 0;
}

/* Lists turn t (the flow event's "turns"), if the pool has room. */
static void turn_list(struct exchange *e, const struct turn *t, const struct turn_sink *to)
{
    struct exchange_pool *p = to ? to->pool : NULL;
    uint32_t h = exchange_pool_take_listed(p);
    if (h == 0)
        return;
    struct exchange_listed *l = exchange_pool_listed(p, h);
    l->t = *t;
    if (e->listed == 0) {
        l->next = h;
    } else {
        struct exchange_listed *newest = exchange_pool_listed(p, e->listed);
        l->next = newest->next; /* the oldest */
        newest->next = h;
    }
    e->listed = h;
    e->kept++;
}

/* A completed turn: counted, kept and reported. The first exchange of an
 * HTTP/2 connection is its set-up, not a request: the client's preface and
 * SETTINGS, answered by the server's SETTINGS and TLS 1.3 session tickets. A
 * first turn that small both ways is not counted (nor is a lone tiny request
 * with a tiny answer), unless the client did not offer HTTP/2. */
static void turn_emit(struct exchange *e, const struct turn *t, const struct turn_sink *to)
{
    if (e->count == 0 && !e->setup_skipped && !e->one_stream &&
        t->req_bytes <= EXCHANGE_SETUP_REQ_MAX && t->resp_bytes <= EXCHANGE_SETUP_RESP_MAX) {
        e->setup_skipped = true;
        return;
    }
    if (e->count < UINT32_MAX)
        e->count++;
    if (e->kept < EXCHANGE_TURNS_KEPT)
        turn_list(e, t, to);
    if (to != NULL && to->fn != NULL)
        to->fn(to->ctx, to->owner, t);
}

/* Open turn o as a turn so far (times set by turn_times). */
static struct turn turn_of(const struct exchange_open *o)
{
    struct turn t = { open_start(o), o->req_bytes, o->resp_bytes, o->req_records,
                      o->resp_records, 0, 0 };
    return t;
}

struct turn exchange_open_turn(const struct exchange *e, struct exchange_pool *p, unsigned i)
{
    const struct turn_sink at = { NULL, NULL, NULL, p };
    return turn_of(open_at_c(e, i, &at));
}

/* Closes the oldest turn; the block goes back once one turn is left. */
static void close_oldest(struct exchange *e, const struct turn_sink *to)
{
    struct turn t = turn_of(&e->open0);
    turn_times(&e->open0, &t);
    e->nopen--;
    if (e->nopen > 0) {
        struct exchange_open_more *m = exchange_pool_more(pool_of(to), e->more);
        e->open0 = m->open[0];
        memmove(&m->open[0], &m->open[1], (e->nopen - 1u) * sizeof(e->open0));
    }
    if (e->nopen <= 1 && e->more != 0 && to != NULL && to->pool != NULL) {
        exchange_pool_put_more(to->pool, e->more);
        e->more = 0;
    }
    if (e->target > 0)
        e->target--;
    turn_emit(e, &t, to);
}

static struct exchange_open *turn_open(struct exchange *e, uint64_t start,
                                       const struct turn_sink *to)
{
    if (e->nopen == EXCHANGE_OPEN_MAX)
        close_oldest(e, to);
    if (e->nopen >= 1 && e->more == 0) {
        e->more = exchange_pool_take_more(pool_of(to));
        if (e->more == 0) /* none left: one turn open, as at the cap */
            while (e->nopen > 0)
                close_oldest(e, to);
    }
    struct exchange_open *o = open_at(e, e->nopen++, to);
    memset(o, 0, sizeof(*o));
    open_set_start(o, start);
    if (!e->mux)
        e->target = (e->nopen - 1u) & 7u; /* nopen is 1 to EXCHANGE_OPEN_MAX (<= 8) here */
    return o;
}

/* ---- the client ------------------------------------------------------ */

static bool pend_any(const struct exchange *e, const struct turn_sink *to)
{
    const struct exchange_held *h = held_of(e, to);
    return h != NULL && (h->records != 0 || h->bytes != 0);
}

/* Held small client records were control after all (flow control,
 * acknowledgements of what the server is sending) or the end of the request
 * just written. One request at a time, they are more of the newest turn's
 * request; with requests in flight together only the latter are, and the
 * rest belong to no turn (the flow's bytes count them), so that they do not
 * blur the requests' sizes. */
static void pend_fold(struct exchange *e, const struct turn_sink *to)
{
    struct exchange_held *h = held_of(e, to);
    e->pend_in = false;
    if (h == NULL)
        return;
    struct exchange_open *o = newest(e, to);
    bool trailer = gap_unpack(h->start_big_gap) <= EXCHANGE_JOIN_US; /* END_STREAM */
    if (o != NULL && pend_any(e, to) && (!e->mux || trailer)) {
        o->req_bytes = sat_add32(o->req_bytes, h->bytes);
        o->req_records = sat_add32(o->req_records, h->records);
    }
    h->bytes = 0;
    h->records = 0;
}

static void add_request(struct exchange_open *o, uint32_t n, unsigned flags)
{
    o->req_bytes = sat_add32(o->req_bytes, n);
    if ((flags & (U_START | U_RECORD)) != (U_START | U_RECORD))
        return;
    if (flags & U_BODY) {
        if (o->flags & EXCH_O_REQHDR)
            o->flags |= EXCH_O_REQBODY;
    } else if (!(flags & U_EMPTY) &&
               !((o->flags & EXCH_O_PREFACE) && o->req_records == 0)) {
        o->flags |= EXCH_O_REQHDR;
    }
    o->req_records = sat_add32(o->req_records, 1);
}

static uint64_t since(uint64_t ts, uint64_t then)
{
    if (then == 0)
        return UINT64_MAX;
    return ts > then ? ts - then : 0;
}

/* The time of a "big" event kept as an age behind `last`; 0 (never) when
 * the age is UINT32_MAX (never, or too long ago to matter: see struct
 * exchange). */
static uint64_t big_at(uint64_t last, uint32_t age)
{
    return age == UINT32_MAX ? 0 : last - age;
}

/* `last` moves forward to ts; the age behind it grows with it. */
static void advance(uint64_t *last, uint32_t *age, uint64_t ts)
{
    if (ts <= *last)
        return;
    if (*age != UINT32_MAX)
        *age = sat32((uint64_t)*age + (ts - *last));
    *last = ts;
}

/* A client record starting at ts follows a lone small server record (no
 * larger one in the EXCHANGE_RUN_GAP_US before it) closely: it reacts to it
 * (a body on "100 Continue", HTTP/2 SETTINGS or WINDOW_UPDATE). */
static bool reacts_now(const struct exchange *e, uint64_t ts)
{
    uint64_t srv = exchange_srv_last(e);
    if (!e->srv_last_ctl || since(ts, srv) > EXCHANGE_JOIN_US)
        return false;
    return since(srv, big_at(srv, e->srv_big_age)) > EXCHANGE_RUN_GAP_US;
}

/* Where a possible request's first record stands, taken when it starts. */
static struct exchange_req_start req_start_now(const struct exchange *e, uint64_t ts)
{
    uint64_t srv = exchange_srv_last(e);
    struct exchange_req_start r = { ts, since(ts, e->cli_last_us),
                                    since(ts, big_at(e->cli_last_us, e->cli_big_age)),
                                    reacts_now(e, ts), false, e->srv_last_full,
                                    since(ts, srv) };
    r.fresh = r.gap_us > EXCHANGE_JOIN_US || srv > e->cli_last_us;
    return r;
}

/* A small record after a request: held until we know whether it is the
 * next request's first record (HTTP/2 HEADERS before DATA). Held ones from
 * longer ago can no longer join a request: they are folded first. */
static void hold(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                 const struct turn_sink *to)
{
    if (e->held == 0) {
        e->held = exchange_pool_take_held(pool_of(to));
        if (e->held == 0) { /* none left (counted): more of the newest request */
            add_request(newest(e, to), n, flags);
            return;
        }
    }
    struct exchange_held *h = held_of(e, to);
    if (pend_any(e, to) && (ts < h->last_at || ts - h->last_at > EXCHANGE_JOIN_US))
        pend_fold(e, to);
    struct exchange_req_start r = req_start_now(e, ts);
    held_set_last(h, &r);
    if (!pend_any(e, to))
        held_set_start(h, &r);
    h->last_bytes = n;
    h->bytes = sat_add32(h->bytes, n);
    if (flags & U_RECORD)
        h->records = sat_add32(h->records, 1);
    e->pend_in = true;
}

/* Nothing held any more: the state goes back to the pool. */
static void held_tidy(struct exchange *e, const struct turn_sink *to)
{
    if (e->held == 0 || pend_any(e, to) || e->pend_in || to == NULL || to->pool == NULL)
        return;
    exchange_pool_put_held(to->pool, e->held);
    e->held = 0;
}

/* A request from r is a write of its own: the client sent no large record
 * for EXCHANGE_JOIN_US before it, and it does not react to the server; or
 * its transport says so (U_WRITE: QUIC). */
static bool write_separate(const struct exchange_open *o, const struct exchange_req_start *r,
                           unsigned flags)
{
    if (!(flags & U_RECORD) || open_start(o) >= r->at)
        return false;
    return (flags & U_WRITE) || (r->big_gap_us > EXCHANGE_JOIN_US && !r->reacts);
}

/* The connection's first turn, small enough yet to be its set-up. */
static bool setup_candidate(const struct exchange *e, const struct exchange_open *o)
{
    return e->count == 0 && !e->setup_skipped && !e->one_stream && e->nopen == 1 &&
           o->req_bytes <= EXCHANGE_SETUP_REQ_MAX;
}

/* What a large client record, as a request from r, is to the newest turn o
 * (the rules (a) to (c) of exchange.h). */
static enum req_kind request_kind(const struct exchange *e, const struct exchange_open *o,
                                  const struct exchange_req_start *r, unsigned flags)
{
    if (o->flags & EXCH_O_BIG)
        return REQ_NEXT;
    bool separate = write_separate(o, r, flags);
    if (setup_candidate(e, o) && ((o->flags & EXCH_O_TAILBIG) || separate))
        return REQ_NEXT;
    uint64_t quiet = since(r->at, exchange_srv_last(e));
    if (r->gap_us < quiet)
        quiet = r->gap_us;
    bool answered = (o->flags & (EXCH_O_ANY | EXCH_O_TAIL)) != 0;
    if (answered && quiet > EXCHANGE_IDLE_US)
        return REQ_NEXT;
    if (!separate || (o->flags & (EXCH_O_ANY | EXCH_O_TAIL)) == EXCH_O_TAIL)
        return REQ_MORE; /* the tail is no answer: a body sent after the server's SETTINGS */
    /* HTTP/1.1 cannot have two requests in flight: after a small answer
     * this is the next one, before any the rest of this one (a body Nagle's
     * algorithm held until the server's ACK). With HTTP/2 a small answer may
     * be a WINDOW_UPDATE: the newest turn may still wait for its own. */
    if (e->one_stream)
        return answered ? REQ_NEXT : REQ_MORE;
    return REQ_ALONGSIDE;
}

/* The held records are not a request from their first, which ended the
 * request before (an END_STREAM sent late); maybe from their last (the
 * next request's HEADERS): then the others are folded and r is the last's. */
static enum req_kind split_pend(struct exchange *e, struct exchange_req_start *r,
                               unsigned flags, const struct turn_sink *to)
{
    struct exchange_held *h = held_of(e, to);
    struct exchange_req_start last_start = held_last(h);
    enum req_kind kind = request_kind(e, newest(e, to), &last_start, flags);
    if (kind == REQ_MORE)
        return kind;
    uint32_t last = h->last_bytes;
    h->bytes -= last;
    h->records--;
    pend_fold(e, to);
    h->bytes = last;
    h->records = 1;
    *r = last_start;
    return kind;
}

/* Record body sizes of HTTP/2 control alone: SETTINGS ACK (9-byte frame),
 * WINDOW_UPDATE or RST_STREAM (13), PING ACK (17), a connection's and a
 * stream's WINDOW_UPDATE together (26), with TLS 1.3's AEAD overhead (17)
 * and TLS 1.2's (24 with AES-GCM, 16 with ChaCha20). An empty frame (9:
 * SETTINGS ACK, or an END_STREAM's empty DATA) only with empty_frame. */
static bool control_size(uint32_t n, bool empty_frame)
{
    if (empty_frame && exchange_empty_frame_record(n))
        return true;
    static const uint32_t frames[] = { 13, 17, 26 };
    static const uint32_t overhead[] = { 16, 17, 24 };
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
        for (size_t j = 0; j < sizeof(overhead) / sizeof(overhead[0]); j++)
            if (n == frames[i] + overhead[j])
                return true;
    return false;
}

/* Over TCP on a connection that offered HTTP/2, the held records sit
 * between two large records of one client write (EXCHANGE_WRITE_US: Nagle's
 * algorithm coalescing requests): [HEADERS][DATA][HEADERS][DATA] or
 * [DATA][END_STREAM][DATA][END_STREAM] are requests each, while a long body
 * is [DATA][DATA][DATA]. Flow control and PING ACKs amid an upload (one
 * record of their size) do not split it, nor do a lost tracker's raw
 * bytes alone (held, but no record). */
static bool write_splits(const struct exchange *e, uint64_t ts, const struct turn_sink *to)
{
    if (e->one_stream || !e->dir[0].started || !pend_any(e, to))
        return false;
    const struct exchange_held *h = held_of(e, to);
    if (gap_unpack(h->start_big_gap) > EXCHANGE_WRITE_US || ts - h->last_at > EXCHANGE_WRITE_US)
        return false;
    /* Raw bytes of a lost tracker (no record: h->records 0) split nothing:
     * split_write takes the last held record off the count. */
    return h->records > 1 || (h->records == 1 && !control_size(h->bytes, false));
}

/* The held records of a write that splits: all but the last end the
 * request before (an END_STREAM), the last starts the next (its HEADERS),
 * unless it is an empty frame alone (an END_STREAM too): then the large
 * record at ts starts it. r becomes the new request's start. */
static void split_write(struct exchange *e, uint64_t ts, struct exchange_req_start *r,
                        const struct turn_sink *to)
{
    struct exchange_held *h = held_of(e, to);
    bool last_ends = h->records == 1 && control_size(h->bytes, true);
    uint32_t last = last_ends ? 0 : h->last_bytes;
    h->bytes -= last;
    h->records -= last_ends ? 0u : 1u;
    struct exchange_open *o = newest(e, to);
    o->req_bytes = sat_add32(o->req_bytes, h->bytes);
    o->req_records = sat_add32(o->req_records, h->records);
    h->bytes = last;
    h->records = last_ends ? 0u : 1u;
    *r = last_ends ? req_start_now(e, ts) : held_last(h);
}

/* With requests in flight together, a request with a body is its HEADERS
 * then its DATA, and a client may write them apart: python's h2 under
 * httpx sent a 65-byte HEADERS record and its 660-byte DATA 88 ms later
 * (pcaps/harvest), where rule (c) would open a second request; and
 * [HEADERS][END_STREAM][DATA] in one write (another stream's END_STREAM
 * between them) would split as [DATA][END_STREAM][DATA]. So a
 * record too large to be HEADERS (U_BODY) is the body of the newest
 * request when that request is one record no larger than HEADERS
 * (EXCHANGE_HEADERS_MAX), with no answer data of its own, and began at
 * most EXCHANGE_RUN_GAP_US before. A bodiless GET followed that soon by
 * another request's large HEADERS (the first on a connection, or with new
 * header values) merges with it: that is the limit. */
static bool body_of_headers(const struct exchange_open *o, uint64_t ts, unsigned flags)
{
    return (flags & U_BODY) && o->req_records == 1 && o->req_bytes <= EXCHANGE_HEADERS_MAX &&
           !(o->flags & (EXCH_O_ANY | EXCH_O_BIG)) && ts >= open_start(o) &&
           ts - open_start(o) <= EXCHANGE_RUN_GAP_US;
}

/* On a connection that offered HTTP/2, has the newest request o ended, so
 * that the client's write starting now (flags) is another request in
 * flight, however soon it follows? Rule (c) needs EXCHANGE_JOIN_US of client
 * silence, and workers writing requests a few milliseconds apart merged
 * (21 of httpx's 2,460 requests on pcaps/harvest). It has ended
 * - when the client sent its END_STREAM alone (an empty frame's record after
 *   its SETTINGS ACK, EXCH_O_REQEND), as python's h2 does;
 * - or when o is HEADERS-sized then a body (a record too large for
 *   HEADERS after a smaller one that is neither the connection's preface
 *   nor an empty frame: EXCH_O_REQBODY) whose last large record was not
 *   full size, and this write starts HEADERS-sized: an API's JSON body
 *   goes in one DATA frame, or in full 16 KiB frames and a shorter last
 *   one, so HEADERS-sized data after a body that ended short is the next
 *   request's HEADERS. A connection's first HEADERS, which HPACK has not
 *   shrunk yet, may be larger than EXCHANGE_HEADERS_MAX (Chromium's 400
 *   bytes, then a 149-byte body: pcaps/turns/chromium.pcap): no body then.
 * Limits: a body written in small pieces splits into requests; a request
 * whose HEADERS are larger than EXCHANGE_HEADERS_MAX has no body by this
 * rule, so requests written just after it may merge with it. */
static bool request_ended(const struct exchange *e, const struct exchange_open *o,
                          unsigned flags)
{
    if (o->flags & EXCH_O_REQEND)
        return true;
    return (flags & U_RECORD) && !(flags & U_BODY) &&
           (o->flags & EXCH_O_REQBODY) && !e->cli_last_full;
}

/* request_ended() for the client's write starting now: this large record
 * (flags), or the small records held before it (join), which are
 * HEADERS-sized unless they are one record of a control frame's size (a
 * WINDOW_UPDATE or PING ACK amid an upload). */
static bool ended_before(const struct exchange *e, bool join, unsigned flags,
                         const struct turn_sink *to)
{
    const struct exchange_open *o = open_at_c(e, e->nopen - 1u, to);
    if (!join)
        return request_ended(e, o, flags);
    const struct exchange_held *h = held_of(e, to);
    if (h->records == 1 && control_size(h->bytes, false))
        return false;
    return request_ended(e, o, flags & ~U_BODY);
}

/* The start of a large client record (or a lost tracker's raw bytes). */
static void request_record(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                           const struct turn_sink *to)
{
    struct exchange_held *h = held_of(e, to);
    bool join = pend_any(e, to) && ts >= h->last_at && ts - h->last_at <= EXCHANGE_JOIN_US;
    struct exchange_req_start r = join ? held_start(h) : req_start_now(e, ts);
    enum req_kind kind = request_kind(e, newest(e, to), &r, flags);
    bool body = e->mux && body_of_headers(newest(e, to), ts, flags);
    if (kind == REQ_MORE && !e->one_stream && ended_before(e, join, flags, to)) {
        kind = REQ_ALONGSIDE;
    } else if (kind == REQ_MORE && join && (flags & U_RECORD) && !body &&
               write_splits(e, ts, to)) {
        split_write(e, ts, &r, to);
        kind = REQ_ALONGSIDE;
    } else if (kind == REQ_MORE && join && h->records > 1) {
        kind = split_pend(e, &r, flags, to);
    } else if (kind == REQ_ALONGSIDE && !join && body) {
        kind = REQ_MORE;
    }
    if (kind == REQ_MORE) {
        pend_fold(e, to);
        add_request(newest(e, to), n, flags);
        return;
    }
    uint32_t pb = 0, pr = 0;
    if (join) {
        pb = h->bytes;
        pr = h->records;
        h->bytes = 0;
        h->records = 0;
    }
    pend_fold(e, to);
    if (kind == REQ_ALONGSIDE)
        e->mux = true;
    else if (!e->mux)
        while (e->nopen > 0)
            close_oldest(e, to);
    struct exchange_open *o = turn_open(e, r.at, to);
    o->req_bytes = pb;
    o->req_records = pr;
    if (pr > 0 && !(pr == 1 && exchange_empty_frame_record(pb)))
        o->flags |= EXCH_O_REQHDR; /* held records are small: HEADERS-sized */
    add_request(o, n, flags);
}

static void client_record(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                          const struct turn_sink *to)
{
    struct exchange_open *o = newest(e, to);
    if (o == NULL) {
        o = turn_open(e, ts, to);
        o->flags |= EXCH_O_PREFACE;
        add_request(o, n, flags);
        return;
    }
    if (!(flags & U_START)) {
        if (e->pend_in) { /* the rest of a held record */
            struct exchange_held *h = held_of(e, to);
            h->bytes = sat_add32(h->bytes, n);
            h->last_bytes = sat_add32(h->last_bytes, n);
        } else
            add_request(o, n, flags);
        return;
    }
    e->pend_in = false;
    if (flags & U_BIG) {
        request_record(e, ts, n, flags, to);
    } else if (!e->one_stream && (flags & U_EMPTY) && e->cli_acked && !pend_any(e, to) &&
               o->req_bytes > EXCHANGE_HEADERS_MAX) {
        /* an END_STREAM alone after a body: that request is whole */
        add_request(o, n, flags);
        o->flags |= EXCH_O_REQEND;
    } else {
        hold(e, ts, n, flags, to);
    }
    /* The client's first empty frame is its SETTINGS ACK (the server's
     * SETTINGS come first on every connection), not an END_STREAM. */
    if (flags & U_EMPTY)
        e->cli_acked = true;
}

void exchange_turns_client(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                           const struct turn_sink *to)
{
    uint64_t big = big_at(e->cli_last_us, e->cli_big_age);
    client_record(e, ts, n, flags, to);
    if ((flags & U_START) && (flags & U_RECORD) && (flags & U_BIG))
        e->cli_last_full = (flags & U_FULL) != 0;
    advance(&e->cli_last_us, &e->cli_big_age, ts);
    if ((flags & U_BIG) && ts > big)
        e->cli_big_age = sat32(e->cli_last_us - ts);
    held_tidy(e, to);
}

/* ---- the server ------------------------------------------------------ */

/* No answer above the small size yet: a small one may be the server's
 * WINDOW_UPDATE or PING (a whole small answer, a 204, is the rarer case).
 * An answer an END_STREAM ended is no longer waiting either. */
static bool waiting(const struct exchange_open *o)
{
    return !(o->flags & (EXCH_O_BIG | EXCH_O_ENDED));
}

/* A server record starts: which open turn gets it. One at a time, a turn
 * has the server's data after its request. With requests in flight
 * together, a run after a silence goes to the oldest turn still waiting,
 * else to the turn that had the run before; the turns older than that one
 * have been answered and close. */
static void pick_target(struct exchange *e, bool new_run, const struct turn_sink *to)
{
    if (!e->mux) {
        e->target = (e->nopen - 1u) & 7u; /* nopen is 1 to EXCHANGE_OPEN_MAX (<= 8) here */
        return;
    }
    if (!new_run)
        return;
    uint8_t t = 0;
    while (t < e->nopen && !waiting(open_at(e, t, to)))
        t++;
    if (t == e->nopen)
        t = e->target < e->nopen ? e->target : (uint8_t)(e->nopen - 1);
    for (; t > 0; t--)
        close_oldest(e, to);
    e->target = 0;
}

static void add_response(struct exchange_open *o, uint64_t ts, uint32_t n, unsigned flags)
{
    o->resp_bytes = sat_add32(o->resp_bytes, n);
    if (flags & U_RECORD)
        o->resp_records = sat_add32(o->resp_records, 1);
    /* o->first and o->last are the times of any record (the tail's while
     * there is no other) until the first large one, then of the large
     * ones: the former are never read once there is a large one
     * (turn_times), so a later small record leaves the pair alone. A tail
     * record comes only while the pair is the tail's or unset (no other
     * record: EXCH_O_ANY, which EXCH_O_BIG implies, is clear). */
    uint32_t at = offset32(ts, open_start(o));
    if (flags & U_TAIL) {
        if (!(o->flags & EXCH_O_ANY)) {
            if (!(o->flags & EXCH_O_TAIL))
                o->first = at;
            o->last = at;
        }
        o->flags |= EXCH_O_TAIL | ((flags & U_BIG) ? EXCH_O_TAILBIG : 0u);
        return;
    }
    if (!(o->flags & EXCH_O_ANY))
        o->first = at;
    o->flags |= EXCH_O_ANY;
    if (flags & U_BIG) {
        if (!(o->flags & EXCH_O_BIG))
            o->first = at;
        else if (flags & U_START)
            o->flags |= EXCH_O_BIG2;
        o->last = at;
        o->flags |= EXCH_O_BIG;
    } else if (!(o->flags & EXCH_O_BIG)) {
        o->last = at;
    }
}

/* The handshake's round trip (client hello to the server's first record),
 * 0 if unknown. */
static uint64_t rtt_us(const struct exchange *e)
{
    return e->rtt_us;
}

/* A server record starts at ts, one request at a time, while small client
 * records are held that no large one joined: are they a whole request of
 * their own (a bodiless HTTP/2 GET whose HEADERS HPACK shrank, a small
 * HTTP/1.1 GET) rather than control? Flow control and acknowledgements react
 * to the server's data and get no answer; a request starts a client write
 * after the newest turn's answer, not amid a bulk transfer, is not one record
 * of a control frame's size, and the server answers it within 1.5 round
 * trips (plus slack). It is client-initiated: the server was silent for more
 * than two round trips before it, or the newest turn's answer was one large
 * record (a whole unstreamed answer). TLS over TCP only: QUIC's ACKs follow
 * the server's packets up to 25 ms late and are too many to tell apart. */
static bool held_is_request(const struct exchange *e, uint64_t ts, const struct turn_sink *to)
{
    const struct exchange_open *o = e->nopen > 0 ? open_at_c(e, e->nopen - 1u, to) : NULL;
    if (o == NULL || !pend_any(e, to))
        return false;
    const struct exchange_held *h = held_of(e, to);
    const struct exchange_req_start start = held_start(h);
    const struct exchange_req_start *r = &start;
    if (!(o->flags & EXCH_O_BIG) || !r->fresh || r->srv_full)
        return false;
    if (!e->dir[0].started || (h->records == 1 && control_size(h->bytes, true)))
        return false;
    uint64_t rtt = rtt_us(e);
    if (since(ts, h->last_at) > rtt + rtt / 2 + EXCHANGE_TAIL_SLACK_US)
        return false;
    uint64_t quiet = 2 * rtt > EXCHANGE_QUIET_MIN_US ? 2 * rtt : EXCHANGE_QUIET_MIN_US;
    return r->srv_gap_us > quiet || !(o->flags & EXCH_O_BIG2);
}

/* The held records become a request of their own: the turns before close. */
static void open_held(struct exchange *e, const struct turn_sink *to)
{
    struct exchange_held *h = held_of(e, to);
    uint32_t pb = h->bytes, pr = h->records;
    uint64_t at = h->start_at;
    h->bytes = 0;
    h->records = 0;
    e->pend_in = false;
    while (e->nopen > 0)
        close_oldest(e, to);
    struct exchange_open *o = turn_open(e, at, to);
    o->req_bytes = pb;
    o->req_records = pr;
}

/* With requests in flight together, the server's answers interleave in
 * one run that may never fall silent (several streams of server-sent
 * events), so runs alone leave answered turns open until EXCHANGE_OPEN_MAX
 * closes them, and requests in flight are overcounted (httpx with 4
 * streams on pcaps/harvest: 7.8 on average and at most 9, where nginx's
 * log has 3.9 and 5). A record of one empty HTTP/2 frame from the server
 * is, all but always, the empty DATA frame that carries END_STREAM (nginx
 * ends a proxied body so); the other empty frame, SETTINGS ACK, answers
 * the client's SETTINGS, which clients send at the connection's start,
 * before requests overlap. So it ends an answer: the run's turn (the
 * oldest still open) is answered, and the server's next record starts a
 * new run, which goes to the oldest turn still waiting. Which stream ended
 * is not known (answers end in another order than they started), but one
 * turn closes per answer that ends, so the requests in flight are counted
 * right. A server that sets END_STREAM on its last DATA frame with data,
 * or coalesces the empty frame into a larger record, gives no such
 * record: runs alone then, as before. */
static void stream_end(struct exchange *e, unsigned flags, const struct turn_sink *to)
{
    if (!e->mux || !(flags & U_EMPTY) || (flags & U_TAIL))
        return;
    target(e, to)->flags |= EXCH_O_ENDED;
    e->srv_stream_end = true;
}

/* Notes a server record's start for the client-side rules: when, and
 * whether it was control. Returns whether it starts a new run. */
static bool note_server_record(struct exchange *e, uint64_t ts, unsigned flags)
{
    uint64_t srv = exchange_srv_last(e);
    bool new_run = srv == 0 || (ts > srv && ts - srv >= EXCHANGE_RUN_GAP_US);
    e->srv_last_ctl = (flags & U_TAIL) || !(flags & U_BIG);
    e->srv_last_full = (flags & U_FULL) != 0;
    return new_run;
}

void exchange_turns_server(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                           const struct turn_sink *to)
{
    bool new_run = false;
    if (flags & U_START) {
        new_run = note_server_record(e, ts, flags) || e->srv_stream_end;
        e->srv_stream_end = false;
    }
    /* srv_last_us is the server's data now: any handshake time it held is
     * gone (exchange.c, on_data). */
    advance(&e->srv_last_us, &e->srv_big_age, ts);
    if ((flags & U_START) && !e->srv_last_ctl) /* the record above the small size is at ts */
        e->srv_big_age = sat32(e->srv_last_us - ts);
    if (e->nopen == 0)
        return; /* server data before any request: handshake tail, HTTP/2 preface */
    if (!e->mux && (flags & U_START) && held_is_request(e, ts, to))
        open_held(e, to);
    else if (!e->mux)
        pend_fold(e, to); /* the server went on: what the client held was control */
    if (flags & U_START)
        pick_target(e, new_run, to);
    add_response(target(e, to), ts, n, flags);
    if (flags & U_START)
        stream_end(e, flags, to);
    held_tidy(e, to);
}

void exchange_turns_finish(struct exchange *e, const struct turn_sink *to)
{
    pend_fold(e, to);
    while (e->nopen > 0)
        close_oldest(e, to);
    held_tidy(e, to);
}
