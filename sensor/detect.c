/* Per-source detection for one capture (see detect.h): AI flows and turns
 * go into the source table; when a source's window is due, its features go
 * through the signatures, and through the cluster table of every window a
 * cluster signature uses. All on packet time.
 *
 * Profiles (ds/source.h): once an address has carried more than one client
 * family, each flow and turn also goes into its family's profile record. A
 * profile record's window is evaluated only while the address carries more
 * than one family in that window (otherwise it is the address record over
 * again, and its alerts would be the address's twice); its alerts say which
 * profile matched, and are suppressed with the address's (by_src tracks the
 * address), so one harvester behind a NAT gives one alert per rule. The
 * cluster tables see an address through its address record, unless one of
 * its profile records alerted: from then on through that profile's record,
 * while the address carries more than one family in the window. A flow
 * keeps two bits of what its start was filed in (DETECT_FLOW_*): its
 * address record, and its profile record or not (not: a flow that started
 * before its address split); at its end each is found again by its key,
 * the profile from the flow's JA4 (if a fingerprint reload moved that JA4
 * to another family meanwhile, the flow ends on that family's record if
 * one is held; a record not held counts as a stale end). */
#include "ds/detect.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/catalog.h"
#include "ds/cluster.h"
#include "ds/diag.h"
#include "ds/exchange.h"
#include "ds/fingerprint.h"
#include "ds/flow-app.h"
#include "ds/flow.h"
#include "ds/geo.h"
#include "ds/log.h"
#include "ds/rules.h"
#include "ds/stats.h"
#include "ds/synchrony.h"
#include "ds/time-units.h"
#include "ds/util.h"

#define EXPIRE_VISIT 16   /* sources and clusters ended per tick at most */
#define CLUSTER_UPDATE_EVERY_S 30 /* new members of an alerted cluster: one event per */

struct detect {
    struct detect_config cfg;
    char rules_dir[4096];
    struct detect_sink sink;      /* where findings go; members may be NULL */
    struct source_table *src;
    struct ruleset *rules;
    struct fingerprints *fp;
    struct geo *geo;
    /* One cluster table per configured window that a cluster rule uses, and
     * one of synchronous groups beside it; the synchrony table they read. */
    struct cluster_table *clusters[SOURCE_MAX_WINDOWS];
    struct cluster_table *groups[SOURCE_MAX_WINDOWS];
    struct synchrony *sync;
    const uint32_t *windows;
    unsigned n_windows;
    uint64_t next_source_events[SOURCE_MAX_WINDOWS];
    /* Prefilter (after Suricata's): the fewest requests any per-source rule
     * of a window needs; a window with fewer, and no cluster table, is not
     * evaluated. UINT32_MAX: no per-source rule uses the window. */
    uint32_t min_requests[SOURCE_MAX_WINDOWS];
    uint64_t now;
    struct detect_counters n;
    /* scratch, reused: no allocation per turn (2 KB of string room) */
    struct features feat;
};

/* What an alert needs besides the hit, handed to on_hit as the ctx of
 * rules_evaluate and rules_evaluate_cluster; built on the stack for the
 * evaluation of one source. */
struct hit_ctx {
    struct detect *d;
    const struct ds_addr *src;              /* the source evaluated */
    const struct source_profile *profile;   /* its record: NULL the address's */
    const struct cluster *cluster;          /* its cluster, for a cluster signature; else NULL */
    const struct source_last_flow *last;    /* the source's latest AI flow, or NULL */
};

void detect_config_default(struct detect_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rules_dir = "rules";
    source_config_default(&cfg->src);
    cfg->max_clusters = 4096;
    seeds_fixed(&cfg->seeds);
}

/* A family condition naming a family the fingerprint table never gives
 * would silently never match: say so (a warning, the rules still load). */
static void warn_unknown_families(const struct ruleset *rs, const struct fingerprints *fp,
                                  const char *fp_path, struct diag *dg)
{
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_get(rs, i);
        for (unsigned c = 0; c < r->n_conds; c++) {
            const struct rule_cond *rc = &r->conds[c];
            if (rc->feature != FEAT_FINGERPRINT_FAMILY)
                continue;
            for (unsigned v = 0; v < rc->n_values; v++)
                if (!fingerprint_family_known(fp, rc->values[v]) &&
                    strcmp(rc->values[v], "unknown") != 0)
                    diag_warn(dg, r->file, r->line,
                              "sid %" PRIu32 ": fingerprint family '%s' is not in %s", r->sid,
                              rc->values[v], fp_path);
        }
    }
}

