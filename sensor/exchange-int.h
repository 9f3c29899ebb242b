/* What the record and packet walkers (exchange.c) and the turn logic
 * (exchange-turns.c) share: how a piece of application data is described,
 * and the turn logic's three entry points. Private to those two files; the
 * API and the model are in ds/exchange.h. */
#ifndef DS_EXCHANGE_INT_H
#define DS_EXCHANGE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ds/exchange.h"

/* Flags of a piece of application data handed to the turn logic. */
#define U_START 0x1u  /* the first bytes of a record / packet: may open a turn */
#define U_BIG 0x2u    /* its record / packet is above the small (control) size */
#define U_RECORD 0x4u /* a TLS record or QUIC packet (not raw bytes of a lost tracker) */
#define U_TAIL 0x8u   /* a server record of the TLS 1.3 handshake's tail (tickets) */
#define U_FULL 0x10u  /* its record is full size (EXCHANGE_TLS_FULL: a bulk transfer) */
#define U_WRITE 0x20u /* QUIC: the client's packet before was not full size, its write had
                       * ended: this one starts a write of its own, however soon */
#define U_EMPTY 0x40u /* TLS: the record's body is one empty HTTP/2 frame (9 bytes) with
                       * TLS 1.3's or 1.2's AEAD overhead: an END_STREAM's empty DATA
                       * (or a SETTINGS ACK) */
#define U_BODY 0x80u  /* TLS: the record's body is above EXCHANGE_HEADERS_MAX: too large
                       * for a request's HEADERS on a warm connection, a body's DATA;
                       * QUIC packets never carry it, so request_ended's body rule is
                       * TLS's alone */

/* Record body bytes of one empty HTTP/2 frame (its 9-byte header alone)
 * with TLS 1.3's AEAD overhead (17: content type and tag) or TLS 1.2's (24
 * with AES-GCM's explicit nonce, 16 with ChaCha20-Poly1305). */
static inline bool exchange_empty_frame_record(uint32_t body)
{
    return body == 9u + 16u || body == 9u + 17u || body == 9u + 24u;
}

/* n bytes of the client's application data at packet time ts. */
void exchange_turns_client(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                           const struct turn_sink *to);

/* n bytes of the server's application data at packet time ts. */
void exchange_turns_server(struct exchange *e, uint64_t ts, uint32_t n, unsigned flags,
                           const struct turn_sink *to);

/* Closes every open turn, oldest first (flow end). */
void exchange_turns_finish(struct exchange *e, const struct turn_sink *to);

/* The shared pool's objects (exchange-pool.c): 0 when p is NULL or that
 * pool is used up (counted); put with NULL p or handle 0 does nothing.
 * Listed turns, blocks of requests in flight and held-record states are
 * named by 32-bit handles (0: none), turned into the object by
 * exchange_pool_listed, exchange_pool_more and exchange_pool_held (NULL
 * for 0 or a NULL p). */
uint32_t exchange_pool_take_listed(struct exchange_pool *p);
void exchange_pool_put_listed(struct exchange_pool *p, uint32_t h);
struct exchange_listed *exchange_pool_listed(const struct exchange_pool *p, uint32_t h);
uint32_t exchange_pool_take_more(struct exchange_pool *p);
void exchange_pool_put_more(struct exchange_pool *p, uint32_t h);
struct exchange_open_more *exchange_pool_more(const struct exchange_pool *p, uint32_t h);
uint32_t exchange_pool_take_held(struct exchange_pool *p);
void exchange_pool_put_held(struct exchange_pool *p, uint32_t h);
struct exchange_held *exchange_pool_held(const struct exchange_pool *p, uint32_t h);

#endif
