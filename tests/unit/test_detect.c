/* detect: per-source detection through a recording sink, on a rules
 * directory of its own in a temporary directory, with hand-made flows and
 * turns. The prefilter (a window whose request count cannot reach any
 * per-source rule's floor is skipped and counted; one that can is
 * evaluated); the cadence of cluster updates (members joining an alerted
 * cluster: at most one update event every 30 s, the pending ones at
 * detect_finish); reload (source state and alert suppression carry over;
 * a bad rules directory keeps the old rules); a flow that started before
 * its address split ends on the address record only; no sink at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/catalog.h"
#include "ds/cluster.h"
#include "ds/detect.h"
#include "ds/exchange.h"
#include "ds/flow-app.h"
#include "ds/flow.h"
#include "ds/log.h"
#include "ds/rules.h"
#include "ds/util.h"

#define T0 (1771841100ull * 1000000u)   /* 2026-02-23T10:05:00Z */
#define S(n) ((uint64_t)(n) * 1000000u)
#define JA4_PYTHON "t13d181000_85036bcba153_d41ae481755e"
#define JA4_BROWSER "t13d1516h2_8daaf6152771_02713d6af862"
#define FINGERPRINTS "python  " JA4_PYTHON "  Python  # test\n" \
                     "browser  " JA4_BROWSER "  Chrome  # test\n"

/* ---- A rules directory of our own ------------------------------------- */

static char dir[] = "/tmp/ds-test-detect-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

/* The string table and the fact sets of the flows' TLS facts (the
 * sensor's, in a run). */
static struct intern *strs;
static struct tls_facts *facts;

static int setup_dir(void **state)
{
    (void)state;
    strs = intern_new(1024, 1 << 20, 0);
    facts = tls_facts_new(1024, 1 << 20, strs, 0);
    if (strs == NULL || facts == NULL)
        return -1;
    if (mkdtemp(dir) == NULL)
        return -1;
    write_file("fingerprints.conf", FINGERPRINTS);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    tls_facts_free(facts);
    intern_free(strs);
    remove_file("t.rules");
    remove_file("fingerprints.conf");
    rmdir(dir);
    return 0;
}

/* ---- A sink that records what detection hands over -------------------- */

#define REC_MAX 16
struct record {
    unsigned n_alerts;
    uint32_t alert_sid[REC_MAX];
    bool alert_cluster[REC_MAX];
    unsigned alert_cluster_size[REC_MAX];
    uint8_t alert_src[REC_MAX];       /* last byte of the source's address */
    uint64_t alert_last[REC_MAX];     /* flow_id of its latest AI flow, 0 if none */
    char alert_profile[REC_MAX][24];  /* the profile's family, "" for the address */
    unsigned n_updates;
    uint64_t update_ts[REC_MAX];
    unsigned update_new[REC_MAX];     /* members not listed before */
    uint32_t update_sid[REC_MAX];
    unsigned n_sources;
    uint32_t source_window[REC_MAX];
    uint8_t source_src[REC_MAX];
    uint64_t source_last[REC_MAX];
    char source_profile[REC_MAX][24]; /* as alert_profile */
};

static void rec_alert(void *ctx, const struct detect_alert *a)
{
    struct record *r = ctx;
    if (r->n_alerts < REC_MAX) {
        r->alert_sid[r->n_alerts] = a->hit->rule->sid;
        r->alert_cluster[r->n_alerts] = a->cluster != NULL;
        r->alert_cluster_size[r->n_alerts] = a->cluster ? cluster_size(a->cluster) : 0;
        r->alert_src[r->n_alerts] = a->src->a[15];
        r->alert_last[r->n_alerts] = a->last ? a->last->flow_id : 0;
        ds_strlcpy(r->alert_profile[r->n_alerts], a->profile ? a->profile->family : "",
                   sizeof(r->alert_profile[0]));
    }
    r->n_alerts++;
}

static void rec_update(void *ctx, uint64_t ts_us, const struct cluster *c, const struct rule *rule)
{
    struct record *r = ctx;
    if (r->n_updates < REC_MAX) {
        unsigned fresh = 0;
        for (unsigned i = 0; i < cluster_size(c); i++)
            fresh += !cluster_member_listed(c, i);
        r->update_ts[r->n_updates] = ts_us;
        r->update_new[r->n_updates] = fresh;
        r->update_sid[r->n_updates] = rule ? rule->sid : 0;
    }
    r->n_updates++;
}

