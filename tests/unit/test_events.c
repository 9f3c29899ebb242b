/* Event writers (event-flow, event-alert, event-source, event-stats over
 * eve): events are one valid JSON line each; wire strings are escaped; EVE's
 * timestamp form; an event over the line cap loses its turn list (or member
 * list) and says so; flows and alerts write the same tls object; the stats
 * tree keeps its keys in the order first named, and the modules' writers
 * put their counters where the stats event has them (decode errors by kind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/cluster.h"
#include "ds/decode.h"
#include "ds/detect.h"
#include "ds/eve.h"
#include "ds/event-alert.h"
#include "ds/event-flow.h"
#include "ds/event-source.h"
#include "ds/event-stats.h"
#include "ds/flow-app.h"
#include "ds/rules.h"
#include "ds/sink.h"
#include "ds/stats.h"
#include "ds/tls-record.h"
#include "ds/tls.h"
#include "ds/util.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Event writing onto a sink on a new temporary file, named in path (a
 * mkstemp template). */
static struct sink *sink;

static struct eve *open_temp(char *path, const char *host)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[128];
    assert_int_equal(sink_open(path, &sink, err, sizeof(err)), 0);
    return eve_new(sink, host);
}

/* Closes both; 0, or -1 if a line was lost. */
static int close_temp(struct eve *e)
{
    eve_free(e);
    int rc = sink_close(sink);
    sink = NULL;
    return rc;
}

/* A sensor name of len - 1 letters, to fill most of a line. */
static const char *filler(char *buf, size_t len)
{
    memset(buf, 'h', len - 1);
    buf[len - 1] = '\0';
    return buf;
}

/* The string table and the fact sets of the flows' TLS facts (the
 * sensor's, in a run). */
static struct intern *strs;
static struct tls_facts *facts;

static int strs_setup(void **state)
{
    (void)state;
    strs = intern_new(1024, 1 << 20, 0);
    facts = tls_facts_new(1024, 1 << 20, strs, 0);
    return strs && facts ? 0 : -1;
}

static int strs_teardown(void **state)
{
    (void)state;
    tls_facts_free(facts);
    intern_free(strs);
    return 0;
}

/* A number of a flow's fact set changed, as the sensor changes it: a copy
 * of the set, the field changed, the copy interned. */
#define SET_FACT(id, field, value)                                                                 \
    do {                                                                                           \
        struct flow_tls set_fact_;                                                                 \
        tls_facts_edit(facts, *(id), &set_fact_);                                                  \
        set_fact_.field = (value);                                                                 \
        tls_facts_commit(facts, (id), &set_fact_);                                                 \
    } while (0)

static struct flow *make_flow(struct flow_app *app)
{
    static struct flow f;
    memset(&f, 0, sizeof(f));
    memset(app, 0, sizeof(*app));
    ds_addr_from_v4(&f.cli, (uint8_t[]){ 10, 1, 2, 3 });
    ds_addr_from_v4(&f.srv, (uint8_t[]){ 192, 0, 2, 80 });
    f.cport = 51000;
    f.sport = 443;
    f.proto = DS_IPPROTO_TCP;
    f.flags = FLOW_F_TLS | FLOW_F_FOLLOW;
    f.id = 7;
    f.first_us = 1771841100123456ull;  /* 2026-02-23T10:05:00.123456Z */
    f.last_us = f.first_us + 2500000;
    f.pkts[0] = 10, f.pkts[1] = 12;
    flow_bytes_add(&f, FLOW_TOSERVER, 1000);
    flow_bytes_add(&f, FLOW_TOCLIENT, 9000);
    f.state = FLOW_STATE_CLOSED;
    SET_FACT(&app->tls, version, 0x0304);
    tls_facts_set_str(facts, &app->tls, FLOW_TLS_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 255);
    return &f;
}

