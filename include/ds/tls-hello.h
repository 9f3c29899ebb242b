/* A ClientHello as the TLS modules read it: the fields JA4 needs, with
 * pointers into the message. tls-hello.c fills it; tls-ja4.c fingerprints it;
 * tls-asm.c parses the hellos it reassembles through it. The rest of the
 * sensor uses tls.h. */
#ifndef DS_TLS_HELLO_H
#define DS_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/tls.h"

#define TLS_EXT_SERVER_NAME 0x0000
#define TLS_EXT_SUPPORTED_GROUPS 0x000a
#define TLS_EXT_EC_POINT_FORMATS 0x000b
#define TLS_EXT_SIG_ALGS 0x000d
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b
#define TLS_EXT_ECH 0xfe0d             /* encrypted_client_hello (draft-ietf-tls-esni) */

/* A message of TLS_HELLO_MAX bytes holds at most this many cipher suites
 * (2 bytes each) and extensions (4 bytes each at least). */
#define TLS_CH_MAX_CIPHERS (TLS_HELLO_MAX / 2)
#define TLS_CH_MAX_EXTS (TLS_HELLO_MAX / 4)

/* What JA4 and JA3 need from a ClientHello, with pointers into the message. */
struct tls_ch {
    uint16_t legacy_version;
    uint16_t version;            /* highest non-GREASE supported_version, else legacy */
    bool has_sni;                /* extension 0 present, whatever it holds */
    const uint8_t *alpn_first;   /* first ALPN protocol name, NULL if none */
    size_t alpn_first_len;
    const uint8_t *alpn_list;    /* protocol_name_list, len-prefixed entries */
    size_t alpn_list_len;
    const uint8_t *host;         /* first host_name of the SNI list, NULL if none */
    size_t host_len;
    const uint8_t *sigs;         /* first signature_algorithms list (0x000d only) */
    size_t sigs_len;
    const uint8_t *groups;       /* first well-formed supported_groups list (JA3) */
    size_t groups_len;
    const uint8_t *ecpf;         /* first well-formed ec_point_formats list (JA3) */
    size_t ecpf_len;
    const uint8_t *ech;          /* first encrypted_client_hello body, NULL if none */
    size_t ech_len;
    size_t n_ciphers, n_exts;    /* GREASE excluded, in wire order until tls_ja4 sorts */
    uint16_t ciphers[TLS_CH_MAX_CIPHERS];
    uint16_t exts[TLS_CH_MAX_EXTS];
};

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Parses a whole ClientHello handshake message into *c, which then points
 * into msg. The message must be well formed down to the extensions JA4
 * reads; its lengths must nest. Returns 0 or -1 (*c is then unspecified). */
int tls_ch_parse(const uint8_t *msg, size_t len, struct tls_ch *c);

/* tls_parse_client_hello, with JA4 only when `ja4` (else out->ja4 is ""):
 * JA4 costs two SHA-256 a hello, and the reassembler may leave it to be
 * asked for. JA3 (an MD5) only with JA4 of a QUIC hello, else out->ja3 is
 * "": TCP flows take nDPI's (README, QUIC). 0 or -1. */
int tls_hello_parse(const uint8_t *msg, size_t len, bool quic, bool ja4, struct tls_hello *out);

#endif
