/* Request/response turns inside encrypted flows.
 *
 * From TLS record headers (content type and length are in clear), their
 * direction and packet time: a turn starts when the client sends a request
 * (application data after the server has answered, first after the
 * handshake, or a request of its own while the earlier ones still wait); its
 * response is the server's application data that the turn is given (below).
 * QUIC flows get the same logic on short-header (1-RTT) and 0-RTT packets,
 * with what QUIC's packets tell (the last item).
 *
 * Approximations, by design (we see lengths and timing, never content):
 * - Small records (body <= EXCHANGE_TLS_SMALL bytes; QUIC packets <=
 *   EXCHANGE_QUIC_SMALL) are control traffic far more often than requests or
 *   answers: HTTP/2 WINDOW_UPDATE, SETTINGS ACK, PING, TLS 1.3 close_notify,
 *   QUIC ACKs. A small client record never opens a turn by itself: it is
 *   held, and joins the request of a large client record that follows within
 *   EXCHANGE_JOIN_US of the last held one (an HTTP/2 request's small HEADERS
 *   record before its DATA); held records that do not are more of the newest
 *   turn's request (with requests in flight together, only those within
 *   EXCHANGE_JOIN_US of its last large record, an END_STREAM; the others
 *   count in no turn). One request at a time, server data between them ends
 *   the holding, and decides what they were: a whole request of their own
 *   (an HTTP/2 GET whose headers HPACK shrank to a few bytes, a small
 *   HTTP/1.1 GET) when, over TCP, they start a client write (the client
 *   silent for EXCHANGE_JOIN_US, or the server spoke since), the newest turn
 *   has a response record above the small size and the server's last record
 *   before them was not full size (EXCHANGE_TLS_FULL: a bulk transfer that
 *   a WINDOW_UPDATE unblocks), they are not one record of an HTTP/2 control
 *   frame's size (SETTINGS ACK, WINDOW_UPDATE, RST_STREAM, PING ACK, two
 *   WINDOW_UPDATEs, with TLS 1.3's or 1.2's AEAD overhead), the server's
 *   record comes within 1.5 round trips plus EXCHANGE_TAIL_SLACK_US of the
 *   last of them (it answers them) and they are client-initiated: the server
 *   was silent for more than two round trips (at least
 *   EXCHANGE_QUIET_MIN_US) before them, or the newest turn's answer was one
 *   record above the small size (a whole unstreamed answer). Otherwise they
 *   were control: flow control and acknowledgements react to the server's
 *   data within a round trip and get no answer. Limits: a bodiless request
 *   whose record has a control frame's size (30 bytes: an all-indexed HPACK
 *   GET) or one sent while the server streams an answer still merges into
 *   the turn before it (on QUIC small client packets are never requests:
 *   below); a
 *   client-initiated PING (gRPC and Go keepalives) in a record of another
 *   size than 34 that the server answers counts as a tiny turn (request and
 *   answer both small). Requests that carry a body (every prompt) are
 *   counted. Over TCP on a connection that offered HTTP/2, held records
 *   between two large records of one write (records less than
 *   EXCHANGE_WRITE_US apart: Nagle's algorithm coalescing requests) start
 *   a new request in flight: [HEADERS][DATA][HEADERS][DATA] or
 *   [DATA][END_STREAM][DATA][END_STREAM] are requests each; the last held
 *   record goes to the new request unless it is an empty frame alone (an
 *   END_STREAM), the others to the request before. A long body
 *   ([DATA][DATA]), and one with a single WINDOW_UPDATE or PING ACK sized
 *   record between its records, stays one request.
 * - A large client record (or held small ones and the large one after them)
 *   is a write of its own when the client sent no large record for more
 *   than EXCHANGE_JOIN_US before it (data of a large record arriving later,
 *   the rest of an upload, counts as large) and it does not react to the
 *   server: it does if it follows a lone small server record (no larger one
 *   in the EXCHANGE_RUN_GAP_US before it) within EXCHANGE_JOIN_US, as a body
 *   sent on HTTP/1.1's "100 Continue" or HTTP/2 SETTINGS does. When the held
 *   records are not a write of their own from the first (a late END_STREAM of
 *   the request before), they may be from the last (the next one's HEADERS).
 *   The record is a new request, and opens a turn, when the newest turn
 *   (a) has a response record above the small size; or (b) has a smaller
 *   response (a 45-byte 204) and the client and the server were both silent
 *   for more than EXCHANGE_IDLE_US before it; or (c) it is a write of its
 *   own and the newest turn has a smaller response (if the client offered
 *   HTTP/2 that turn stays open: the small record may be a WINDOW_UPDATE),
 *   or none at all and the client offered HTTP/2 (exchange_hello): a second
 *   request in flight.
 *   Only the handshake's tail (below) is no response for (c): a body sent
 *   after the server's first SETTINGS, however late, is more of the request.
 *   Anything else is more of the newest turn's request (a body after its
 *   headers, an upload's records). Limits: an upload throttled by TCP whose
 *   burst ends exactly at a record boundary and resumes more than
 *   EXCHANGE_JOIN_US later counts twice on HTTP/2; requests written less than
 *   EXCHANGE_JOIN_US apart (a client starting its workers at once, Nagle's
 *   algorithm coalescing them) count once.
 * - Requests in flight together (HTTP/2 and HTTP/3 streams): up to
 *   EXCHANGE_OPEN_MAX turns are open at once; a new request beyond that
 *   closes the oldest. Until a connection has had two requests waiting at
 *   once ((c) above), it is taken as sequential (HTTP/1.1, or HTTP/2 one
 *   stream at a time): a new request closes the turn before it, and all the
 *   server's data after it is the new request's. That is exact when it is
 *   true. Once it has, the server's records are attributed by runs: records
 *   less than EXCHANGE_RUN_GAP_US apart are one run and go to one turn; a run
 *   after a longer silence goes to the oldest turn still waiting for a
 *   response record above the small size (servers mostly answer in order),
 *   or, if none waits, to the turn that had the run before; turns older than
 *   that have answered and are closed. Requests' counts, start times and
 *   sizes stay exact; response bytes are attributed approximately:
 *   overlapping answers go to one turn and the next waiting turn gets the
 *   next run, so sizes and times to first byte are shuffled between
 *   concurrent turns (and drift later when answers overlap without a
 *   silence) while totals are kept.
 * - TLS 1.3 encrypts the handshake's end in type-23 records. When the server
 *   sends type 23 before the client ever has, the connection is TLS 1.3: the
 *   server's records up to the client's first type-23 record are its
 *   handshake (EncryptedExtensions .. Finished) and that client record is its
 *   Finished; neither is application data. The server's NewSessionTicket
 *   records (and an HTTP/2 server's first SETTINGS) follow the client's
 *   Finished by about a round trip; when the client sent its request first,
 *   they would look like the answer's first byte. So the server's type-23
 *   records of at most EXCHANGE_TAIL_MAX bytes, the first arriving less than
 *   1.5 round trips plus EXCHANGE_TAIL_SLACK_US after the client's Finished
 *   and each less than EXCHANGE_TAIL_GAP_US after the one before (one
 *   flight), up to the first one that is not, are the handshake's tail:
 *   counted as response bytes and records, but they time the response only
 *   if nothing else came, and they do not end the turn's request. The
 *   round trip is from the client's hello (exchange_hello) to the server's
 *   first record (its first bytes, if a gap made them raw); without it the
 *   window is the slack alone.
 *   Limit: a whole answer of at most EXCHANGE_TAIL_MAX bytes inside that
 *   window (a fast small GET) is not told from a ticket, and one that is
 *   followed by more data gets a later first byte.
 * - The first exchange of a connection when it is small both ways (the HTTP/2
 *   client preface and SETTINGS answered by the server's SETTINGS and
 *   tickets; HTTP/3's control streams) is connection set-up, not a turn,
 *   unless the client did not offer HTTP/2 (then it is a small request).
 * - QUIC (HTTP/3): a packet is a record, its bytes all of it (header and
 *   AEAD tag included). The client's packets of at most EXCHANGE_QUIC_SMALL
 *   bytes are ACKs and flow control (Chromium's: 35-36 bytes; a request's
 *   packet carries QPACK headers, 350 bytes and more): the flow's bytes count
 *   them, no turn does. A client packet below EXCHANGE_QUIC_FULL (the 1200
 *   bytes RFC 9000 has every path carry: a sender with more to send fills
 *   its packets to at least that) ends the client's write, so the next
 *   large one starts a request of its own however soon it follows:
 *   fetches fired together (Chromium sends each request in packets of its
 *   own, 0.1 to 10 ms apart) are turns each, and a body over full-size
 *   packets is one. A datagram of one short-header packet above
 *   EXCHANGE_QUIC_FULL and larger than any earlier datagram its way is a path
 *   MTU probe (PING and PADDING: a sender uses a size only after its probe
 *   was acknowledged; quic-go probes 1360 to 1447 bytes, often right after a
 *   request): no turn's data. Measured on Chromium 156 to caddy 2.6.2
 *   (pcaps/turns-h3, tests/clients/turns-h3.test.sh): before this, 9 turns
 *   for 9 sequential requests but each request grown by the client's ACKs
 *   (up to 15 packets for one) and one time to first byte 896 ms early (an
 *   MTU probe), and 6 turns for 12 requests in rounds of 3 and 4; now 9 of 9
 *   and 12 of 12, each request its one packet, starts within 9 ms, times to
 *   first byte within 19 ms one request at a time. Limits: the server's
 *   small packets (ACKs, MAX_STREAMS) are not told from a small answer (a
 *   204's 47-byte HEADERS), so they time an answer that has no large packet;
 *   a server whose data packets exceed every datagram it sent before without
 *   probing (handshake flights smaller than its packets) loses its first
 *   such packet; requests coalesced into one packet count once; overlapping
 *   answers are attributed by runs as above (median time-to-first-byte error
 *   1.1 s on the concurrent capture); the HTTP/3 set-up (control streams,
 *   SETTINGS, the server's HANDSHAKE_DONE and tickets) is no turn only when
 *   it comes before the first request, as on those captures; the client's
 *   hello (exchange_hello) is not given for QUIC, so there is no round trip.
 * - Bytes count record bodies (5-byte headers excluded), attributed to the
 *   time of the segment that carries them. After lost segments that cross a
 *   record boundary, the direction's bytes count as application data until a
 *   plausible record header re-synchronises the tracker (counted in resync).
 */
