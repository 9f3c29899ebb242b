/* SHA-1 (FIPS 180-4), small and dependency-free, for the Community ID.
 *
 * Community ID v1 is defined over SHA-1; each third-party library has one
 * owning module (docs/STYLE.md) and libcrypto is quic-initial.c's, so community-id.c
 * hashes with this, as tls-ja4.c does with sha256.c. SHA-1 is broken for
 * collision resistance: this is for the flow identifier the spec fixes,
 * never for anything secret. Not constant-time. */
#ifndef DS_SHA1_H
#define DS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#include "ds/md-block.h"

#define SHA1_LEN 20

struct sha1 {
    uint32_t h[5];
    struct md_block m;   /* the message not yet folded in */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
/* Writes the digest; `s` must be initialised again before reuse. */
void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN]);
/* One call: the digest of `len` bytes. */
void sha1_digest(const void *data, size_t len, uint8_t out[SHA1_LEN]);

#endif
