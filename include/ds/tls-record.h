/* TLS record layer and handshake message vocabulary (RFC 5246 6.2 and 7.4,
 * RFC 8446 4 and 5), and bounds-checked readers of the two headers: the one
 * vocabulary for the ClientHello reader (tls-hello.c, tls-asm.c) and the record tracker that
 * finds turns in encrypted flows (exchange.c). Which headers a module
 * accepts (only handshake records, or any content type) stays its own
 * decision; the numbers and the byte layout are here. */
#ifndef DS_TLS_RECORD_H
#define DS_TLS_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "ds/bytes.h"

/* Record header: content type (1), legacy version (2), length (2). */
#define TLS_RECORD_HDR_LEN 5

/* Content types (ContentType). */
#define TLS_RECORD_CHANGE_CIPHER_SPEC 20
#define TLS_RECORD_ALERT 21
#define TLS_RECORD_HANDSHAKE 22
#define TLS_RECORD_APPLICATION_DATA 23
#define TLS_RECORD_HEARTBEAT 24              /* RFC 6520 */

/* Record body lengths: a plaintext record carries at most 2^14 bytes
 * (RFC 8446 5.1, RFC 5246 6.2.1); a protected one up to 2^14 + 2048 with
 * TLS 1.2's allowance for MAC, padding and compression (RFC 5246 6.2.3),
 * up to 2^14 + 256 in TLS 1.3 (RFC 8446 5.2). */
#define TLS_RECORD_PLAINTEXT_MAX 16384
#define TLS_RECORD_MAX (16384 + 2048)
#define TLS_RECORD_MAX_TLS13 (16384 + 256)

/* Handshake message header: type (1), length (3). */
#define TLS_HANDSHAKE_HDR_LEN 4

/* Handshake types (HandshakeType). */
#define TLS_HANDSHAKE_CLIENT_HELLO 1
#define TLS_HANDSHAKE_SERVER_HELLO 2

struct tls_record_hdr {
    uint8_t type;            /* content type */
    uint8_t major, minor;    /* the version's two bytes */
    uint16_t version;        /* major << 8 | minor: 0x0301 .. 0x0303 on the wire today */
    uint16_t len;            /* body length */
};

struct tls_handshake_hdr {
    uint8_t type;            /* handshake type */
    uint32_t len;            /* body length, 24 bits */
};

/* Reads a record header (TLS_RECORD_HDR_LEN bytes) from r into *h; true if
 * it was all there. A byte past r's end reads as 0 and sets r->bad, and the
 * fields are read one byte at a time, so a caller holding only the start of
 * a header can still judge the bytes that arrived (type, then major, then
 * minor). */
static inline bool tls_record_hdr_read(struct rd *r, struct tls_record_hdr *h)
{
    h->type = rd_u8(r);
    h->major = rd_u8(r);
    h->minor = rd_u8(r);
    h->len = rd_be16(r);
    h->version = (uint16_t)((unsigned)h->major << 8 | h->minor);
    return !r->bad;
}

/* A record version a TLS or SSL 3.0 peer may write: major 3, minor at most
 * 4 (TLS 1.3 writes 0x0303, and 0x0301 in a first ClientHello). */
static inline bool tls_record_version_plausible(uint16_t version)
{
    return (version >> 8) == 3 && (version & 0xffu) <= 4;
}

/* Reads a handshake message header (TLS_HANDSHAKE_HDR_LEN bytes) from r
 * into *h; true if it was all there (a byte past the end reads as 0 and
 * sets r->bad). */
static inline bool tls_handshake_hdr_read(struct rd *r, struct tls_handshake_hdr *h)
{
    h->type = rd_u8(r);
    h->len = rd_be24(r);
    return !r->bad;
}

#endif