#ifndef DS_EXCHANGE_H
#define DS_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXCHANGE_TURNS_KEPT 32   /* turns listed per flow event; the rest are counted */
#define EXCHANGE_OPEN_MAX 8      /* turns open at once (requests in flight) */
#define EXCHANGE_SETUP_REQ_MAX 160   /* a first turn this small both ways is the */
#define EXCHANGE_SETUP_RESP_MAX 1500 /* connection set-up (HTTP/2 SETTINGS, tickets) */
#define EXCHANGE_TLS_SMALL 64    /* record body bytes at or below which a record is control */
#define EXCHANGE_QUIC_SMALL 100  /* QUIC packet bytes at or below which a packet is control */
#define EXCHANGE_QUIC_FULL 1200  /* QUIC datagram bytes from which it is full size (RFC 9000 14) */
#define EXCHANGE_JOIN_US 10000   /* small records this close before a request belong to it */
#define EXCHANGE_IDLE_US 1000000 /* silence after an answer that makes any request a new turn */
#define EXCHANGE_RUN_GAP_US 200000   /* server silence that ends a run (concurrent streams) */
#define EXCHANGE_TAIL_MAX 512    /* handshake tail records (session tickets) are this small */
#define EXCHANGE_TAIL_SLACK_US 2000  /* and this late at most after 1.5 round trips */
#define EXCHANGE_TAIL_GAP_US 500     /* and this close to each other (one flight) */
#define EXCHANGE_QUIET_MIN_US 1000   /* server silence before a small request: at least */
#define EXCHANGE_TLS_FULL 16384      /* record body bytes from which a record is full size */
#define EXCHANGE_HEADERS_MAX 160     /* record body bytes of an HTTP/2 request's HEADERS once HPACK's
                                        table holds its fields (40 to 100 seen); a body is larger */
