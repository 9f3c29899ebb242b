/* The pipeline for one capture: decode -> flow -> ClientHello -> catalogue
 * -> (followed flows only) nDPI and turns -> events.
 *
 * The cost that matters is deciding cheaply which flows need work: every
 * TCP flow gets our own ClientHello parser until its first client bytes are
 * seen; only flows whose SNI is in the AI catalogue (or every TLS flow with
 * --all-tls) get app state, nDPI and turn tracking. Everything else is
 * counted and skipped at the cost of one flow lookup. */
#include "ds/sensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/bytes.h"
#include "ds/capture.h"
#include "ds/catalog.h"
#include "ds/classify.h"
#include "ds/cluster.h"
#include "ds/decode.h"
#include "ds/detect.h"
#include "ds/diag.h"
#include "ds/eve.h"
#include "ds/event-alert.h"
#include "ds/event-flow.h"
#include "ds/event-source.h"
#include "ds/event-stats.h"
#include "ds/exchange.h"
#include "ds/flow-app.h"
#include "ds/flow.h"
#include "ds/ipool.h"
#include "ds/list.h"
#include "ds/log.h"
#include "ds/memcap.h"
#include "ds/metrics.h"
#include "ds/quic-header.h"
#include "ds/quic-initial.h"
#include "ds/sink.h"
#include "ds/source.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/tls-asm.h"
#include "ds/tls.h"
#include "ds/util.h"

#define EXPIRE_VISIT 8           /* flows ended per packet at most */
#define EXPIRE_VISIT_TICK 1024   /* flows ended per sensor_tick at most */
#define HELLO_MAX_CLIENT_PKTS 24 /* client segments before we give up on a hello (16 KiB at MSS 1448, with room for loss) */
_Static_assert(HELLO_MAX_CLIENT_PKTS < FLOW_HELLO_TRIES_MAX, "hello_tries would stick first");
/* Followed flows' app states a slab of their pool (256, as before handles). */
#define APP_SLAB_SHIFT 8
#define HELLO_BUFFERS 4096       /* flows reassembling a split ClientHello at once */
#define QUIC_REASM_FLOWS 256     /* QUIC flows reassembling a ClientHello at once */
#define QUIC_SERVER_IDS 4096     /* QUIC flows awaiting the server's hello at once */
/* A QUIC flow holding a reassembly slot this long after its last Initial
 * opened may lose it to a newcomer when every slot is held. A client sends
 * the Initials of its hello back to back (Chrome's two or three within a
 * millisecond or two); one lost on the way comes again after a probe
 * timeout, which before any RTT sample is at most about 1 s (RFC 9002
 * 6.2.2: kInitialRtt 333 ms, PTO = 333 + 4 x 333/2 ms = 999 ms; Chrome
 * starts from a shorter RTT). Twice that is a flow whose hello will not
 * come together: the crafted Initials of a flood, whose rest never comes. */
#define QUIC_REASM_STALE_US (2 * DS_US_PER_S)
#define CLOCK_STEP_BACK_US DS_US_PER_MIN /* a step back this large is a new clock */

/* What the sensor itself counts (the modules count the rest). */
struct sensor_counters {
    uint64_t tls_flows, quic_flows;       /* flows whose handshake we saw */
    uint64_t followed_flows;              /* flows we keep app state for */
    uint64_t ai_flows;
    uint64_t hello_bad;                   /* ClientHellos given up on */
    uint64_t app_exhausted;               /* followed flows refused at the cap */
    uint64_t turns;
    uint64_t quic_shed;                   /* QUIC flows refused reassembly at the cap */
    uint64_t quic_reclaimed;              /* slots taken back from stale flows at the cap */
    uint64_t quic_server_shed;            /* hellos read whose JA3S had no server id to wait */
    uint64_t ech[TLS_ECH_BAD + 1];        /* decided TLS/QUIC flows by enum tls_ech */
    uint64_t reloads, reload_failures;    /* sensor_reload calls, and those that failed */
    uint64_t clock_back;                  /* packets older than the clock (reordered or
                                             time going back): the clock stays */
};

/* A QUIC reassembly slot: the parser's state for one flow (what its
 * app->quic names until the hello is read) and who holds it since when,
 * for reclaiming. */
struct quic_slot {
    struct quic_initial_flow st;
    struct ds_list_node held;    /* s->quic_held: least recent Initial first */
    struct flow *owner;
    uint64_t last_us;            /* packet time of the owner's last opened Initial */
};

struct sensor {
    struct sensor_config cfg;
    char rules_dir[4096];
    struct sink *sink;           /* the caller's */
    struct eve *eve;
    struct capture *cap;
    struct decode_stats dec;
    struct flow_table *flows;
    struct catalog *cat;
    struct classify *cls;
    struct tls_asm_pool *hello_pool;
    struct ipool app_pool;       /* struct flow_app, by the handle in f->app */
    struct flow_app_shared shared; /* the flows' strings, fact sets and turn pool */
    struct quic_initial *quic;   /* our QUIC Initial parser */
    struct ipool quic_slots;     /* struct quic_slot */
    struct ipool quic_ids;       /* struct quic_server_id: flows awaiting the ServerHello */
    unsigned quic_in_use;
    struct ds_list quic_held;    /* held slots, least recent Initial first */
    struct detect *detect;
    uint64_t first_ts, now;
    uint64_t next_tick;
    uint64_t clock_resets;       /* times packet time stepped back far (new capture) */
    bool detect_used;            /* detection was given a flow since sensor_new or sensor_reset */
    uint64_t next_stats;
    uint64_t *ai_by_provider;
    uint64_t *ech_by_provider;   /* followed AI flows with ECH (GREASE or real) */
    size_t nproviders;
    const char *const *provider_names;
    struct sensor_counters n;
    struct metrics *metrics;     /* the caller's, or NULL: no --metrics */
    struct memcap *mc;           /* --memcap: the stores' shares, emergency mode */
};

void sensor_config_default(struct sensor_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rules_dir = "rules";
    cfg->max_flows = 262144;
    cfg->memcap = MEMCAP_DEFAULT;
    cfg->vlan_key = true;
    detect_config_default(&cfg->detect);
}

