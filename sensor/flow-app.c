/* A followed flow's application state (flow-app.h): the strings of its TLS
 * facts, set once or replaced (a QUIC hello read by our parser, then
 * nDPI's), each holding one reference in the sensor's string table until
 * the flow ends; and what every flow's state shares (the string table and
 * the exchange pool), their sizes and their stats. */
#include "ds/flow-app.h"

#include <string.h>

#include "ds/stats.h"

void flow_tls_set(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const void *bytes,
                  size_t len)
{
    uint32_t id = intern_take(in, bytes, len); /* before the drop: the same string stays */
    intern_drop(in, t->str[k]);
    t->str[k] = id;
}

void flow_tls_set_str(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const char *s,
                      size_t max)
{
    flow_tls_set(t, in, k, s, s ? strnlen(s, max) : 0);
}

void flow_tls_release(struct flow_tls *t, struct intern *in)
{
    for (int k = 0; k < FLOW_TLS_NSTR; k++) {
        intern_drop(in, t->str[k]);
        t->str[k] = 0;
    }
}

/* The string table's size for max_flows flows: a quarter as many strings
 * (flows share their service's name, their client's JA3/JA4 and ALPN
 * list; distinct ones are far fewer than flows), at most 128 bytes each on
 * average. Only what is used is touched. */
#define FLOW_APP_STRINGS_MIN 1024u
#define FLOW_APP_STRINGS_MAX (1u << 20)
#define FLOW_APP_STRING_BYTES 128u
/* The exchange pool: listed turns for 4 a flow on average (a flow lists up
 * to EXCHANGE_TURNS_KEPT, most hold one or two), blocks of requests in
 * flight for an eighth of the flows at once (HTTP/2 and HTTP/3 clients
 * with concurrent streams), held records for a quarter. */
#define FLOW_APP_LISTED_PER_FLOW 4u

static uint32_t strings_for(size_t max_flows)
{
    size_t n = max_flows / 4;
    if (n < FLOW_APP_STRINGS_MIN)
        n = FLOW_APP_STRINGS_MIN;
    if (n > FLOW_APP_STRINGS_MAX)
        n = FLOW_APP_STRINGS_MAX;
    return (uint32_t)n;
}

/* At most cap objects of obj bytes in share bytes (0: no share given), each
 * at what a pool makes it cost (its size rounded up to 16 bytes, pool.c). */
static size_t within(size_t cap, size_t share, size_t obj)
{
    size_t cost = (obj + 15) & ~(size_t)15;
    if (share != 0 && share / cost < cap)
        return share / cost;
    return cap;
}

int flow_app_shared_init(struct flow_app_shared *sh, size_t max_flows, size_t strings_share,
                         size_t turns_share, uint32_t seed)
{
    uint32_t n = strings_for(max_flows);
    size_t bytes = (size_t)n * FLOW_APP_STRING_BYTES;
    if (strings_share != 0 && strings_share < bytes) {
        bytes = strings_share;
        n = (uint32_t)within(n, bytes, FLOW_APP_STRING_BYTES);
    }
    sh->strings = intern_new(n, bytes, seed);
    /* The turn pool's share: 60% listed turns, 25% blocks of requests in
     * flight, 15% held records. */
    sh->turns = exchange_pool_new(
        within(max_flows * FLOW_APP_LISTED_PER_FLOW, turns_share / 100 * 60,
               sizeof(struct exchange_listed)),
        within(max_flows / 8 + 16, turns_share / 100 * 25, sizeof(struct exchange_open_more)),
        within(max_flows / 4 + 16, turns_share / 100 * 15, sizeof(struct exchange_held)));
    return sh->strings && sh->turns ? 0 : -1;
}

void flow_app_shared_free(struct flow_app_shared *sh)
{
    intern_free(sh->strings);
    exchange_pool_free(sh->turns);
    sh->strings = NULL;
    sh->turns = NULL;
}

void flow_app_release(struct flow_app *app, struct flow_app_shared *sh)
{
    if (app == NULL)
        return;
    flow_tls_release(&app->tls, sh->strings);
    exchange_release(&app->ex, sh->turns);
}

void flow_app_stats_write(const struct flow_app_shared *sh, struct stats_node *root)
{
    struct stats_node *me = stats_child(root, "sensor");
    struct intern_stats is;
    intern_stats_get(sh->strings, &is);
    struct exchange_pool_stats ps;
    exchange_pool_stats_get(sh->turns, &ps);
    struct stats_node *mem = stats_child(me, "memory");
    stats_u64(mem, "strings", is.bytes);
    stats_u64(mem, "turn_pool", ps.bytes);
    struct stats_node *st = stats_child(me, "strings");
    stats_u64(st, "entries", is.entries);
    stats_u64(st, "refused", is.refused);
    struct stats_node *tp = stats_child(me, "turn_pool");
    stats_u64(tp, "listed", ps.listed);
    stats_u64(tp, "not_listed", ps.listed_refused);
    stats_u64(tp, "open_shed", ps.more_refused);
    stats_u64(tp, "held_shed", ps.held_refused);
}
