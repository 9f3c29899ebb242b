/* The exchanges' shared pool (exchange.h): three fixed-size object pools
 * with their caps, and the count of each time one was used up. Part of the
 * exchange module: exchange-turns.c takes and returns its objects through
 * exchange-int.h. Listed turns are a pool.h pool (a flow holds a pointer);
 * blocks of requests in flight and held-record states are indexed pools
 * (below), so that a flow holds a 32-bit handle to each, not a pointer. */
#include "ds/exchange.h"

#include <stdlib.h>

#include "ds/ipool.h"
#include "ds/pool.h"
#include "exchange-int.h"

#define EXCHANGE_POOL_SLAB 1024 /* objects a slab: pools grow as flows need them */

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
    /* Rounded to 16 as pool.h rounds: 128 and 1024 objects a slab. */
    ipool_init(&p->more, sizeof(struct exchange_open_more), 16, more_cap, 7);
    ipool_init(&p->held, sizeof(struct exchange_held), 16, held_cap, 10);
    if (p->listed == NULL) {
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

/* The same for an indexed pool: a handle, 0 (counted) when it is used up. */
static uint32_t take_handle(struct ipool *ip, uint64_t *refused)
{
    uint32_t h = ipool_get(ip);
    if (h == 0)
        (*refused)++;
    return h;
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
    return p ? take_handle(&p->more, &p->more_refused) : 0;
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
    return p ? take_handle(&p->held, &p->held_refused) : 0;
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