static void rec_source(void *ctx, uint64_t ts_us, const struct ds_addr *src,
                       const struct features *f, const struct source_last_flow *last,
                       const struct source_profile *p)
{
    struct record *r = ctx;
    (void)ts_us;
    if (r->n_sources < REC_MAX) {
        r->source_window[r->n_sources] = f->window_s;
        r->source_src[r->n_sources] = src->a[15];
        r->source_last[r->n_sources] = last ? last->flow_id : 0;
        ds_strlcpy(r->source_profile[r->n_sources], p ? p->family : "",
                   sizeof(r->source_profile[0]));
    }
    r->n_sources++;
}

/* A detection on our rules directory, one 1-minute window evaluated on
 * every turn, findings into rec; with source events if source_events, and
 * at most max_sources records (0: the default). */
static struct detect *new_detect_with(struct record *rec, bool source_events, size_t max_sources)
{
    memset(rec, 0, sizeof(*rec));
    struct detect_config cfg;
    detect_config_default(&cfg);
    cfg.rules_dir = dir;
    cfg.src.windows_s[0] = 60;
    cfg.src.n_windows = 1;
    cfg.src.eval_interval_s = 0;
    cfg.source_events = source_events;
    if (max_sources != 0)
        cfg.src.max_sources = max_sources;
    struct detect_sink sink = { rec_alert, rec_update, rec_source, rec };
    struct detect *d = NULL;
    cfg.facts = facts;
    assert_int_equal(detect_new(&cfg, &sink, &d), 0);
    return d;
}

static struct detect *new_detect(struct record *rec)
{
    return new_detect_with(rec, false, 0);
}

/* ---- Hand-made AI flows and turns ------------------------------------- */

static const struct catalog_entry svc = { "openai", "api", "api.openai.com" };

/* Source 198.51.100.<host>'s flow to the API, which starts at ts_us. */
struct client {
    struct flow f;
    struct flow_app app;
};

/* Flow `id` of source 198.51.100.<host>, with client fingerprint ja4. */
static void client_open(struct detect *d, struct client *c, uint8_t host, uint64_t id,
                        const char *ja4, uint64_t ts_us)
{
    memset(c, 0, sizeof(*c));
    ds_addr_from_v4(&c->f.cli, (uint8_t[]){ 198, 51, 100, host });
    ds_addr_from_v4(&c->f.srv, (uint8_t[]){ 192, 0, 2, 80 });
    c->f.cport = (uint16_t)(40000 + host);
    c->f.sport = 443;
    c->f.proto = DS_IPPROTO_TCP;
    c->f.flags = FLOW_F_TLS | FLOW_F_FOLLOW;
    c->f.id = id;
    c->f.first_us = c->f.last_us = ts_us;
    c->f.service = 0;
    tls_facts_set_str(facts, &c->app.tls, FLOW_TLS_SNI, "api.openai.com", 255);
    tls_facts_set_str(facts, &c->app.tls, FLOW_TLS_JA4, ja4, 255);
    unsigned started = detect_flow_start(d, &c->f, &c->app, &svc, ts_us);
    assert_true(started & DETECT_FLOW_SOURCE);
    c->f.flags = (uint16_t)(c->f.flags | started);   /* as the sensor keeps them */
}

/* The DETECT_FLOW_* bits detect_flow_start returned for c's flow. */
static unsigned client_started(const struct client *c)
{
    return c->f.flags & (DETECT_FLOW_SOURCE | DETECT_FLOW_PROFILE);
}

static void client_start(struct detect *d, struct client *c, uint8_t host, uint64_t ts_us)
{
    client_open(d, c, host, host, JA4_PYTHON, ts_us);
}

/* One request of req bytes and its answer of 8000, streamed for 2 s. */
static void client_turn_sized(struct detect *d, struct client *c, uint64_t ts_us, uint32_t req)
{
    struct turn t = { .start_us = ts_us, .req_bytes = req, .resp_bytes = 8000,
                      .req_records = 1, .resp_records = 10, .ttfb_us = 300000,
                      .resp_dur_us = 2000000 };
    c->f.last_us = ts_us;
    detect_turn(d, &c->f, &c->app, &svc, &t, ts_us);
}