static void test_flow_event_escaping(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, "sensor \"one\"");
    struct flow_app app;
    struct flow *f = make_flow(&app);
    /* A hostile SNI: quote, backslash, control byte, a high byte. */
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_SNI, "a\"b\\c\x01\xff", 255);
    /* ALPN list: "h2", then one with a newline. */
    const uint8_t alpn[] = { 2, 'h', '2', 3, 'x', '\n', 'y' };
    tls_facts_set(facts, &app.tls, FLOW_TLS_ALPN, alpn, sizeof(alpn));
    struct catalog_entry svc = { "openai", "api", "api.openai.com" };
    event_flow(o, f, &app, &svc, facts, NULL);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_non_null(strstr(line, "\"timestamp\":\"2026-02-23T10:05:00.123456+0000\""));
    assert_non_null(strstr(line, "\"host\":\"sensor \\\"one\\\"\""));
    assert_non_null(strstr(line, "\"sni\":\"a\\\"b\\\\x5cc\\\\x01\\\\xff\""));
    assert_non_null(strstr(line, "\"client_alpns\":[\"h2\",\"x\\\\x0ay\"]"));
    assert_non_null(strstr(line, "\"version\":\"TLSv1.3\""));
    assert_non_null(strstr(line, "\"ai\":{\"provider\":\"openai\",\"service\":\"api\""));
    assert_non_null(strstr(line, "\"flow\":{\"pkts_toserver\":10,\"pkts_toclient\":12"));
    assert_non_null(strstr(line, "\"age\":2,\"state\":\"closed\",\"reason\":\"timeout\""));
    /* One line, ending in a newline, no other newline. */
    size_t n = strlen(line);
    assert_true(n > 0 && line[n - 1] == '\n');
    assert_ptr_equal(strchr(line, '\n'), line + n - 1);
}

/* EXCHANGE_TURNS_KEPT turns listed in e from pool p: TLS records, one
 * request each answered a second apart. */
static void make_turns(struct exchange *e, struct exchange_pool *p)
{
    static uint8_t buf[TLS_RECORD_HDR_LEN + 1000];
    memset(buf, 0xab, sizeof(buf));
    const struct turn_sink to = { NULL, NULL, NULL, p };
    uint32_t seq[2] = { 1000, 500000 };
    exchange_init(e);
    for (unsigned i = 0; i < EXCHANGE_TURNS_KEPT; i++) {
        for (int dir = 0; dir < 2; dir++) {
            uint16_t len = dir == 0 ? 300 : 1000;
            const uint8_t hdr[TLS_RECORD_HDR_LEN] = { 23, 3, 3, (uint8_t)(len >> 8),
                                                      (uint8_t)(len & 0xff) };
            memcpy(buf, hdr, sizeof(hdr));
            uint64_t ts = 1000000 * (uint64_t)(i + 1) + 1000 * (uint64_t)dir;
            exchange_tcp(e, dir, ts, seq[dir], buf, TLS_RECORD_HDR_LEN + len, &to);
            seq[dir] += TLS_RECORD_HDR_LEN + len;
        }
    }
    exchange_finish(e, &to);
}

static void test_line_cap(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    /* A sensor name that nearly fills a line: the turn list must go. */
    static char host[23 * 1024];
    struct eve *o = open_temp(path, filler(host, sizeof(host)));
    struct flow_app app;
    struct flow *f = make_flow(&app);
    struct exchange_pool *turns = exchange_pool_new(2 * EXCHANGE_TURNS_KEPT, 0, 0);
    assert_non_null(turns);
    make_turns(&app.ex, turns);
    assert_int_equal(app.ex.kept, EXCHANGE_TURNS_KEPT);
    event_flow(o, f, &app, NULL, facts, turns);
    exchange_release(&app.ex, turns);
    exchange_pool_free(turns);
    assert_int_equal(sink_counters(sink)->truncated, 1);
    assert_int_equal(sink_counters(sink)->events, 1);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_true(strlen(line) < 32 * 1024);
    assert_non_null(strstr(line, "\"truncated\":true"));
    assert_null(strstr(line, "\"turns\":["));
}

static struct cluster_member members[CLUSTER_MAX_MEMBERS];

