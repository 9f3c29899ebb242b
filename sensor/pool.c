/* Fixed-size object pools: slabs on demand up to a cap, then a free list, so
 * that the packet path never calls malloc once warm. */
#include "ds/pool.h"

#include <stdlib.h>
#include <string.h>

#include "ds/util.h"

struct slab {
    struct slab *next;
    /* objects follow, aligned */
};

struct free_obj {
    struct free_obj *next;
};

struct pool {
    size_t size;      /* object size, rounded to 16 */
    size_t cap;
    size_t per_slab;
    size_t in_use;
    size_t made;      /* objects carved out of slabs so far */
    size_t bytes;
    struct slab *slabs;
    struct free_obj *free;
};

#define SLAB_HDR 16

struct pool *pool_new(size_t size, size_t cap, size_t per_slab)
{
    struct pool *pl = xcalloc(1, sizeof(*pl));
    if (size < sizeof(struct free_obj))
        size = sizeof(struct free_obj);
    pl->size = (size + 15) & ~(size_t)15;
    pl->cap = cap;
    pl->per_slab = per_slab ? per_slab : 64;
    return pl;
}

void pool_free(struct pool *pl)
{
    if (pl == NULL)
        return;
    struct slab *s = pl->slabs;
    while (s) {
        struct slab *next = s->next;
        free(s);
        s = next;
    }
    free(pl);
}

static int pool_grow(struct pool *pl)
{
    size_t n = pl->per_slab;
    if (pl->made + n > pl->cap)
        n = pl->cap - pl->made;
    if (n == 0)
        return -1;
    size_t bytes = SLAB_HDR + n * pl->size;
    struct slab *s = xmalloc(bytes);
    s->next = pl->slabs;
    pl->slabs = s;
    pl->bytes += bytes;
    unsigned char *obj = (unsigned char *)s + SLAB_HDR;
    for (size_t i = n; i-- > 0;) {
        struct free_obj *f = (struct free_obj *)(obj + i * pl->size);
        f->next = pl->free;
        pl->free = f;
    }
    pl->made += n;
    return 0;
}

void *pool_get_dirty(struct pool *pl)
{
    if (pl->free == NULL && pool_grow(pl) != 0)
        return NULL;
    struct free_obj *f = pl->free;
    pl->free = f->next;
    pl->in_use++;
    return f;
}

void *pool_get(struct pool *pl)
{
    void *f = pool_get_dirty(pl);
    if (f)
        memset(f, 0, pl->size);
    return f;
}

void pool_put(struct pool *pl, void *obj)
{
    if (obj == NULL)
        return;
    struct free_obj *f = obj;
    f->next = pl->free;
    pl->free = f;
    pl->in_use--;
}

size_t pool_in_use(const struct pool *pl)
{
    return pl->in_use;
}

size_t pool_bytes(const struct pool *pl)
{
    return pl->bytes;
}

size_t pool_cap(const struct pool *pl)
{
    return pl->cap;
}

size_t pool_full_bytes(size_t size, size_t cap, size_t per_slab)
{
    if (size < sizeof(struct free_obj))
        size = sizeof(struct free_obj);
    size = (size + 15) & ~(size_t)15;
    if (per_slab == 0)
        per_slab = 64;
    return (cap + per_slab - 1) / per_slab * SLAB_HDR + cap * size;
}