static void client_turn(struct detect *d, struct client *c, uint64_t ts_us)
{
    client_turn_sized(d, c, ts_us, 1000);
}

/* ---- Tests ------------------------------------------------------------ */

/* The only per-source rule of the window wants 5 requests: the first four
 * turns of a source cannot reach that, so its window is not evaluated (and
 * is counted); the fifth can, is evaluated and alerts. */
static void test_prefilter(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"five\"; window:1m; requests:>=5; sid:1; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client c;
    client_start(d, &c, 1, T0);
    for (int i = 0; i < 4; i++)
        client_turn(d, &c, T0 + S(i + 1));
    const struct detect_counters *n = detect_counters(d);
    assert_int_equal(n->prefiltered, 4);
    assert_int_equal(n->evaluated, 0);
    assert_int_equal(rec.n_alerts, 0);
    client_turn(d, &c, T0 + S(5));
    assert_int_equal(n->prefiltered, 4);
    assert_int_equal(n->evaluated, 1);
    assert_int_equal(rec.n_alerts, 1);
    assert_int_equal(rec.alert_sid[0], 1);
    assert_false(rec.alert_cluster[0]);
    assert_int_equal(rec.alert_src[0], 1);    /* the source and its flow (flow_id = host) */
    assert_int_equal(rec.alert_last[0], 1);
    assert_int_equal(n->alerts, 1);
    detect_free(d);
}

/* Turns filed within the evaluation interval wait for the next due turn;
 * at the end of input (detect_finish) those still waiting are judged: the
 * last turns of a capture are not lost for the rules. */
static void test_finish_evaluates_overdue(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"five\"; window:1m; requests:>=5; sid:1; rev:1;)\n");
    struct record rec;
    memset(&rec, 0, sizeof(rec));
    struct detect_config cfg;
    detect_config_default(&cfg);
    cfg.rules_dir = dir;
    cfg.src.windows_s[0] = 60;
    cfg.src.n_windows = 1;
    cfg.src.eval_interval_s = 5;
    struct detect_sink sink = { rec_alert, rec_update, rec_source, &rec };
    struct detect *d = NULL;
    cfg.facts = facts;
    assert_int_equal(detect_new(&cfg, &sink, &d), 0);
    struct client c;
    client_start(d, &c, 1, T0);
    /* Five turns 100 ms apart: only the first is due (and is below the
     * rule's floor); the other four wait. */
    for (int i = 0; i < 5; i++)
        client_turn(d, &c, T0 + S(1) + (uint64_t)i * 100000);
    assert_int_equal(rec.n_alerts, 0);
    detect_finish(d);
    assert_int_equal(rec.n_alerts, 1);
    assert_int_equal(rec.alert_sid[0], 1);
    detect_finish(d);                       /* nothing waits any more */
    assert_int_equal(rec.n_alerts, 1);
    detect_free(d);
}

/* `requests:>4` has the same floor as `>=5`; a rule without a requests
 * condition has none, so nothing is skipped. */
static void test_prefilter_floor(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"more than four\"; window:1m; requests:>4; sid:1; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client c;
    client_start(d, &c, 1, T0);
    for (int i = 0; i < 5; i++)
        client_turn(d, &c, T0 + S(i + 1));
    assert_int_equal(detect_counters(d)->prefiltered, 4);
    assert_int_equal(detect_counters(d)->evaluated, 1);
    detect_free(d);

    write_file("t.rules", "alert ai-harvest (msg:\"python\"; window:1m; fingerprint_family:python; "
                          "sid:2; rev:1;)\n");
    d = new_detect(&rec);
    client_start(d, &c, 1, T0);
    client_turn(d, &c, T0 + S(1));
    assert_int_equal(detect_counters(d)->prefiltered, 0);
    assert_int_equal(detect_counters(d)->evaluated, 1);
    assert_int_equal(rec.n_alerts, 1);
    detect_free(d);
}

/* Three sources of one profile make a cluster that alerts. Members joining
 * it afterwards are listed in update events, at most one every 30 s, and
 * those still pending at the end in one last update. */