#define EXCHANGE_WRITE_US 50         /* client records this close are one write (one segment) */

struct turn {
    uint64_t start_us;      /* packet time of the request's first data */
    uint32_t req_bytes;     /* application-data payload bytes, client to server (saturating) */
    uint32_t resp_bytes;    /* application-data payload bytes, server to client (saturating) */
    uint32_t req_records;   /* TLS records (or QUIC packets) in the request */
    uint32_t resp_records;
    uint64_t ttfb_us;       /* request start to first response byte; 0 if none */
    uint64_t resp_dur_us;   /* first to last response byte (streaming time) */
};

/* Per-direction TLS record tracker: follows record boundaries across TCP
 * segments by sequence number. 10 bytes with 2-byte alignment (its 32-bit
 * sequence number as 16-bit halves; a split header packed where the body's
 * count is): struct exchange holds two (16 bytes each before). */
struct rec_track {
    uint16_t seq_lo, seq_hi;    /* sequence number of the next byte expected (halves:
                                 * exchange.c, track_seq / track_seq_set) */
    /* While hdr_len is 0: the bytes left in the current record's body (a
     * record's length field is 16 bits, and at most TLS_RECORD_MAX). While
     * it is not, a header is being read and no body (body_left would be 0):
     * the header's first hdr_len bytes, from earlier segments, packed into
     * 16 bits (exchange.c, hdr_pack). Read body_left only with hdr_len 0. */
    union {
        uint16_t body_left;
        uint16_t hdr_part;
    };
    /* A flow is TCP or QUIC, never both: each way, the TLS tracker's
     * version or the QUIC datagram size, in one place. */
    union {
        uint16_t version;   /* TLS: version of the last type-23 record (re-sync wants the same) */
        uint16_t quic_max;  /* QUIC: the largest datagram so far (MTU probes; saturating) */
    };
    uint8_t hdr_len : 3;    /* bytes of a record header split across segments (0 to 4) */
    bool synced : 1;        /* next sequence number valid and at a known record position */
    bool started : 1;       /* a segment with payload was seen this way */
    bool counted : 1;       /* the current record's body is application data */
    bool big : 1;           /* the current record's body > EXCHANGE_TLS_SMALL */
    bool full : 1;          /* and >= EXCHANGE_TLS_FULL (QUIC, the client's way: its last
                             * packet above the small size was full size) */
    bool tail : 1;          /* the current record is the TLS 1.3 handshake's tail */
    bool empty : 1;         /* its body is one empty HTTP/2 frame's size (U_EMPTY) */
    bool body : 1;          /* its body is above EXCHANGE_HEADERS_MAX (U_BODY) */
};

