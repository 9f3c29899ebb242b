/* SHA-256 (FIPS 180-4), small and dependency-free, for the JA4 hashes.
 *
 * Each third-party library has one owning module (docs/STYLE.md): libcrypto
 * is quic-initial.c's, so tls-ja4.c hashes with this rather than reach for
 * it (and quic-initial.c's key schedule uses this too, as it allocates
 * nothing). It is not constant-time and is not meant for secrets. */
#ifndef DS_SHA256_H
#define DS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "ds/md-block.h"

#define SHA256_LEN 32

struct sha256 {
    uint32_t h[8];
    struct md_block m;   /* the message not yet folded in */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest; `s` must be initialised again before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* One call: the digest of `len` bytes. */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