static void test_cluster_update_cadence(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest-cluster (msg:\"pool\"; window:1m; cluster_size:>=3; "
                          "sid:101; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client c[6];
    for (uint8_t i = 0; i < 3; i++) {
        client_start(d, &c[i], (uint8_t)(i + 1), T0 + S(i));
        client_turn(d, &c[i], T0 + S(i));
    }
    assert_int_equal(rec.n_alerts, 1);
    assert_true(rec.alert_cluster[0]);
    assert_int_equal(rec.alert_sid[0], 101);
    assert_int_equal(rec.alert_cluster_size[0], 3);
    assert_int_equal(rec.alert_src[0], 3);    /* the newest member, with its latest flow */
    assert_int_equal(rec.alert_last[0], 3);
    assert_int_equal(detect_counters(d)->cluster_alerts, 1);

    /* Alerted at T0+2 s: members joining at +5 s and +20 s wait for +32 s. */
    client_start(d, &c[3], 4, T0 + S(5));
    client_turn(d, &c[3], T0 + S(5));
    detect_tick(d, T0 + S(10));
    assert_int_equal(rec.n_updates, 0);
    client_start(d, &c[4], 5, T0 + S(20));
    client_turn(d, &c[4], T0 + S(20));
    detect_tick(d, T0 + S(31));
    assert_int_equal(rec.n_updates, 0);
    detect_tick(d, T0 + S(32));
    assert_int_equal(rec.n_updates, 1);
    assert_int_equal(rec.update_ts[0], T0 + S(32));
    assert_int_equal(rec.update_new[0], 2);
    assert_int_equal(rec.update_sid[0], 101);

    /* The next member waits for +62 s, or the end of input. */
    client_start(d, &c[5], 6, T0 + S(33));
    client_turn(d, &c[5], T0 + S(33));
    detect_tick(d, T0 + S(40));
    detect_tick(d, T0 + S(50));
    assert_int_equal(rec.n_updates, 1);
    detect_finish(d);
    assert_int_equal(rec.n_updates, 2);
    assert_int_equal(rec.update_new[1], 1);
    detect_finish(d);                         /* nothing pending any more */
    assert_int_equal(rec.n_updates, 2);
    assert_int_equal(rec.n_alerts, 1);        /* joining members never alert on their own */
    assert_int_equal(detect_counters(d)->cluster_updates, 2);
    detect_free(d);
}

/* Reload keeps each source's state (a rule added by the reload sees the
 * turns from before it) and alert suppression (a rule with a threshold
 * does not alert again); a reload that fails keeps the rules in use. */
static void test_reload_carry_over(void **state)
{
    (void)state;
    const char *one = "alert ai-harvest (msg:\"two\"; window:1m; requests:>=2; "
                      "threshold: type limit, track by_src, count 1, seconds 3600; sid:1; rev:1;)\n";
    write_file("t.rules", one);
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client a;
    client_start(d, &a, 1, T0);
    client_turn(d, &a, T0 + S(1));
    client_turn(d, &a, T0 + S(2));
    assert_int_equal(rec.n_alerts, 1);
    assert_int_equal(rec.alert_sid[0], 1);

    char two[512];
    snprintf(two, sizeof(two), "%salert ai-harvest (msg:\"three\"; window:1m; requests:>=3; "
                               "sid:2; rev:1;)\n", one);
    write_file("t.rules", two);
    assert_int_equal(detect_reload(d), 0);
    client_turn(d, &a, T0 + S(3));
    assert_int_equal(rec.n_alerts, 2);        /* sid 2 only: sid 1 stays suppressed */
    assert_int_equal(rec.alert_sid[1], 2);

    enum log_level lvl = log_get_level();
    log_set_level(LOG_ERROR);
    write_file("t.rules", "alert ai-harvest (msg:\"broken\"; window:1m; requests:>=; sid:3;)\n");
    assert_int_equal(detect_reload(d), -1);
    remove_file("fingerprints.conf");
    assert_int_equal(detect_reload(d), -1);
    write_file("fingerprints.conf", FINGERPRINTS);
    log_set_level(lvl);

    /* Still sids 1 and 2: a new source alerts on both. */
    struct client b;
    client_start(d, &b, 2, T0 + S(10));
    for (int i = 0; i < 3; i++)
        client_turn(d, &b, T0 + S(11 + i));
    assert_int_equal(rec.n_alerts, 4);
    assert_int_equal(rec.alert_sid[2], 1);
    assert_int_equal(rec.alert_sid[3], 2);
    detect_free(d);
}

/* Source events go to the sink once per window length, one per active
 * source; with no sink at all (--check-rules) nothing is handed over and
 * the counts go on. */
static void test_source_events_and_no_sink(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"any\"; window:1m; requests:>=1; sid:1; rev:1;)\n");
    struct record rec;
    memset(&rec, 0, sizeof(rec));
    struct detect_config cfg;
    detect_config_default(&cfg);
    cfg.rules_dir = dir;
    cfg.src.windows_s[0] = 60;
    cfg.src.n_windows = 1;
    cfg.src.eval_interval_s = 0;
    cfg.source_events = true;
    struct detect_sink sink = { NULL, NULL, rec_source, &rec };
    struct detect *d = NULL;
    cfg.facts = facts;
    assert_int_equal(detect_new(&cfg, &sink, &d), 0);
    struct client a, b;
    client_start(d, &a, 1, T0);
    client_start(d, &b, 2, T0);
    detect_tick(d, T0);
    client_turn(d, &a, T0 + S(1));
    client_turn(d, &b, T0 + S(2));
    detect_tick(d, T0 + S(30));
    assert_int_equal(rec.n_sources, 0);
    detect_tick(d, T0 + S(60));
    assert_int_equal(rec.n_sources, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(rec.source_window[i], 60);
        assert_int_equal(rec.source_last[i], rec.source_src[i]); /* flow_id = host */
    }
    assert_int_equal(rec.source_src[0] + rec.source_src[1], 1 + 2);
    assert_int_equal(detect_counters(d)->source_events, 2);
    assert_int_equal(detect_counters(d)->alerts, 2);   /* counted, though no alert sink */
    detect_free(d);

    cfg.facts = facts;

    assert_int_equal(detect_new(&cfg, NULL, &d), 0);
    client_start(d, &a, 1, T0);
    detect_tick(d, T0);
    client_turn(d, &a, T0 + S(1));
    detect_tick(d, T0 + S(60));
    detect_finish(d);
    assert_int_equal(detect_counters(d)->alerts, 1);
    assert_int_equal(detect_counters(d)->source_events, 1);
    detect_free(d);
}