_Static_assert(sizeof(struct rec_track) == 10, "struct rec_track: 10 bytes, twice a flow");

/* Where a client record that may start a request stands when it starts
 * (exchange-turns.c works on this form; held records keep a compact one). */
struct exchange_req_start {
    uint64_t at;            /* its packet time */
    uint64_t gap_us;        /* since the client's last data before it (UINT64_MAX: none) */
    uint64_t big_gap_us;    /* since the client's last data of a record above the small size */
    bool reacts;            /* it closely follows a lone small server record */
    bool fresh;             /* it starts a client write (client silent, or server data since) */
    bool srv_full;          /* the server's last record before it was full size (bulk) */
    uint64_t srv_gap_us;    /* since the server's last data before it (UINT64_MAX: none) */
};

/* A turn still open: its request may grow, its response is being given.
 * Its times are set when it closes (exchange-turns.c). The request's start
 * is kept as two 32-bit halves so that the struct needs only 4-byte
 * alignment: 34 bytes in 36 rather than 40, in every flow (open0) and in
 * each block of requests in flight. */
struct exchange_open {
    uint32_t start_lo, start_hi;    /* packet time of the request's first data (halves) */
    uint32_t req_bytes, resp_bytes;     /* so far (saturating) */
    uint32_t req_records, resp_records;
    /* The response's first and last record as offsets from the start (us,
     * saturating): of its records above the small size once it has one
     * (EXCH_O_BIG), until then of any record (of the handshake tail when
     * there is no other). The times of any record are read only while
     * there is no large one, so one pair holds both (exchange-turns.c,
     * add_response): 8 bytes less than a pair each. */
    uint32_t first, last;
    uint16_t flags;         /* EXCH_O_* (exchange-turns.c) */
};

