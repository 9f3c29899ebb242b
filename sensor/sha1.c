/* SHA-1 (FIPS 180-4 section 6.1) for the Community ID: libcrypto is
 * quic-initial.c's alone (docs/STYLE.md), and a Community ID is one digest of
 * at most 40 bytes per flow event. The buffering and padding are md-block.c's,
 * shared with sha256.c. */
#include "ds/sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* One round of FIPS 180-4 6.1.2 step 3 on the working variables v (a..e),
 * given f_t(b, c, d) + K_t and W_t. */
static inline void sha1_round(uint32_t v[5], uint32_t fk, uint32_t wt)
{
    uint32_t t = rol(v[0], 5) + fk + v[4] + wt;
    v[4] = v[3];
    v[3] = v[2];
    v[2] = rol(v[1], 30);
    v[1] = v[0];
    v[0] = t;
}

/* The 80 rounds in four loops of 20, one for each f_t and K_t (FIPS 180-4
 * 4.1.1, 4.2.1), so no round branches on its number. */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) |
               ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t v[5] = { h[0], h[1], h[2], h[3], h[4] };
    int i = 0;
    for (; i < 20; i++)
        sha1_round(v, ((v[1] & v[2]) | (~v[1] & v[3])) + 0x5a827999, w[i]);
    for (; i < 40; i++)
        sha1_round(v, (v[1] ^ v[2] ^ v[3]) + 0x6ed9eba1, w[i]);
    for (; i < 60; i++)
        sha1_round(v, ((v[1] & v[2]) | (v[1] & v[3]) | (v[2] & v[3])) + 0x8f1bbcdc, w[i]);
    for (; i < 80; i++)
        sha1_round(v, (v[1] ^ v[2] ^ v[3]) + 0xca62c1d6, w[i]);
    for (int k = 0; k < 5; k++)
        h[k] += v[k];
}

void sha1_init(struct sha1 *s)
{
    static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                    0xc3d2e1f0 };
    memcpy(s->h, iv, sizeof(iv));
    md_block_init(&s->m);
}

void sha1_update(struct sha1 *s, const void *data, size_t len)
{
    md_block_update(&s->m, s->h, sha1_block, data, len);
}

void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN])
{
    md_block_final(&s->m, s->h, sha1_block);
    md_block_digest(s->h, 5, out);
}

void sha1_digest(const void *data, size_t len, uint8_t out[SHA1_LEN])
{
    struct sha1 s;
    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_final(&s, out);
}