/* Loads fingerprints.conf and the signatures of the rules directory, every
 * message through one diagnostics sink. 0, or -1 (nothing kept) on errors. */
static int load_rules(struct detect *d, struct ruleset **out, struct fingerprints **fp_out)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/fingerprints.conf", d->rules_dir);
    struct fingerprints *fp = NULL;
    struct diag dg;
    diag_init(&dg);
    if (fingerprint_load(path, &dg, &fp) != 0) {
        diag_finish(&dg);
        return -1;
    }
    struct ruleset *rs = rules_new(d->windows, d->n_windows, d->cfg.max_thresholds);
    rules_set_seed(rs, d->cfg.seeds.threshold);
    int errs = rules_load_dir(rs, d->rules_dir, &dg);
    if (errs == 0)
        warn_unknown_families(rs, fp, path, &dg);
    diag_finish(&dg);
    if (errs != 0) {
        log_error("%s: %d error%s in signatures", d->rules_dir, errs, errs == 1 ? "" : "s");
        rules_free(rs);
        fingerprint_free(fp);
        return -1;
    }
    *out = rs;
    *fp_out = fp;
    return 0;
}

/* The requests a rule needs at least, from its `requests` condition. */
static uint32_t rule_min_requests(const struct rule *r)
{
    for (unsigned c = 0; c < r->n_conds; c++) {
        const struct rule_cond *rc = &r->conds[c];
        if (rc->feature != FEAT_REQUESTS)
            continue;
        double lo = rc->lo;
        switch (rc->op) {
        case RULE_OP_GT:
            lo = floor(lo) + 1;
            break;
        case RULE_OP_GE:
        case RULE_OP_EQ:
        case RULE_OP_RANGE:
            lo = ceil(lo);
            break;
        default:
            lo = 0;
            break;
        }
        return lo <= 0 ? 0 : lo >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)lo;
    }
    return 0;
}

static void compute_prefilter(struct detect *d)
{
    for (unsigned w = 0; w < SOURCE_MAX_WINDOWS; w++)
        d->min_requests[w] = UINT32_MAX;
    for (size_t i = 0; i < rules_count(d->rules); i++) {
        const struct rule *r = rules_get(d->rules, i);
        int w = source_window_index(d->src, r->window_s);
        if (r->kind != RULE_KIND_SOURCE || w < 0)
            continue;
        uint32_t m = rule_min_requests(r);
        if (m < d->min_requests[w])
            d->min_requests[w] = m;
    }
}

/* Synchronous groups: a table of them for window w, and the synchrony table
 * (one for all windows) on first need. Groups are few next to profile
 * clusters: a sixteenth of the room. */
static void ensure_sync_tables(struct detect *d, unsigned w, uint32_t window_s)
{
    size_t max = d->cfg.max_clusters / 16 > 16 ? d->cfg.max_clusters / 16 : 16;
    d->groups[w] = cluster_table_new_groups(max, window_s);
    cluster_table_set_seeds(d->groups[w], d->cfg.seeds.cluster_key ^ 0x5c5c5c5cu,
                            d->cfg.seeds.cluster_member ^ 0x5c5c5c5cu);
    if (d->sync == NULL)
        d->sync = synchrony_new(d->cfg.src.max_sources < 16384 ? d->cfg.src.max_sources : 16384,
                                d->cfg.seeds.cluster_member ^ 0xa5a5a5a5u);
}

/* Makes sure every window a cluster rule uses has a cluster table. */
static void ensure_cluster_tables(struct detect *d)
{
    for (size_t i = 0; i < rules_count(d->rules); i++) {
        const struct rule *r = rules_get(d->rules, i);
        if (r->kind != RULE_KIND_CLUSTER)
            continue;
        int w = source_window_index(d->src, r->window_s);
        if (w >= 0 && d->clusters[w] == NULL) {
            d->clusters[w] = cluster_table_new(d->cfg.max_clusters, r->window_s);
            cluster_table_set_seeds(d->clusters[w], d->cfg.seeds.cluster_key,
                                    d->cfg.seeds.cluster_member);
            ensure_sync_tables(d, (unsigned)w, r->window_s);
        }
    }
}

