/* The message buffering and padding that SHA-1, SHA-256 and MD5 share (the
 * Merkle-Damgard construction with 64-byte blocks and a 64-bit bit length:
 * big-endian in FIPS 180-4, little-endian in RFC 1321): bytes are gathered
 * into whole blocks for the hash's own compression function, and the final
 * block is padded with 0x80, zeros and the message length in bits. sha1.c,
 * sha256.c and md5.c keep only their state and their compression function. */
#ifndef DS_MD_BLOCK_H
#define DS_MD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#define MD_BLOCK_LEN 64

/* A hash's compression function: folds one 64-byte block into its state. */
typedef void (*md_block_fn)(uint32_t *h, const uint8_t *block);

struct md_block {
    uint64_t total;              /* bytes hashed so far */
    uint8_t buf[MD_BLOCK_LEN];   /* partial block */
    size_t used;                 /* bytes in buf */
};

void md_block_init(struct md_block *m);
/* Hands every whole block of the message so far to fn(h, block); keeps the
 * rest for later. */
void md_block_update(struct md_block *m, uint32_t *h, md_block_fn fn, const void *data,
                     size_t len);
/* Pads the message and hands its last block (or two) to fn; m must be
 * initialised again before reuse. */
void md_block_final(struct md_block *m, uint32_t *h, md_block_fn fn);
/* md_block_final with the bit length little-endian (MD5, RFC 1321 3.2). */
void md_block_final_le(struct md_block *m, uint32_t *h, md_block_fn fn);
/* Writes the n words of h big-endian into out (4 * n bytes): the digest. */
void md_block_digest(const uint32_t *h, size_t n, uint8_t *out);
/* The same, little-endian (MD5, RFC 1321 3.5). */
void md_block_digest_le(const uint32_t *h, size_t n, uint8_t *out);

#endif
