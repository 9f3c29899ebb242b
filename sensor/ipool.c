/* Indexed pool (ipool.h). */
#include "ds/ipool.h"

#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/util.h"

static size_t slabs_for(size_t cap, unsigned shift)
{
    return (cap + ((size_t)1 << shift) - 1) >> shift;
}

/* An object's size in a pool: at least a handle (the free chain's), a
 * multiple of the alignment, itself at least a handle's. */
static size_t object_size(size_t size, size_t align)
{
    if (align < sizeof(uint32_t))
        align = sizeof(uint32_t);
    if (size < sizeof(uint32_t))
        size = sizeof(uint32_t);
    return (size + align - 1) & ~(align - 1);
}

/* Handles are 32-bit, 0 being none. */
static size_t cap_cut(size_t cap)
{
    return cap > UINT32_MAX - 1 ? UINT32_MAX - 1 : cap;
}

size_t ipool_full_bytes(size_t size, size_t align, size_t cap, unsigned shift)
{
    cap = cap_cut(cap);
    return slabs_for(cap, shift) * sizeof(unsigned char *) + cap * object_size(size, align);
}

void ipool_init(struct ipool *ip, size_t size, size_t align, size_t cap, unsigned shift)
{
    memset(ip, 0, sizeof(*ip));
    cap = cap_cut(cap);
    ip->size = object_size(size, align);
    ip->cap = (uint32_t)cap;
    ip->shift = shift;
    size_t nslabs = slabs_for(cap, shift);
    ip->slabs = xcalloc(nslabs ? nslabs : 1, sizeof(*ip->slabs));
    ip->bytes = nslabs * sizeof(*ip->slabs);
}

void ipool_free(struct ipool *ip)
{
    if (ip->slabs == NULL)
        return;
    size_t nslabs = slabs_for(ip->cap, ip->shift);
    for (size_t i = 0; i < nslabs; i++)
        free(ip->slabs[i]);
    free(ip->slabs);
    ip->slabs = NULL;
}

/* One more slab (fewer objects at the cap), its objects chained free with
 * the lowest first out; -1 when the cap is reached. */
static int grow(struct ipool *ip)
{
    uint32_t n = 1u << ip->shift;
    if (ip->cap - ip->made < n)
        n = ip->cap - ip->made;
    if (n == 0)
        return -1;
    ip->slabs[ip->made >> ip->shift] = xmalloc((size_t)n * ip->size);
    ip->bytes += (size_t)n * ip->size;
    for (uint32_t k = n; k-- > 0;) {
        uint32_t h = ip->made + k + 1u;
        memcpy(ipool_at(ip, h), &ip->free, sizeof(ip->free));
        ip->free = h;
    }
    ip->made += n;
    return 0;
}

uint32_t ipool_get_dirty(struct ipool *ip)
{
    if (ip->free == 0 && grow(ip) != 0)
        return 0;
    uint32_t h = ip->free;
    memcpy(&ip->free, ipool_at(ip, h), sizeof(ip->free));
    ip->in_use++;
    return h;
}

uint32_t ipool_get(struct ipool *ip)
{
    uint32_t h = ipool_get_dirty(ip);
    if (h != 0)
        memset(ipool_at(ip, h), 0, ip->size);
    return h;
}

void ipool_put(struct ipool *ip, uint32_t h)
{
    if (h == 0)
        return;
    DS_ASSERT(h <= ip->made && ip->in_use > 0);   /* one of ours, out */
    memcpy(ipool_at(ip, h), &ip->free, sizeof(ip->free));
    ip->free = h;
    ip->in_use--;
}