/* Each window's source events carry that window: with 1 and 5 minutes, a
 * source active at the start is reported over 1 minute at +60 s, and over
 * both at +300 s (once per window length, those active in that window). */
static void test_source_event_windows(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"any\"; window:1m; requests:>=100; sid:1; rev:1;)\n");
    struct record rec;
    memset(&rec, 0, sizeof(rec));
    struct detect_config cfg;
    detect_config_default(&cfg);
    cfg.rules_dir = dir;
    cfg.src.windows_s[0] = 60;
    cfg.src.windows_s[1] = 300;
    cfg.src.n_windows = 2;
    cfg.source_events = true;
    struct detect_sink sink = { NULL, NULL, rec_source, &rec };
    struct detect *d = NULL;
    cfg.facts = facts;
    assert_int_equal(detect_new(&cfg, &sink, &d), 0);
    struct client a;
    client_start(d, &a, 7, T0);
    detect_tick(d, T0);
    client_turn(d, &a, T0 + S(1));
    detect_tick(d, T0 + S(60));
    assert_int_equal(rec.n_sources, 1);
    assert_int_equal(rec.source_window[0], 60);
    assert_int_equal(rec.source_src[0], 7);
    client_turn(d, &a, T0 + S(299));
    detect_tick(d, T0 + S(300));
    assert_int_equal(rec.n_sources, 3);
    assert_int_equal(rec.source_window[1], 60);
    assert_int_equal(rec.source_window[2], 300);
    assert_int_equal(rec.source_src[2], 7);
    assert_int_equal(rec.source_last[2], 7);
    detect_free(d);
}

