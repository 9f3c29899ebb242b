/* Block buffering and padding shared by SHA-1, SHA-256 and MD5 (see md-block.h). */
#include "ds/md-block.h"

#include <stdbool.h>
#include <string.h>

void md_block_init(struct md_block *m)
{
    m->total = 0;
    m->used = 0;
}

void md_block_update(struct md_block *m, uint32_t *h, md_block_fn fn, const void *data,
                     size_t len)
{
    const uint8_t *p = data;
    m->total += len;
    if (m->used > 0) {
        size_t take = MD_BLOCK_LEN - m->used;
        if (take > len)
            take = len;
        memcpy(m->buf + m->used, p, take);
        m->used += take;
        p += take;
        len -= take;
        if (m->used < MD_BLOCK_LEN)
            return;
        fn(h, m->buf);
        m->used = 0;
    }
    while (len >= MD_BLOCK_LEN) {
        fn(h, p);
        p += MD_BLOCK_LEN;
        len -= MD_BLOCK_LEN;
    }
    if (len > 0) {
        memcpy(m->buf, p, len);
        m->used = len;
    }
}

/* Pads the message: 0x80, zeros, and its length in bits as 8 bytes, most
 * significant first (`be`, FIPS 180-4) or least significant first (RFC 1321). */
static void md_block_pad(struct md_block *m, uint32_t *h, md_block_fn fn, bool be)
{
    uint64_t bits = m->total * 8;
    m->buf[m->used++] = 0x80;
    if (m->used > MD_BLOCK_LEN - 8) {
        memset(m->buf + m->used, 0, MD_BLOCK_LEN - m->used);
        fn(h, m->buf);
        m->used = 0;
    }
    memset(m->buf + m->used, 0, MD_BLOCK_LEN - 8 - m->used);
    for (int i = 0; i < 8; i++)
        m->buf[MD_BLOCK_LEN - 8 + i] = (uint8_t)(bits >> (be ? 56 - 8 * i : 8 * i));
    fn(h, m->buf);
}

void md_block_final(struct md_block *m, uint32_t *h, md_block_fn fn)
{
    md_block_pad(m, h, fn, true);
}

void md_block_final_le(struct md_block *m, uint32_t *h, md_block_fn fn)
{
    md_block_pad(m, h, fn, false);
}

void md_block_digest(const uint32_t *h, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void md_block_digest_le(const uint32_t *h, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[4 * i] = (uint8_t)h[i];
        out[4 * i + 1] = (uint8_t)(h[i] >> 8);
        out[4 * i + 2] = (uint8_t)(h[i] >> 16);
        out[4 * i + 3] = (uint8_t)(h[i] >> 24);
    }
}
