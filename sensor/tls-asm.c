/* Reassembly of the client's first bytes over TCP, up to the whole
 * ClientHello: a walk over the records as their bytes arrive, a buffer from
 * a pool only when the hello does not come in one segment (named by a
 * 32-bit handle, ipool.h, so that a flow keeps it in 4 bytes), and the proxy
 * request some clients send first skipped (proxy-preamble.h).
 * Every length on the wire is hostile: all reads go through ds/bytes.h.
 *
 * Buffers are few (the memcap's hello_buffers share): when all are held, the
 * one held longest is reclaimed for the newcomer (counted), and its flow
 * learns at its next segment that its hello is lost (TLS_FEED_RECLAIMED): a
 * flood of hellos cut mid-record cannot keep real ones from being read. */
#include "ds/tls-asm.h"

#include <stdlib.h>
#include <string.h>

#include "ds/bytes.h"
#include "ds/list.h"
#include "ds/memcap.h"
#include "ds/ipool.h"
#include "ds/proxy-preamble.h"
#include "ds/tls-hello.h"
#include "ds/tls-ja4.h"
#include "ds/tls-record.h"
#include "ds/util.h"

/* Where the walk over the client's records has got to. It only moves
 * forward, over complete records, so each byte is looked at a bounded number
 * of times however the segments arrive. */
struct walk {
    bool started;     /* base is known */
    uint32_t base;    /* stream offset of the first record (after a proxy request) */
    uint32_t off;     /* stream offset of the next record header */
    uint32_t hs_have; /* handshake bytes in the records walked */
    uint32_t hs_need; /* 4 + ClientHello length, 0 until known */
    uint8_t hdr[TLS_HANDSHAKE_HDR_LEN];
};

enum walk_res { WALK_MORE, WALK_DONE, WALK_NOT_TLS, WALK_BAD };

/* Finds where the records start: at once for a handshake record, after an
 * HTTP CONNECT request or a SOCKS 4/5 CONNECT otherwise. */
static enum walk_res walk_preamble(struct walk *w, const uint8_t *p, size_t avail)
{
    size_t base = 0;
    if (avail == 0)
        return WALK_MORE;
    if (p[0] != TLS_RECORD_HANDSHAKE) {
        enum proxy_preamble r = proxy_preamble_len(p, avail, &base);
        if (r == PROXY_PREAMBLE_MORE)
            return WALK_MORE;
        if (r == PROXY_PREAMBLE_NONE)
            return WALK_NOT_TLS;
    }
    w->started = true;
    w->base = (uint32_t)base;
    w->off = (uint32_t)base;
    return WALK_MORE;
}

/* Walks the records in p[0, avail) (the contiguous start of the stream).
 * DONE when the records walked hold the whole ClientHello; the records span
 * p[w->base, w->off) then. */
