/* A forward proxy's request at the start of a client's stream: an HTTP
 * CONNECT request head, or a SOCKS 4/4a/5 CONNECT (with RFC 1929
 * credentials). A client behind a forward proxy opens its stream with the
 * proxy's request and sends its ClientHello once the proxy has answered, so
 * the hello follows the request in the client's bytes; the reassembler
 * (tls-asm.c) skips the request with this. Every byte is hostile. */
#ifndef DS_PROXY_PREAMBLE_H
#define DS_PROXY_PREAMBLE_H

#include <stddef.h>
#include <stdint.h>

/* Requests longer than this are not taken for one (a real one is far
 * shorter, even with credentials). */
#define PROXY_PREAMBLE_MAX 4096

enum proxy_preamble {
    PROXY_PREAMBLE_MORE = 0, /* the start of one, cut short: ask again with more bytes */
    PROXY_PREAMBLE_FOUND,    /* a whole CONNECT request, *req_len bytes long */
    PROXY_PREAMBLE_NONE,     /* not a CONNECT request (or longer than PROXY_PREAMBLE_MAX) */
};

/* Reads the proxy request at the start of p[0, len), the contiguous start of
 * the client's stream; looks at no byte past PROXY_PREAMBLE_MAX. On FOUND,
 * *req_len is where the bytes after the request start. */
enum proxy_preamble proxy_preamble_len(const uint8_t *p, size_t len, size_t *req_len);

#endif