static void make_cluster(struct cluster *c, unsigned n, bool v6)
{
    memset(c, 0, sizeof(*c));
    features_clear(&c->agg);
    c->m = members;
    c->id = 42;
    c->n = n;
    snprintf(c->ja4s[0], sizeof(c->ja4s[0]), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    snprintf(c->ja4s[2], sizeof(c->ja4s[2]), "t13d1715h2_5b57614c22b0_3d5424432f57");
    c->ja4_members[0] = 2;
    c->ja4_members[2] = 1;
    snprintf(c->families[0], sizeof(c->families[0]), "python");
    c->family_members[0] = n;
    snprintf(c->provider, sizeof(c->provider), "openai");
    c->log_gap = 0;          /* cadence 1 s */
    c->log_size = 7.0;
    c->window_s = 600;
    c->first_us = 1771841100000000ull;
    for (unsigned i = 0; i < n; i++) {
        memset(&members[i], 0, sizeof(members[i]));
        if (v6)
            memcpy(members[i].addr.a, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                                   0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, (uint8_t)i }, 16);
        else
            ds_addr_from_v4(&members[i].addr, (uint8_t[]){ 198, 51, 100, (uint8_t)(i + 1) });
    }
}

/* An alert event as written: rule text that is not UTF-8 escaped, UTF-8 kept,
 * metadata grouped by key as EVE does, the features, geo and the cluster
 * with its members. */
static void test_alert_event(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);

    struct rule r;
    memset(&r, 0, sizeof(r));
    r.kind = RULE_KIND_CLUSTER;
    r.sid = 9000102;
    r.rev = 3;
    r.msg = (char *)"pool \xff\"x\"";
    r.classtype = (char *)"caf\xc3\xa9";
    r.severity = 1;
    r.threshold.type = RULE_THR_LIMIT;
    r.threshold.track = RULE_TRACK_BY_SRC;
    r.threshold.count = 1;
    r.threshold.seconds = 3600;
    char *keys[] = { "technique", "confidence", "technique" };
    char *vals[] = { "hydra", "high", "steady" };
    r.n_meta = 3;
    for (int i = 0; i < 3; i++)
        r.meta_key[i] = keys[i], r.meta_val[i] = vals[i];

    struct features f;
    features_clear(&f);
    features_set_num(&f, FEAT_REQUESTS, 12);
    features_add_str(&f, FEAT_PROVIDER, "openai");
    features_add_str(&f, FEAT_COUNTRY, "DE");
    features_add_str(&f, FEAT_ASN, "64500");
    struct rule_hit hit = { .rule = &r, .features = &f, .window_s = 600,
                            .cluster = { .size = 3, .sync_rounds = -1 } };
    struct cluster c;
    make_cluster(&c, 3, false);
    struct ds_addr src;
    ds_addr_from_v4(&src, (uint8_t[]){ 198, 51, 100, 3 });
    struct detect_alert a = { .ts_us = 1771841100123456ull, .src = &src, .hit = &hit, .cluster = &c };
    event_alert(o, &a);
    members[0].listed = members[1].listed = true;
    event_cluster_update(o, a.ts_us + 30000000, &c, &r);
    assert_int_equal(sink_counters(sink)->events, 2);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char *update = nl + 1;
    assert_non_null(strstr(text, "{\"timestamp\":\"2026-02-23T10:05:00.123456+0000\",\"event_type\":\"alert\","
                                 "\"src_ip\":\"198.51.100.3\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
                                 "\"signature_id\":9000102,\"rev\":3,"
                                 "\"signature\":\"pool \\\\xff\\\"x\\\"\",\"category\":\"caf\xc3\xa9\","
                                 "\"severity\":1,\"metadata\":{\"technique\":[\"hydra\",\"steady\"],"
                                 "\"confidence\":[\"high\"]}}"));
    assert_non_null(strstr(text, "\"source\":{\"window\":600,\"profile\":{\"type\":\"address\"},"
                                 "\"matched\":[],\"features\":{\"requests\":12.0,"));
    assert_non_null(strstr(text, "\"provider\":[\"openai\"]"));
    assert_non_null(strstr(text, "\"threshold\":{\"type\":\"limit\",\"track\":\"by_src\",\"count\":1,\"seconds\":3600}}"));
    assert_non_null(strstr(text, "\"geo\":{\"country\":\"DE\",\"asn\":64500}"));
    assert_non_null(strstr(text, "\"cluster\":{\"id\":42,\"size\":3,"
                                 "\"members\":[\"198.51.100.1\",\"198.51.100.2\",\"198.51.100.3\"],"
                                 "\"shared\":{\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
                                 "\"ja4s\":[\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
                                 "\"t13d1715h2_5b57614c22b0_3d5424432f57\"],\"families\":[\"python\"],"
                                 "\"provider\":\"openai\",\"cadence_s\":1.0,\"request_size\":1096.63},"
                                 "\"window\":600,\"first_seen\":\"2026-02-23T10:05:00.000000+0000\"}}"));
    /* The update lists only the member not listed before. */
    assert_non_null(strstr(update, "\"event_type\":\"cluster\",\"cluster\":{\"id\":42,\"size\":3,"
                                   "\"new_members\":[\"198.51.100.3\"],"));
    assert_non_null(strstr(update, "\"action\":\"update\",\"signature_id\":9000102,"
                                   "\"signature\":\"pool \\\\xff\\\"x\\\"\"}}\n"));
}

