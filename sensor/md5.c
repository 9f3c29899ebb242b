/* MD5 (RFC 1321) for JA3: libcrypto is quic-initial.c's alone
 * (docs/STYLE.md), and a JA3 is one digest of a short text per hello. The
 * buffering and padding are md-block.c's (little-endian length and
 * digest), shared with sha1.c and sha256.c. */
#include "ds/md5.h"

#include <string.h>

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* RFC 1321 3.4: T[i] = floor(2^32 * abs(sin(i + 1))). */
static const uint32_t md5_t[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
};

/* The shift amounts of each round's four steps (RFC 1321 3.4). */
static const unsigned md5_s[4][4] = {
    { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

/* One step: a = b + ((a + f + X[k] + T[i]) <<< s), then the four words
 * rotate (a, b, c, d) -> (d, a, b, c), so every step has the same form. */
static inline void md5_step(uint32_t v[4], uint32_t f, uint32_t xk, unsigned i)
{
    uint32_t t = v[1] + rol(v[0] + f + xk + md5_t[i], md5_s[i / 16][i % 4]);
    v[0] = v[3];
    v[3] = v[2];
    v[2] = v[1];
    v[1] = t;
}

/* The 64 steps in four loops of 16, one for each of F, G, H, I and its
 * order of message words, so no step branches on its number. */
static void md5_block(uint32_t h[4], const uint8_t *p)
{
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
               ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24);
    uint32_t v[4] = { h[0], h[1], h[2], h[3] };
    unsigned i = 0;
    for (; i < 16; i++)
        md5_step(v, (v[1] & v[2]) | (~v[1] & v[3]), x[i], i);
    for (; i < 32; i++)
        md5_step(v, (v[1] & v[3]) | (v[2] & ~v[3]), x[(5 * i + 1) % 16], i);
    for (; i < 48; i++)
        md5_step(v, v[1] ^ v[2] ^ v[3], x[(3 * i + 5) % 16], i);
    for (; i < 64; i++)
        md5_step(v, v[2] ^ (v[1] | ~v[3]), x[(7 * i) % 16], i);
    for (int k = 0; k < 4; k++)
        h[k] += v[k];
}

void md5_init(struct md5 *s)
{
    static const uint32_t iv[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
    memcpy(s->h, iv, sizeof(iv));
    md_block_init(&s->m);
}

void md5_update(struct md5 *s, const void *data, size_t len)
{
    md_block_update(&s->m, s->h, md5_block, data, len);
}

void md5_final(struct md5 *s, uint8_t out[MD5_LEN])
{
    md_block_final_le(&s->m, s->h, md5_block);
    md_block_digest_le(s->h, 4, out);
}

void md5_digest(const void *data, size_t len, uint8_t out[MD5_LEN])
{
    struct md5 s;
    md5_init(&s);
    md5_update(&s, data, len);
    md5_final(&s, out);
}