int detect_new(const struct detect_config *cfg, const struct detect_sink *sink,
               struct detect **dp)
{
    struct detect *d = xcalloc(1, sizeof(*d));
    d->cfg = *cfg;
    ds_strlcpy(d->rules_dir, cfg->rules_dir, sizeof(d->rules_dir));
    d->cfg.rules_dir = d->rules_dir;
    if (sink)
        d->sink = *sink;
    struct source_config sc = cfg->src;
    sc.seed = cfg->seeds.source;
    sc.host_seed = cfg->seeds.source_host;
    d->src = source_table_new(&sc);
    if (d->src == NULL)
        goto fail;
    d->windows = source_windows(d->src, &d->n_windows);
    if (load_rules(d, &d->rules, &d->fp) != 0)
        goto fail;
    if ((cfg->geoip_db || cfg->asn_db) && geo_open(cfg->geoip_db, cfg->asn_db, &d->geo) != 0)
        goto fail;
    ensure_cluster_tables(d);
    compute_prefilter(d);
    *dp = d;
    return 0;
fail:
    detect_free(d);
    return -1;
}

void detect_free(struct detect *d)
{
    if (d == NULL)
        return;
    source_table_free(d->src);
    rules_free(d->rules);
    fingerprint_free(d->fp);
    geo_free(d->geo);
    for (unsigned i = 0; i < SOURCE_MAX_WINDOWS; i++) {
        cluster_table_free(d->clusters[i]);
        cluster_table_free(d->groups[i]);
    }
    synchrony_free(d->sync);
    free(d);
}

int detect_reload(struct detect *d)
{
    struct ruleset *rs = NULL;
    struct fingerprints *fp = NULL;
    if (load_rules(d, &rs, &fp) != 0) {
        log_error("signature reload failed: keeping the signatures in use");
        return -1;
    }
    rules_take_state(rs, d->rules);
    rules_free(d->rules);
    d->rules = rs;
    fingerprint_free(d->fp);
    d->fp = fp;
    ensure_cluster_tables(d);
    compute_prefilter(d);
    log_info("signatures reloaded: %zu rules", rules_count(rs));
    return 0;
}

static void fill_source_flow(struct detect *d, const struct flow *f, const struct flow_app *app,
                             const struct catalog_entry *svc, struct source_flow *fl)
{
    memset(fl, 0, sizeof(*fl));
    fl->src = f->cli;
    fl->dst = f->srv;
    fl->vlan = ds_vlan_unpack(f->vlan);
    fl->sport = f->cport;
    fl->dport = f->sport;
    fl->quic = (f->flags & FLOW_F_QUIC) != 0;
    fl->flow_id = f->id;
    if (app) {
        const struct flow_tls *t = tls_facts_get(d->cfg.facts, app->tls);
        fl->host = tls_facts_str(d->cfg.facts, t, FLOW_TLS_SNI, NULL);
        fl->ja4 = tls_facts_str(d->cfg.facts, t, FLOW_TLS_JA4, NULL);
        fl->family = fingerprint_family(d->fp, fl->ja4);
        fl->ech = t->ech;
        fl->ech_public = t->ech_public;
    }
    if (svc) {
        fl->provider = svc->provider;
        fl->service = svc->service;
    }
}

static void enrich(struct detect *d, const struct ds_addr *src)
{
    if (d->geo == NULL)
        return;
    struct geo_info gi;
    if (geo_lookup(d->geo, src, &gi) != 0)
        return;
    char asn[16] = "";
    if (gi.has_asn)
        snprintf(asn, sizeof(asn), "%" PRIu32, gi.asn);
    source_set_geo(d->src, src, gi.has_country ? gi.country : NULL, gi.has_asn ? asn : NULL,
                   gi.has_as_org ? gi.as_org : NULL);
}

/* The profile record of a flow whose app state is app, or
 * SOURCE_PROFILE_ADDRESS (no family). */
static uint32_t flow_profile(const struct detect *d, const struct flow_app *app)
{
    if (app == NULL)
        return SOURCE_PROFILE_ADDRESS;
    const struct flow_tls *t = tls_facts_get(d->cfg.facts, app->tls);
    return source_profile_id(
        fingerprint_family(d->fp, tls_facts_str(d->cfg.facts, t, FLOW_TLS_JA4, NULL)));
}