/* A cluster none of whose members has a cadence yet says nothing of one. */
static void test_cluster_without_cadence(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct cluster c;
    make_cluster(&c, 2, false);
    c.log_gap = CLUSTER_NO_GAP;
    c.sync_group = 7;   /* a synchronous group says how many rounds it shared */
    c.sync_rounds = 4;
    event_cluster_update(o, 1771841100000000ull, &c, NULL);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_non_null(strstr(line, "\"new_members\":[\"198.51.100.1\",\"198.51.100.2\"],"
                                 "\"shared\":{\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
                                 "\"ja4s\":[\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
                                 "\"t13d1715h2_5b57614c22b0_3d5424432f57\"],\"families\":[\"python\"],"
                                 "\"sync_rounds\":4,"
                                 "\"provider\":\"openai\",\"request_size\":1096.63},"
                                 "\"window\":600,\"first_seen\":\"2026-02-23T10:05:00.000000+0000\","
                                 "\"action\":\"update\"}}\n"));
}

/* A cluster alert that does not fit a line keeps everything but its member
 * list, and says how many members it left out. */
static void test_alert_line_cap(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    static char host[14 * 1024];
    struct eve *o = open_temp(path, filler(host, sizeof(host)));
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.msg = (char *)"pool";
    r.severity = 2;
    struct features f;
    features_clear(&f);
    struct rule_hit hit = { .rule = &r, .features = &f, .window_s = 600 };
    struct cluster c;
    make_cluster(&c, CLUSTER_MAX_MEMBERS, true);
    struct ds_addr src = members[0].addr;
    struct detect_alert a = { .ts_us = 1771841100123456ull, .src = &src, .hit = &hit, .cluster = &c };
    event_alert(o, &a);
    assert_int_equal(sink_counters(sink)->truncated, 1);
    assert_int_equal(sink_counters(sink)->events, 1);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_null(strstr(line, "\"members\":["));
    assert_non_null(strstr(line, "\"members_not_listed\":256}"));
    assert_non_null(strstr(line, "\"truncated\":true}\n"));
}

/* The one tls object: a flow writes all it knows, in EVE's order; an
 * alert about the same client writes its sni and ja4 in the same bytes. */