/* Requests in flight beyond the first (open[1 ..]): a flow holds a block
 * from the shared pool only while it has two or more. */
struct exchange_open_more {
    struct exchange_open open[EXCHANGE_OPEN_MAX - 1];
};

/* Small client records held (exchange-turns.c): a flow holds one from the
 * shared pool only while it holds records. The gaps are 32-bit and
 * saturating: UINT32_MAX stands for "none or at least that long" (71.6
 * minutes), and every rule compares them with bounds far below that
 * (EXCHANGE_JOIN_US, EXCHANGE_WRITE_US, two round trips of the handshake,
 * at least EXCHANGE_QUIET_MIN_US; a round trip over 35 minutes would be
 * needed to tell a saturated gap from a longer one). */
struct exchange_held {
    uint64_t start_at;      /* the first held record's packet time */
    uint64_t last_at;       /* the last one's */
    uint32_t start_gap, start_big_gap, start_srv_gap;   /* the first's exchange_req_start */
    uint32_t last_gap, last_big_gap;                    /* the last's */
    uint32_t bytes, records;        /* all of them */
    uint32_t last_bytes;            /* the last one's bytes */
    bool start_reacts : 1, start_fresh : 1, start_srv_full : 1, last_reacts : 1;
    bool last_fresh : 1, last_srv_full : 1;
};

/* A listed turn (the flow event's "turns"): from the shared pool, in a
 * circular list whose tail the exchange holds; links are the pool's 32-bit
 * handles. 48 bytes as with a pointer (struct turn's 8-byte alignment). */
struct exchange_listed {
    struct turn t;
    uint32_t next;          /* the next listed turn's handle (the newest's: the oldest) */
};

/* Per flow: what the turn rules read, with every list and rarely used part
 * in the shared pool (struct exchange_pool). Times that are only compared
 * with short bounds are 32-bit saturating offsets (see the fields). */
struct exchange {
    /* The 8-byte members first, then the 4-byte ones, then the rest: no
     * padding. */
    uint64_t cli_last_us;      /* the client's last application data */
    /* The server's last application data (tail included; read through
     * exchange_srv_last). While hs_in_srv is set, before the server has
     * sent any, it holds the TLS handshake's time instead: the client's
     * hello (exchange_hello) until the server's first record (or raw
     * bytes) gives the round trip, then (TLS 1.3) the client's Finished, which opens the
     * window of the handshake's tail, until the server's first application
     * data. One word for both: 8 bytes a flow (exchange.c). */
    uint64_t srv_last_us;
    struct rec_track dir[2];   /* [0] client to server, [1] server to client */
    struct exchange_open open0;        /* the oldest open turn */
    /* Handles in the shared pool (exchange_pool_listed, exchange_pool_more,
     * exchange_pool_held; 0: none), 32 bits where a pointer would take 64. */
    uint32_t listed;           /* the newest listed turn (0: none) */
    uint32_t more;             /* the other open turns (0 while fewer than two) */
    uint32_t held;             /* small client records held (0: none) */
    uint32_t rtt_us;           /* hello to the server's first record or raw bytes (saturating),
                                * 0 if unknown */
    /* The last client data of a record above the small size, and the
     * server's last record above it, as ages behind cli_last_us and
     * srv_last_us (us, saturating; UINT32_MAX: never, or 71.6 minutes or
     * more ago). They are compared with EXCHANGE_JOIN_US, EXCHANGE_WRITE_US
     * and EXCHANGE_RUN_GAP_US only. */
    uint32_t cli_big_age, srv_big_age;
    uint32_t count;            /* completed turns */
    uint32_t resync;           /* times a direction lost record sync (gaps) */
    /* Application-data payload bytes each way, 48 bits (exchange_app_bytes:
     * the low 32 bits, then the high 16), saturating at 2^48 - 1 (256 TiB):
     * a connection kept for hours passes 4 GiB, none a sensor sees passes
     * that. No count of records each way: no event reports one (the turns
     * count theirs). */
    uint32_t app_lo[2];
    uint16_t app_hi[2];
    uint8_t kept;              /* turns listed (<= EXCHANGE_TURNS_KEPT) */
    /* Small counts as bit-fields: their bounds are asserted below. */
    uint8_t nopen : 4;         /* turns open (<= EXCHANGE_OPEN_MAX) */
    uint8_t hs : 2;            /* TLS 1.3 handshake tracking (exchange.c: 3 states) */
    bool mux : 1;              /* two requests were seen waiting at once */
    bool one_stream : 1;       /* the client offered no HTTP/2: requests never overlap */
    uint8_t target : 3;        /* index of the open turn the server's run goes to (< nopen) */
    bool setup_skipped : 1;    /* the connection set-up turn was seen and not counted */
    /* The server's next records may be the handshake's tail: the first
     * within 1.5 round trips and the slack of the client's Finished (in
     * srv_last_us, hs_in_srv), the next ones under EXCHANGE_TAIL_GAP_US
     * behind the server's last data (the tail's). */
    bool tail_open : 1;
    bool pend_in : 1;          /* the client's current record is held */
    bool srv_last_ctl : 1;     /* the server's last record was small or handshake tail */
    bool srv_last_full : 1;    /* the server's last record was full size */
    bool srv_seen : 1;         /* the server's first record was seen */
    bool cli_acked : 1;        /* the client sent an empty HTTP/2 frame (its SETTINGS ACK) */
    bool cli_last_full : 1;    /* the client's last record above the small size was full size */
    bool srv_stream_end : 1;   /* requests in flight together: the server's last record
                                * was an END_STREAM (U_EMPTY) ending its run's answer */
    bool hs_in_srv : 1;        /* srv_last_us holds the handshake's time (above) */
};

