/* Community ID v1 (see community-id.h). The hash input is at most 40 bytes
 * (2 seed + 2 x 16 address + 1 proto + 1 pad + 2 x 2 port), built on the
 * stack; one SHA-1 per flow event or alert, never per packet. */
#include "ds/community-id.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ds/sha1.h"

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Standard base64 (RFC 4648 section 4) with '=' padding; out holds
 * 4 * ceil(n / 3) + 1 bytes. */
static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The spec's order_endpoints: a first unless b's address is smaller, or
 * the addresses are equal and b's port is smaller. */
static bool a_first(const struct ds_addr *a, uint16_t aport, const struct ds_addr *b,
                    uint16_t bport)
{
    int c = memcmp(a->a, b->a, sizeof(a->a));
    return c < 0 || (c == 0 && aport <= bport);
}

void community_id(char out[COMMUNITY_ID_SIZE], uint16_t seed, uint8_t proto,
                  const struct ds_addr *a, uint16_t aport, const struct ds_addr *b,
                  uint16_t bport)
{
    if (!a_first(a, aport, b, bport)) {
        const struct ds_addr *t = a;
        a = b;
        b = t;
        uint16_t tp = aport;
        aport = bport;
        bport = tp;
    }
    /* IPv4-mapped addresses share their first 12 bytes, so comparing all 16
     * above orders two IPv4 addresses as their 4 bytes would. */
    bool v4 = ds_addr_is_v4(a) && ds_addr_is_v4(b);
    size_t off = v4 ? 12 : 0;
    size_t alen = sizeof(a->a) - off;
    uint8_t in[2 + 2 * 16 + 2 + 2 * 2];
    size_t n = put16(in, seed);
    memcpy(in + n, a->a + off, alen);
    n += alen;
    memcpy(in + n, b->a + off, alen);
    n += alen;
    in[n++] = proto;
    in[n++] = 0;
    n += put16(in + n, aport);
    n += put16(in + n, bport);
    uint8_t d[SHA1_LEN];
    sha1_digest(in, n, d);
    out[0] = '1';
    out[1] = ':';
    base64(d, sizeof(d), out + 2);
}
