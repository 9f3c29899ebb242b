/* The memory budget: --memcap split into one share per store, emergency
 * mode, and the counters of what was shed at a share.
 *
 * How the budget is split. Not everything the process holds is pooled:
 * the image and libraries, nDPI's detection module (its automata), the
 * catalogue and rules, libmaxminddb's mapped database, the output buffers
 * and queues, hash bucket arrays sized at start-up. An idle sensor measured
 * 23 MiB RSS (`/usr/bin/time -v` on a small capture, no --geoip-db; a City
 * database adds the pages touched, up to its size). So a fixed RESERVE_FIXED
 * (32 MiB) plus an eighth of the limit is kept back for all of that and for
 * allocator overhead; the rest is the pooled part, split by the per-mille
 * shares below. At the default 512 MiB: 96 MiB reserve, 416 MiB pooled.
 *
 * The shares, from what each store costs (sizes on x86-64 today) and what
 * the flood (500,000 sources, one TLS connection each to an AI API)
 * asks of it:
 *   flows        10%: 123 B a flow (its 120 B record in the table's slabs,
 *                     and 3/4 of a 32-bit bucket): 41.6 MiB holds the
 *                     default --max-flows (262,144: 31 MiB).
 *   flow_app     15%: 128 B a followed flow (compact state: TLS facts as
 *                     the id of a shared fact set, turns in the shared turn
 *                     pool), at most one a flow: 62 MiB holds ~508,000, and
 *                     the share is more than 128/123 of the flows', so the
 *                     flow count binds first at every limit (before the
 *                     compact state it was 2.7 KiB, the largest per-flow
 *                     cost; the shares were 14% and 27% until the flow record
 *                     and this state shrank; 224 B with the facts inline,
 *                     192 B with the turn tracker at 168, 176 with a QUIC
 *                     pointer, 168 with the turn tracker at 152, 152 with
 *                     a 64-bit source token too, 136 with that token and
 *                     the turn tracker at 120).
 *   hello_buffers 8%: 18 KiB a split ClientHello in reassembly; 33 MiB holds
 *                     ~1,800 at once, i.e. 18,000 new split-hello
 *                     connections a second at a 100 ms round trip (a
 *                     post-quantum hello of ~1.8 KB always spans two
 *                     segments); beyond, the oldest is reclaimed.
 *   quic_reasm    2%: 18 KiB a QUIC flow reassembling its hello; 8 MiB is
 *                     more than the 256 slots of the count cap.
 *   ndpi          8%: nDPI's flow struct (704 B) and what it allocates inside
 *                     (a QUIC flow's reassembly buffer: 4.8 KiB a QUIC flow
 *                     measured), only while a flow is classified; a flood of
 *                     QUIC Initials holds one a flow: 33 MiB is ~7,000 of
 *                     them (tests/detect/quic_captures.test.sh floods 5,000).
 *   sources      41%: 7.2 KiB a source as source_bytes_per_source
 *                     charges it (its 3.1 KB record and the four 1 KB turn
 *                     chunks budgeted a source): 171 MiB holds ~24,350
 *                     sources (under the default --max-sources 65,536:
 *                     a site with more active sources in the hour sets a
 *                     larger --memcap); least recently seen evicted beyond.
 *                     It took what the flow stores no longer need (25% before).
 *   clusters      8%: cluster tables (a cluster can grow to 256 members) and
 *                     the synchrony table.
 *   strings       3%: interned SNI, JA3 and JA4 strings (one copy each) and
 *                     the TLS fact sets over them (48 B a distinct set,
 *                     one for every four flows at most): 12.5 MiB holds
 *                     both tables at the default --max-flows (8 + 3.3
 *                     MiB; beyond, each gets its part).
 *   turn_pool     5%: the shared pool of per-flow turn lists.
 * Shares scale with the limit; a store's count option (--max-flows,
 * --max-sources) caps it further. */
#include "ds/memcap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/stats.h"
#include "ds/util.h"

#define RESERVE_FIXED ((uint64_t)32 << 20)
#define RESERVE_DIV 8

