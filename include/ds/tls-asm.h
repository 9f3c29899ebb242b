/* Reassembly of the client's first TLS records over TCP, up to the whole
 * ClientHello, from a pool of buffers (a hello in one segment needs none).
 * The hello is then parsed and fingerprinted as tls.h says. */
#ifndef DS_TLS_ASM_H
#define DS_TLS_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/tls.h"

struct tls_asm_pool; /* buffers for flows whose ClientHello spans segments */

/* A flow's reassembly state is a slot: a uint32_t, 0 at first, which the
 * pool fills with the 32-bit handle of a buffer when one is needed (and
 * with a value of its own when that buffer is reclaimed). The slot must
 * not move while it holds a buffer: the pool writes to it on a reclaim. */

struct memcap;

/* At most max_buffers buffers (at least 1); when all are held, the one held
 * longest is reclaimed for a newcomer and counted in mc (the caller's, or
 * NULL). */
struct tls_asm_pool *tls_asm_pool_new(unsigned max_buffers, struct memcap *mc);
/* What one buffer costs the pool, for the memcap's share. */
size_t tls_asm_buffer_bytes(void);
/* Buffers taken from their flows so far. */
uint64_t tls_asm_pool_reclaimed(const struct tls_asm_pool *pool);
void tls_asm_pool_free(struct tls_asm_pool *pool);
/* JA4 costs two SHA-256 a hello; a caller that keeps few flows can ask
 * tls_asm_feed to leave out->ja4 empty (lazy) and fill it with tls_asm_ja4
 * for the hellos it keeps. Default: computed for every hello. */
void tls_asm_pool_lazy_ja4(struct tls_asm_pool *pool, bool lazy);
/* After TLS_FEED_DONE and before the next feed or tls_asm_release: the JA4
 * of that hello into out->ja4. 0 or -1. */
int tls_asm_ja4(struct tls_asm_pool *pool, struct tls_hello *out);
size_t tls_asm_pool_bytes(const struct tls_asm_pool *pool);

enum tls_feed {
    TLS_FEED_MORE = 0,   /* keep feeding client segments */
    TLS_FEED_DONE,       /* *out holds the first ClientHello */
    TLS_FEED_NOT_TLS,    /* the stream does not start with a TLS handshake */
    TLS_FEED_BAD,        /* malformed, too big, or no buffer: give up on this flow */
    TLS_FEED_RECLAIMED,  /* this flow's buffer went to a newer flow: give up on it */
};

/* Feeds one client-to-server TCP segment. `*slot` is the flow's slot (0 at
 * first; the pool fills it when a buffer is needed). `start_seq` is the
 * sequence number of the first payload byte when `start_known` (a SYN was
 * seen), else the first segment fed sets it. Segments may arrive out of order,
 * overlap or repeat; where copies of a byte differ, the first one received
 * wins. Bytes before the start are dropped, bytes past TLS_HELLO_MAX ignored.
 *
 * The stream must open with a handshake record, or with a forward proxy's
 * request followed by one (proxy-preamble.h: an HTTP CONNECT request head, or
 * a SOCKS 4/4a/5 CONNECT with RFC 1929 credentials), so that TLS through a
 * proxy is fingerprinted too (the caller keeps feeding client segments after
 * the proxy has answered).
 *
 * On TLS_FEED_DONE, *out holds the first ClientHello, and *raw and *raw_len
 * give the complete TLS record(s) holding it (record headers included; not
 * the proxy request, nor records after the hello's last one), valid until
 * tls_asm_release and, when no buffer was needed (the whole hello in one
 * segment), only while `data` is; tls_asm_raw_seq places them in sequence
 * space. On any result but MORE the caller releases. A hello that needs a
 * buffer when none is free is TLS_FEED_BAD. */
enum tls_feed tls_asm_feed(struct tls_asm_pool *pool, uint32_t *slot, bool start_known,
                           uint32_t start_seq, uint32_t seq, const uint8_t *data, size_t len,
                           struct tls_hello *out, const uint8_t **raw, size_t *raw_len);

/* After tls_asm_feed returned TLS_FEED_DONE, and before tls_asm_release:
 * the TCP sequence number of raw[0], so that the records span
 * [result, result + raw_len) in sequence space. `seq` and `data` are the
 * arguments of that feed. The records need not end where the segment that
 * completed them ends (an earlier segment may have come late, or more
 * records may follow in the same segment). */
uint32_t tls_asm_raw_seq(const struct tls_asm_pool *pool, uint32_t slot, uint32_t seq,
                         const uint8_t *data, const uint8_t *raw);

/* Returns the flow's buffer to the pool and sets *slot to 0. NULL-safe, and
 * a no-op for a slot of 0. */
void tls_asm_release(struct tls_asm_pool *pool, uint32_t *slot);

#endif