static void test_tls_object_shared(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct flow_app app;
    struct flow *f = make_flow(&app);
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_SNI, "api.openai.com", 255);
    const uint8_t alpn[] = { 2, 'h', '2' };
    tls_facts_set(facts, &app.tls, FLOW_TLS_ALPN, alpn, sizeof(alpn));
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_JA3, "0123456789abcdef0123456789abcdef", 255);
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_JA3S, "fedcba9876543210fedcba9876543210", 255);
    event_flow(o, f, &app, NULL, facts, NULL);
    SET_FACT(&app.tls, version, 0);
    tls_facts_set(facts, &app.tls, FLOW_TLS_ALPN, NULL, 0);
    tls_facts_set(facts, &app.tls, FLOW_TLS_JA3, NULL, 0);
    tls_facts_set(facts, &app.tls, FLOW_TLS_JA3S, NULL, 0);
    event_flow(o, f, &app, NULL, facts, NULL);

    struct source_last_flow last;
    memset(&last, 0, sizeof(last));
    last.dst = f->srv;
    last.dport = 443;
    last.flow_id = 7;
    memcpy(last.host, "api.openai.com", 15);
    ds_strlcpy(last.ja4, tls_facts_str(facts, tls_facts_get(facts, app.tls), FLOW_TLS_JA4, NULL), sizeof(last.ja4));
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.msg = (char *)"x";
    struct features fe;
    features_clear(&fe);
    struct rule_hit hit = { .rule = &r, .features = &fe, .window_s = 60 };
    struct detect_alert a = { .ts_us = f->first_us, .src = &f->cli, .hit = &hit, .last = &last };
    event_alert(o, &a);
    last.quic = true;
    event_alert(o, &a);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    char *lines[4];
    for (int i = 0; i < 4; i++) {
        lines[i] = text;
        char *nl = strchr(text, '\n');
        assert_non_null(nl);
        *nl = '\0';
        text = nl + 1;
    }
    const char *tls = "\"tls\":{\"sni\":\"api.openai.com\",\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"}";
    assert_non_null(strstr(lines[0], "\"tls\":{\"sni\":\"api.openai.com\",\"version\":\"TLSv1.3\","
                                     "\"client_alpns\":[\"h2\"],"
                                     "\"ja3\":{\"hash\":\"0123456789abcdef0123456789abcdef\"},"
                                     "\"ja3s\":{\"hash\":\"fedcba9876543210fedcba9876543210\"},"
                                     "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"}"));
    assert_non_null(strstr(lines[1], tls));
    assert_non_null(strstr(lines[2], tls));
    assert_non_null(strstr(lines[3], "\"app_proto\":\"quic\",\"flow_id\":7,\"quic\":{\"sni\":"));
}

/* EVE's community_id, after the 5-tuple as Suricata writes it: a flow
 * event and an alert naming that flow as the source's latest carry the same
 * one (the alert has no src_port: the last flow keeps it), and the seed
 * changes it. Values from the spec's rule, computed in Python. */
static void test_community_id(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct flow_app app;
    struct flow *f = make_flow(&app);
    event_flow(o, f, &app, NULL, facts, NULL);
    struct source_last_flow last;
    memset(&last, 0, sizeof(last));
    last.dst = f->srv;
    last.sport = f->cport;
    last.dport = f->sport;
    last.flow_id = f->id;
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.msg = (char *)"x";
    struct features fe;
    features_clear(&fe);
    struct rule_hit hit = { .rule = &r, .features = &fe, .window_s = 60 };
    struct detect_alert a = { .ts_us = f->first_us, .src = &f->cli, .hit = &hit, .last = &last };
    event_alert(o, &a);
    eve_set_community_id_seed(o, 9);
    event_flow(o, f, &app, NULL, facts, NULL);
    event_alert(o, &a);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    char *lines[4];
    for (int i = 0; i < 4; i++) {
        lines[i] = text;
        char *nl = strchr(text, '\n');
        assert_non_null(nl);
        *nl = '\0';
        text = nl + 1;
    }
    const char *seed0 = "\"proto\":\"TCP\",\"community_id\":\"1:gtrSyuIPDgzJc67x/q1I2B2CCMk=\",";
    const char *seed9 = "\"proto\":\"TCP\",\"community_id\":\"1:rOHERXenWFYVEQ1CGK6noe7Vrzs=\",";
    assert_non_null(strstr(lines[0], seed0));
    assert_non_null(strstr(lines[1], seed0));
    assert_non_null(strstr(lines[2], seed9));
    assert_non_null(strstr(lines[3], seed9));
}

/* EVE's vlan array, before src_ip as Suricata writes it, in flow events
 * and in alerts (from the source's latest flow); none when untagged. */