static const struct {
    const char *name;
    unsigned permille;
} shares[MEMCAP_NSHARES] = {
    [MEMCAP_FLOWS] = { "flows", 100 },
    [MEMCAP_FLOW_APP] = { "flow_app", 150 },
    [MEMCAP_HELLO_BUFFERS] = { "hello_buffers", 80 },
    [MEMCAP_QUIC_REASM] = { "quic_reasm", 20 },
    [MEMCAP_NDPI] = { "ndpi", 80 },
    [MEMCAP_SOURCES] = { "sources", 410 },
    [MEMCAP_CLUSTERS] = { "clusters", 80 },
    [MEMCAP_STRINGS] = { "strings", 30 },
    [MEMCAP_TURN_POOL] = { "turn_pool", 50 },
};

static const char *const evict_names[MEMCAP_NEVICT] = {
    [MEMCAP_EV_FLOWS_UNFOLLOWED] = "flows_unfollowed",
    [MEMCAP_EV_FLOWS_FOLLOWED] = "flows_followed",
    [MEMCAP_EV_HELLO_BUFFERS] = "hello_buffers",
    [MEMCAP_EV_SOURCES] = "sources",
    [MEMCAP_EV_CLUSTERS] = "clusters",
};

struct fill {
    size_t in_use, cap;
};

/* A store's object cap, and the count option it came from. */
struct cap {
    size_t objects, asked;   /* objects 0: the store has no object cap (bytes only) */
};

struct memcap {
    uint64_t limit;
    size_t share[MEMCAP_NSHARES];
    struct cap cap[MEMCAP_NSHARES];
    struct fill fill[MEMCAP_NSHARES];  /* only FLOWS and FLOW_APP are reported */
    bool emergency;
    uint64_t emergency_entered;
    uint64_t evicted[MEMCAP_NEVICT];
    uint64_t ndpi_refused;
};

static const struct {
    const char *suffix;
    unsigned shift;
} units[] = {
    { "", 0 },     { "k", 10 },  { "m", 20 },  { "g", 30 },
    { "kib", 10 }, { "mib", 20 }, { "gib", 30 },
};

/* The shift of a size suffix, -1 if it is none we know. */
static int unit_shift(const char *suf)
{
    char low[8];
    size_t n = strlen(suf);
    if (n >= sizeof(low))
        return -1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)suf[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(low, units[i].suffix) == 0)
            return (int)units[i].shift;
    return -1;
}

int memcap_parse_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
    char digits[24];
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    int shift = unit_shift(s + n);
    if (n == 0 || n >= sizeof(digits) || shift < 0) {
        snprintf(err, errlen, "'%s' is not a size (bytes, or a number with K, M, G, KiB, MiB "
                 "or GiB)", s);
        return -1;
    }
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v;
    if (ds_parse_u64(digits, 0, MEMCAP_MAX >> shift, &v) != 0 || (v << shift) < MEMCAP_MIN ||
        (v << shift) > MEMCAP_MAX) {
        snprintf(err, errlen, "'%s' is out of range (%llu MiB to %llu GiB: below %llu MiB the "
                 "sensor's fixed footprint leaves no room for its pools)", s,
                 (unsigned long long)(MEMCAP_MIN >> 20), (unsigned long long)(MEMCAP_MAX >> 30),
                 (unsigned long long)(MEMCAP_MIN >> 20));
        return -1;
    }
    *out = v << shift;
    return 0;
}

struct memcap *memcap_new(uint64_t limit)
{
    struct memcap *mc = xcalloc(1, sizeof(*mc));
    if (limit < MEMCAP_MIN)
        limit = MEMCAP_MIN;
    if (limit > MEMCAP_MAX)
        limit = MEMCAP_MAX;
    mc->limit = limit;
    uint64_t pooled = limit - RESERVE_FIXED - limit / RESERVE_DIV;
    for (int i = 0; i < MEMCAP_NSHARES; i++)
        mc->share[i] = (size_t)(pooled / 1000 * shares[i].permille);
    return mc;
}

void memcap_free(struct memcap *mc)
{
    free(mc);
}

uint64_t memcap_limit(const struct memcap *mc)
{
    return mc ? mc->limit : 0;
}

size_t memcap_share(const struct memcap *mc, enum memcap_share which)
{
    return mc ? mc->share[which] : 0;
}

size_t memcap_objects(struct memcap *mc, enum memcap_share which, size_t obj_bytes,
                      size_t count_cap)
{
    if (mc == NULL)
        return count_cap;
    size_t n = mc->share[which] / (obj_bytes ? obj_bytes : 1);
    if (n > count_cap)
        n = count_cap;
    n = n ? n : 1;
    mc->cap[which] = (struct cap){ n, count_cap };
    return n;
}