/* Five sources (one JA4, prompt sizes far apart, so no profile cluster holds
 * them) start a request each within a second of each other every 200 s. The
 * rounds at 0 and 200 s fall in synchrony's warm-up; the one at 400 s is
 * crowded (five sparse sources in a second, against a background of nothing
 * but them); at 600 s the second crowded round makes all five members, and
 * each, evaluated as it joins (most at another's turn), is filed in the
 * group's cluster: the cluster rule on sync_rounds sees a cluster of 4 as
 * the fourth is filed. A profile cluster has no rounds, so that rule never
 * holds on one. */
static void test_synchronous_group(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest-cluster (msg:\"in step\"; window:1m; cluster_size:>=4; "
                          "sync_rounds:>=2; sid:110; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client c[5];
    for (uint8_t i = 0; i < 5; i++)
        client_start(d, &c[i], (uint8_t)(i + 1), T0);
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned i = 0; i < 5; i++) {
            uint64_t start = T0 + S(200 * k) + 200000u * i;
            struct turn t = { .start_us = start, .req_bytes = 1000u << (2 * i),
                              .resp_bytes = 8000, .req_records = 1, .resp_records = 10,
                              .ttfb_us = 300000, .resp_dur_us = 2000000 };
            detect_turn(d, &c[i].f, &c[i].app, &svc, &t, start + S(3));
        }
        if (k < 3)
            assert_int_equal(rec.n_alerts, 0);
    }
    assert_int_equal(rec.n_alerts, 1);
    assert_true(rec.alert_cluster[0]);
    assert_int_equal(rec.alert_sid[0], 110);
    assert_int_equal(rec.alert_cluster_size[0], 4);
    detect_free(d);
}

/* A script behind a NAT of browsers: the address record (browser and
 * python) does not match `fingerprint_family:!browser`, python's profile
 * record does, and its alert names the profile and its latest flow. Source
 * events come for the address and, while it carries both, each profile. */
static void test_profile_behind_nat(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"script\"; window:1m; requests:>=5; "
                          "fingerprint_family:!browser; "
                          "threshold: type limit, track by_src, count 1, seconds 3600; "
                          "sid:1; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect_with(&rec, true, 0);
    detect_tick(d, T0);
    struct client br, py;
    client_open(d, &br, 1, 10, JA4_BROWSER, T0);
    for (int i = 0; i < 6; i++)
        client_turn(d, &br, T0 + S(1 + i));
    assert_int_equal(rec.n_alerts, 0);
    client_open(d, &py, 1, 11, JA4_PYTHON, T0 + S(7));
    for (int i = 0; i < 4; i++)
        client_turn(d, &py, T0 + S(8 + i));
    assert_int_equal(rec.n_alerts, 0);
    client_turn(d, &py, T0 + S(12));           /* python's fifth */
    assert_int_equal(rec.n_alerts, 1);
    assert_int_equal(rec.alert_sid[0], 1);
    assert_string_equal(rec.alert_profile[0], "python");
    assert_int_equal(rec.alert_src[0], 1);
    assert_int_equal(rec.alert_last[0], 11);
    for (int i = 0; i < 5; i++)
        client_turn(d, &py, T0 + S(13 + i));
    assert_int_equal(rec.n_alerts, 1);         /* suppressed per address */
    const struct detect_counters *n = detect_counters(d);
    assert_int_equal(n->alerts, 1);
    assert_int_equal(n->profile_alerts, 1);
    assert_true(n->profile_evaluated > 0);
    detect_tick(d, T0 + S(60));
    assert_int_equal(rec.n_sources, 3);        /* the address, python and browser */
    unsigned seen = 0;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(rec.source_src[i], 1);
        if (strcmp(rec.source_profile[i], "python") == 0)
            seen |= 1, assert_int_equal(rec.source_last[i], 11);
        else if (strcmp(rec.source_profile[i], "browser") == 0)
            seen |= 2, assert_int_equal(rec.source_last[i], 10);
        else if (rec.source_profile[i][0] == '\0')
            seen |= 4;
    }
    assert_int_equal(seen, 7);
    detect_free(d);
}

