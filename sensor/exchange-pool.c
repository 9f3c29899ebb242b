/* The exchanges' shared pool (exchange.h): three fixed-size object pools
 * (pool.h) with their caps, and the count of each time one was used up.
 * Part of the exchange module: exchange-turns.c takes and returns its
 * objects through exchange-int.h. */
#include "ds/exchange.h"

#include <stdlib.h>

#include "ds/pool.h"
#include "exchange-int.h"

#define EXCHANGE_POOL_SLAB 1024 /* objects a slab: pools grow as flows need them */

struct exchange_pool {
    struct pool *listed;
    struct pool *more;
    struct pool *held;
    uint64_t listed_refused, more_refused, held_refused;
};

struct exchange_pool *exchange_pool_new(size_t listed_cap, size_t more_cap, size_t held_cap)
{
    struct exchange_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->listed = pool_new(sizeof(struct exchange_listed), listed_cap, EXCHANGE_POOL_SLAB);
    p->more = pool_new(sizeof(struct exchange_open_more), more_cap, EXCHANGE_POOL_SLAB / 8);
    p->held = pool_new(sizeof(struct exchange_held), held_cap, EXCHANGE_POOL_SLAB);
    if (p->listed == NULL || p->more == NULL || p->held == NULL) {
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
    pool_free(p->more);
    pool_free(p->held);
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

struct exchange_open_more *exchange_pool_take_more(struct exchange_pool *p)
{
    return p ? take(p->more, &p->more_refused) : NULL;
}

void exchange_pool_put_more(struct exchange_pool *p, struct exchange_open_more *m)
{
    if (p)
        pool_put(p->more, m);
}

struct exchange_held *exchange_pool_take_held(struct exchange_pool *p)
{
    return p ? take(p->held, &p->held_refused) : NULL;
}

void exchange_pool_put_held(struct exchange_pool *p, struct exchange_held *h)
{
    if (p)
        pool_put(p->held, h);
}

void exchange_pool_stats_get(const struct exchange_pool *p, struct exchange_pool_stats *st)
{
    *st = (struct exchange_pool_stats){ 0 };
    if (p == NULL)
        return;
    st->listed = pool_in_use(p->listed);
    st->listed_cap = pool_cap(p->listed);
    st->listed_refused = p->listed_refused;
    st->more = pool_in_use(p->more);
    st->more_cap = pool_cap(p->more);
    st->more_refused = p->more_refused;
    st->held = pool_in_use(p->held);
    st->held_cap = pool_cap(p->held);
    st->held_refused = p->held_refused;
    st->bytes = sizeof(*p) + pool_bytes(p->listed) + pool_bytes(p->more) + pool_bytes(p->held);
}
