/* Request/response turns inside encrypted flows.
 *
 * From TLS record headers (content type and length are in clear) and their
 * direction: a turn starts when the client sends application data after the
 * server has sent some (or first after the handshake); its response is the
 * server's application data that follows, until the client speaks again.
 * HTTP/2 and HTTP/3 can interleave turns on one connection; we see only one
 * byte stream a direction, so overlapping requests merge into one turn (an
 * undercount of turns, never an invented one). */
#ifndef DS_EXCHANGE_H
#define DS_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#define EXCHANGE_TURNS_KEPT 32 /* turns listed per flow event; the rest are counted */

struct turn {
    uint64_t start_us;      /* packet time of the request's first data */
    uint32_t req_bytes;     /* application-data payload bytes, client to server */
    uint32_t resp_bytes;    /* application-data payload bytes, server to client */
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
};

struct exchange {
    struct rec_track dir[2];   /* [0] client to server, [1] server to client */
    struct turn cur;           /* the turn being built */
    bool in_turn;              /* cur has a request */
    bool resp_seen;            /* cur has response bytes */
    uint32_t count;            /* completed turns */
    uint32_t kept;             /* turns stored in turns[] (<= EXCHANGE_TURNS_KEPT) */
    uint64_t app_bytes[2];     /* application-data payload bytes each way */
    uint32_t resync;           /* times a direction lost record sync (gaps) */
    struct turn turns[EXCHANGE_TURNS_KEPT];
};

/* Called for each completed turn (from exchange_tcp / exchange_udp / exchange_finish). */
typedef void (*exchange_turn_fn)(void *ctx, const struct turn *t);

/* Resets e for a new flow. */
void exchange_init(struct exchange *e);

/* One TCP segment's payload in direction `dir` (0 = to server) at packet time
 * `ts_us`, starting at sequence number `seq`. Records of any type are followed; only type 23
 * (application_data) bytes count towards turns. */
void exchange_tcp(struct exchange *e, int dir, uint64_t ts_us, uint32_t seq,
                  const uint8_t *payload, uint32_t len, exchange_turn_fn fn, void *ctx);

/* One QUIC (UDP) datagram in direction `dir`: short-header packets are
 * application data; long-header (handshake) packets are not counted. */
void exchange_udp(struct exchange *e, int dir, uint64_t ts_us, const uint8_t *payload,
                  uint32_t len, exchange_turn_fn fn, void *ctx);

/* Flow end: completes the open turn, if any, and reports it. */
void exchange_finish(struct exchange *e, exchange_turn_fn fn, void *ctx);

#endif