/* The sensor keeps detect_flow_start's bits in the flow's flags as they are. */
_Static_assert(DETECT_FLOW_SOURCE == FLOW_F_SOURCE && DETECT_FLOW_PROFILE == FLOW_F_PROFILE,
               "DETECT_FLOW_* must be the flow flags that keep them");

unsigned detect_flow_start(struct detect *d, const struct flow *f, const struct flow_app *app,
                           const struct catalog_entry *svc, uint64_t ts_us)
{
    struct source_flow fl;
    fill_source_flow(d, f, app, svc, &fl);
    bool split = source_profile_split(d->src, &fl.src, fl.family, ts_us);
    bool created = false;
    if (source_flow_start(d->src, &fl, ts_us, &created) != 0)
        return 0;
    if (created)
        enrich(d, &f->cli);
    fl.profile = source_profile_id(fl.family);
    if (split && source_flow_start(d->src, &fl, ts_us, NULL) == 0)
        return DETECT_FLOW_SOURCE | DETECT_FLOW_PROFILE;
    return DETECT_FLOW_SOURCE;
}

/* A signature matched: an alert, with what the hit context says. */
static void on_hit(void *ctx, const struct rule_hit *hit)
{
    const struct hit_ctx *h = ctx;
    struct detect *d = h->d;
    struct detect_alert a = {
        .ts_us = d->now,
        .src = h->src,
        .hit = hit,
        .last = h->last,
        .cluster = h->cluster,
        .profile = h->profile,
    };
    if (d->sink.alert)
        d->sink.alert(d->sink.ctx, &a);
    if (h->cluster)
        d->n.cluster_alerts++;
    else
        d->n.alerts++;
    if (h->cluster == NULL && h->profile)
        d->n.profile_alerts++;
}

/* The cluster rule (of window w) a cluster's update should name. */
static const struct rule *cluster_rule(struct detect *d, uint32_t window_s)
{
    for (size_t i = 0; i < rules_count(d->rules); i++) {
        const struct rule *r = rules_get(d->rules, i);
        if (r->kind == RULE_KIND_CLUSTER && r->window_s == window_s)
            return r;
    }
    return NULL;
}

/* The cluster rules of window window_s over cluster c of table ct, which
 * the source of h was just filed in (joined: newly): an alert, or a pending
 * update for a new member of a cluster that alerted. */
static void evaluate_cluster(struct detect *d, struct cluster_table *ct, struct cluster *c,
                             bool joined, uint32_t window_s, struct hit_ctx *h)
{
    h->cluster = c;
    struct rule_cluster_vals cv = {
        .size = (double)cluster_size(c),
        .sync_rounds = cluster_sync_group(c) ? (double)cluster_sync_rounds(c) : -1,
    };
    int hits = rules_evaluate_cluster(d->rules, &cv, cluster_features(c), window_s, d->now,
                                      cluster_id(c), on_hit, h);
    if (hits > 0) {
        c->alerted_us = c->updated_us = d->now;
        c->pending = false;
        cluster_mark_listed(c);
    } else if (joined && c->alerted_us) {
        /* A new member of a cluster that alerted: listed in the cluster's
         * next update event (at most one every CLUSTER_UPDATE_EVERY_S), not
         * in an alert of its own. */
        cluster_set_pending(ct, c);
    }
}

/* The source's synchronous group, if synchrony found it in one, filed as a
 * cluster of window w and put through the cluster rules. */
static void evaluate_group(struct detect *d, const struct ds_addr *src, unsigned w,
                           struct hit_ctx *h)
{
    uint32_t group = 0;
    unsigned rounds = 0;
    if (d->groups[w] == NULL || !synchrony_group(d->sync, src, d->now, &group, &rounds))
        return;
    bool joined = false;
    struct cluster *c = cluster_observe_group(d->groups[w], src, &d->feat, group, rounds,
                                              d->now, &joined);
    if (c)
        evaluate_cluster(d, d->groups[w], c, joined, d->windows[w], h);
}

/* Whether record k stands for its address in the cluster table of window
 * w: the address record, unless a profile of the address alerted and that
 * profile record is held and the address carries more than one family in
 * the window (then that profile). */
