/* A followed flow's application state (flow-app.h): what every flow's
 * state shares (the string table, the TLS fact sets over it and the
 * exchange pool), their sizes and their stats, and what a flow gives back
 * when it ends (its fact set's reference, its pooled turns). */
#include "ds/flow-app.h"

#include "ds/stats.h"

/* The string table's size for max_flows flows: a quarter as many strings
 * (flows share their service's name, their client's JA3/JA4 and ALPN
 * list; distinct ones are far fewer than flows), at most 128 bytes each on
 * average. Only what is used is touched. */
#define FLOW_APP_STRINGS_MIN 1024u
#define FLOW_APP_STRINGS_MAX (1u << 20)
#define FLOW_APP_STRING_BYTES 128u
/* The fact sets: as many as strings. Flows from one client to one service
 * share a set, so that sets are far fewer than flows; flows whose facts
 * are all their own (each its own SNI) fill both tables alike. Both fit
 * whole in the default memcap's strings share at the default --max-flows
 * (8 MiB of strings and 3.3 MiB of sets in 12.5 MiB). */
#define FLOW_APP_SETS_DIV 4u
/* The exchange pool: listed turns for 4 a flow on average (a flow lists up
 * to EXCHANGE_TURNS_KEPT, most hold one or two), blocks of requests in
 * flight for an eighth of the flows at once (HTTP/2 and HTTP/3 clients
 * with concurrent streams), held records for a quarter. */
#define FLOW_APP_LISTED_PER_FLOW 4u

static uint32_t table_for(size_t max_flows, size_t div)
{
    size_t n = max_flows / div;
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

/* The strings share split between the string table (n strings in *bytes)
 * and the fact sets (*sets in *set_bytes): each as it wants when the share
 * holds both, else each in proportion to what it wants. */
static void split_strings_share(size_t max_flows, size_t share, uint32_t *n, size_t *bytes,
                                uint32_t *sets, size_t *set_bytes)
{
    *n = table_for(max_flows, 4);
    *bytes = (size_t)*n * FLOW_APP_STRING_BYTES;
    *sets = table_for(max_flows, FLOW_APP_SETS_DIV);
    *set_bytes = tls_facts_size(*sets);
    size_t want = *bytes + *set_bytes;
    if (share == 0 || share >= want)
        return;
    /* No overflow: here share < want, and want is below 2^28 bytes (2^20
     * strings of 128 bytes and 2^20 sets), so the product is below 2^56. */
    size_t for_sets = (size_t)((uint64_t)share * *set_bytes / want);
    *bytes = share - for_sets;
    *n = (uint32_t)within(*n, *bytes, FLOW_APP_STRING_BYTES);
    uint32_t fit = tls_facts_sets_within(for_sets);
    if (fit < *sets)
        *sets = fit;
    *set_bytes = for_sets;
}

int flow_app_shared_init(struct flow_app_shared *sh, size_t max_flows, size_t strings_share,
                         size_t turns_share, uint32_t seed)
{
    uint32_t n, sets;
    size_t bytes, set_bytes;
    split_strings_share(max_flows, strings_share, &n, &bytes, &sets, &set_bytes);
    sh->strings = intern_new(n, bytes, seed);
    /* Its own seed from the string table's (the golden ratio's bits): the
     * two tables' chains do not collide alike. */
    uint32_t facts_seed = seed ^ 0x9e3779b9u;
    sh->facts = sh->strings ? tls_facts_new(sets, set_bytes, sh->strings, facts_seed) : NULL;
    /* The turn pool's share: 60% listed turns, 25% blocks of requests in
     * flight, 15% held records. */
    sh->turns = exchange_pool_new(
        within(max_flows * FLOW_APP_LISTED_PER_FLOW, turns_share / 100 * 60,
               sizeof(struct exchange_listed)),
        within(max_flows / 8 + 16, turns_share / 100 * 25, sizeof(struct exchange_open_more)),
        within(max_flows / 4 + 16, turns_share / 100 * 15, sizeof(struct exchange_held)));
    return sh->strings && sh->facts && sh->turns ? 0 : -1;
}

void flow_app_shared_free(struct flow_app_shared *sh)
{
    tls_facts_free(sh->facts); /* before the strings it holds */
    intern_free(sh->strings);
    exchange_pool_free(sh->turns);
    sh->facts = NULL;
    sh->strings = NULL;
    sh->turns = NULL;
}

void flow_app_release(struct flow_app *app, struct flow_app_shared *sh)
{
    if (app == NULL)
        return;
    tls_facts_drop(sh->facts, app->tls);
    app->tls = 0;
    exchange_release(&app->ex, sh->turns);
}

void flow_app_stats_write(const struct flow_app_shared *sh, struct stats_node *root)
{
    struct stats_node *me = stats_child(root, "sensor");
    struct intern_stats is;
    intern_stats_get(sh->strings, &is);
    struct tls_facts_stats fs;
    tls_facts_stats_get(sh->facts, &fs);
    struct exchange_pool_stats ps;
    exchange_pool_stats_get(sh->turns, &ps);
    struct stats_node *mem = stats_child(me, "memory");
    stats_u64(mem, "strings", is.bytes);
    stats_u64(mem, "tls_facts", fs.bytes);
    stats_u64(mem, "turn_pool", ps.bytes);
    struct stats_node *st = stats_child(me, "strings");
    stats_u64(st, "entries", is.entries);
    stats_u64(st, "refused", is.refused);
    struct stats_node *ft = stats_child(me, "tls_facts");
    stats_u64(ft, "entries", fs.entries);
    stats_u64(ft, "refused", fs.refused);
    struct stats_node *tp = stats_child(me, "turn_pool");
    stats_u64(tp, "listed", ps.listed);
    stats_u64(tp, "not_listed", ps.listed_refused);
    stats_u64(tp, "open_shed", ps.more_refused);
    stats_u64(tp, "held_shed", ps.held_refused);
}