static void test_vlan_field(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct flow_app app;
    struct flow *f = make_flow(&app);
    event_flow(o, f, &app, NULL, facts, NULL);
    f->vlan = ds_vlan_pack(&(struct ds_vlan){ { 10 }, 1 });
    event_flow(o, f, &app, NULL, facts, NULL);
    f->vlan = ds_vlan_pack(&(struct ds_vlan){ { 100, 20 }, 2 });
    event_flow(o, f, &app, NULL, facts, NULL);

    struct source_last_flow last;
    memset(&last, 0, sizeof(last));
    last.dst = f->srv;
    last.dport = 443;
    last.flow_id = 7;
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.msg = (char *)"x";
    struct features fe;
    features_clear(&fe);
    struct rule_hit hit = { .rule = &r, .features = &fe, .window_s = 60 };
    struct detect_alert a = { .ts_us = f->first_us, .src = &f->cli, .hit = &hit, .last = &last };
    event_alert(o, &a);
    last.vlan.n = 1, last.vlan.id[0] = 20;
    event_alert(o, &a);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    char *lines[5];
    for (int i = 0; i < 5; i++) {
        lines[i] = text;
        char *nl = strchr(text, '\n');
        assert_non_null(nl);
        *nl = '\0';
        text = nl + 1;
    }
    assert_null(strstr(lines[0], "vlan"));
    assert_non_null(strstr(lines[1], "\"flow_id\":7,\"vlan\":[10],\"src_ip\":\"10.1.2.3\""));
    assert_non_null(strstr(lines[2], "\"flow_id\":7,\"vlan\":[100,20],\"src_ip\":"));
    assert_null(strstr(lines[3], "vlan"));
    assert_non_null(strstr(lines[4], "\"event_type\":\"alert\",\"vlan\":[20],\"src_ip\":"));
}

/* A QUIC flow: the quic object with its version; the client's ALPNs go in
 * `ai`, since EVE's quic object has no place for them. */
static void test_quic_flow(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct flow_app app;
    struct flow *f = make_flow(&app);
    f->proto = DS_IPPROTO_UDP;
    f->flags = FLOW_F_QUIC | FLOW_F_FOLLOW;
    SET_FACT(&app.tls, version, 0);
    SET_FACT(&app.tls, quic_version, 1);
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_SNI, "chatgpt.com", 255);
    const uint8_t alpn[] = { 2, 'h', '3' };
    tls_facts_set(facts, &app.tls, FLOW_TLS_ALPN, alpn, sizeof(alpn));
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_NDPI, "QUIC", 255);
    event_flow(o, f, &app, NULL, facts, NULL);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_non_null(strstr(line, "\"proto\":\"UDP\","
                                 "\"community_id\":\"1:9fIXJ5x4TxU8K+OW4GVpcOE6HjA=\","
                                 "\"app_proto\":\"quic\","
                                 "\"quic\":{\"sni\":\"chatgpt.com\",\"version\":\"00000001\","
                                 "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"},"));
    assert_non_null(strstr(line, "\"ai\":{\"ndpi_protocol\":\"QUIC\",\"client_alpns\":[\"h3\"]}"));
}

/* ECH in EVE's tls/quic object: "ech" after the SNI; a real ECH has no
 * sni and names its outer SNI as ech_outer_sni; a malformed one is left out. */
static void test_ech_fields(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct flow_app app;
    struct flow *f = make_flow(&app);
    tls_facts_set_str(facts, &app.tls, FLOW_TLS_SNI, "chatgpt.com", 255);
    SET_FACT(&app.tls, ech, TLS_ECH_GREASE);
    event_flow(o, f, &app, NULL, facts, NULL);
    tls_facts_set(facts, &app.tls, FLOW_TLS_SNI, NULL, 0);
    SET_FACT(&app.tls, ech, TLS_ECH_REAL);
    SET_FACT(&app.tls, ech_public, 1);
    f->proto = DS_IPPROTO_UDP;
    f->flags = FLOW_F_QUIC | FLOW_F_FOLLOW;
    SET_FACT(&app.tls, quic_version, 1);
    event_flow(o, f, &app, NULL, facts, NULL);
    SET_FACT(&app.tls, ech, TLS_ECH_BAD);
    SET_FACT(&app.tls, ech_public, 0);
    event_flow(o, f, &app, NULL, facts, NULL);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    char *l2 = strchr(text, '\n');
    assert_non_null(l2);
    *l2++ = '\0';
    char *l3 = strchr(l2, '\n');
    assert_non_null(l3);
    *l3++ = '\0';
    assert_non_null(strstr(text, "\"tls\":{\"sni\":\"chatgpt.com\",\"ech\":\"grease\","
                                 "\"version\":\"TLSv1.3\","));
    assert_non_null(strstr(l2, "\"quic\":{\"ech\":\"real\",\"ech_outer_sni\":"
                               "\"cloudflare-ech.com\",\"version\":\"00000001\","));
    assert_non_null(strstr(l3, "\"quic\":{\"version\":\"00000001\","));
}

