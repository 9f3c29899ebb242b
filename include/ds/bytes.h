/* Bounds-checked readers for bytes from the wire (after tcpdump's GET_BE_U_2).
 *
 * A reader is a cursor over a buffer with a sticky error flag: a read past the
 * end returns 0 and sets `bad`, so a parser reads a whole structure and checks
 * once, and can never touch a byte outside [p, p + len). */
#ifndef DS_BYTES_H
#define DS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool bad;
};

static inline struct rd rd_init(const uint8_t *p, size_t len)
{
    struct rd r = { p, len, 0, false };
    return r;
}

static inline size_t rd_left(const struct rd *r)
{
    return r->bad ? 0 : r->len - r->off;
}

static inline bool rd_need(struct rd *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return false;
    }
    return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
    if (!rd_need(r, 1))
        return 0;
    return r->p[r->off++];
}

static inline uint16_t rd_be16(struct rd *r)
{
    if (!rd_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
    r->off += 2;
    return v;
}

static inline uint32_t rd_be24(struct rd *r)
{
    if (!rd_need(r, 3))
        return 0;
    uint32_t v = ((uint32_t)r->p[r->off] << 16) | ((uint32_t)r->p[r->off + 1] << 8) |
                 r->p[r->off + 2];
    r->off += 3;
    return v;
}

static inline uint32_t rd_be32(struct rd *r)
{
    if (!rd_need(r, 4))
        return 0;
    uint32_t v = ((uint32_t)r->p[r->off] << 24) | ((uint32_t)r->p[r->off + 1] << 16) |
                 ((uint32_t)r->p[r->off + 2] << 8) | r->p[r->off + 3];
    r->off += 4;
    return v;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and bad). */
static inline const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    if (!rd_need(r, n))
        return NULL;
    const uint8_t *v = r->p + r->off;
    r->off += n;
    return v;
}

static inline void rd_skip(struct rd *r, size_t n)
{
    (void)rd_bytes(r, n);
}

/* A sub-reader over the next n bytes (for length-prefixed structures). */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
    const uint8_t *v = rd_bytes(r, n);
    struct rd s = rd_init(v, v ? n : 0);
    s.bad = (v == NULL);
    return s;
}

/* Unchecked big-endian loads, for callers that checked the length. */
static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