static bool feeds_clusters(struct detect *d, const struct source_key *k, unsigned w)
{
    uint32_t cp = source_cluster_profile(d->src, &k->addr);
    if (cp == SOURCE_PROFILE_ADDRESS)
        return k->profile == SOURCE_PROFILE_ADDRESS;
    struct source_key pk = { k->addr, cp };
    bool live = source_key_held(d->src, &pk) &&
                source_families(d->src, &k->addr, d->windows[w], d->now) > 1;
    return k->profile == (live ? cp : SOURCE_PROFILE_ADDRESS);
}

/* The events' account of record k with its latest flow (a profile record's
 * family is its flows'); NULL for the address record. */
static const struct source_profile *profile_of(const struct source_key *k,
                                               const struct source_last_flow *last,
                                               unsigned families, struct source_profile *p)
{
    if (k->profile == SOURCE_PROFILE_ADDRESS)
        return NULL;
    p->family = last && last->family[0] ? last->family : FP_UNKNOWN;
    p->families = families;
    return p;
}

/* Window w of record k through the signatures and, if it stands for its
 * address there, the cluster table; families: the address's in the window
 * (used for a profile record only). */
static void evaluate(struct detect *d, const struct source_key *k, unsigned w, unsigned families)
{
    const struct ds_addr *src = &k->addr;
    uint32_t window_s = d->windows[w];
    if (source_key_features(d->src, k, window_s, d->now, &d->feat) != 0)
        return;
    struct source_last_flow last;
    bool has_last = source_key_last_flow(d->src, k, &last) == 0 && last.flow_id != 0;
    struct source_profile prof;
    struct hit_ctx h = { d, src, profile_of(k, has_last ? &last : NULL, families, &prof), NULL,
                         has_last ? &last : NULL };
    int alerts = rules_evaluate(d->rules, &d->feat, window_s, d->now, src,
                                has_last ? &last.dst : NULL, on_hit, &h);
    if (alerts > 0 && k->profile != SOURCE_PROFILE_ADDRESS)
        source_set_cluster_profile(d->src, src, k->profile);
    if (d->clusters[w] == NULL || !feeds_clusters(d, k, w))
        return;
    bool joined = false;
    struct cluster *c = cluster_observe(d->clusters[w], src, &d->feat, d->now, &joined);
    if (c)
        evaluate_cluster(d, d->clusters[w], c, joined, window_s, &h);
    evaluate_group(d, src, w, &h);
}

/* One update event for the members that joined an alerted cluster since
 * its last event. */
static void cluster_update(struct detect *d, struct cluster *c)
{
    if (d->sink.cluster_update)
        d->sink.cluster_update(d->sink.ctx, d->now, c, cluster_rule(d, cluster_window(c)));
    d->n.cluster_updates++;
    c->updated_us = d->now;
    c->pending = false;
    cluster_mark_listed(c);
}

static void update_if_due(void *ctx, struct cluster *c)
{
    struct detect *d = ctx;
    if (c->pending && d->now >= c->updated_us + ds_s_to_us(CLUSTER_UPDATE_EVERY_S))
        cluster_update(d, c);
}

static void update_now(void *ctx, struct cluster *c)
{
    struct detect *d = ctx;
    if (c->pending)
        cluster_update(d, c);
}

static void evaluate_due(struct detect *d, const struct source_key *k, uint32_t due);

static void evaluate_overdue(void *ctx, const struct source_key *k)
{
    struct detect *d = ctx;
    uint32_t due = source_key_overdue(d->src, k);
    if (due)
        evaluate_due(d, k, due);
}

void detect_finish(struct detect *d)
{
    /* Turns filed since their windows were last due (within the
     * evaluation interval) are judged now, before the input ends. */
    source_key_foreach(d->src, 0, evaluate_overdue, d);
    for (unsigned w = 0; w < d->n_windows; w++) {
        if (d->clusters[w])
            cluster_foreach_pending(d->clusters[w], update_now, d);
        if (d->groups[w])
            cluster_foreach_pending(d->groups[w], update_now, d);
    }
}

/* A turn's start goes to the synchrony table (when a cluster rule made
 * one), whatever the source's windows: rounds are made of every start. */