static bool below_recovery(const struct fill *f)
{
    return f->cap == 0 || (uint64_t)f->in_use * 100 <= (uint64_t)f->cap * MEMCAP_RECOVERY_PCT;
}

void memcap_fill(struct memcap *mc, enum memcap_share which, size_t in_use, size_t cap)
{
    if (mc == NULL)
        return;
    mc->fill[which] = (struct fill){ in_use, cap };
    if (!mc->emergency && cap > 0 && in_use >= cap) {
        mc->emergency = true;
        mc->emergency_entered++;
    } else if (mc->emergency && below_recovery(&mc->fill[MEMCAP_FLOWS]) &&
               below_recovery(&mc->fill[MEMCAP_FLOW_APP])) {
        mc->emergency = false;
    }
}

bool memcap_emergency(const struct memcap *mc)
{
    return mc && mc->emergency;
}

void memcap_evicted(struct memcap *mc, enum memcap_evict kind)
{
    if (mc)
        mc->evicted[kind]++;
}

void memcap_ndpi_refused(struct memcap *mc)
{
    if (mc)
        mc->ndpi_refused++;
}

uint64_t memcap_evicted_count(const struct memcap *mc, enum memcap_evict kind)
{
    return mc ? mc->evicted[kind] : 0;
}

static void add_number(void *ctx, const char *key, const struct stats_node *obj, uint64_t v)
{
    (void)key;
    if (obj == NULL)
        *(uint64_t *)ctx += v;
}

/* n.key in the tree, 0 if it is not there. */
static uint64_t tree_u64(const struct stats_node *n, const char *key)
{
    uint64_t v = 0;
    if (stats_get_u64(n, key, &v) != 0)
        return 0;
    return v;
}

void memcap_stats_write(const struct memcap *mc, struct stats_node *root)
{
    if (mc == NULL)
        return;
    struct stats_node *me = stats_child(root, "sensor");
    uint64_t used = 0;
    stats_each(stats_get(me, "memory"), add_number, &used);
    const struct stats_node *so = stats_get(me, "sources");
    const struct stats_node *de = stats_get(me, "detect");
    uint64_t ev[MEMCAP_NEVICT];
    memcpy(ev, mc->evicted, sizeof(ev));
    /* sources.evicted counts every record pushed out, profile records
     * (profiles_evicted too) and those from a full hash chain
     * (chain_evicted too) among them: the cap's are the rest, each once
     * (a chain eviction is not the budget's, as for flows). */
    uint64_t so_ev = tree_u64(so, "evicted"), so_chain = tree_u64(so, "chain_evicted");
    ev[MEMCAP_EV_SOURCES] += so_ev > so_chain ? so_ev - so_chain : 0;
    ev[MEMCAP_EV_CLUSTERS] += tree_u64(de, "clusters_evicted") +
                              tree_u64(de, "sync_groups_evicted");
    struct stats_node *m = stats_child(me, "memcap");
    stats_u64(m, "limit", mc->limit);
    stats_u64(m, "used", used);
    stats_u64(m, "emergency", mc->emergency ? 1 : 0);
    stats_u64(m, "emergency_entered", mc->emergency_entered);
    struct stats_node *sh = stats_child(m, "shares");
    for (int i = 0; i < MEMCAP_NSHARES; i++)
        stats_u64(sh, shares[i].name, mc->share[i]);
    /* Each store's object cap; "asked": the count option, when the share
     * holds fewer (raise --memcap, or lower the option, to make it so). */
    struct stats_node *caps = stats_child(m, "caps");
    for (int i = 0; i < MEMCAP_NSHARES; i++) {
        if (mc->cap[i].objects == 0)
            continue;
        struct stats_node *c = stats_child(caps, shares[i].name);
        stats_u64(c, "objects", mc->cap[i].objects);
        if (mc->cap[i].objects < mc->cap[i].asked)
            stats_u64(c, "asked", mc->cap[i].asked);
    }
    struct stats_node *e = stats_child(m, "evicted");
    for (int i = 0; i < MEMCAP_NEVICT; i++)
        stats_u64(e, evict_names[i], ev[i]);
    stats_u64(stats_child(m, "refused"), "ndpi_states", mc->ndpi_refused);
}