static enum walk_res walk_records(struct walk *w, const uint8_t *p, size_t avail)
{
    if (!w->started && avail > 0) {
        enum walk_res r = walk_preamble(w, p, avail);
        if (r != WALK_MORE || !w->started)
            return r;
    }
    while (w->started && w->off < avail) {
        /* Bytes not here yet read as 0 and set r.bad: each check below
         * judges only bytes that have arrived. */
        size_t n = avail - w->off;
        struct rd r = rd_init(p + w->off, n);
        struct tls_record_hdr rh;
        bool whole = tls_record_hdr_read(&r, &rh);
        uint32_t rec_len = rh.len;
        /* The stream is TLS only if it opens with a handshake record of a
         * TLS/SSLv3 version; a later record that is not one is malformed. */
        if (rh.type != TLS_RECORD_HANDSHAKE || (n >= 2 && rh.major != 3) ||
            (n >= 3 && rh.minor > 4))
            return w->off == w->base ? WALK_NOT_TLS : WALK_BAD;
        if (!whole)
            return WALK_MORE;
        if (rec_len == 0 || rec_len > TLS_RECORD_PLAINTEXT_MAX ||
            w->off + TLS_RECORD_HDR_LEN + rec_len > TLS_HELLO_MAX)
            return WALK_BAD;
        /* Read the handshake header as soon as the first record shows it,
         * so a hostile length is refused without waiting for its bytes. */
        struct rd peek = r;
        struct tls_handshake_hdr hh;
        if (w->hs_have == 0 && rec_len >= TLS_HANDSHAKE_HDR_LEN &&
            tls_handshake_hdr_read(&peek, &hh) &&
            (hh.type != TLS_HANDSHAKE_CLIENT_HELLO ||
             w->off + TLS_RECORD_HDR_LEN + TLS_HANDSHAKE_HDR_LEN + hh.len > TLS_HELLO_MAX))
            return WALK_BAD;
        const uint8_t *body = rd_bytes(&r, rec_len);
        if (body == NULL)
            return WALK_MORE;
        for (uint32_t i = 0; w->hs_have + i < TLS_HANDSHAKE_HDR_LEN && i < rec_len; i++)
            w->hdr[w->hs_have + i] = body[i];
        w->hs_have += rec_len;
        w->off += TLS_RECORD_HDR_LEN + rec_len;
        if (w->hs_need == 0 && w->hs_have >= TLS_HANDSHAKE_HDR_LEN) {
            struct rd hr = rd_init(w->hdr, TLS_HANDSHAKE_HDR_LEN);
            (void)tls_handshake_hdr_read(&hr, &hh);   /* all four bytes are there */
            if (hh.type != TLS_HANDSHAKE_CLIENT_HELLO ||
                w->base + TLS_RECORD_HDR_LEN + TLS_HANDSHAKE_HDR_LEN + hh.len > TLS_HELLO_MAX)
                return WALK_BAD;
            w->hs_need = TLS_HANDSHAKE_HDR_LEN + hh.len;
        }
        if (w->hs_need != 0) {
            if (w->hs_have >= w->hs_need)
                return WALK_DONE;
            /* Every record still to come costs a header too. */
            if (w->off + TLS_RECORD_HDR_LEN + (w->hs_need - w->hs_have) > TLS_HELLO_MAX)
                return WALK_BAD;
        }
    }
    return WALK_MORE;
}

struct tls_asm {
    struct ds_list_node held;  /* in the pool's held list, oldest first */
    uint32_t *owner;           /* the slot that holds it (in a flow, which never moves) */
    uint32_t self;             /* its own handle, what owner holds */
    uint32_t isn;      /* sequence number of stream byte 0 */
    uint32_t prefix;   /* bytes [0, prefix) are all present */
    struct walk w;
    uint8_t have[TLS_HELLO_MAX / 8]; /* one bit per stream byte received */
    uint8_t buf[TLS_HELLO_MAX];
};

/* What a reclaimed buffer's slot holds: never a buffer's handle (ipool
 * hands out at most UINT32_MAX - 1). */
#define SLOT_GONE UINT32_MAX

/* Buffers a slab: the pool's unit of growth. */
#define BUFS_SLAB_SHIFT 3

struct tls_asm_pool {
    struct ipool bufs;
    struct ds_list held;      /* buffers in use, oldest first */
    struct memcap *mc;        /* the caller's, or NULL: where reclaims are counted */
    uint64_t reclaimed;
    /* A ClientHello spread over several records is made contiguous here
     * before parsing; one per pool, as a pool serves one capture thread. */
    uint8_t scratch[TLS_HELLO_MAX];
    bool lazy_ja4;            /* JA4 only on request (tls_asm_ja4) */
    const uint8_t *last_msg;  /* the hello of the last TLS_FEED_DONE */
    size_t last_len;
};

struct tls_asm_pool *tls_asm_pool_new(unsigned max_buffers, struct memcap *mc)
{
    struct tls_asm_pool *pool = xcalloc(1, sizeof(*pool));
    ipool_init(&pool->bufs, sizeof(struct tls_asm), 16, max_buffers, BUFS_SLAB_SHIFT);
    pool->mc = mc;
    return pool;
}

size_t tls_asm_buffer_bytes(void)
{
    return (sizeof(struct tls_asm) + 15) & ~(size_t)15; /* ipool_init's rounding to 16 */
}

uint64_t tls_asm_pool_reclaimed(const struct tls_asm_pool *pool)
{
    return pool ? pool->reclaimed : 0;
}

/* The buffer of handle h (not 0 nor SLOT_GONE). */
static struct tls_asm *buffer_at(const struct tls_asm_pool *pool, uint32_t h)
{
    return ipool_at(&pool->bufs, h);
}