static int load_catalog(const char *dir, uint32_t seed, struct catalog **out)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/ai-services.conf", dir);
    struct diag dg;
    diag_init(&dg);
    int rc = catalog_load_seeded(path, seed, &dg, out);
    diag_finish(&dg);
    if (rc != 0) {
        if (rc > 0)
            log_error("%s: %d error%s", path, rc, rc == 1 ? "" : "s");
        return -1;
    }
    if (catalog_count(*out) > (size_t)FLOW_SERVICE_MAX + 1) {
        /* A flow names its entry in an int16_t (ds/flow.h). */
        log_error("%s: %zu entries, more than the %d a flow can name", path,
                  catalog_count(*out), FLOW_SERVICE_MAX + 1);
        catalog_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static void on_flow_end(void *ctx, struct flow *f);
static void decide_quic(struct sensor *s, struct flow *f, const struct tls_hello *h);

/* Detection's findings, to the event writers. */
static void on_alert(void *ctx, const struct detect_alert *a)
{
    struct sensor *s = ctx;
    event_alert(s->eve, a);
}

static void on_cluster_update(void *ctx, uint64_t ts_us, const struct cluster *c,
                              const struct rule *r)
{
    struct sensor *s = ctx;
    event_cluster_update(s->eve, ts_us, c, r);
}

static void on_source(void *ctx, uint64_t ts_us, const struct ds_addr *src,
                      const struct features *f, const struct source_last_flow *last,
                      const struct source_profile *p)
{
    struct sensor *s = ctx;
    event_source(s->eve, ts_us, src, f, last, p);
}

static void adopt_catalog(struct sensor *s, struct catalog *cat)
{
    /* Provider counters are indexed by the catalogue's provider list, so they
     * restart with a new catalogue; the totals live on in ai_flows. */
    catalog_free(s->cat);
    s->cat = cat;
    free(s->ai_by_provider);
    free(s->ech_by_provider);
    s->nproviders = catalog_providers(cat, &s->provider_names);
    s->ai_by_provider = xcalloc(s->nproviders ? s->nproviders : 1, sizeof(uint64_t));
    s->ech_by_provider = xcalloc(s->nproviders ? s->nproviders : 1, sizeof(uint64_t));
}

/* The hello reassembly slots and the server ids (JA3S) both come out of
 * the quic_reasm share, slabs included, so that together they fit it. A
 * server id lives about a round trip (from the client's hello to the
 * server's first Initial); QUIC_SERVER_IDS of 32 bytes (128 KiB) is
 * sixteen times the hello slots, so a busy link's handshakes fit, and a
 * flood of hellos whose servers never answer costs JA3S, counted. A small
 * share keeps that ratio: each slot is counted with its sixteen ids, and
 * the ids get what the slots leave, up to QUIC_SERVER_IDS (at least one
 * of each, whatever the share). */
#define QUIC_SLOTS_SHIFT 2       /* 4 slots a slab */
#define QUIC_IDS_SHIFT 8         /* 256 server ids a slab */
#define QUIC_IDS_PER_SLOT (QUIC_SERVER_IDS / QUIC_REASM_FLOWS)

static size_t quic_ids_bytes(size_t n)
{
    return ipool_full_bytes(sizeof(struct quic_server_id), _Alignof(struct quic_server_id), n,
                            QUIC_IDS_SHIFT);
}

static void quic_pool_caps(const struct memcap *mc, size_t *slots, size_t *ids)
{
    size_t share = memcap_share(mc, MEMCAP_QUIC_REASM);
    size_t n = QUIC_REASM_FLOWS, used;
    for (;; n--) {
        used = ipool_full_bytes(sizeof(struct quic_slot), _Alignof(struct quic_slot), n,
                                QUIC_SLOTS_SHIFT);
        if (n == 1 || used + quic_ids_bytes(n * QUIC_IDS_PER_SLOT) <= share)
            break;
    }
    size_t m = QUIC_SERVER_IDS;
    while (m > 1 && used + quic_ids_bytes(m) > share)
        m--;
    *slots = n;
    *ids = m;
}

/* The count caps of detection's stores within their shares. */
static void cap_detect(struct sensor *s)
{
    struct detect_config *dc = &s->cfg.detect;
    dc->src.max_sources = memcap_objects(s->mc, MEMCAP_SOURCES,
                                         source_bytes_per_source(&dc->src), dc->src.max_sources);
    /* A cluster table for each window a cluster rule uses, a sixteenth of
     * that for synchronous groups, and the synchrony table: budgeted as
     * one table a window, each cluster at its largest. */
    size_t per = cluster_bytes_per_cluster() * (dc->src.n_windows ? dc->src.n_windows : 1);
    dc->max_clusters = memcap_objects(s->mc, MEMCAP_CLUSTERS, per + per / 16, dc->max_clusters);
}

/* The pools of the flow path, each at min(its count cap, its share). */
static void make_pools(struct sensor *s, const struct sensor_config *cfg)
{
    struct flow_config fc;
    flow_config_default(&fc);
    /* A flow and its hash buckets (up to two a flow: a power of two). */
    fc.max_flows = memcap_objects(s->mc, MEMCAP_FLOWS, flow_table_bytes_per_flow(),
                                  cfg->max_flows);
    fc.seed = cfg->detect.seeds.flow;
    fc.vlan_key = cfg->vlan_key;
    fc.memcap = s->mc;
    s->flows = flow_table_new(&fc, on_flow_end, s);
    s->cls = classify_new(fc.max_flows, s->mc);
    s->hello_pool = tls_asm_pool_new(
        (unsigned)memcap_objects(s->mc, MEMCAP_HELLO_BUFFERS, tls_asm_buffer_bytes(),
                                 HELLO_BUFFERS), s->mc);
    /* Most TLS flows are not AI flows: their JA4 would be computed for nothing. */
    tls_asm_pool_lazy_ja4(s->hello_pool, !cfg->all_tls);
    /* Unrounded: a sizeof is a multiple of its alignment already. */
    ipool_init(&s->app_pool, sizeof(struct flow_app), _Alignof(struct flow_app),
               memcap_objects(s->mc, MEMCAP_FLOW_APP, sizeof(struct flow_app), fc.max_flows),
               APP_SLAB_SHIFT);
    DS_ASSERT(s->app_pool.size == sizeof(struct flow_app));   /* app_at's constant */
    s->quic = quic_initial_new();
    size_t slots, ids;
    quic_pool_caps(s->mc, &slots, &ids);
    ipool_init(&s->quic_slots, sizeof(struct quic_slot), _Alignof(struct quic_slot), slots,
               QUIC_SLOTS_SHIFT);
    ipool_init(&s->quic_ids, sizeof(struct quic_server_id), _Alignof(struct quic_server_id), ids,
               QUIC_IDS_SHIFT);
}

int sensor_new(const struct sensor_config *cfg, struct sink *sink, struct sensor **sp)
{
    struct catalog *cat = NULL;
    if (load_catalog(cfg->rules_dir, cfg->detect.seeds.catalog, &cat) != 0)
        return -1;
    struct sensor *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->mc = memcap_new(cfg->memcap ? cfg->memcap : MEMCAP_DEFAULT);
    cap_detect(s);
    ds_strlcpy(s->rules_dir, cfg->rules_dir, sizeof(s->rules_dir));
    s->cfg.rules_dir = s->rules_dir;
    s->cfg.detect.rules_dir = s->rules_dir;
    s->cfg.host = NULL;          /* eve_new copies it */
    s->sink = sink;
    adopt_catalog(s, cat);
    flow_app_shared_init(&s->shared, cfg->max_flows, memcap_share(s->mc, MEMCAP_STRINGS),
                         memcap_share(s->mc, MEMCAP_TURN_POOL), cfg->detect.seeds.intern);
    s->cfg.detect.facts = s->shared.facts;
    struct detect_sink ds = { on_alert, on_cluster_update, on_source, s };
    if (detect_new(&s->cfg.detect, &ds, &s->detect) != 0) {
        flow_app_shared_free(&s->shared);
        catalog_free(s->cat);
        free(s->ai_by_provider);
        free(s->ech_by_provider);
        memcap_free(s->mc);
        free(s);
        return -1;
    }
    s->eve = eve_new(sink, cfg->host);
    eve_set_community_id_seed(s->eve, cfg->community_id_seed);
    make_pools(s, cfg);
    classify_set_facts(s->cls, s->shared.facts);
    *sp = s;
    return 0;
}

void sensor_free(struct sensor *s)
{
    if (s == NULL)
        return;
    flow_table_free(s->flows); /* ends leftover flows through on_flow_end */
    classify_free(s->cls);
    tls_asm_pool_free(s->hello_pool);
    ipool_free(&s->app_pool);
    flow_app_shared_free(&s->shared);
    quic_initial_free(s->quic);
    ipool_free(&s->quic_slots);
    ipool_free(&s->quic_ids);
    catalog_free(s->cat);
    free(s->ai_by_provider);
    free(s->ech_by_provider);
    detect_free(s->detect);
    eve_free(s->eve);
    memcap_free(s->mc);
    free(s);
}

/* Sources, clusters and thresholds all come from flows given to detection:
 * a detection never given one holds nothing but its clock, which a clock
 * reset to 0 puts back as detect_new left it. One that was is rebuilt. */
static int reset_detect(struct sensor *s)
{
    if (!s->detect_used) {
        detect_clock_reset(s->detect, 0);
        return 0;
    }
    struct detect *d = NULL;
    struct detect_sink ds = { on_alert, on_cluster_update, on_source, s };
    if (detect_new(&s->cfg.detect, &ds, &d) != 0)
        return -1;
    detect_finish(s->detect);
    detect_free(s->detect);
    s->detect = d;
    s->detect_used = false;
    return 0;
}

int sensor_reset(struct sensor *s)
{
    flow_flush(s->flows);
    if (classify_reset(s->cls) != 0)
        log_error("nDPI could not be started again: flows go on without JA3");
    if (reset_detect(s) != 0)
        return -1;
    s->first_ts = s->now = s->next_tick = s->next_stats = 0;
    s->clock_resets = 0;
    s->dec = (struct decode_stats){ 0 };
    s->n = (struct sensor_counters){ 0 };
    memset(s->ai_by_provider, 0, s->nproviders * sizeof(*s->ai_by_provider));
    memset(s->ech_by_provider, 0, s->nproviders * sizeof(*s->ech_by_provider));
    return 0;
}

void sensor_set_capture(struct sensor *s, struct capture *c)
{
    s->cap = c;
}

int sensor_reload(struct sensor *s)
{
    struct catalog *cat = NULL;
    s->n.reloads++;
    if (load_catalog(s->rules_dir, s->cfg.detect.seeds.catalog, &cat) != 0) {
        log_error("rules reload failed: keeping the rules in use");
        s->n.reload_failures++;
        return -1;
    }
    if (detect_reload(s->detect) != 0) {
        catalog_free(cat);
        s->n.reload_failures++;
        return -1;
    }
    adopt_catalog(s, cat);
    /* Flows keep the catalogue index they were matched with; it may now
     * name another entry, so names are resolved at flow end defensively. */
    log_info("rules reloaded from %s", s->rules_dir);
    return 0;
}

int sensor_check_rules(const struct sensor_config *cfg)
{
    struct catalog *cat = NULL;
    int rc = load_catalog(cfg->rules_dir, cfg->detect.seeds.catalog, &cat);
    struct detect *d = NULL;
    struct detect_config dc = cfg->detect;
    dc.rules_dir = cfg->rules_dir;
    if (detect_new(&dc, NULL, &d) != 0)
        rc = -1;
    detect_free(d);
    catalog_free(cat);
    return rc;
}

static const struct catalog_entry *flow_service(struct sensor *s, const struct flow *f)
{
    if (f->service >= 0 && (size_t)f->service < catalog_count(s->cat))
        return catalog_entry(s->cat, f->service);
    return NULL;
}

/* The app state of handle h (not 0) in s->app_pool, whose objects are
 * unrounded (make_pools): constants, as the flow table resolves flows. */
static struct flow_app *app_at(const struct sensor *s, uint32_t h)
{
    return ipool_at_fixed(&s->app_pool, h, sizeof(struct flow_app), APP_SLAB_SHIFT);
}

/* Flow f's app state, NULL if it has none (f->app is its handle). */
static struct flow_app *flow_app_of(const struct sensor *s, const struct flow *f)
{
    return f->app != 0 ? app_at(s, f->app) : NULL;
}

/* A completed turn of flow `owner` (the exchange's turn_sink): counted, and
 * an AI flow's goes to detection. */
static void on_turn(void *ctx, void *owner, const struct turn *t)
{
    struct sensor *s = ctx;
    const struct flow *f = owner;
    const struct flow_app *app = flow_app_of(s, f);
    s->n.turns++;
    if (f->service >= 0 && app && (f->flags & FLOW_F_SOURCE))
        detect_turn(s->detect, f, app, flow_service(s, f), t, s->now);
}

/* QUIC flow f's reassembly slot, NULL if it has none. */
static struct quic_slot *quic_slot(const struct sensor *s, const struct flow *f)
{
    const struct flow_app *app = flow_app_of(s, f);
    if (app == NULL || app->quic == 0 || (f->flags & FLOW_F_QUIC_READ))
        return NULL;
    return ipool_at(&s->quic_slots, app->quic);
}

/* The hello reassembly state of QUIC flow f, NULL if it has none. */
static struct quic_initial_flow *quic_state(const struct sensor *s, const struct flow *f)
{
    struct quic_slot *slot = quic_slot(s, f);
    return slot ? &slot->st : NULL;
}

static struct quic_slot *quic_slot_of(struct quic_initial_flow *st)
{
    return DS_CONTAINER_OF(st, struct quic_slot, st);
}

/* Gives back QUIC flow f's server id (its JA3S read, given up, or the flow
 * ended). FLOW_F_QUIC_READ stays: the hello was read. */
static void quic_server_release(struct sensor *s, const struct flow *f)
{
    struct flow_app *app = flow_app_of(s, f);
    if (app == NULL || !(f->flags & FLOW_F_QUIC_READ) || app->quic == 0)
        return;
    ipool_put(&s->quic_ids, app->quic);
    app->quic = 0;
}

/* Gives back QUIC flow f's hello slot. */
static void quic_release(struct sensor *s, const struct flow *f)
{
    struct quic_slot *slot = quic_slot(s, f);
    if (slot == NULL)
        return;
    struct flow_app *app = flow_app_of(s, f);
    ds_list_unlink(&s->quic_held, &slot->held);
    ipool_put(&s->quic_slots, app->quic);
    app->quic = 0;
    s->quic_in_use--;
}

/* QUIC flow f's hello was read from slot st: the slot (16 KiB) is traded
 * for a server id, what opens the server's Initials until its ServerHello
 * is read (JA3S). With none free (counted) the flow keeps its slot until it
 * is decided, as before server ids, and gets no JA3S. */
static void quic_hello_read(struct sensor *s, struct flow *f, const struct quic_initial_flow *st)
{
    uint32_t h = ipool_get_dirty(&s->quic_ids);
    if (h == 0) {
        s->n.quic_server_shed++;
        return;
    }
    struct quic_server_id *id = ipool_at(&s->quic_ids, h);
    quic_initial_server_id(st, id);
    if (id->version == 0) {
        ipool_put(&s->quic_ids, h);
        return;
    }
    quic_release(s, f);
    struct flow_app *app = flow_app_of(s, f);
    app->quic = h;
    f->flags |= FLOW_F_QUIC_READ;
}

static void release_flow_state(struct sensor *s, struct flow *f)
{
    if (f->flags & FLOW_F_QUIC) {
        quic_release(s, f);
        quic_server_release(s, f);
    }
    tls_asm_release(s->hello_pool, flow_hello_slot(f));
    if (f->cls)
        classify_end(s->cls, f, NULL); /* the app state goes too: nothing to keep */
    if (f->app == 0)
        return;
    flow_app_release(app_at(s, f->app), &s->shared);
    ipool_put(&s->app_pool, f->app);
    flow_app_detach(f);
    f->flags &= (uint16_t)~(FLOW_F_SOURCE | FLOW_F_PROFILE);   /* ended with the app state */
    if (memcap_emergency(s->mc))
        memcap_fill(s->mc, MEMCAP_FLOW_APP, s->app_pool.in_use, s->app_pool.cap);
}

/* App state for flow f, zeroed, by its handle: from the pool, or at its
 * cap (emergency) the state of the least useful idle flow that holds one,
 * which ends (evicted). 0 (counted) if there is none to take. */
static uint32_t take_app(struct sensor *s, const struct flow *f)
{
    uint32_t app = ipool_get(&s->app_pool);
    if (app == 0) {
        memcap_fill(s->mc, MEMCAP_FLOW_APP, s->app_pool.in_use, s->app_pool.cap);
        if (flow_evict_app(s->flows, f) == 0)
            app = ipool_get(&s->app_pool);
    }
    if (app == 0)
        s->n.app_exhausted++;
    return app;
}

static void on_flow_end(void *ctx, struct flow *f)
{
    struct sensor *s = ctx;
    /* A short QUIC flow may end before its SNI or nDPI's verdict was in:
     * decide with what is known. */
    if (f->app && (f->flags & FLOW_F_QUIC) && !(f->flags & FLOW_F_HELLO_DONE))
        decide_quic(s, f, NULL);
    struct flow_app *app = flow_app_of(s, f); /* decide_quic may have released it */
    if (app && (f->flags & FLOW_F_FOLLOW)) {
        if (f->cls)
            classify_end(s->cls, f, &app->tls);
        const struct turn_sink to = { on_turn, s, f, s->shared.turns };
        exchange_finish(&app->ex, &to);
        event_flow(s->eve, f, app, flow_service(s, f), s->shared.facts, s->shared.turns);
        /* It ends on what its start was filed in (nothing without the bits). */
        detect_flow_end(s->detect, f, app, f->flags & (FLOW_F_SOURCE | FLOW_F_PROFILE),
                        f->last_us);
    }
    release_flow_state(s, f);
}

/* Gives a flow app state and starts following it. 0, or -1 at the cap. */
static int follow(struct sensor *s, struct flow *f)
{
    if (f->app == 0) {
        uint32_t app = take_app(s, f);
        if (app == 0)
            return -1;
        exchange_init(&app_at(s, app)->ex);
        flow_app_attach(f, app);
    }
    f->flags |= FLOW_F_FOLLOW;
    s->n.followed_flows++;
    if (f->service >= 0) {
        s->n.ai_flows++;
        int pi = catalog_provider_index(s->cat, f->service);
        if (pi >= 0 && (size_t)pi < s->nproviders)
            s->ai_by_provider[pi]++;
    }
    return 0;
}

/* Once the handshake facts are in: an AI flow becomes a connection of its source. */
static void start_source(struct sensor *s, struct flow *f)
{
    struct flow_app *app = flow_app_of(s, f);
    if (f->service >= 0 && app) {
        unsigned started = detect_flow_start(s->detect, f, app, flow_service(s, f), s->now);
        f->flags = (uint16_t)((f->flags & ~(FLOW_F_SOURCE | FLOW_F_PROFILE)) | started);
        s->detect_used = true;
    }
}

static void ignore(struct sensor *s, struct flow *f)
{
    release_flow_state(s, f);
    f->flags |= FLOW_F_IGNORE;
}

/* A followed AI flow whose hello carried ECH, by provider. */
static void count_ech_flow(struct sensor *s, const struct flow *f, uint8_t ech)
{
    if (f->service < 0 || (ech != TLS_ECH_GREASE && ech != TLS_ECH_REAL))
        return;
    int pi = catalog_provider_index(s->cat, f->service);
    if (pi >= 0 && (size_t)pi < s->nproviders)
        s->ech_by_provider[pi]++;
}

static void decide_tcp_hello(struct sensor *s, struct flow *f, const struct packet *p,
                             struct tls_hello *h, const uint8_t *raw, size_t raw_len)
{
    f->flags |= FLOW_F_TLS | FLOW_F_HELLO_DONE;
    s->n.tls_flows++;
    s->n.ech[h->ech]++;
    /* A real ECH hello's service name is hidden (h->sni is ""): the
     * catalogue's address ranges decide, as for a hello without SNI. */
    f->service = flow_service_index(h->sni[0] ? catalog_match_host(s->cat, h->sni) : -1);
    if (f->service < 0)
        f->service = flow_service_index(catalog_match_addr(s->cat, &f->srv));
    if (f->service < 0 && !s->cfg.all_tls) {
        ignore(s, f);
        return;
    }
    if (follow(s, f) != 0) {
        ignore(s, f);
        return;
    }
    count_ech_flow(s, f, h->ech);
    struct flow_app *app = flow_app_of(s, f);
    struct intern *strs = s->shared.strings;
    struct flow_tls t; /* the hello's facts, one change of the flow's set */
    tls_facts_edit(s->shared.facts, app->tls, &t);
    flow_tls_set_str(&t, strs, FLOW_TLS_SNI, h->sni, TLS_SNI_MAX - 1);
    t.ech = h->ech;
    t.ech_public = h->ech_public;
    flow_tls_set(&t, strs, FLOW_TLS_ALPN, h->alpn_wire, h->alpn_wire_len);
    t.hello_version = h->version;
    if (h->ja4[0] == '\0')
        tls_asm_ja4(s->hello_pool, h);
    flow_tls_set_str(&t, strs, FLOW_TLS_JA4, h->ja4, TLS_JA4_LEN - 1);
    tls_facts_commit(s->shared.facts, &app->tls, &t);
    start_source(s, f);
    /* Where the hello's records sit in sequence space: they need not end at
     * this segment's end (a late earlier segment, records after the hello). */
    uint32_t first_seq =
        tls_asm_raw_seq(s->hello_pool, flow_hello_buffer(f), p->seq, p->payload, raw);
    classify_begin_tcp_hello(s->cls, f, p, raw, raw_len, first_seq, &app->tls);
    /* Turns follow from the bytes after the hello. */
    exchange_tcp_at(&app->ex, FLOW_TOSERVER, first_seq + (uint32_t)raw_len);
    exchange_hello(&app->ex, p->ts_us, h->alpn_wire, h->alpn_wire_len);
    tls_asm_release(s->hello_pool, flow_hello_slot(f));
}

/* Feeds the client's first data segments to the ClientHello assembler. It
 * also steps over a proxy preamble (HTTP CONNECT, SOCKS), which is how clients
 * reach AI APIs through forward proxies, so the proxy's answer is allowed. */
static void look_for_hello(struct sensor *s, struct flow *f, enum flow_dir dir,
                           const struct packet *p)
{
    if (p->payload_len == 0)
        return;
    if (dir == FLOW_TOCLIENT) {
        /* The server spoke before the client: not a TLS client stream. */
        if (f->hello_tries == 0)
            ignore(s, f);
        return;
    }
    if (flow_hello_try(f) > HELLO_MAX_CLIENT_PKTS) {
        ignore(s, f);
        return;
    }
    struct tls_hello h;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    uint32_t isn1 = flow_hello_open(f);
    enum tls_feed r = tls_asm_feed(s->hello_pool, &f->hello.slot,
                                   (f->flags & FLOW_F_SYN_SEEN) != 0, isn1, p->seq, p->payload,
                                   p->payload_len, &h, &raw, &raw_len);
    flow_hello_close(f, isn1);
    log_debug("flow %llu: hello segment %u: %d", (unsigned long long)f->id, f->hello_tries,
              (int)r);
    if (r == TLS_FEED_DONE) {
        decide_tcp_hello(s, f, p, &h, raw, raw_len);
    } else if (r != TLS_FEED_MORE) {
        if (r == TLS_FEED_BAD)
            s->n.hello_bad++;
        ignore(s, f); /* TLS_FEED_RECLAIMED: counted in the memcap */
    }
}

static void handle_tcp(struct sensor *s, struct flow *f, enum flow_dir dir, const struct packet *p)
{
    if (!(f->flags & FLOW_F_HELLO_DONE)) {
        look_for_hello(s, f, dir, p);
        return;
    }
    if (!(f->flags & FLOW_F_FOLLOW))
        return;
    struct flow_app *app = flow_app_of(s, f);
    const struct turn_sink to = { on_turn, s, f, s->shared.turns };
    if (p->payload_len > 0)
        exchange_tcp(&app->ex, (int)dir, p->ts_us, p->seq, p->payload, p->payload_len, &to);
    if (f->cls)
        classify_packet(s->cls, f, p, &app->tls);
}

/* What a flow's first client datagram says. INITIAL: a QUIC long-header
 * packet with the fixed bit, not a version negotiation, in a datagram padded
 * as a client's Initial must be (RFC 9000 14.1): worth handing to nDPI.
 * EARLY: a 0-RTT packet of a known version ahead of its Initial (reordered
 * on the way, as in nDPI's quic_0RTT.pcap): the flow waits for the Initial,
 * QUIC_EARLY_MAX such packets at most (counted in hello_tries, which a UDP
 * flow does not otherwise use). */
#define QUIC_EARLY_MAX 4
_Static_assert(QUIC_EARLY_MAX < FLOW_HELLO_TRIES_MAX, "hello_tries would stick first");

enum quic_first { QUIC_FIRST_OTHER, QUIC_FIRST_INITIAL, QUIC_FIRST_EARLY };

static enum quic_first quic_first_packet(const struct packet *p)
{
    if (p->payload_len < 7)
        return QUIC_FIRST_OTHER;
    struct rd r = rd_init(p->payload, p->payload_len);
    struct quic_header h;
    if (quic_header_read_version(&r, &h) != QUIC_HDR_LONG || !h.fixed_bit ||
        h.version == QUIC_VERSION_NEGOTIATION)
        return QUIC_FIRST_OTHER;
    if (p->payload_wire >= 1200)
        return QUIC_FIRST_INITIAL;
    if (quic_version_known(h.version) && h.type == QUIC_PT_0RTT)
        return QUIC_FIRST_EARLY;
    return QUIC_FIRST_OTHER;
}

/* Decides QUIC flow f: followed if its name (or else its server's address)
 * is in the catalogue. h is the hello our parser read from the datagram at
 * hand, or NULL: then what the flow's fact set holds. The hello's own name
 * comes first, as a TCP flow's does: the fact set may have been refused
 * its name (the string or fact-set table full, which a flood of names can
 * do), and an AI host must not then be left to the address ranges. */
static void decide_quic(struct sensor *s, struct flow *f, const struct tls_hello *h)
{
    const struct flow_app *app = flow_app_of(s, f);
    const struct flow_tls *t = tls_facts_get(s->shared.facts, app->tls);
    uint8_t ech = h ? h->ech : t->ech; /* t is not read past ignore() and follow() */
    f->flags |= FLOW_F_HELLO_DONE;
    quic_release(s, f);
    s->n.ech[ech < TLS_ECH_BAD ? ech : TLS_ECH_BAD]++;
    /* A real ECH hello leaves the SNI unknown (and nDPI is kept from filling
     * in the outer name): the address ranges decide, as they do when
     * neither the hello nor the fact set names a host. */
    const char *sni = h && h->sni[0] ? h->sni
                                     : flow_tls_str(t, s->shared.strings, FLOW_TLS_SNI, NULL);
    f->service = flow_service_index(sni[0] ? catalog_match_host(s->cat, sni) : -1);
    if (f->service < 0)
        f->service = flow_service_index(catalog_match_addr(s->cat, &f->srv));
    if (f->service < 0 && !s->cfg.all_tls) {
        ignore(s, f);
        return;
    }
    /* app was taken when nDPI started; follow() counts it. */
    if (follow(s, f) != 0)
        return;
    count_ech_flow(s, f, ech);
    start_source(s, f);
}

/* Every slot is held: the one whose last Initial is oldest is taken back if
 * that was over QUIC_REASM_STALE_US ago (or before the clock stepped back).
 * Its flow is decided with what is known, as one that ends before its
 * hello is whole: a fresh slot could not complete its hello either, since
 * the CRYPTO bytes it had are not sent again. True if a slot came free. */
static bool quic_reclaim(struct sensor *s)
{
    if (ds_list_empty(&s->quic_held))
        return false;
    struct quic_slot *old = DS_LIST_ENTRY(s->quic_held.head, struct quic_slot, held);
    if (s->now >= old->last_us && s->now - old->last_us <= QUIC_REASM_STALE_US)
        return false;
    decide_quic(s, old->owner, NULL);   /* gives the slot back */
    s->n.quic_reclaimed++;
    return true;
}

/* Takes a reassembly slot for QUIC flow f; NULL at the cap when no held
 * slot is stale. A flow refused is counted once, however many of its
 * datagrams ask again before it is decided. */
static struct quic_initial_flow *quic_take(struct sensor *s, struct flow *f)
{
    if (s->quic == NULL)
        return NULL;
    struct flow_app *app = flow_app_of(s, f);
    uint32_t h = ipool_get_dirty(&s->quic_slots);
    if (h == 0 && quic_reclaim(s))
        h = ipool_get_dirty(&s->quic_slots);
    if (h == 0) {   /* every one of the QUIC_REASM_FLOWS slots is held */
        if (!(f->flags & FLOW_F_QUIC_SHED))
            s->n.quic_shed++;
        f->flags |= FLOW_F_QUIC_SHED;
        return NULL;
    }
    struct quic_slot *slot = ipool_at(&s->quic_slots, h);
    quic_initial_flow_init(&slot->st);
    slot->owner = f;
    slot->last_us = s->now;
    ds_list_push_tail(&s->quic_held, &slot->held);
    app->quic = h;
    s->quic_in_use++;
    return &slot->st;
}

/* The flow's slot goes to the tail of the held list when a datagram opened
 * a further Initial of its own: its hello is still on its way. */
static void quic_touch(struct sensor *s, struct quic_initial_flow *st, uint16_t packets_before)
{
    if (st->packets == packets_before)
        return;
    struct quic_slot *slot = quic_slot_of(st);
    slot->last_us = s->now;
    ds_list_move_to_tail(&s->quic_held, &slot->held);
}

/* Our own parser over a client datagram of an undecided QUIC flow: the
 * hello's SNI, ALPN, version, JA4 and JA3 go into the flow's TLS facts
 * before nDPI's (classify fills only what is still empty). A flow none of whose
 * Initials has opened yet gives its slot back at once: anyone can open a
 * real client's Initial, so one that does not open is noise (a flood of
 * random DCIDs), which must not hold the slots that real flows need. So
 * does a flow whose hello the parser gave up on (its CRYPTO stream is no
 * ClientHello, or too many Initials without one), and it takes no slot
 * again: anyone can also seal an Initial that opens. True when this
 * datagram completed the hello, which is then in *h (for decide_quic). */
static bool read_quic_hello(struct sensor *s, struct flow *f, const struct packet *p,
                            struct tls_hello *h)
{
    if (f->flags & (FLOW_F_QUIC_READ | FLOW_F_QUIC_FAILED))
        return false;
    struct quic_initial_flow *st = quic_state(s, f);
    if (st == NULL)
        st = quic_take(s, f);
    if (st == NULL)
        return false;
    uint16_t before = st->packets;
    enum quic_initial_res res = quic_initial_datagram(s->quic, st, p->payload, p->payload_len, h);
    if (res == QUIC_INITIAL_MORE && st->packets == 0)
        quic_release(s, f);
    else if (res == QUIC_INITIAL_MORE)
        quic_touch(s, st, before);
    if (res == QUIC_INITIAL_FAIL || res == QUIC_INITIAL_IGNORED) {
        quic_release(s, f);   /* no hello will come: the slot goes to another flow */
        f->flags |= FLOW_F_QUIC_FAILED;
    }
    if (res != QUIC_INITIAL_HELLO)
        return false;
    struct flow_app *app = flow_app_of(s, f);
    struct intern *strs = s->shared.strings;
    struct flow_tls t; /* the hello's facts, one change of the flow's set */
    tls_facts_edit(s->shared.facts, app->tls, &t);
    if (h->sni[0])
        flow_tls_set_str(&t, strs, FLOW_TLS_SNI, h->sni, TLS_SNI_MAX - 1);
    t.ech = h->ech;
    t.ech_public = h->ech_public;
    flow_tls_set(&t, strs, FLOW_TLS_ALPN, h->alpn_wire, h->alpn_wire_len);
    t.hello_version = h->version;
    flow_tls_set_str(&t, strs, FLOW_TLS_JA4, h->ja4, TLS_JA4_LEN - 1);
    /* Ours over nDPI's, which may have come from an earlier Initial: nDPI
     * 4.2 reads no v2 hello and no hello split out of order. */
    flow_tls_set_str(&t, strs, FLOW_TLS_JA3, h->ja3, TLS_JA3_LEN - 1);
    tls_facts_commit(s->shared.facts, &app->tls, &t);
    quic_hello_read(s, f, st);
    return true;
}

/* The server's first datagrams of a QUIC flow whose hello we read: the
 * ServerHello in its Initial, for JA3S (nDPI 4.2 gives none for QUIC).
 * QUIC_SERVER_TRIES datagrams at most (the ServerHello is in the first
 * Initial the server sends; an ACK-only one or a Retry may come before). */
#define QUIC_SERVER_TRIES 4

static void read_quic_server(struct sensor *s, struct flow *f, const struct packet *p)
{
    struct flow_app *app = flow_app_of(s, f);
    if (app == NULL || !(f->flags & FLOW_F_QUIC_READ) || app->quic == 0 || s->quic == NULL)
        return;
    struct quic_server_id *id = ipool_at(&s->quic_ids, app->quic);
    char ja3s[TLS_JA3_LEN];
    enum quic_server_res res = quic_initial_server_ja3s(s->quic, id, p->payload, p->payload_len,
                                                        ja3s);
    if (res == QUIC_SERVER_JA3S)
        tls_facts_set_str(s->shared.facts, &app->tls, FLOW_TLS_JA3S, ja3s, TLS_JA3_LEN - 1);
    if (res != QUIC_SERVER_MORE || ++id->tries >= QUIC_SERVER_TRIES)
        quic_server_release(s, f);
}

static void handle_udp(struct sensor *s, struct flow *f, enum flow_dir dir, const struct packet *p)
{
    if (f->app == 0) {
        enum quic_first first = dir == FLOW_TOSERVER ? quic_first_packet(p) : QUIC_FIRST_OTHER;
        if (first == QUIC_FIRST_EARLY && flow_hello_try(f) <= QUIC_EARLY_MAX)
            return;
        if (first != QUIC_FIRST_INITIAL) {
            ignore(s, f);
            return;
        }
        uint32_t app = take_app(s, f);
        if (app == 0) {
            ignore(s, f);
            return;
        }
        exchange_init(&app_at(s, app)->ex);
        flow_app_attach(f, app);
        f->flags |= FLOW_F_QUIC;
        s->n.quic_flows++;
        /* Without nDPI state (its memcap share is full) our own parser
         * alone reads the hello. */
        if (classify_begin(s->cls, f) != 0)
            f->flags |= FLOW_F_CLASSIFIED;
    }
    struct flow_app *app = flow_app_of(s, f);
    struct tls_hello h;
    bool read = false;
    if (!(f->flags & FLOW_F_HELLO_DONE) && dir == FLOW_TOSERVER)
        read = read_quic_hello(s, f, p, &h);
    else if (dir == FLOW_TOCLIENT)
        read_quic_server(s, f, p);
    if (f->cls)
        classify_packet(s->cls, f, p, &app->tls);
    /* nDPI's verdict does not cut short a hello our parser is still
     * reassembling (a v2 hello over two Initials, which nDPI 4.2 gives up on). */
    bool reassembling = quic_state(s, f) != NULL || (f->flags & FLOW_F_QUIC_READ);
    const struct flow_tls *t = tls_facts_get(s->shared.facts, app->tls);
    /* A hello just read decides on its own name even when the fact set
     * could not take it (its tables full). */
    bool named = read && (h.sni[0] || h.ech == TLS_ECH_REAL);
    if (!(f->flags & FLOW_F_HELLO_DONE) &&
        (named || flow_tls_has(t, FLOW_TLS_SNI) || t->ech == TLS_ECH_REAL ||
         ((f->flags & FLOW_F_CLASSIFIED) && !reassembling) ||
         (uint64_t)f->pkts[0] + f->pkts[1] > 8))
        decide_quic(s, f, read ? &h : NULL);
    app = flow_app_of(s, f); /* decide_quic may have released it */
    const struct turn_sink to = { on_turn, s, f, s->shared.turns };
    if (app && (f->flags & FLOW_F_FOLLOW))
        exchange_udp(&app->ex, (int)dir, p->ts_us, p->payload, p->payload_len, &to);
}

/* The stats event's counters, from each module's own writer. Its keys keep
 * the order they have always had; a key takes its place where it is first
 * named, so the order of the calls below is the order of the event:
 *
 *   stats.uptime                                  the sensor
 *   stats.capture (live only)                     capture
 *   stats.decoder, sensor.decode_errors           decode
 *   sensor.flows, .ai_flows_by_provider, .turns,  named by the sensor, because
 *     .ndpi, .memory                              memory (after ndpi) gathers
 *                                                 figures from the flow table,
 *                                                 the sensor and nDPI
 *   stats.flow, sensor.flows (the table's part),  the flow table
 *     memory.flows
 *   sensor.flows (tls .. ai), sensor.quic,        the sensor
 *     sensor.ech, sensor.clock, memory.flow_app,
 *     memory.hello_buffers
 *   sensor.ndpi, memory.ndpi_state                classify
 *   sensor.sources, memory.sources, sensor.detect detect (source table, rules,
 *     (rules .. geo_errors), memory.clusters      its own, clusters, geo)
 *   sensor.output                                 the sink
 *   sensor.memcap                                 the memcap (last: its "used"
 *                                                 sums sensor.memory)
 */
/* sensor.ech: decided TLS/QUIC flows whose hello carried ECH, by kind
 * (malformed: the extension was there but not a well-formed outer
 * ECHClientHello), and the followed AI flows among them by provider. */
static void ech_stats_write(const struct sensor *s, struct stats_node *me)
{
    struct stats_node *ech = stats_child(me, "ech");
    stats_u64(ech, "grease", s->n.ech[TLS_ECH_GREASE]);
    stats_u64(ech, "real", s->n.ech[TLS_ECH_REAL]);
    stats_u64(ech, "malformed", s->n.ech[TLS_ECH_BAD]);
    struct stats_node *byp = stats_child(ech, "ai_flows_by_provider");
    for (size_t i = 0; i < s->nproviders; i++)
        stats_u64(byp, s->provider_names[i], s->ech_by_provider[i]);
}

void sensor_stats_write(const struct sensor *s, struct stats_node *root)
{
    stats_u64(stats_child(root, "stats"), "uptime",
              s->now > s->first_ts ? ds_us_to_s(s->now - s->first_ts) : 0);
    if (s->cap)
        capture_stats_write(s->cap, root);
    decode_stats_write(&s->dec, root);
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *flows = stats_child(me, "flows");
    struct stats_node *byp = stats_child(me, "ai_flows_by_provider");
    for (size_t i = 0; i < s->nproviders; i++)
        stats_u64(byp, s->provider_names[i], s->ai_by_provider[i]);
    stats_u64(me, "turns", s->n.turns);
    stats_child(me, "ndpi");
    struct stats_node *mem = stats_child(me, "memory");

    flow_table_stats_write(s->flows, root);
    stats_u64(flows, "tls", s->n.tls_flows);
    stats_u64(flows, "quic", s->n.quic_flows);
    stats_u64(flows, "followed", s->n.followed_flows);
    stats_u64(flows, "follow_refused", s->n.app_exhausted);
    stats_u64(flows, "hello_invalid", s->n.hello_bad);
    stats_u64(flows, "ai", s->n.ai_flows);
    struct stats_node *quic = stats_child(me, "quic");
    stats_u64(quic, "reassembling", s->quic_in_use);
    stats_u64(quic, "shed", s->n.quic_shed);
    stats_u64(quic, "reclaimed", s->n.quic_reclaimed);
    stats_u64(quic, "server_shed", s->n.quic_server_shed);
    ech_stats_write(s, me);
    struct stats_node *clock = stats_child(me, "clock");
    stats_u64(clock, "packets_back", s->n.clock_back);
    stats_u64(clock, "resets", s->clock_resets);
    stats_u64(mem, "flow_app", s->app_pool.bytes);
    stats_u64(mem, "hello_buffers", tls_asm_pool_bytes(s->hello_pool));
    stats_u64(mem, "quic_reasm", s->quic_slots.bytes + s->quic_ids.bytes);
    flow_app_stats_write(&s->shared, root);
    classify_stats_write(s->cls, root);
    detect_stats_write(s->detect, root);
    sink_stats_write(s->sink, root);
    memcap_stats_write(s->mc, root);
}

/* What only the metrics carry, added to a stats tree after its event was
 * written (the stats event stays as it was): sensor.rules {reloads,
 * reload_failures}, alerts by signature, the one file output's figures. */
static void metrics_write(const struct sensor *s, struct stats_node *root)
{
    struct stats_node *r = stats_child(stats_child(root, "sensor"), "rules");
    stats_u64(r, "reloads", s->n.reloads);
    stats_u64(r, "reload_failures", s->n.reload_failures);
    detect_metrics_write(s->detect, root);
    sink_metrics_write(s->sink, root);
}

static void publish_metrics(struct sensor *s, struct stats_node *root)
{
    metrics_write(s, root);
    metrics_publish(s->metrics, root);
}

static void emit_stats(struct sensor *s)
{
    struct stats_node *root = stats_new();
    sensor_stats_write(s, root);
    event_stats(s->eve, s->now, root);
    if (s->metrics)
        publish_metrics(s, root);
    stats_free(root);
}

/* A scrape asked for fresher metrics than the last stats event's. */
static void refresh_metrics(struct sensor *s)
{
    struct stats_node *root = stats_new();
    sensor_stats_write(s, root);
    publish_metrics(s, root);
    stats_free(root);
}

void sensor_set_metrics(struct sensor *s, struct metrics *m)
{
    s->metrics = m;
    if (m)
        refresh_metrics(s);
}

/* Starts the clock at ts_us: the first packet, a tick before any packet,
 * or a packet far older than the clock (another capture: see advance_clock). */
static void start_clock(struct sensor *s, uint64_t ts_us)
{
    s->first_ts = ts_us;
    s->now = ts_us;
    s->next_tick = 0;
    s->next_stats = s->cfg.stats_interval_s ? ts_us + ds_s_to_us(s->cfg.stats_interval_s) : 0;
}

/* Moves the clock to packet time ts_us. Packet time only moves forward:
 * reordered packets must not make timeouts run backwards. A large step back
 * is another capture (the next file of a -r list, recorded earlier): the
 * flows of the old clock end now, or every new flow would look idle since
 * the old clock's "now". */
static void advance_clock(struct sensor *s, uint64_t ts_us)
{
    if (s->first_ts == 0) {
        start_clock(s, ts_us);
    } else if (ts_us + CLOCK_STEP_BACK_US < s->now) {
        log_info("packet time went back %llu s: ending the flows of the earlier clock",
                 (unsigned long long)ds_us_to_s(s->now - ts_us));
        flow_flush(s->flows);
        detect_clock_reset(s->detect, ts_us);
        s->clock_resets++;
        start_clock(s, ts_us);
    } else if (ts_us < s->now) {
        s->n.clock_back++;
    }
    if (ts_us > s->now)
        s->now = ts_us;
}

/* What the clock drives: idle flows end (at most max_expire of them),
 * detection's once-a-second tick, the stats event every --stats-interval;
 * and the metrics when a scrape asks (one atomic load when none does). */
static void housekeeping(struct sensor *s, unsigned max_expire)
{
    if (metrics_wanted(s->metrics))
        refresh_metrics(s);
    flow_expire(s->flows, s->now, max_expire);
    if (s->now >= s->next_tick) {
        detect_tick(s->detect, s->now);
        s->next_tick = s->now + DS_US_PER_S;
    }
    if (s->next_stats && s->now >= s->next_stats) {
        emit_stats(s);
        while (s->next_stats <= s->now)
            s->next_stats += ds_s_to_us(s->cfg.stats_interval_s);
    }
}

void sensor_packet(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen, uint64_t ts_us)
{
    struct sensor *s = ctx;
    advance_clock(s, ts_us);
    housekeeping(s, EXPIRE_VISIT);

    struct packet p;
    if (decode_frame(&s->dec, linktype, data, caplen, wirelen, ts_us, &p) != DECODE_OK)
        return;
    enum flow_dir dir;
    struct flow *f = flow_handle(s->flows, &p, &dir);
    if (f == NULL)
        return;
    if (f->flags & FLOW_F_IGNORE)
        return;
    if (p.proto == DS_IPPROTO_TCP)
        handle_tcp(s, f, dir, &p);
    else
        handle_udp(s, f, dir, &p);
}

uint64_t sensor_now(const struct sensor *s)
{
    return s->now;
}

void sensor_tick(struct sensor *s, uint64_t now_us)
{
    if (s->first_ts == 0)
        start_clock(s, now_us);
    if (now_us <= s->now)
        return;
    s->now = now_us;
    housekeeping(s, EXPIRE_VISIT_TICK);
}

void sensor_stats_now(struct sensor *s)
{
    emit_stats(s);
    sink_flush(s->sink);
}

void sensor_finish(struct sensor *s)
{
    flow_flush(s->flows);
    detect_finish(s->detect);
    emit_stats(s);
    sink_flush(s->sink);
}