#define EXCHANGE_APP_BYTES_MAX ((UINT64_C(1) << 48) - 1u)

/* The application-data payload bytes e has seen in direction dir (0 client
 * to server, 1 server to client), saturating at EXCHANGE_APP_BYTES_MAX. */
static inline uint64_t exchange_app_bytes(const struct exchange *e, int dir)
{
    return (uint64_t)e->app_hi[dir] << 32 | e->app_lo[dir];
}

/* The server's last application data (packet time), 0 while none. */
static inline uint64_t exchange_srv_last(const struct exchange *e)
{
    return e->hs_in_srv ? 0 : e->srv_last_us;
}

_Static_assert(EXCHANGE_OPEN_MAX <= 8, "exchange.nopen (4 bits) and target (3 bits, < nopen)");
_Static_assert(EXCHANGE_TURNS_KEPT <= UINT8_MAX, "exchange.kept is 8 bits");
/* In every followed flow (struct flow_app): 120 bytes on x86-64 (136
 * with the handshake's times and the tail's last record in fields of
 * their own and 64-bit byte counts, 144 with 14-byte record trackers that
 * kept a split header's bytes, 152 with a pointer to the listed turns and
 * 16-byte trackers; 168 before an open turn kept one pair of response
 * times and the records' count each way, which no event reports, went). */
_Static_assert(sizeof(struct exchange) <= 120, "struct exchange: 120 bytes a flow (issue 10)");

/* What all flows' exchanges share: bounded pools of listed turns, of
 * blocks of requests in flight and of held records. When one is used up,
 * a turn is counted but not listed (the flow event's turns_not_listed), a
 * request in flight beyond the first closes the oldest (as at
 * EXCHANGE_OPEN_MAX), a small record is not held (it joins the newest
 * request); each is counted in the pool's stats. */
struct exchange_pool;

struct exchange_pool_stats {
    uint64_t listed, listed_cap, listed_refused;   /* turns listed now, cap, not listed */
    uint64_t more, more_cap, more_refused;         /* blocks of requests in flight */
    uint64_t held, held_cap, held_refused;         /* held-record states */
    uint64_t bytes;                                /* memory the pools hold */
};

/* Pools of at most listed_cap listed turns, more_cap blocks of requests in
 * flight and held_cap held-record states; memory is taken as they fill.
 * NULL on failure. */
struct exchange_pool *exchange_pool_new(size_t listed_cap, size_t more_cap, size_t held_cap);
void exchange_pool_free(struct exchange_pool *p);
void exchange_pool_stats_get(const struct exchange_pool *p, struct exchange_pool_stats *st);

/* Called for each completed turn (from exchange_tcp / exchange_udp /
 * exchange_finish) of the exchange that `owner` holds; t is valid during the
 * call only. */