static void note_sync(struct detect *d, const struct source_flow *fl, const struct turn *t)
{
    if (d->sync && fl->provider)
        (void)synchrony_turn(d->sync, &fl->src, fl->provider, t->start_us, d->now);
}

/* Whether no signature could match window w of record k: no per-source
 * rule uses the window, or the record has fewer requests in it than any
 * needs, and the record does not stand for its address in a cluster table
 * of the window. */
static bool prefiltered(struct detect *d, const struct source_key *k, unsigned w)
{
    if (d->clusters[w] != NULL &&
        (k->profile == SOURCE_PROFILE_ADDRESS ||
         k->profile == source_cluster_profile(d->src, &k->addr)))
        return false;
    uint32_t bound;
    return d->min_requests[w] == UINT32_MAX ||
           (source_key_requests_bound(d->src, k, d->windows[w], d->now, &bound) == 0 &&
            bound < d->min_requests[w]);
}

/* The windows of record k that its turn made due. A profile record's only
 * while its address carries more than one family in the window. */
static void evaluate_due(struct detect *d, const struct source_key *k, uint32_t due)
{
    for (unsigned w = 0; w < d->n_windows; w++) {
        if (!(due & (1u << w)))
            continue;
        unsigned families = 0;
        if (k->profile != SOURCE_PROFILE_ADDRESS) {
            families = source_families(d->src, &k->addr, d->windows[w], d->now);
            if (families < 2) {
                d->n.profile_single++;
                continue;
            }
        }
        if (prefiltered(d, k, w)) {
            d->n.prefiltered++;
            continue;
        }
        d->n.evaluated++;
        if (k->profile != SOURCE_PROFILE_ADDRESS)
            d->n.profile_evaluated++;
        evaluate(d, k, w, families);
    }
}

/* The sources synchrony found new members of a group at this turn (most
 * at another source's turn, after their own last one) go through the rules
 * of every window with a table of groups now, so their group's cluster
 * counts them; src itself only in windows its turn did not make due. */
static void evaluate_joined(struct detect *d, const struct ds_addr *src, uint32_t due)
{
    struct ds_addr joined[SYNC_JOINED_MAX];
    size_t n = d->sync ? synchrony_take_joined(d->sync, joined, SYNC_JOINED_MAX) : 0;
    for (size_t i = 0; i < n; i++) {
        struct source_key k = { joined[i], SOURCE_PROFILE_ADDRESS };
        bool self = memcmp(&joined[i], src, sizeof(*src)) == 0;
        for (unsigned w = 0; w < d->n_windows; w++)
            if (d->groups[w] && !(self && (due & (1u << w))) && !prefiltered(d, &k, w))
                evaluate(d, &k, w, 0);
    }
}

void detect_turn(struct detect *d, const struct flow *f, const struct flow_app *app,
                 const struct catalog_entry *svc, const struct turn *t, uint64_t ts_us)
{
    struct source_flow fl;
    fill_source_flow(d, f, app, svc, &fl);
    uint32_t due = 0;
    bool created = false;
    if (ts_us > d->now)
        d->now = ts_us;
    bool split = source_profile_split(d->src, &fl.src, fl.family, ts_us);
    if (source_turn(d->src, &fl, t, ts_us, &due, &created) != 0)
        return;
    if (created)
        enrich(d, &f->cli);
    note_sync(d, &fl, t);
    struct source_key k = { f->cli, SOURCE_PROFILE_ADDRESS };
    evaluate_due(d, &k, due);
    evaluate_joined(d, &f->cli, due);
    if (!split)
        return;
    k.profile = fl.profile = source_profile_id(fl.family);
    if (source_turn(d->src, &fl, t, ts_us, &due, NULL) == 0)
        evaluate_due(d, &k, due);
}

void detect_flow_end(struct detect *d, const struct flow *f, const struct flow_app *app,
                     unsigned started, uint64_t ts_us)
{
    if (!(started & DETECT_FLOW_SOURCE))
        return;
    source_flow_end(d->src, &f->cli, ts_us);
    if (!(started & DETECT_FLOW_PROFILE))
        return;
    struct source_key k = { f->cli, flow_profile(d, app) };
    if (k.profile != SOURCE_PROFILE_ADDRESS)
        source_key_flow_end(d->src, &k, ts_us);
}

