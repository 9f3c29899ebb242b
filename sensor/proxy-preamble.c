/* A forward proxy's CONNECT request at the start of a client's stream (HTTP
 * CONNECT, SOCKS 4/4a/5), so that the TLS records after it can be found.
 * Every byte is hostile: reads go through ds/bytes.h. */
#include "ds/proxy-preamble.h"

#include <stdbool.h>
#include <string.h>

#include "ds/bytes.h"

/* Skips a NUL-terminated string of at most 255 bytes; false if longer. */
static bool skip_cstr(struct rd *r)
{
    for (int i = 0; i < 256; i++) {
        uint8_t c = rd_u8(r);
        if (r->bad || c == 0)
            return true;
    }
    return false;
}

/* The SOCKS readers return -1 for a request that is not a CONNECT, else 0
 * with r->off after the request, or r->bad when it is cut short.
 *
 * SOCKS 4 / 4a CONNECT (no RFC; the NEC protocol note): VN=4 CD=1 DSTPORT
 * DSTIP USERID NUL, then a host name and NUL when DSTIP is 0.0.0.x. */
static int socks4_len(struct rd *r)
{
    rd_skip(r, 1);
    if (rd_u8(r) != 1 && !r->bad)
        return -1;
    rd_skip(r, 2);
    const uint8_t *ip = rd_bytes(r, 4);
    if (!skip_cstr(r))
        return -1;
    if (ip != NULL && ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0 && !skip_cstr(r))
        return -1;
    return 0;
}

/* SOCKS 5 (RFC 1928): greeting VER=5 NMETHODS METHODS, optionally the
 * username/password sub-negotiation (RFC 1929, version 1) when that method
 * was offered, then the CONNECT request VER=5 CMD=1 RSV=0 ATYP ADDR PORT. */
static int socks5_len(struct rd *r)
{
    rd_skip(r, 1);
    uint8_t nmethods = rd_u8(r);
    const uint8_t *methods = rd_bytes(r, nmethods);
    if (r->bad)
        return 0;
    if (nmethods == 0)
        return -1;
    bool userpass = memchr(methods, 0x02, nmethods) != NULL;
    struct rd peek = *r;
    if (userpass && rd_u8(&peek) == 0x01 && !peek.bad) {
        rd_skip(r, 1);
        rd_skip(r, rd_u8(r));
        rd_skip(r, rd_u8(r));
    }
    uint8_t ver = rd_u8(r), cmd = rd_u8(r), rsv = rd_u8(r), atyp = rd_u8(r);
    if (r->bad)
        return 0;
    if (ver != 5 || cmd != 1 || rsv != 0)
        return -1;
    if (atyp == 1)
        rd_skip(r, 4);
    else if (atyp == 3)
        rd_skip(r, rd_u8(r));
    else if (atyp == 4)
        rd_skip(r, 16);
    else
        return -1;
    rd_skip(r, 2);
    return 0;
}

/* An HTTP CONNECT request head: "CONNECT " up to the blank line. */
static enum proxy_preamble http_connect_len(const uint8_t *p, size_t n, size_t *req_len)
{
    static const char http_connect[] = "CONNECT ";
    size_t k = n < sizeof(http_connect) - 1 ? n : sizeof(http_connect) - 1;
    if (memcmp(p, http_connect, k) != 0)
        return PROXY_PREAMBLE_NONE;
    const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
    if (end == NULL)
        return n == PROXY_PREAMBLE_MAX ? PROXY_PREAMBLE_NONE : PROXY_PREAMBLE_MORE;
    *req_len = (size_t)(end - p) + 4;
    return PROXY_PREAMBLE_FOUND;
}

enum proxy_preamble proxy_preamble_len(const uint8_t *p, size_t len, size_t *req_len)
{
    size_t n = len < PROXY_PREAMBLE_MAX ? len : PROXY_PREAMBLE_MAX;
    struct rd r = rd_init(p, n);
    uint8_t first = rd_u8(&r);
    if (r.bad)
        return PROXY_PREAMBLE_MORE;
    if (first == 'C')
        return http_connect_len(p, n, req_len);
    if (first != 4 && first != 5)
        return PROXY_PREAMBLE_NONE;
    r = rd_init(p, n);
    int rc = first == 4 ? socks4_len(&r) : socks5_len(&r);
    if (rc < 0)
        return PROXY_PREAMBLE_NONE;
    if (r.bad)
        return n == PROXY_PREAMBLE_MAX ? PROXY_PREAMBLE_NONE : PROXY_PREAMBLE_MORE;
    *req_len = r.off;
    return PROXY_PREAMBLE_FOUND;
}
