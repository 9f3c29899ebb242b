/* The exchanges' shared pool (exchange.h): three fixed-size object pools
 * with their caps, and the count of each time one was used up. Part of the
 * exchange module: exchange-turns.c takes and returns its objects through
 * exchange-int.h. Listed turns are a pool.h pool (a flow holds a pointer);
 * blocks of requests in flight and held-record states are indexed pools
 * (below), so that a flow holds a 32-bit handle to each, not a pointer. */
#include "ds/exchange.h"

#include <stdlib.h>
#include <string.h>

#include "ds/pool.h"
#include "ds/util.h"
#include "exchange-int.h"

#define EXCHANGE_POOL_SLAB 1024 /* objects a slab: pools grow as flows need them */

/* A pool of at most cap objects of size bytes whose objects are named by
 * handles: index + 1 (0: none). Slabs of 2^shift objects are allocated on
 * demand, as pool.h's are, and found from a handle through a directory of
 * them made at creation; free objects are chained through their first 4
 * bytes (handles). */
struct ipool {
    size_t size;            /* object size, rounded to 16 as pool.h does */
    uint32_t cap, made, in_use;
    uint32_t free;          /* the first free object's handle (0: none) */
    unsigned shift;         /* log2 of the objects a slab */
    unsigned char **slabs;  /* the directory: cap / 2^shift slabs, rounded up */
    size_t bytes;           /* slabs and directory */
};

static int ipool_init(struct ipool *ip, size_t size, size_t cap, unsigned shift)
{
    /* Handles are 32-bit: a cap beyond is cut (a billion objects would
     * be far beyond any memcap's share anyway). */
    if (cap > UINT32_MAX - 1)
        cap = UINT32_MAX - 1;
    ip->size = (size + 15) & ~(size_t)15;
    ip->cap = (uint32_t)cap;
    ip->shift = shift;
    size_t nslabs = (cap + ((size_t)1 << shift) - 1) >> shift;
    ip->slabs = calloc(nslabs ? nslabs : 1, sizeof(*ip->slabs));
    if (ip->slabs == NULL)
        return -1;
    ip->bytes = nslabs * sizeof(*ip->slabs);
    return 0;
}

static void ipool_free(struct ipool *ip)
{
    if (ip->slabs == NULL)
        return;
    size_t nslabs = ((size_t)ip->cap + ((size_t)1 << ip->shift) - 1) >> ip->shift;
    for (size_t i = 0; i < nslabs; i++)
        free(ip->slabs[i]);
    free(ip->slabs);
    ip->slabs = NULL;
}

/* The object of handle h (not 0, from this pool). */
static void *ipool_at(const struct ipool *ip, uint32_t h)
{
    uint32_t i = h - 1u;
    uint32_t mask = (1u << ip->shift) - 1u;
    return ip->slabs[i >> ip->shift] + (size_t)(i & mask) * ip->size;
}

/* One more slab (fewer objects at the cap); -1 when the cap is reached. */
static int ipool_grow(struct ipool *ip)
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

/* A zeroed object's handle, 0 when cap objects are out. */
static uint32_t ipool_get(struct ipool *ip)
{
    if (ip->free == 0 && ipool_grow(ip) != 0)
        return 0;
    uint32_t h = ip->free;
    void *o = ipool_at(ip, h);
    memcpy(&ip->free, o, sizeof(ip->free));
    memset(o, 0, ip->size);
    ip->in_use++;
    return h;
}

static void ipool_put(struct ipool *ip, uint32_t h)
{
    if (h == 0)
        return;
    memcpy(ipool_at(ip, h), &ip->free, sizeof(ip->free));
    ip->free = h;
    ip->in_use--;
}

struct exchange_pool {
    struct pool *listed;
    struct ipool more;
    struct ipool held;
    uint64_t listed_refused, more_refused, held_refused;
};

struct exchange_pool *exchange_pool_new(size_t listed_cap, size_t more_cap, size_t held_cap)
{
    struct exchange_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->listed = pool_new(sizeof(struct exchange_listed), listed_cap, EXCHANGE_POOL_SLAB);
    int more = ipool_init(&p->more, sizeof(struct exchange_open_more), more_cap, 7); /* 128 */
    int held = ipool_init(&p->held, sizeof(struct exchange_held), held_cap, 10);     /* 1024 */
    if (p->listed == NULL || more != 0 || held != 0) {
        exchange_pool_free(p);
        return NULL;
    }
    return p;
}

void exchange_pool_free(struct exchange_pool *p)
{
    if (p == NULL)
        return;
    pool_free(p->listed);
    ipool_free(&p->more);
    ipool_free(&p->held);
    free(p);
}

/* An object of pl, NULL (counted in *refused) when it is used up. */
static void *take(struct pool *pl, uint64_t *refused)
{
    void *o = pool_get(pl);
    if (o == NULL)
        (*refused)++;
    return o;
}

struct exchange_listed *exchange_pool_take_listed(struct exchange_pool *p)
{
    return p ? take(p->listed, &p->listed_refused) : NULL;
}

void exchange_pool_put_listed(struct exchange_pool *p, struct exchange_listed *l)
{
    if (p)
        pool_put(p->listed, l);
}

uint32_t exchange_pool_take_more(struct exchange_pool *p)
{
    if (p == NULL)
        return 0;
    uint32_t h = ipool_get(&p->more);
    if (h == 0)
        p->more_refused++;
    return h;
}

void exchange_pool_put_more(struct exchange_pool *p, uint32_t h)
{
    if (p)
        ipool_put(&p->more, h);
}

struct exchange_open_more *exchange_pool_more(const struct exchange_pool *p, uint32_t h)
{
    return p != NULL && h != 0 ? ipool_at(&p->more, h) : NULL;
}

uint32_t exchange_pool_take_held(struct exchange_pool *p)
{
    if (p == NULL)
        return 0;
    uint32_t h = ipool_get(&p->held);
    if (h == 0)
        p->held_refused++;
    return h;
}

void exchange_pool_put_held(struct exchange_pool *p, uint32_t h)
{
    if (p)
        ipool_put(&p->held, h);
}

struct exchange_held *exchange_pool_held(const struct exchange_pool *p, uint32_t h)
{
    return p != NULL && h != 0 ? ipool_at(&p->held, h) : NULL;
}

void exchange_pool_stats_get(const struct exchange_pool *p, struct exchange_pool_stats *st)
{
    *st = (struct exchange_pool_stats){ 0 };
    if (p == NULL)
        return;
    st->listed = pool_in_use(p->listed);
    st->listed_cap = pool_cap(p->listed);
    st->listed_refused = p->listed_refused;
    st->more = p->more.in_use;
    st->more_cap = p->more.cap;
    st->more_refused = p->more_refused;
    st->held = p->held.in_use;
    st->held_cap = p->held.cap;
    st->held_refused = p->held_refused;
    st->bytes = sizeof(*p) + pool_bytes(p->listed) + p->more.bytes + p->held.bytes;
}
