/* MD5 (RFC 1321), small and dependency-free, for JA3 (tls-ja3.c).
 *
 * JA3 is defined as the MD5 of a text; each third-party library has one
 * owning module (docs/STYLE.md) and libcrypto is quic-initial.c's, so
 * JA3 hashes with this, as community-id.c does with sha1.c. MD5 is broken
 * for collision resistance: this is for the fingerprint the definition
 * fixes, never for anything secret. Not constant-time. */
#ifndef DS_MD5_H
#define DS_MD5_H

#include <stddef.h>
#include <stdint.h>

#include "ds/md-block.h"

#define MD5_LEN 16

struct md5 {
    uint32_t h[4];
    struct md_block m;   /* the message not yet folded in */
};

void md5_init(struct md5 *s);
void md5_update(struct md5 *s, const void *data, size_t len);
/* Writes the digest; `s` must be initialised again before reuse. */
void md5_final(struct md5 *s, uint8_t out[MD5_LEN]);
/* One call: the digest of `len` bytes. */
void md5_digest(const void *data, size_t len, uint8_t out[MD5_LEN]);

#endif