/* The source events of one window: source_foreach's ctx for
 * emit_source_event, built on the stack by detect_tick. */
struct source_event_ctx {
    struct detect *d;
    uint32_t window_s;
};

/* One record's event over the window the ctx names: a profile record's
 * only while its address carries more than one family in the window. */
static void emit_source_event(void *ctx, const struct source_key *k)
{
    const struct source_event_ctx *se = ctx;
    struct detect *d = se->d;
    unsigned families = 0;
    if (k->profile != SOURCE_PROFILE_ADDRESS) {
        families = source_families(d->src, &k->addr, se->window_s, d->now);
        if (families < 2)
            return;
    }
    if (source_key_features(d->src, k, se->window_s, d->now, &d->feat) != 0)
        return;
    struct source_last_flow last;
    bool has_last = source_key_last_flow(d->src, k, &last) == 0 && last.flow_id != 0;
    struct source_profile prof;
    const struct source_profile *p = profile_of(k, has_last ? &last : NULL, families, &prof);
    if (d->sink.source)
        d->sink.source(d->sink.ctx, d->now, &k->addr, &d->feat, has_last ? &last : NULL, p);
    d->n.source_events++;
}

void detect_clock_reset(struct detect *d, uint64_t now_us)
{
    detect_finish(d);   /* pending cluster updates belong to the old clock */
    d->now = now_us;
    memset(d->next_source_events, 0, sizeof(d->next_source_events));
}

void detect_tick(struct detect *d, uint64_t now_us)
{
    if (now_us > d->now)
        d->now = now_us;
    source_expire(d->src, d->now, EXPIRE_VISIT);
    for (unsigned w = 0; w < d->n_windows; w++) {
        if (d->clusters[w] == NULL)
            continue;
        cluster_foreach_pending(d->clusters[w], update_if_due, d);
        cluster_expire(d->clusters[w], d->now, EXPIRE_VISIT);
        if (d->groups[w]) {
            cluster_foreach_pending(d->groups[w], update_if_due, d);
            cluster_expire(d->groups[w], d->now, EXPIRE_VISIT);
        }
    }
    if (!d->cfg.source_events)
        return;
    /* Once per window length, every source active in that window. */
    for (unsigned w = 0; w < d->n_windows; w++) {
        uint64_t len = ds_s_to_us(d->windows[w]);
        if (d->next_source_events[w] == 0)
            d->next_source_events[w] = d->now + len;
        if (d->now < d->next_source_events[w])
            continue;
        struct source_event_ctx se = { d, d->windows[w] };
        source_key_foreach(d->src, d->now - len, emit_source_event, &se);
        while (d->next_source_events[w] <= d->now)
            d->next_source_events[w] += len;
    }
}

const struct detect_counters *detect_counters(const struct detect *d)
{
    return &d->n;
}

/* Our sensor.sources, and sensor.detect: the signatures' counters, ours,
 * the clusters' and geo's, in that order (memory.sources and
 * memory.clusters go to sensor.memory, which the sensor placed). */
void detect_stats_write(const struct detect *d, struct stats_node *root)
{
    source_table_stats_write(d->src, root);
    rules_stats_write(d->rules, root);
    struct stats_node *de = stats_child(stats_child(root, "sensor"), "detect");
    stats_u64(de, "alerts", d->n.alerts);
    stats_u64(de, "cluster_alerts", d->n.cluster_alerts);
    stats_u64(de, "cluster_updates", d->n.cluster_updates);
    stats_u64(de, "source_events", d->n.source_events);
    stats_u64(de, "prefiltered", d->n.prefiltered);
    stats_u64(de, "profile_alerts", d->n.profile_alerts);
    stats_u64(de, "profile_evaluated", d->n.profile_evaluated);
    stats_u64(de, "profile_single", d->n.profile_single);
    cluster_tables_stats_write((const struct cluster_table *const *)d->clusters,
                               SOURCE_MAX_WINDOWS, "clusters", root);
    cluster_tables_stats_write((const struct cluster_table *const *)d->groups,
                               SOURCE_MAX_WINDOWS, "sync_groups", root);
    synchrony_stats_write(d->sync, root);
    geo_stats_write(d->geo, root);
}

void detect_metrics_write(const struct detect *d, struct stats_node *root)
{
    rules_metrics_write(d->rules, root);
}
