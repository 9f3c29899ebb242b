/* JA3 (Salesforce) of a parsed ClientHello: the MD5 of the text
 *
 *   SSLVersion,Ciphers,Extensions,EllipticCurves,ECPointFormats
 *
 * in decimal, the values of each list joined by '-', GREASE values (RFC
 * 8701) left out of every list, lists in wire order, an absent list empty
 * ("769,57-56,0,," for a hello with no groups and no point formats). The
 * sensor's own JA3 for QUIC hellos; TCP flows keep nDPI's (README, QUIC).
 *
 * JA3S, of a ServerHello, is the MD5 of "SSLVersion,Cipher,Extensions" in
 * the same form (GREASE extension types left out, as in JA3). */
#ifndef DS_TLS_JA3_H
#define DS_TLS_JA3_H

#include <stddef.h>
#include <stdint.h>

#include "ds/tls-hello.h"

/* Writes the JA3 hash of *c (32 lower-case hex digits) into out. *c's
 * lists must still be in wire order: call it before tls_ja4 sorts them. */
void tls_ja3(const struct tls_ch *c, char out[TLS_JA3_LEN]);

/* Writes the JA3 text (the string JA3 hashes) of *c into buf. Returns its
 * length, or -1 (and buf "") if buf is too small; buflen must be at least 1. */
int tls_ja3_text(const struct tls_ch *c, char *buf, size_t buflen);

/* Writes the JA3S of the ServerHello handshake message msg (from its type
 * byte, 2; bytes after the message are ignored) into out, and its text into
 * text when text_len > 0. Returns 0, or -1 if msg is not a well-formed
 * ServerHello (lengths that do not nest) or the text does not fit (out and
 * text are then ""). */
int tls_ja3s(const uint8_t *msg, size_t len, char out[TLS_JA3_LEN], char *text, size_t text_len);

#endif