/* A source event: the latest flow, the window's features and geo. A sensor
 * name that is not UTF-8 is escaped like a wire string. */
static void test_source_event(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, "s\xff");
    struct ds_addr src;
    ds_addr_from_v4(&src, (uint8_t[]){ 198, 51, 100, 7 });
    struct features f;
    features_clear(&f);
    f.window_s = 600;
    features_set_num(&f, FEAT_REQUESTS, 3);
    features_add_str(&f, FEAT_PROVIDER, "openai");
    features_add_str(&f, FEAT_AS_ORG, "Org \"q\"");
    event_source(o, 1771841100123456ull, &src, &f, NULL, NULL);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_string_equal(line, "{\"timestamp\":\"2026-02-23T10:05:00.123456+0000\",\"event_type\":\"source\","
                              "\"host\":\"s\\\\xff\",\"src_ip\":\"198.51.100.7\","
                              "\"source\":{\"window\":600,\"profile\":{\"type\":\"address\"},"
                              "\"features\":{\"requests\":3.0,"
                              "\"provider\":[\"openai\"],\"as_org\":[\"Org \\\"q\\\"\"]}},"
                              "\"geo\":{\"as_org\":\"Org \\\"q\\\"\"}}\n");
}

/* A profile record's source event and alert name the profile: its family
 * and how many families the address carried in the window. */
static void test_profile_events(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    struct ds_addr src;
    ds_addr_from_v4(&src, (uint8_t[]){ 198, 51, 100, 8 });
    struct features f;
    features_clear(&f);
    f.window_s = 600;
    features_set_num(&f, FEAT_REQUESTS, 40);
    struct source_profile p = { .family = "python", .families = 2 };
    event_source(o, 1771841100123456ull, &src, &f, NULL, &p);
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.sid = 9000001;
    r.rev = 1;
    r.msg = "m";
    r.severity = 1;
    struct rule_hit hit = { .rule = &r, .features = &f, .window_s = 600 };
    struct detect_alert a = { .ts_us = 1771841100123456ull, .src = &src, .hit = &hit,
                              .profile = &p };
    event_alert(o, &a);
    assert_int_equal(close_temp(o), 0);
    char *text = slurp(path);
    unlink(path);
    const char *want = "\"source\":{\"window\":600,\"profile\":{\"type\":\"family\","
                       "\"family\":\"python\",\"address_families\":2},";
    char *first = strstr(text, want);
    assert_non_null(first);
    assert_non_null(strstr(first + 1, want));   /* the alert's too */
    assert_non_null(strstr(text, "\"event_type\":\"alert\""));
}

/* The tree: a key keeps the place it was first named in, and a later write
 * changes its value there; the event is the prologue, then the tree. */
static void test_stats_tree(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, "s1");
    struct stats_node *root = stats_new();
    struct stats_node *a = stats_child(root, "a");
    stats_child(root, "b");
    stats_u64(a, "x", 1);
    stats_u64(stats_child(root, "b"), "y", 2);
    stats_u64(a, "z", 3);
    stats_u64(a, "x", 4);
    stats_u64(stats_child(stats_child(root, "a"), "deep"), "w", 5);
    stats_u64(NULL, "ignored", 6);
    assert_null(stats_child(NULL, "none"));
    event_stats(o, 1771841100000000ull, root);
    stats_free(root);
    stats_free(NULL);
    assert_int_equal(close_temp(o), 0);
    assert_string_equal(slurp(path), "{\"timestamp\":\"2026-02-23T10:05:00.000000+0000\","
                                     "\"event_type\":\"stats\",\"host\":\"s1\","
                                     "\"a\":{\"x\":4,\"z\":3,\"deep\":{\"w\":5}},\"b\":{\"y\":2}}\n");
    unlink(path);
}

