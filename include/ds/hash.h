/* Hashing for the sensor's tables, every function with a seed.
 *
 * Which one for what:
 *   ds_mix64        one 64-bit word, every input bit moving every output bit
 *                   (splitmix64's finaliser): integer keys, and combining
 *                   hashes (flow.c's symmetric 5-tuple hash).
 *   ds_hash_key16   a 16-byte key, two words mixed in turn: addresses
 *                   (ds_addr_hash in packet.h is this over struct ds_addr).
 *   ds_fnv1a32      FNV-1a, 32 bits, over bytes: names and short keys of
 *                   tables that compare the key on a hash match (catalogue
 *                   host names and CIDR keys, cluster keys, threshold keys).
 *                   _step and _add hash a key made of pieces; _rev runs last
 *                   byte to first, so that one right-to-left pass over a host
 *                   name yields the hash of every suffix on the way (catalog.c).
 *   ds_fnv1a64      FNV-1a, 64 bits: where the hash stands in for the key and
 *                   is never checked against it (source.c keeps a host's hash,
 *                   not its name), so collisions must be rare.
 *   ds_hash_bytes32 FNV-1a 64 finished by ds_mix64, 32 bits: bytes from the
 *                   wire as keys of a table indexed by the hash's low bits,
 *                   where the seed must move every key (intern.c).
 *
 * Seeds: FNV-1a takes its seed XORed into the offset basis, so seed 0 is the
 * published FNV-1a (its test vectors are in tests/unit/test_hash.c);
 * ds_hash_key16 XORs it into the first word. A seed moves where keys land
 * in a table; none of these is a keyed hash in the cryptographic sense
 * (SipHash is). Every table takes its seed from seed.h: random per run in
 * live capture (getrandom), the fixed constants offline (so replays are
 * byte-identical), or --seed N. A fixed seed lets anyone work out keys that
 * share a bucket; a random one does not, and the tables that traffic fills
 * cap their chains besides (flow.c, source.c, cluster.c's member index), so
 * a lookup's work is bounded under any seed. Nothing the sensor writes may
 * depend on a hash value or on the order of a table's buckets.
 *
 * All are static inline: the flow and source tables hash every packet. */
#ifndef DS_HASH_H
#define DS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DS_FNV32_BASIS 0x811c9dc5u           /* 2166136261 */
#define DS_FNV32_PRIME 0x01000193u           /* 16777619 */
#define DS_FNV64_BASIS 0xcbf29ce484222325ull
#define DS_FNV64_PRIME 0x00000100000001b3ull

/* splitmix64's finaliser: a bijection on 64-bit words (0 -> 0). */
static inline uint64_t ds_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* A seeded 64-bit hash of 16 bytes in which every key bit moves every
 * output bit (ds_mix64 on both halves in turn): an IPv4-mapped address
 * differs from its neighbours only in the top bytes of the second half,
 * which a bare multiply never carries down into the bucket bits. The two
 * words are read in host byte order, as the tables only need consistency
 * within a run. */
static inline uint64_t ds_hash_key16(const uint8_t key[16], uint64_t seed)
{
    uint64_t w0, w1;
    memcpy(&w0, key, 8);
    memcpy(&w1, key + 8, 8);
    return ds_mix64(ds_mix64(w0 ^ seed) ^ w1);
}

/* ---- FNV-1a, 32 bits -------------------------------------------------- */

/* The state before the first byte: the offset basis XOR seed. */
static inline uint32_t ds_fnv1a32_init(uint32_t seed)
{
    return DS_FNV32_BASIS ^ seed;
}

/* The state h after one more byte c. */
static inline uint32_t ds_fnv1a32_step(uint32_t h, uint8_t c)
{
    return (h ^ c) * DS_FNV32_PRIME;
}

/* The state h after the n bytes at p, first to last. */
static inline uint32_t ds_fnv1a32_add(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = ds_fnv1a32_step(h, b[i]);
    return h;
}

/* The state h after the bytes of the string s (its NUL excluded). */
static inline uint32_t ds_fnv1a32_add_str(uint32_t h, const char *s)
{
    for (; *s != '\0'; s++)
        h = ds_fnv1a32_step(h, (uint8_t)*s);
    return h;
}

/* FNV-1a of the n bytes at p, seeded. */
static inline uint32_t ds_fnv1a32(uint32_t seed, const void *p, size_t n)
{
    return ds_fnv1a32_add(ds_fnv1a32_init(seed), p, n);
}

/* FNV-1a of the n bytes at p taken last to first, seeded: the hash of the
 * reversed bytes. */
static inline uint32_t ds_fnv1a32_rev(uint32_t seed, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = ds_fnv1a32_init(seed);
    while (n > 0)
        h = ds_fnv1a32_step(h, b[--n]);
    return h;
}

/* ---- FNV-1a, 64 bits -------------------------------------------------- */

static inline uint64_t ds_fnv1a64_init(uint64_t seed)
{
    return DS_FNV64_BASIS ^ seed;
}

static inline uint64_t ds_fnv1a64_step(uint64_t h, uint8_t c)
{
    return (h ^ c) * DS_FNV64_PRIME;
}

static inline uint64_t ds_fnv1a64_add(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = ds_fnv1a64_step(h, b[i]);
    return h;
}

static inline uint64_t ds_fnv1a64(uint64_t seed, const void *p, size_t n)
{
    return ds_fnv1a64_add(ds_fnv1a64_init(seed), p, n);
}

/* A seeded 32-bit hash of n bytes for a table indexed by its low bits
 * whose keys come from the wire (intern.c): FNV-1a 64 finished by
 * ds_mix64, so that every bit of the state, and with it every bit of every
 * byte and of the seed, moves the bucket bits. Bare FNV-1a's low k bits
 * depend only on the low k bits of the seed and of each byte: strings
 * whose bytes differ above bit k share a bucket under every seed (k < 8),
 * and crafted pairs share a 2^14-bucket table's under 28% of seeds. */
static inline uint32_t ds_hash_bytes32(uint32_t seed, const void *p, size_t n)
{
    uint64_t h = ds_mix64(ds_fnv1a64(seed, p, n));
    return (uint32_t)(h ^ (h >> 32));
}

#endif
