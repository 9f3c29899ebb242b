/* Fixed-size object pools: slabs allocated on demand up to a cap, then
 * recycled through a free list. The hot path takes and returns objects
 * without calling malloc once the pool is warm. */
#ifndef DS_POOL_H
#define DS_POOL_H

#include <stddef.h>
#include <stdint.h>

struct pool;

/* A pool of at most `cap` objects of `size` bytes, allocated `per_slab` at a time. */
struct pool *pool_new(size_t size, size_t cap, size_t per_slab);
/* Frees every slab; objects still taken become invalid. pool_free(NULL) is a no-op. */
void pool_free(struct pool *pl);
/* Returns a zeroed object, or NULL when `cap` objects are out. */
void *pool_get(struct pool *pl);
/* The same without zeroing, for large objects whose caller initialises
 * what it uses (clearing them cost more than the work done with them). */
void *pool_get_dirty(struct pool *pl);
/* Gives an object back; pool_put(pl, NULL) is a no-op. */
void pool_put(struct pool *pl, void *obj);
size_t pool_in_use(const struct pool *pl);
/* Bytes held in slabs (the memory the pool costs). */
size_t pool_bytes(const struct pool *pl);
size_t pool_cap(const struct pool *pl);
/* What pool_bytes says of a pool_new(size, cap, per_slab) once all `cap`
 * objects were made: for sizing a pool to a memory share, slabs included. */
size_t pool_full_bytes(size_t size, size_t cap, size_t per_slab);

#endif