static void no_end(void *ctx, struct flow *f)
{
    (void)ctx, (void)f;
}

/* Each module writes its counters where the stats event has them: decode
 * errors by kind; the flow table's counters in EVE's stats.flow and in ours,
 * tcp and udp counted by the table; the sink's own. */
static void test_stats_writers(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-events-XXXXXX";
    struct eve *o = open_temp(path, NULL);
    sink_write(sink, "x", 1);
    struct decode_stats d = { .pkts = 5, .bytes = 500, .tcp = 1, .udp = 1 };
    d.err[DECODE_ERR_IP_FRAGMENT] = 2;
    struct flow_config fc;
    flow_config_default(&fc);
    fc.max_flows = 1;
    struct flow_table *ft = flow_table_new(&fc, no_end, NULL);
    struct packet p;
    memset(&p, 0, sizeof(p));
    ds_addr_from_v4(&p.src, (uint8_t[]){ 10, 0, 0, 1 });
    ds_addr_from_v4(&p.dst, (uint8_t[]){ 192, 0, 2, 1 });
    p.sport = 40000, p.dport = 443, p.proto = DS_IPPROTO_TCP, p.ts_us = 1771841100000000ull;
    enum flow_dir dir;
    assert_non_null(flow_handle(ft, &p, &dir));
    p.proto = DS_IPPROTO_UDP;   /* a second flow: the first is evicted */
    assert_non_null(flow_handle(ft, &p, &dir));

    struct stats_node *root = stats_new();
    stats_u64(stats_child(root, "stats"), "uptime", 9);
    decode_stats_write(&d, root);
    flow_table_stats_write(ft, root);
    sink_stats_write(sink, root);
    event_stats(o, 1771841100000000ull, root);
    stats_free(root);
    flow_table_free(ft);
    assert_int_equal(close_temp(o), 0);
    char *line = slurp(path);
    unlink(path);
    line = strchr(line, '\n') + 1;
    assert_non_null(strstr(line, "\"event_type\":\"stats\",\"stats\":{\"uptime\":9,"
                                 "\"decoder\":{\"pkts\":5,\"bytes\":500,\"ipv4\":0,\"ipv6\":0,"
                                 "\"tcp\":1,\"udp\":1,\"avg_pkt_size\":100},"
                                 "\"flow\":{\"total\":2,\"active\":1,\"tcp\":1,\"udp\":1,\"memuse\":"));
    assert_non_null(strstr(line, "\"sensor\":{\"decode_errors\":{\"link_truncated\":0,"));
    assert_non_null(strstr(line, "\"ip_fragment\":2"));
    assert_non_null(strstr(line, "\"flows\":{\"total\":2,\"active\":1,\"max_active\":1,"
                                 "\"ended\":1,\"timed_out\":0,\"evicted\":1,\"chain_evicted\":0},"
                                 "\"memory\":{\"flows\":"));
    assert_non_null(strstr(line, "\"output\":{\"events\":1,\"write_errors\":0}}}\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_event_escaping),
        cmocka_unit_test(test_line_cap),
        cmocka_unit_test(test_alert_event),
        cmocka_unit_test(test_cluster_without_cadence),
        cmocka_unit_test(test_alert_line_cap),
        cmocka_unit_test(test_tls_object_shared),
        cmocka_unit_test(test_quic_flow),
        cmocka_unit_test(test_ech_fields),
        cmocka_unit_test(test_community_id),
        cmocka_unit_test(test_vlan_field),
        cmocka_unit_test(test_source_event),
        cmocka_unit_test(test_profile_events),
        cmocka_unit_test(test_stats_tree),
        cmocka_unit_test(test_stats_writers),
    };
    return cmocka_run_group_tests(tests, strs_setup, strs_teardown);
}
