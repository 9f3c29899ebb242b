/* TLS ClientHello: parsing and JA4, the API for the rest of the sensor.
 * Reassembly of the hello across TCP segments is in tls-asm.h.
 *
 * Every length in a ClientHello is hostile: the parser reads only through
 * bounds-checked readers and rejects a message whose lengths do not nest. */
#ifndef DS_TLS_H
#define DS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX 256      /* host names are at most 253 bytes */
#define TLS_ALPN_WIRE_MAX 256 /* client ALPN list as on the wire (len-prefixed) */
#define TLS_JA4_LEN 40       /* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL, with room */
#define TLS_JA3_LEN 33       /* MD5 in hex + NUL */
#define TLS_HELLO_MAX 16384  /* largest ClientHello we reassemble */

/* Encrypted Client Hello (draft-ietf-tls-esni), as told from outside: see
 * tls_hello_parse in sensor/tls-hello.c for how GREASE and real are told
 * apart. TLS_ECH_BAD: the extension is there but its ECHClientHello is not
 * a well-formed outer one (the hello itself still counts). */
enum tls_ech { TLS_ECH_NONE = 0, TLS_ECH_GREASE, TLS_ECH_REAL, TLS_ECH_BAD };

struct tls_hello {
    uint16_t legacy_version;  /* ClientHello.legacy_version */
    uint16_t version;         /* highest non-GREASE supported_versions, else legacy */
    bool has_sni;
    char sni[TLS_SNI_MAX];    /* first host_name, lower-cased; "" if none or not printable */
    uint8_t alpn_wire[TLS_ALPN_WIRE_MAX]; /* ALPN protocol_name_list (may be cut at the cap) */
    uint16_t alpn_wire_len;
    uint16_t n_ciphers, n_exts;           /* GREASE excluded */
    uint8_t ech;              /* enum tls_ech */
    uint8_t ech_public;       /* real ECH: 1 + index of the outer SNI in the
                               * public-name table (sni is then ""), 0 if the
                               * outer hello had no SNI */
    char ja4[TLS_JA4_LEN];
    char ja3[TLS_JA3_LEN];    /* Salesforce's JA3 (sensor/tls-ja3.c), QUIC hellos only */
};

/* Parses one complete ClientHello handshake message: `msg` starts at the
 * handshake type byte (1) and holds the whole message (bytes after it are
 * ignored). `quic` selects the JA4 prefix 'q' instead of 't'. Returns 0, or
 * -1 if it is not a well-formed ClientHello (out is then unspecified): a
 * length that does not nest, bytes after the extensions, a malformed
 * server_name / ALPN / supported_versions / signature_algorithms body, or a
 * message over TLS_HELLO_MAX. JA4 follows FoxIO's reference outputs: see
 * the notes in sensor/tls-ja4.c (ALPN '9' and "a0", no '_' without signature
 * algorithms, twelve zeros for an empty list). */
int tls_parse_client_hello(const uint8_t *msg, size_t len, bool quic, struct tls_hello *out);

/* JA4 of a parsed ClientHello is computed inside tls_parse_client_hello; this
 * formats the raw (unhashed) JA4_r form for debugging and tests into buf.
 * Returns 0, or -1 (and buf "") if the hello is malformed or buf too small. */
int tls_ja4_raw(const uint8_t *msg, size_t len, bool quic, char *buf, size_t buflen);

/* "grease" or "real" (the spelling of tls.ech / quic.ech and of the rule
 * feature `ech`), or NULL for TLS_ECH_NONE and TLS_ECH_BAD. */
const char *tls_ech_name(uint8_t ech);

/* The ECH public name of a tls_hello's ech_public (1-based), or NULL. */
const char *tls_ech_public_name(uint8_t ech_public);

/* "TLSv1.3", "TLSv1.2", ..., "SSLv3", or NULL for an unknown version:
 * the spelling EVE uses for tls.version. */
const char *tls_version_name(uint16_t version);

#endif