/* A zeroed buffer for *slot: a free one, or the one held longest, whose
 * slot is told it is gone. NULL only for a pool of no buffers. */
static struct tls_asm *take_buffer(struct tls_asm_pool *pool, uint32_t *slot)
{
    struct tls_asm *a = NULL;
    uint32_t h = ipool_get(&pool->bufs);
    if (h != 0) {
        a = buffer_at(pool, h);
    } else if (pool->held.head != NULL) {
        a = DS_LIST_ENTRY(pool->held.head, struct tls_asm, held);
        ds_list_unlink(&pool->held, &a->held);
        *a->owner = SLOT_GONE;
        h = a->self;
        memset(a, 0, sizeof(*a));
        pool->reclaimed++;
        memcap_evicted(pool->mc, MEMCAP_EV_HELLO_BUFFERS);
    }
    if (a == NULL)
        return NULL;
    a->owner = slot;
    a->self = h;
    ds_list_push_tail(&pool->held, &a->held);
    *slot = h;
    return a;
}

void tls_asm_pool_lazy_ja4(struct tls_asm_pool *pool, bool lazy)
{
    pool->lazy_ja4 = lazy;
}

int tls_asm_ja4(struct tls_asm_pool *pool, struct tls_hello *out)
{
    struct tls_ch c;
    if (pool->last_msg == NULL || tls_ch_parse(pool->last_msg, pool->last_len, &c) != 0)
        return -1;
    tls_ja4(&c, false, out->ja4);
    return 0;
}

void tls_asm_pool_free(struct tls_asm_pool *pool)
{
    if (pool == NULL)
        return;
    ipool_free(&pool->bufs);
    free(pool);
}

size_t tls_asm_pool_bytes(const struct tls_asm_pool *pool)
{
    if (pool == NULL)
        return 0;
    return sizeof(*pool) + pool->bufs.bytes;
}

void tls_asm_release(struct tls_asm_pool *pool, uint32_t *slot)
{
    if (slot == NULL || *slot == 0)
        return;
    if (*slot != SLOT_GONE) {
        ds_list_unlink(&pool->held, &buffer_at(pool, *slot)->held);
        ipool_put(&pool->bufs, *slot);
    }
    *slot = 0;
}

uint32_t tls_asm_raw_seq(const struct tls_asm_pool *pool, uint32_t slot, uint32_t seq,
                         const uint8_t *data, const uint8_t *raw)
{
    /* Without a buffer, raw points into the segment that completed the hello. */
    if (slot == 0 || slot == SLOT_GONE)
        return seq + (uint32_t)(raw - data);
    const struct tls_asm *a = buffer_at(pool, slot);
    return a->isn + (uint32_t)(raw - a->buf);
}

/* Parses the ClientHello out of the complete records p[w->base, w->off): straight
 * from the first record when it holds the whole message, else after copying
 * the record payloads into the pool's scratch buffer. */
static enum tls_feed finish(struct tls_asm_pool *pool, const struct walk *w, const uint8_t *p,
                            struct tls_hello *out)
{
    struct rd r = rd_init(p + w->base, w->off - w->base);
    struct tls_record_hdr rh;
    (void)tls_record_hdr_read(&r, &rh);
    size_t first_len = rh.len;
    const uint8_t *msg = rd_bytes(&r, first_len);
    if (first_len < w->hs_need) {
        /* Concatenate the record bodies (the walk checked their headers). */
        r = rd_init(p + w->base, w->off - w->base);
        size_t got = 0;
        while (got < w->hs_need && !r.bad) {
            (void)tls_record_hdr_read(&r, &rh);
            size_t rec_len = rh.len;
            const uint8_t *body = rd_bytes(&r, rec_len);
            size_t take = rec_len < w->hs_need - got ? rec_len : w->hs_need - got;
            if (body != NULL)
                memcpy(pool->scratch + got, body, take);
            got += take;
        }
        msg = r.bad ? NULL : pool->scratch;
    }
    pool->last_msg = msg;
    pool->last_len = w->hs_need;
    if (msg == NULL || tls_hello_parse(msg, w->hs_need, false, !pool->lazy_ja4, out) != 0)
        return TLS_FEED_BAD;
    return TLS_FEED_DONE;
}

