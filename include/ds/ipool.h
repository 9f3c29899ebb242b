/* Indexed pool: fixed-size objects named by 32-bit handles (index + 1; 0
 * is none) instead of pointers, half their size in whatever links to them.
 * Slabs of 2^shift objects are allocated on demand up to the cap and never
 * move, found from a handle through a directory made at creation; a free
 * object is chained through its first 4 bytes. Objects come out zeroed.
 * Used by the flow table (struct flow), the exchanges' shared pool, and
 * for what a flow names by handle: the sensor's followed-flow states,
 * classify.c's nDPI states and tls-asm.c's hello buffers. */
#ifndef DS_IPOOL_H
#define DS_IPOOL_H

#include <stddef.h>
#include <stdint.h>

struct ipool {
    size_t size;            /* object size, rounded up to the alignment asked */
    uint32_t cap, made, in_use;
    uint32_t free;          /* the first free object's handle (0: none) */
    unsigned shift;         /* log2 of the objects a slab */
    unsigned char **slabs;  /* the directory: cap / 2^shift slabs, rounded up */
    size_t bytes;           /* slabs and directory */
};

/* A pool of at most cap (cut to UINT32_MAX - 1) objects of size bytes,
 * each rounded up to align (a power of two, at least 4), in slabs of
 * 2^shift objects. Its directory is allocated now (xcalloc: fatal if it
 * cannot be), its slabs as objects are taken. */
void ipool_init(struct ipool *ip, size_t size, size_t align, size_t cap, unsigned shift);
void ipool_free(struct ipool *ip);

/* What a pool made with these arguments holds when all cap objects are
 * out (slabs and directory): for sizing a cap within a byte budget. */
size_t ipool_full_bytes(size_t size, size_t align, size_t cap, unsigned shift);

/* A zeroed object's handle, 0 when cap objects are out. */
uint32_t ipool_get(struct ipool *ip);
/* The same, its bytes as they were left: for a large object its user sets
 * up in full (a QUIC reassembly slot), where zeroing would be waste. */
uint32_t ipool_get_dirty(struct ipool *ip);
/* Gives back the object of handle h (0: nothing). */
void ipool_put(struct ipool *ip, uint32_t h);

/* The object of handle h (not 0, from this pool). */
static inline void *ipool_at(const struct ipool *ip, uint32_t h)
{
    uint32_t i = h - 1u;
    return ip->slabs[i >> ip->shift] + (size_t)(i & ((1u << ip->shift) - 1u)) * ip->size;
}

/* ipool_at for a caller whose object size (as the pool rounded it) and
 * slab shift are compile-time constants: the same address, with the
 * arithmetic folded (the flow table walks references on every packet). */
static inline void *ipool_at_fixed(const struct ipool *ip, uint32_t h, size_t size,
                                   unsigned shift)
{
    uint32_t i = h - 1u;
    return ip->slabs[i >> shift] + (size_t)(i & ((1u << shift) - 1u)) * size;
}

#endif
