/* The exchanges' shared pool (exchange.h): three fixed-size object pools
 * with their caps, and the count of each time one was used up. Part of the
 * exchange module: exchange-turns.c takes and returns its objects through
 * exchange-int.h. Listed turns, blocks of requests in flight and
 * held-record states are indexed pools (ipool.h), so that a flow holds a
 * 32-bit handle to each, not a pointer. */
#include "ds/exchange.h"

#include <stdlib.h>

#include "ds/ipool.h"
#include "exchange-int.h"

#define EXCHANGE_POOL_SLAB_SHIFT 10 /* listed turns: 1024 a slab, taken as flows need them */

struct exchange_pool {
    struct ipool listed;
    struct ipool more;
    struct ipool held;
    uint64_t listed_refused, more_refused, held_refused;
};

struct exchange_pool *exchange_pool_new(size_t listed_cap, size_t more_cap, size_t held_cap)
{
    struct exchange_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    /* Rounded to 16 as pool.h rounds (the caps are sized so, flow-app.c):
     * 1024, 128 and 1024 objects a slab. */
    ipool_init(&p->listed, sizeof(struct exchange_listed), 16, listed_cap,
               EXCHANGE_POOL_SLAB_SHIFT);
    ipool_init(&p->more, sizeof(struct exchange_open_more), 16, more_cap, 7);
    ipool_init(&p->held, sizeof(struct exchange_held), 16, held_cap, 10);
    return p;
}

void exchange_pool_free(struct exchange_pool *p)
{
    if (p == NULL)
        return;
    ipool_free(&p->listed);
    ipool_free(&p->more);
    ipool_free(&p->held);
    free(p);
}

/* An object's handle, 0 (counted in *refused) when the pool is used up. */
static uint32_t take_handle(struct ipool *ip, uint64_t *refused)
{
    uint32_t h = ipool_get(ip);
    if (h == 0)
        (*refused)++;
    return h;
}

uint32_t exchange_pool_take_listed(struct exchange_pool *p)
{
    return p ? take_handle(&p->listed, &p->listed_refused) : 0;
}

void exchange_pool_put_listed(struct exchange_pool *p, uint32_t h)
{
    if (p)
        ipool_put(&p->listed, h);
}

struct exchange_listed *exchange_pool_listed(const struct exchange_pool *p, uint32_t h)
{
    return p != NULL && h != 0 ? ipool_at(&p->listed, h) : NULL;
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
    st->listed = p->listed.in_use;
    st->listed_cap = p->listed.cap;
    st->listed_refused = p->listed_refused;
    st->more = p->more.in_use;
    st->more_cap = p->more.cap;
    st->more_refused = p->more_refused;
    st->held = p->held.in_use;
    st->held_cap = p->held.cap;
    st->held_refused = p->held_refused;
    st->bytes = sizeof(*p) + p->listed.bytes + p->more.bytes + p->held.bytes;
}