static enum tls_feed walk_result(enum walk_res r)
{
    switch (r) {
    case WALK_NOT_TLS: return TLS_FEED_NOT_TLS;
    case WALK_BAD: return TLS_FEED_BAD;
    default: return TLS_FEED_MORE;
    }
}

static bool have_bit(const struct tls_asm *a, uint32_t i)
{
    return (a->have[i >> 3] >> (i & 7)) & 1;
}

/* Copies stream bytes [from, to) in and marks them present. The first copy
 * of a byte wins: the walk has checked the bytes it passed, and a
 * retransmission that says something else must not change them under it. */
static void asm_put(struct tls_asm *a, uint32_t from, uint32_t to, const uint8_t *data)
{
    uint32_t i = from;
    while (i < to) {
        if ((i & 7) == 0 && to - i >= 8) {
            uint8_t *m = &a->have[i >> 3];
            if (*m == 0xff) {
                i += 8;
                continue;
            }
            if (*m == 0) {
                memcpy(a->buf + i, data + (i - from), 8);
                *m = 0xff;
                i += 8;
                continue;
            }
        }
        if (!have_bit(a, i)) {
            a->buf[i] = data[i - from];
            a->have[i >> 3] |= (uint8_t)(1u << (i & 7));
        }
        i++;
    }
    while (a->prefix < TLS_HELLO_MAX) {
        if ((a->prefix & 7) == 0 && a->have[a->prefix >> 3] == 0xff)
            a->prefix += 8;
        else if (have_bit(a, a->prefix))
            a->prefix++;
        else
            break;
    }
}

enum tls_feed tls_asm_feed(struct tls_asm_pool *pool, uint32_t *slot, bool start_known,
                           uint32_t start_seq, uint32_t seq, const uint8_t *data, size_t len,
                           struct tls_hello *out, const uint8_t **raw, size_t *raw_len)
{
    if (*slot == SLOT_GONE)
        return TLS_FEED_RECLAIMED;
    struct tls_asm *a = *slot != 0 ? buffer_at(pool, *slot) : NULL;
    if (data == NULL || len == 0)
        return TLS_FEED_MORE;
    uint32_t isn = a != NULL ? a->isn : (start_known ? start_seq : seq);
    /* Offset of the segment in the stream, as a signed distance so that a
     * segment from before the start (a retransmitted SYN with data, say) is
     * trimmed rather than taken for one 4 GB ahead. */
    int64_t off = (int32_t)(seq - isn);
    if (off < 0) {
        if ((uint64_t)-off >= len)
            return TLS_FEED_MORE;
        data += -off;
        len -= (size_t)-off;
        off = 0;
    }

    /* Fast path: the whole ClientHello in the first segment, no buffer. */
    if (a == NULL && off == 0) {
        struct walk w = { 0 };
        enum walk_res r = walk_records(&w, data, len);
        if (r == WALK_DONE) {
            enum tls_feed f = finish(pool, &w, data, out);
            if (f == TLS_FEED_DONE) {
                *raw = data + w.base;
                *raw_len = w.off - w.base;
            }
            return f;
        }
        if (r != WALK_MORE)
            return walk_result(r);
    }

    if (off >= TLS_HELLO_MAX)
        return TLS_FEED_MORE; /* beyond any ClientHello we take; its start may still come */
    if (a == NULL) {
        a = take_buffer(pool, slot);
        if (a == NULL)
            return TLS_FEED_BAD;
        a->isn = isn;
    }
    uint32_t from = (uint32_t)off;
    uint32_t to = len > TLS_HELLO_MAX - from ? TLS_HELLO_MAX : from + (uint32_t)len;
    asm_put(a, from, to, data);

    enum walk_res r = walk_records(&a->w, a->buf, a->prefix);
    if (r == WALK_DONE) {
        enum tls_feed f = finish(pool, &a->w, a->buf, out);
        if (f == TLS_FEED_DONE) {
            *raw = a->buf + a->w.base;
            *raw_len = a->w.off - a->w.base;
        }
        return f;
    }
    if (r == WALK_MORE && a->prefix == TLS_HELLO_MAX)
        return TLS_FEED_BAD;
    return walk_result(r);
}