/* A flow that started before its address split was filed in the address
 * record only (DETECT_FLOW_SOURCE alone): it ends there, not on the profile
 * record of its family that the split made since. Seen in the eviction
 * order of a table of 4 records: python (host 1, 10 s), then browser from
 * the same address (11 s: the split copies the address record into
 * python's profile record, and files the flow in the address record and
 * browser's), then host 2 (12 s); least recently seen first that is
 * python's profile record, browser's, the address record, host 2. The
 * python flow ends (13 s): the address record is seen, python's profile
 * record is not (if it were, browser's would be the least recently seen),
 * so host 3 (14 s) pushes out python's, and the source events at 60 s
 * list the address, browser's record, host 2 and host 3. */
static void test_flow_end_without_profile(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"five\"; window:1m; requests:>=5; sid:1; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect_with(&rec, true, 4);
    detect_tick(d, T0);
    struct client py, br, h2, h3;
    client_open(d, &py, 1, 10, JA4_PYTHON, T0 + S(10));
    assert_int_equal(client_started(&py), DETECT_FLOW_SOURCE);
    client_open(d, &br, 1, 11, JA4_BROWSER, T0 + S(11));
    assert_int_equal(client_started(&br), DETECT_FLOW_SOURCE | DETECT_FLOW_PROFILE);
    client_open(d, &h2, 2, 12, JA4_PYTHON, T0 + S(12));
    detect_flow_end(d, &py.f, &py.app, client_started(&py), T0 + S(13));
    client_open(d, &h3, 3, 13, JA4_PYTHON, T0 + S(14));
    detect_tick(d, T0 + S(60));
    assert_int_equal(rec.n_sources, 4);
    unsigned seen = 0;
    for (unsigned i = 0; i < rec.n_sources; i++) {
        if (strcmp(rec.source_profile[i], "browser") == 0)
            seen |= 1, assert_int_equal(rec.source_src[i], 1);
        else if (rec.source_profile[i][0] == '\0')
            seen |= 1u << rec.source_src[i];   /* hosts 1, 2, 3: 2, 4, 8 */
        else
            fail_msg("a source event for profile %s", rec.source_profile[i]);
    }
    assert_int_equal(seen, 1 + 2 + 4 + 8);
    detect_free(d);
}

/* One alert per rule per address: when the address record alerted first,
 * its profile's match of the same rule is suppressed. */
static void test_profile_suppressed_by_address(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"five\"; window:1m; requests:>=5; "
                          "threshold: type limit, track by_src, count 1, seconds 3600; "
                          "sid:2; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client br, py;
    client_open(d, &py, 1, 11, JA4_PYTHON, T0);
    for (int i = 0; i < 5; i++)
        client_turn(d, &py, T0 + S(1 + i));
    assert_int_equal(rec.n_alerts, 1);
    assert_string_equal(rec.alert_profile[0], "");
    client_open(d, &br, 1, 10, JA4_BROWSER, T0 + S(6));
    client_turn(d, &br, T0 + S(6));
    for (int i = 0; i < 5; i++)
        client_turn(d, &py, T0 + S(7 + i));
    assert_true(detect_counters(d)->profile_evaluated > 0);
    assert_int_equal(rec.n_alerts, 1);
    assert_int_equal(detect_counters(d)->profile_alerts, 0);
    detect_free(d);
}

/* A profile record is evaluated only while its address carries more than
 * one family in the window: before the browser came, python's turns go to
 * the address record alone; while both are in the 1-minute window, python's
 * record is evaluated too (and alerts as python); once the browser has been
 * quiet for a minute, python's record is skipped (counted) and the address
 * record alone speaks for it. */
