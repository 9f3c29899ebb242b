/* Fuzz target for the turn tracker: the input is a script of TCP segments
 * and UDP datagrams in both directions, in order, after gaps, or
 * retransmitted, whose payloads are taken from the input itself.
 *
 * Script, repeated until the input ends:
 *   op (1 byte): 0xfe = exchange_finish; else bit 0 direction, bits 1-2 kind
 *     (0 TCP in order, 1 TCP after a gap, 2 TCP retransmission/overlap,
 *     3 UDP datagram), bits 3-7 time step in milliseconds
 *   len (2 bytes, big-endian): payload length, cut to what the input has left
 *   kind 1 and 2: one more byte, the gap (x 97 + 1 bytes) or how far back
 *   payload: len bytes
 * Invariants checked after each step abort on failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
    uint64_t reported;
    uint64_t now;
    uint64_t fed[2];            /* payload bytes handed in each way, whatever their kind */
    const struct exchange *e;   /* the owner every turn must come with */
};

static void check_turn(const struct ctx *c, const struct turn *t)
{
    /* Times only move forward in this script: nothing may exceed the clock. */
    if (t->start_us > c->now || t->ttfb_us > c->now || t->resp_dur_us > c->now)
        abort();
    if (t->start_us + t->ttfb_us + t->resp_dur_us > c->now + 1)
        abort();
    /* A turn holds no more bytes than the flow carried, nor more records
     * than bytes were handed in its way: each record it counts took at
     * least one (a TLS record its 5-byte header, a QUIC packet its first
     * byte). A count that wrapped below zero breaks this at once. */
    if (t->req_records > c->fed[0] || t->resp_records > c->fed[1] ||
        t->req_bytes > exchange_app_bytes(c->e, 0) || t->resp_bytes > exchange_app_bytes(c->e, 1))
        abort();
}

static void on_turn(void *p, void *owner, const struct turn *t)
{
    struct ctx *c = p;
    if (owner != c->e)
        abort();
    check_turn(c, t);
    c->reported++;
}

static void check(const struct exchange *e, const struct exchange_pool *p, const struct ctx *c)
{
    if (e->kept > EXCHANGE_TURNS_KEPT || e->kept > e->count || c->reported != e->count)
        abort();
    if (e->dir[0].hdr_len >= 5 || e->dir[1].hdr_len >= 5)
        abort();
    for (int d = 0; d < 2; d++) /* body_left is the packed header while hdr_len > 0 */
        if (e->dir[d].hdr_len == 0 && e->dir[d].body_left > 16384 + 2048)
            abort();
    for (uint32_t i = 0; i < e->kept; i++)
        check_turn(c, exchange_listed_turn(e, p, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small pools, so that running out of each is exercised too. */
    static struct exchange_pool *pool;
    if (pool == NULL)
        pool = exchange_pool_new(48, 2, 2);
    struct exchange e;
    struct ctx c = { 0, 1000000, { 0, 0 }, &e };
    const struct turn_sink to = { on_turn, &c, &e, pool };
    uint32_t next[2] = { 0xffffff00u, 12345 }; /* dir 0 wraps soon */
    exchange_init(&e);
    size_t off = 0;
    while (off < size) {
        uint8_t op = data[off++];
        if (op == 0xfe) {
            exchange_finish(&e, &to);
            check(&e, pool, &c);
            continue;
        }
        if (size - off < 2)
            break;
        size_t len = ((size_t)data[off] << 8) | data[off + 1];
        off += 2;
        int dir = op & 1;
        unsigned kind = (op >> 1) & 3;
        c.now += (uint64_t)(op >> 3) * 1000;
        uint32_t arg = 0;
        if (kind == 1 || kind == 2) {
            if (off >= size)
                break;
            arg = data[off++];
        }
        if (len > size - off)
            len = size - off;
        const uint8_t *p = data + off;
        off += len;
        uint32_t seq = next[dir];
        c.fed[dir] += len;
        switch (kind) {
        case 0:
            next[dir] = seq + (uint32_t)len;
            exchange_tcp(&e, dir, c.now, seq, p, (uint32_t)len, &to);
            break;
        case 1:
            seq += arg * 97 + 1;
            next[dir] = seq + (uint32_t)len;
            exchange_tcp(&e, dir, c.now, seq, p, (uint32_t)len, &to);
            break;
        case 2:
            seq -= arg;
            if ((int32_t)(seq + (uint32_t)len - next[dir]) > 0)
                next[dir] = seq + (uint32_t)len;
            exchange_tcp(&e, dir, c.now, seq, p, (uint32_t)len, &to);
            break;
        default:
            exchange_udp(&e, dir, c.now, p, (uint32_t)len, &to);
            break;
        }
        check(&e, pool, &c);
    }
    exchange_finish(&e, &to);
    check(&e, pool, &c);
    if (e.nopen != 0 || e.more != 0 || e.held != 0)
        abort();
    exchange_release(&e, pool);
    return 0;
}