typedef void (*exchange_turn_fn)(void *ctx, void *owner, const struct turn *t);

/* Where completed turns go: fn(ctx, owner, turn). ctx is the callee's
 * (the sensor); owner is the object the exchange belongs to (the sensor's
 * flow), passed with every call so that the callee needs no "current
 * flow" of its own. Built by the caller, on its stack, for each call. */
struct turn_sink {
    exchange_turn_fn fn;    /* NULL: turns are counted and kept, not reported */
    void *ctx;
    void *owner;
    /* The shared pool (NULL: nothing listed, one turn open). The exchange
     * finds its pooled parts through it (it holds handles, not pointers):
     * every call for one exchange names the same pool, or NULL on all. */
    struct exchange_pool *pool;
};

/* Resets e for a new flow. */
void exchange_init(struct exchange *e);

/* The client's hello (ClientHello, read by tls-asm.c) was complete at
 * packet time ts_us, offering the ALPN protocol_name_list alpn[0, alpn_len)
 * (length-prefixed names; may be NULL when alpn_len is 0). The time starts
 * the round trip the handshake tail's window is measured with; a list
 * without "h2" means HTTP/1.1, whose requests never overlap, so no turn is
 * ever opened alongside a waiting one. Optional: without it, the window is
 * the slack alone and requests may overlap (QUIC: HTTP/3). */
void exchange_hello(struct exchange *e, uint64_t ts_us, const uint8_t *alpn, size_t alpn_len);

/* One TCP segment's payload in direction `dir` (0 = to server) at packet time
 * `ts_us`, starting at sequence number `seq`. Records of any type are
 * followed; only type 23 (application_data) bytes count towards turns.
 * Pass the captured payload: bytes cut by the snap length are handled as
 * lost. Retransmitted bytes (before the next expected sequence number) are
 * ignored. Work is linear in len; nothing is allocated. Completed turns go
 * to `to`, which may be NULL (nowhere: then turns are counted, not listed,
 * and one request is open at a time, as without to->pool). */
void exchange_tcp(struct exchange *e, int dir, uint64_t ts_us, uint32_t seq,
                  const uint8_t *payload, uint32_t len, const struct turn_sink *to);

/* Direction dir's stream was read elsewhere up to next_seq (exclusive),
 * which is a record boundary: for the ClientHello records that tls-asm.c
 * reassembled. The next exchange_tcp() bytes are measured from there (a
 * later segment is a gap, an earlier one a retransmission). */
void exchange_tcp_at(struct exchange *e, int dir, uint32_t next_seq);

/* One QUIC (UDP) datagram in direction `dir`: short-header packets are
 * application data; long-header (handshake) packets are not counted, 0-RTT
 * packets are; coalesced packets are walked by their Length fields (QUIC v1,
 * v2 and drafts). Completed turns go to `to`, as for exchange_tcp. */
void exchange_udp(struct exchange *e, int dir, uint64_t ts_us, const uint8_t *payload,
                  uint32_t len, const struct turn_sink *to);

/* Flow end: completes the open turns, oldest first, and reports them to
 * `to` (may be NULL). Calling it again does nothing more. */
void exchange_finish(struct exchange *e, const struct turn_sink *to);

/* Gives everything e holds back to the pool p (its listed turns too):
 * after the flow event. e is then as exchange_init left it. */
void exchange_release(struct exchange *e, struct exchange_pool *p);

/* The listed turns, oldest first: i < e->kept. O(i). p is the pool e's
 * calls were given (the turns are there; NULL: none listed). */
const struct turn *exchange_listed_turn(const struct exchange *e, const struct exchange_pool *p,
                                        uint32_t i);
/* The turn listed after t (NULL after the newest), for a walk from
 * exchange_listed_turn(e, p, 0). */
const struct turn *exchange_listed_next(const struct exchange *e, const struct exchange_pool *p,
                                        const struct turn *t);

/* Open turn i (0: the oldest, i < e->nopen), as a turn so far (its request's
 * start and sizes; times are set when it closes); p is the pool e's calls
 * were given (the turns beyond the first are there). */
struct turn exchange_open_turn(const struct exchange *e, struct exchange_pool *p, unsigned i);

#endif