static void test_profile_needs_two_families(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"python\"; window:1m; requests:>=1; "
                          "fingerprint_family:python; "
                          "threshold: type limit, track by_src, count 100, seconds 3600; "
                          "sid:3; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    const struct detect_counters *n = detect_counters(d);
    struct client br, py;
    client_open(d, &py, 1, 11, JA4_PYTHON, T0);
    for (int i = 0; i < 3; i++)
        client_turn(d, &py, T0 + S(1 + i));
    assert_int_equal(rec.n_alerts, 3);         /* the address's, no profile record */
    assert_int_equal(n->profile_evaluated + n->profile_single, 0);
    client_open(d, &br, 1, 10, JA4_BROWSER, T0 + S(4));
    client_turn(d, &br, T0 + S(4));            /* the address still matches: python in it */
    assert_int_equal(rec.n_alerts, 4);
    assert_int_equal(n->profile_evaluated, 1); /* browser's record: no python there */
    client_turn(d, &py, T0 + S(5));
    assert_int_equal(rec.n_alerts, 6);
    assert_string_equal(rec.alert_profile[4], "");
    assert_string_equal(rec.alert_profile[5], "python");
    assert_int_equal(n->profile_evaluated, 2);
    client_turn(d, &py, T0 + S(100));          /* the browser left the window */
    assert_int_equal(rec.n_alerts, 7);
    assert_string_equal(rec.alert_profile[6], "");
    assert_int_equal(n->profile_evaluated, 2);
    assert_int_equal(n->profile_single, 1);
    detect_free(d);
}

/* The cluster tables see an address through its address record until one
 * of its profiles alerts, then through that profile. A lone script (.2)
 * and the same script behind a NAT of browsers (.1): the NAT's address
 * record scatters (browser prompts of 300 to 9000 bytes) and joins no
 * cluster; once python's profile alerts, the NAT is grouped on python's
 * turns, joins the lone script's cluster, and the cluster alerts, the
 * alert naming the profile that fed it. */
static void test_profile_feeds_clusters(void **state)
{
    (void)state;
    write_file("t.rules", "alert ai-harvest (msg:\"script\"; window:1m; requests:>=3; "
                          "fingerprint_family:!browser; "
                          "threshold: type limit, track by_src, count 1, seconds 3600; "
                          "sid:1; rev:1;)\n"
                          "alert ai-harvest-cluster (msg:\"pool\"; window:1m; cluster_size:>=2; "
                          "sid:101; rev:1;)\n");
    struct record rec;
    struct detect *d = new_detect(&rec);
    struct client lone, br, py;
    client_open(d, &lone, 2, 20, JA4_PYTHON, T0);
    client_open(d, &br, 1, 10, JA4_BROWSER, T0);
    const uint32_t sizes[] = { 5000, 300, 9000, 700 };
    for (int i = 0; i < 4; i++)
        client_turn_sized(d, &br, T0 + S(1 + i), sizes[i]);
    client_open(d, &py, 1, 11, JA4_PYTHON, T0 + S(5));
    client_turn(d, &lone, T0 + S(6));
    client_turn(d, &py, T0 + S(7));
    client_turn(d, &lone, T0 + S(16));
    client_turn(d, &py, T0 + S(17));
    assert_int_equal(rec.n_alerts, 0);
    client_turn(d, &lone, T0 + S(26));         /* the lone script's third: it alerts */
    assert_int_equal(rec.n_alerts, 1);
    assert_false(rec.alert_cluster[0]);
    assert_int_equal(rec.alert_src[0], 2);
    client_turn(d, &py, T0 + S(27));           /* python's third: its profile alerts */
    assert_int_equal(rec.n_alerts, 3);
    assert_false(rec.alert_cluster[1]);
    assert_int_equal(rec.alert_src[1], 1);
    assert_string_equal(rec.alert_profile[1], "python");
    assert_true(rec.alert_cluster[2]);         /* and the NAT joins the lone script */
    assert_int_equal(rec.alert_sid[2], 101);
    assert_int_equal(rec.alert_cluster_size[2], 2);
    assert_int_equal(rec.alert_src[2], 1);
    assert_string_equal(rec.alert_profile[2], "python");
    detect_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefilter),
        cmocka_unit_test(test_prefilter_floor),
        cmocka_unit_test(test_finish_evaluates_overdue),
        cmocka_unit_test(test_cluster_update_cadence),
        cmocka_unit_test(test_synchronous_group),
        cmocka_unit_test(test_reload_carry_over),
        cmocka_unit_test(test_source_events_and_no_sink),
        cmocka_unit_test(test_source_event_windows),
        cmocka_unit_test(test_profile_behind_nat),
        cmocka_unit_test(test_flow_end_without_profile),
        cmocka_unit_test(test_profile_suppressed_by_address),
        cmocka_unit_test(test_profile_needs_two_families),
        cmocka_unit_test(test_profile_feeds_clusters),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
