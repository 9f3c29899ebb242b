/* Request/response turns inside encrypted flows.
 *
 * From TLS record headers (content type and length are in clear) and their
 * direction: a turn starts when the client sends application data after the
 * server has answered (or first after the handshake); its response is the
 * server's application data that follows, until the client speaks again.
 * QUIC flows get the same logic on short-header (1-RTT) packets.
 *
 * Approximations, by design (we see lengths and timing, never content):
 * - HTTP/2 and HTTP/3 can interleave turns on one connection; we see only one
 *   byte stream a direction, so overlapping requests merge into one turn (an
 *   undercount of turns, never an invented one).
 * - Small records (body <= EXCHANGE_TLS_SMALL bytes; QUIC packets <=
 *   EXCHANGE_QUIC_SMALL) are control traffic far more often than requests or
 *   answers: HTTP/2 WINDOW_UPDATE, SETTINGS ACK, PING, TLS 1.3 close_notify,
 *   QUIC ACKs. A small client record never opens a new turn once the current
 *   one has a response: it is held, and joins the next turn if a large client
 *   record follows within EXCHANGE_JOIN_US with no server data between (an
 *   HTTP/2 request's small HEADERS record before its DATA), else it is
 *   counted in the current request. A small server record is counted in the
 *   response but does not by itself let the client's next record open a new
 *   turn, and times the response only when nothing larger came. So a whole
 *   request smaller than that (an HTTP/2 GET whose headers HPACK shrank to a
 *   few bytes) merges into the turn before it; requests that carry a body
 *   (every prompt) are counted.
 * - TLS 1.3 encrypts the handshake's end in type-23 records. When the server
 *   sends type 23 before the client ever has, the connection is TLS 1.3: the
 *   server's records up to the client's first type-23 record are its
 *   handshake (EncryptedExtensions .. Finished) and that client record is its
 *   Finished; neither is application data. TLS 1.3 NewSessionTicket and the
 *   HTTP/2 server preface are not distinguishable from data: they make the
 *   first turn's time to first byte a lower bound; later turns on the same
 *   connection are unaffected.
 * - Bytes count record bodies (5-byte headers excluded), attributed to the
 *   time of the segment that carries them. After lost segments that cross a
 *   record boundary, the direction's bytes count as application data until a
 *   plausible record header re-synchronises the tracker (counted in resync).
 */
#ifndef DS_EXCHANGE_H
#define DS_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#define EXCHANGE_TURNS_KEPT 32   /* turns listed per flow event; the rest are counted */
#define EXCHANGE_SETUP_REQ_MAX 160   /* a first turn this small both ways is the */
#define EXCHANGE_SETUP_RESP_MAX 1500 /* connection set-up (HTTP/2 SETTINGS, tickets) */
#define EXCHANGE_TLS_SMALL 64    /* record body bytes at or below which a record is control */
#define EXCHANGE_QUIC_SMALL 100  /* QUIC packet bytes at or below which a packet is control */
#define EXCHANGE_JOIN_US 10000   /* small records this close before a request belong to it */

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
 * segments by sequence number. */
struct rec_track {
    uint32_t next_seq;      /* sequence number of the next byte expected */
    uint32_t body_left;     /* bytes left in the current record's body */
    uint8_t hdr[5];         /* a record header split across segments */
    uint8_t hdr_len;
    uint8_t cur_type;       /* content type of the current record */
    bool synced;            /* next_seq valid and at a known record position */
    bool started;           /* a segment with payload was seen this way */
    bool counted;           /* the current record's body is application data */
    bool big;               /* the current record's body > EXCHANGE_TLS_SMALL */
    uint16_t version;       /* version of the last type-23 record (re-sync wants the same) */
};

struct exchange {
    struct rec_track dir[2];   /* [0] client to server, [1] server to client */
    struct turn cur;           /* the turn being built */
    bool in_turn;              /* cur has a request */
    bool resp_seen;            /* cur has a response record above the small size */
    bool resp_any;             /* cur has response bytes of any size */
    bool setup_skipped;        /* the connection set-up turn was seen and not counted */
    uint8_t hs;                /* TLS 1.3 handshake tracking (exchange.c) */
    uint32_t count;            /* completed turns */
    uint32_t kept;             /* turns stored in turns[] (<= EXCHANGE_TURNS_KEPT) */
    uint64_t app_bytes[2];     /* application-data payload bytes each way */
    uint64_t app_records[2];   /* application-data TLS records / QUIC 1-RTT packets each way */
    uint32_t resync;           /* times a direction lost record sync (gaps) */
    uint64_t resp_first_us, resp_last_us;   /* of cur, large response records */
    uint64_t any_first_us, any_last_us;     /* of cur, any response record */
    uint32_t pend_bytes, pend_records;      /* small client records held after a response */
    uint64_t pend_first_us, pend_last_us;
    bool pend_in;                           /* the client's current record is held */
    struct turn turns[EXCHANGE_TURNS_KEPT];
};

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
};

/* Resets e for a new flow. */
void exchange_init(struct exchange *e);

/* One TCP segment's payload in direction `dir` (0 = to server) at packet time
 * `ts_us`, starting at sequence number `seq`. Records of any type are
 * followed; only type 23 (application_data) bytes count towards turns.
 * Pass the captured payload: bytes cut by the snap length are handled as
 * lost. Retransmitted bytes (before the next expected sequence number) are
 * ignored. Work is linear in len; nothing is allocated. Completed turns go
 * to `to`, which may be NULL (nowhere). */
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

/* Flow end: completes the open turn, if any, and reports it to `to` (may be
 * NULL). Calling it again does nothing more. */
void exchange_finish(struct exchange *e, const struct turn_sink *to);

#endif
