/* NDJSON events shaped like Suricata's EVE: fields EVE defines keep EVE's
 * names and types (its schema is strict); our own data lives in our own
 * top-level objects (`ai`, `exchanges`, `sensor`). The only module that
 * includes jansson. Each line is kept under OUTPUT_LINE_MAX so that log
 * shippers (Fluent Bit stops at 32 KiB by default) never choke on one. */
#include "ds/output.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/jsonw.h"
#include "ds/sink.h"
#include "ds/util.h"

#define OUTPUT_LINE_MAX (24 * 1024)

struct output {
    struct sink *sink;
    char *host;
    char *line;        /* serialisation buffer, OUTPUT_LINE_MAX */
};

int output_open(const char *path, const char *host, struct output **out, char *err,
                size_t errlen)
{
    struct sink *k = NULL;
    if (sink_open(path, &k, err, errlen) != 0)
        return -1;
    struct output *o = xcalloc(1, sizeof(*o));
    o->sink = k;
    if (host)
        o->host = xstrdup(host);
    o->line = xmalloc(OUTPUT_LINE_MAX);
    *out = o;
    return 0;
}

int output_reopen(struct output *o, char *err, size_t errlen)
{
    return sink_reopen(o->sink, err, errlen);
}

int output_close(struct output *o)
{
    if (o == NULL)
        return 0;
    int rc = sink_close(o->sink);
    free(o->host);
    free(o->line);
    free(o);
    return rc;
}

void output_flush(struct output *o)
{
    sink_flush(o->sink);
}

const struct sink_counters *output_counters(const struct output *o)
{
    return sink_counters(o->sink);
}

/* Serialisation. jansson builds the stats event; we write it out through
 * the JSON writer, because json_dumpb formats every integer through
 * snprintf (see jsonw.h). Keys come in insertion order, as jansson's own
 * dump writes them; strings are valid UTF-8 (json_string checked them). */
static void write_value(struct jsonw *w, const char *key, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *val;
        jsonw_object(w, key);
        json_object_foreach(v, k, val)
            write_value(w, k, val);
        jsonw_close(w);
        break;
    }
    case JSON_ARRAY:
        jsonw_array(w, key);
        for (size_t i = 0; i < json_array_size(v); i++)
            write_value(w, NULL, json_array_get(v, i));
        jsonw_close(w);
        break;
    case JSON_STRING:
        jsonw_strn(w, key, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jsonw_int(w, key, json_integer_value(v));
        break;
    case JSON_REAL:
        jsonw_real(w, key, json_real_value(v));
        break;
    case JSON_TRUE:
        jsonw_bool(w, key, true);
        break;
    case JSON_FALSE:
        jsonw_bool(w, key, false);
        break;
    default:
        jsonw_null(w, key);
        break;
    }
}

/* The event as one line into o->line; its length, or 0 if over the cap. */
static size_t serialise(struct output *o, json_t *ev)
{
    struct jsonw w;
    jsonw_init(&w, o->line, OUTPUT_LINE_MAX - 1);
    write_value(&w, NULL, ev);
    return jsonw_len(&w);
}

static void write_line(struct output *o, size_t n);

/* Writes one event and frees it. An event over the line cap loses its
 * largest optional arrays (turn lists) and says so, rather than be dropped. */
static void emit(struct output *o, json_t *ev)
{
    size_t n = serialise(o, ev);
    if (n == 0) {
        json_t *ex = json_object_get(ev, "exchanges");
        if (ex)
            json_object_del(ex, "turns");
        json_object_set_new(ev, "truncated", json_true());
        sink_note_truncated(o->sink);
        n = serialise(o, ev);
    }
    json_decref(ev);
    write_line(o, n);
}

static json_t *ts_string(uint64_t ts_us)
{
    char buf[40];
    ds_format_ts(ts_us, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *event_new(struct output *o, uint64_t ts_us, const char *type)
{
    json_t *ev = json_object();
    json_object_set_new(ev, "timestamp", ts_string(ts_us));
    json_object_set_new(ev, "event_type", json_string(type));
    if (o->host)
        json_object_set_new(ev, "host", json_string(o->host));
    return ev;
}

static const char *flow_state_name(uint8_t st)
{
    switch (st) {
    case FLOW_STATE_NEW:
        return "new";
    case FLOW_STATE_ESTABLISHED:
        return "established";
    default:
        return "closed";
    }
}

static const char *flow_end_name(uint8_t why)
{
    switch (why) {
    case FLOW_END_EVICTED:
        return "forced";
    case FLOW_END_SHUTDOWN:
        return "shutdown";
    default:
        return "timeout";
    }
}

/* The flow event, the most frequent, is written directly (jsonw.h): building
 * a jansson tree for it (a malloc a field, then a free) cost more than all
 * the flow and TLS work of the flow. It writes what the tree would serialise to. */

static void write_alpns(struct jsonw *w, const char *key, const uint8_t *wire, size_t len)
{
    jsonw_array(w, key);
    size_t i = 0;
    while (i < len) {
        size_t n = wire[i++];
        if (n == 0 || n > len - i)
            break;
        jsonw_wire(w, NULL, wire + i, n);
        i += n;
    }
    jsonw_close(w);
}

/* True if the ALPN list holds at least one well-formed entry. */
static bool alpns_any(const uint8_t *wire, size_t len)
{
    return len > 1 && wire[0] != 0 && wire[0] <= len - 1;
}

static void write_tls(struct jsonw *w, const struct flow_tls *t, bool quic)
{
    jsonw_object(w, quic ? "quic" : "tls");
    if (t->sni[0])
        jsonw_wire(w, "sni", (const uint8_t *)t->sni, strlen(t->sni));
    if (quic) {
        if (t->quic_version) {
            char v[16];
            snprintf(v, sizeof(v), "%08x", t->quic_version);
            jsonw_str(w, "version", v);
        }
    } else {
        const char *name = tls_version_name(t->version ? t->version : t->hello_version);
        if (name)
            jsonw_str(w, "version", name);
        /* EVE's quic object has no client_alpns; for QUIC they go in `ai`. */
        if (t->alpn_wire_len && alpns_any(t->alpn_wire, t->alpn_wire_len))
            write_alpns(w, "client_alpns", t->alpn_wire, t->alpn_wire_len);
    }
    if (t->ja3[0]) {
        jsonw_object(w, "ja3");
        jsonw_str(w, "hash", t->ja3);
        jsonw_close(w);
    }
    if (t->ja3s[0]) {
        jsonw_object(w, "ja3s");
        jsonw_str(w, "hash", t->ja3s);
        jsonw_close(w);
    }
    if (t->ja4[0])
        jsonw_str(w, "ja4", t->ja4);
    jsonw_close(w);
}

static void write_exchanges(struct jsonw *w, const struct exchange *e, bool with_turns)
{
    jsonw_object(w, "exchanges");
    jsonw_u64(w, "count", e->count);
    jsonw_u64(w, "request_bytes", e->app_bytes[0]);
    jsonw_u64(w, "response_bytes", e->app_bytes[1]);
    if (e->resync)
        jsonw_u64(w, "resync", e->resync);
    if (with_turns) {
        jsonw_array(w, "turns");
        for (uint32_t i = 0; i < e->kept; i++) {
            const struct turn *t = &e->turns[i];
            jsonw_object(w, NULL);
            jsonw_ts(w, "start", t->start_us);
            jsonw_u64(w, "request_bytes", t->req_bytes);
            jsonw_u64(w, "response_bytes", t->resp_bytes);
            jsonw_u64(w, "request_records", t->req_records);
            jsonw_u64(w, "response_records", t->resp_records);
            jsonw_u64(w, "ttfb_us", t->ttfb_us);
            jsonw_u64(w, "response_duration_us", t->resp_dur_us);
            jsonw_close(w);
        }
        jsonw_close(w);
    }
    if (e->count > e->kept)
        jsonw_u64(w, "turns_not_listed", e->count - e->kept);
    jsonw_close(w);
}

static size_t write_flow(struct output *o, const struct flow *f, const struct catalog_entry *svc,
                         bool with_turns)
{
    bool quic = (f->flags & FLOW_F_QUIC) != 0;
    struct jsonw w;
    jsonw_init(&w, o->line, OUTPUT_LINE_MAX - 1);
    jsonw_object(&w, NULL);
    jsonw_ts(&w, "timestamp", f->first_us);
    jsonw_str(&w, "event_type", "flow");
    if (o->host)
        jsonw_str(&w, "host", o->host);
    jsonw_u64(&w, "flow_id", f->id);
    jsonw_addr(&w, "src_ip", &f->cli);
    jsonw_u64(&w, "src_port", f->cport);
    jsonw_addr(&w, "dest_ip", &f->srv);
    jsonw_u64(&w, "dest_port", f->sport);
    jsonw_str(&w, "proto", f->proto == DS_IPPROTO_TCP ? "TCP" : "UDP");
    if (f->flags & (FLOW_F_TLS | FLOW_F_QUIC))
        jsonw_str(&w, "app_proto", quic ? "quic" : "tls");
    if (f->app)
        write_tls(&w, &f->app->tls, quic);

    jsonw_object(&w, "flow");
    jsonw_u64(&w, "pkts_toserver", f->pkts[0]);
    jsonw_u64(&w, "pkts_toclient", f->pkts[1]);
    jsonw_u64(&w, "bytes_toserver", f->bytes[0]);
    jsonw_u64(&w, "bytes_toclient", f->bytes[1]);
    jsonw_ts(&w, "start", f->first_us);
    jsonw_ts(&w, "end", f->last_us);
    jsonw_u64(&w, "age", ((f->last_us - f->first_us) / 1000000u));
    jsonw_str(&w, "state", flow_state_name(f->state));
    jsonw_str(&w, "reason", flow_end_name(f->end));
    jsonw_close(&w);

    const struct flow_tls *t = f->app ? &f->app->tls : NULL;
    bool ai_ndpi = t && t->ndpi_proto[0];
    bool ai_alpn = t && quic && t->alpn_wire_len;
    if (svc || ai_ndpi || ai_alpn) {
        jsonw_object(&w, "ai");
        if (svc) {
            jsonw_str(&w, "provider", svc->provider);
            jsonw_str(&w, "service", svc->service);
            jsonw_str(&w, "match", svc->pattern);
        }
        if (ai_ndpi)
            jsonw_str(&w, "ndpi_protocol", t->ndpi_proto);
        if (ai_alpn)
            write_alpns(&w, "client_alpns", t->alpn_wire, t->alpn_wire_len);
        jsonw_close(&w);
    }
    if (f->app)
        write_exchanges(&w, &f->app->ex, with_turns);
    if (!with_turns)
        jsonw_bool(&w, "truncated", true);
    jsonw_close(&w);
    return jsonw_len(&w);
}

/* Events about sources (alert, cluster update, source) are written the same
 * direct way: a cluster alert lists up to CLUSTER_MAX_MEMBERS addresses and
 * every feature, and building that as a tree cost more than everything else
 * the signatures do. */

static void event_begin(struct output *o, struct jsonw *w, uint64_t ts_us, const char *type)
{
    jsonw_init(w, o->line, OUTPUT_LINE_MAX - 1);
    jsonw_object(w, NULL);
    jsonw_ts(w, "timestamp", ts_us);
    jsonw_str(w, "event_type", type);
    if (o->host)
        jsonw_text(w, "host", o->host);
}

/* Features as {name: value}: numbers, and string sets as arrays. */
static void write_features(struct jsonw *w, const struct features *f)
{
    jsonw_object(w, "features");
    for (int id = 0; id < FEAT_COUNT; id++) {
        if (!features_has(f, id))
            continue;
        const struct feature_info *fi = features_info(id);
        if (fi->type == FEATURE_NUM) {
            jsonw_real(w, fi->name, features_num(f, id));
        } else {
            jsonw_array(w, fi->name);
            for (size_t i = 0; i < features_str_count(f, id); i++) {
                const char *v = features_str(f, id, i);
                jsonw_wire(w, NULL, (const uint8_t *)v, strlen(v));
            }
            jsonw_close(w);
        }
    }
    jsonw_close(w);
}

static void write_geo(struct jsonw *w, const struct features *f)
{
    const char *country = features_str(f, FEAT_COUNTRY, 0);
    const char *asn_s = features_str(f, FEAT_ASN, 0);
    const char *org = features_str(f, FEAT_AS_ORG, 0);
    if (!country && !asn_s && !org)
        return;
    jsonw_object(w, "geo");
    if (country)
        jsonw_text(w, "country", country);
    if (asn_s) {
        uint64_t asn;
        if (ds_parse_u64(asn_s, 0, UINT32_MAX, &asn) == 0)
            jsonw_u64(w, "asn", asn);
        else
            jsonw_wire(w, "asn", (const uint8_t *)asn_s, strlen(asn_s));
    }
    if (org)
        jsonw_wire(w, "as_org", (const uint8_t *)org, strlen(org));
    jsonw_close(w);
}

/* The addresses, tls/quic and ai objects of an event about a source, from
 * its latest AI flow. */
static void write_last_flow(struct jsonw *w, const struct ds_addr *src, const struct source_last_flow *l)
{
    jsonw_addr(w, "src_ip", src);
    if (l == NULL)
        return;
    jsonw_addr(w, "dest_ip", &l->dst);
    jsonw_u64(w, "dest_port", l->dport);
    jsonw_str(w, "proto", l->quic ? "UDP" : "TCP");
    jsonw_str(w, "app_proto", l->quic ? "quic" : "tls");
    jsonw_u64(w, "flow_id", l->flow_id);
    jsonw_object(w, l->quic ? "quic" : "tls");
    if (l->host[0])
        jsonw_wire(w, "sni", (const uint8_t *)l->host, strlen(l->host));
    if (l->ja4[0])
        jsonw_text(w, "ja4", l->ja4);
    jsonw_close(w);
    jsonw_object(w, "ai");
    if (l->provider[0])
        jsonw_text(w, "provider", l->provider);
    if (l->service[0])
        jsonw_text(w, "service", l->service);
    if (l->family[0])
        jsonw_text(w, "fingerprint_family", l->family);
    jsonw_close(w);
}

/* An alert lists every member; an update only those it adds. Without
 * room on the line, the list goes and `members_not_listed` says how many.
 * Leaves the cluster object open for the caller's own keys. */
static void write_cluster(struct jsonw *w, const struct cluster *c, bool update, bool with_members)
{
    jsonw_object(w, "cluster");
    jsonw_u64(w, "id", c->id);
    jsonw_u64(w, "size", c->n);
    const char *list = update ? "new_members" : "members";
    unsigned skipped = 0;
    if (with_members)
        jsonw_array(w, list);
    for (unsigned i = 0; i < c->n; i++) {
        if (update && c->m[i].listed)
            continue;
        if (with_members)
            jsonw_addr(w, NULL, &c->m[i].addr);
        else
            skipped++;
    }
    if (with_members)
        jsonw_close(w);
    jsonw_object(w, "shared");
    jsonw_text(w, "ja4", c->ja4);
    jsonw_text(w, "provider", c->provider);
    if (c->log_gap > -1e8)  /* a cadence is known */
        jsonw_real(w, "cadence_s", exp(c->log_gap));
    jsonw_real(w, "request_size", exp(c->log_size));
    const char *fam = features_str(&c->agg, FEAT_FINGERPRINT_FAMILY, 0);
    if (fam)
        jsonw_text(w, "fingerprint_family", fam);
    jsonw_close(w);
    jsonw_u64(w, "window", c->window_s);
    jsonw_ts(w, "first_seen", c->first_us);
    if (!with_members)
        jsonw_u64(w, "members_not_listed", skipped);
}

static void write_alert_rule(struct jsonw *w, const struct rule *r)
{
    jsonw_object(w, "alert");
    jsonw_str(w, "action", "allowed");
    jsonw_u64(w, "gid", 1);
    jsonw_u64(w, "signature_id", r->sid);
    jsonw_u64(w, "rev", r->rev);
    jsonw_text(w, "signature", r->msg);
    jsonw_text(w, "category", r->classtype ? r->classtype : "");
    jsonw_int(w, "severity", r->severity);
    if (r->n_meta) {
        /* EVE's metadata: each key once, in order of first use, with all
         * its values. */
        jsonw_object(w, "metadata");
        for (unsigned i = 0; i < r->n_meta; i++) {
            bool seen = false;
            for (unsigned j = 0; j < i && !seen; j++)
                seen = strcmp(r->meta_key[j], r->meta_key[i]) == 0;
            if (seen)
                continue;
            jsonw_array(w, r->meta_key[i]);
            for (unsigned j = i; j < r->n_meta; j++)
                if (strcmp(r->meta_key[j], r->meta_key[i]) == 0)
                    jsonw_text(w, NULL, r->meta_val[j]);
            jsonw_close(w);
        }
        jsonw_close(w);
    }
    jsonw_close(w);
}

static size_t write_alert(struct output *o, const struct alert_ctx *a, bool with_members)
{
    const struct rule *r = a->hit->rule;
    struct jsonw w;
    event_begin(o, &w, a->ts_us, "alert");
    write_last_flow(&w, a->src, a->last);
    write_alert_rule(&w, r);

    /* Why it fired: every condition, its threshold as written and the value seen. */
    jsonw_object(&w, "source");
    jsonw_u64(&w, "window", a->hit->window_s);
    jsonw_array(&w, "matched");
    for (unsigned i = 0; i < r->n_conds; i++) {
        const struct rule_cond *c = &r->conds[i];
        char cond[256];
        double v = 0;
        rule_cond_format(c, cond, sizeof(cond));
        bool ok = rule_cond_match(c, a->hit->features, a->hit->cluster_size, &v);
        jsonw_object(&w, NULL);
        jsonw_text(&w, "condition", cond);
        if (c->feature == RULE_FEAT_CLUSTER_SIZE || (c->feature >= 0 && c->feature < FEAT_FIRST_STR))
            jsonw_real(&w, "value", v);
        jsonw_bool(&w, "matched", ok);
        jsonw_close(&w);
    }
    jsonw_close(&w);
    write_features(&w, a->hit->features);
    jsonw_object(&w, "threshold");
    jsonw_str(&w, "type", rule_thr_type_name(r->threshold.type));
    jsonw_str(&w, "track", rule_thr_track_name(r->threshold.track));
    jsonw_u64(&w, "count", r->threshold.count);
    jsonw_u64(&w, "seconds", r->threshold.seconds);
    jsonw_close(&w);
    jsonw_close(&w);
    write_geo(&w, a->hit->features);
    if (a->cluster) {
        write_cluster(&w, a->cluster, false, with_members);
        jsonw_close(&w);
    }
    if (!with_members)
        jsonw_bool(&w, "truncated", true);
    jsonw_close(&w);
    return jsonw_len(&w);
}

void output_alert(struct output *o, const struct alert_ctx *a)
{
    size_t n = write_alert(o, a, true);
    if (n == 0) {
        sink_note_truncated(o->sink);
        n = write_alert(o, a, false);
    }
    write_line(o, n);
}

static size_t write_cluster_update(struct output *o, uint64_t ts_us, const struct cluster *c,
                                   const struct rule *r, bool with_members)
{
    struct jsonw w;
    event_begin(o, &w, ts_us, "cluster");
    write_cluster(&w, c, true, with_members);
    jsonw_str(&w, "action", "update");
    if (r) {
        jsonw_u64(&w, "signature_id", r->sid);
        jsonw_text(&w, "signature", r->msg);
    }
    jsonw_close(&w);
    if (!with_members)
        jsonw_bool(&w, "truncated", true);
    jsonw_close(&w);
    return jsonw_len(&w);
}

void output_cluster_update(struct output *o, uint64_t ts_us, const struct cluster *c,
                           const struct rule *r)
{
    size_t n = write_cluster_update(o, ts_us, c, r, true);
    if (n == 0) {
        sink_note_truncated(o->sink);
        n = write_cluster_update(o, ts_us, c, r, false);
    }
    write_line(o, n);
}

void output_source(struct output *o, uint64_t ts_us, const struct ds_addr *src,
                   const struct features *f, const struct source_last_flow *last)
{
    struct jsonw w;
    event_begin(o, &w, ts_us, "source");
    write_last_flow(&w, src, last);
    jsonw_object(&w, "source");
    jsonw_u64(&w, "window", f->window_s);
    write_features(&w, f);
    jsonw_close(&w);
    write_geo(&w, f);
    jsonw_close(&w);
    write_line(o, jsonw_len(&w));
}

static void write_line(struct output *o, size_t n)
{
    sink_write(o->sink, o->line, n);
}

void output_flow(struct output *o, const struct flow *f, const struct catalog_entry *svc)
{
    size_t n = write_flow(o, f, svc, true);
    if (n == 0) {
        /* Over the line cap: the turn list goes, and the event says so. */
        sink_note_truncated(o->sink);
        n = write_flow(o, f, svc, false);
    }
    write_line(o, n);
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

void output_stats(struct output *o, uint64_t ts_us, const struct sensor_stats *s)
{
    json_t *ev = event_new(o, ts_us, "stats");
    json_t *st = json_object();
    set_u64(st, "uptime", s->uptime_s);
    if (s->live) {
        json_t *cap = json_object();
        set_u64(cap, "kernel_packets", s->kernel_packets);
        set_u64(cap, "kernel_drops", s->kernel_drops);
        set_u64(cap, "kernel_ifdrops", s->kernel_ifdrops);
        json_object_set_new(st, "capture", cap);
    }
    const struct decode_stats *d = s->decode;
    json_t *dec = json_object();
    set_u64(dec, "pkts", d->pkts);
    set_u64(dec, "bytes", d->bytes);
    set_u64(dec, "ipv4", d->ipv4);
    set_u64(dec, "ipv6", d->ipv6);
    set_u64(dec, "tcp", d->tcp);
    set_u64(dec, "udp", d->udp);
    set_u64(dec, "avg_pkt_size", d->pkts ? d->bytes / d->pkts : 0);
    json_object_set_new(st, "decoder", dec);
    json_t *fl = json_object();
    set_u64(fl, "total", s->flow->created);
    set_u64(fl, "active", s->flow->active);
    set_u64(fl, "tcp", s->flows_tcp);
    set_u64(fl, "udp", s->flows_udp);
    set_u64(fl, "memuse", s->flow_bytes);
    json_object_set_new(st, "flow", fl);
    json_object_set_new(ev, "stats", st);

    /* Ours: what EVE's stats object has no place for. */
    json_t *me = json_object();
    json_t *errs = json_object();
    for (int e = 1; e < DECODE_ERR_MAX; e++)
        set_u64(errs, decode_err_name(e), d->err[e]);
    json_object_set_new(me, "decode_errors", errs);
    json_t *flows = json_object();
    set_u64(flows, "total", s->flow->created);
    set_u64(flows, "active", s->flow->active);
    set_u64(flows, "max_active", s->flow->max_active);
    set_u64(flows, "ended", s->flow->ended);
    set_u64(flows, "timed_out", s->flow->timed_out);
    set_u64(flows, "evicted", s->flow->evicted);
    set_u64(flows, "tls", s->tls_flows);
    set_u64(flows, "quic", s->quic_flows);
    set_u64(flows, "followed", s->followed_flows);
    set_u64(flows, "follow_refused", s->app_exhausted);
    set_u64(flows, "hello_invalid", s->hello_bad);
    set_u64(flows, "ai", s->ai_flows);
    json_object_set_new(me, "flows", flows);
    json_t *byp = json_object();
    for (size_t i = 0; i < s->nproviders; i++)
        set_u64(byp, s->provider_names[i], s->ai_flows_by_provider[i]);
    json_object_set_new(me, "ai_flows_by_provider", byp);
    set_u64(me, "turns", s->turns);
    if (s->classify) {
        json_t *nd = json_object();
        set_u64(nd, "flows", s->classify->flows);
        set_u64(nd, "pkts", s->classify->pkts);
        set_u64(nd, "no_state", s->classify->no_state);
        json_object_set_new(me, "ndpi", nd);
    }
    json_t *mem = json_object();
    set_u64(mem, "flows", s->flow_bytes);
    set_u64(mem, "flow_app", s->app_bytes);
    set_u64(mem, "hello_buffers", s->hello_bytes);
    if (s->classify)
        set_u64(mem, "ndpi_state", s->classify->state_bytes);
    json_object_set_new(me, "memory", mem);
    if (s->sources) {
        json_t *so = json_object();
        set_u64(so, "active", s->sources->active);
        set_u64(so, "max_active", s->sources->max_active);
        set_u64(so, "created", s->sources->created);
        set_u64(so, "evicted", s->sources->evicted);
        set_u64(so, "expired", s->sources->expired);
        set_u64(so, "turns", s->sources->turns);
        set_u64(so, "bytes", s->source_bytes);
        json_object_set_new(me, "sources", so);
        json_t *de = json_object();
        set_u64(de, "rules", s->n_rules);
        if (s->rules) {
            set_u64(de, "evaluations", s->rules->evaluations);
            set_u64(de, "matches", s->rules->matches);
            set_u64(de, "suppressed", s->rules->suppressed);
        }
        set_u64(de, "alerts", s->alerts);
        set_u64(de, "cluster_alerts", s->cluster_alerts);
        set_u64(de, "cluster_updates", s->cluster_updates);
        set_u64(de, "source_events", s->source_events);
        set_u64(de, "prefiltered", s->prefiltered);
        set_u64(de, "clusters_active", s->clusters.active);
        set_u64(de, "clusters_evicted", s->clusters.evicted);
        set_u64(de, "geo_errors", s->geo_errors);
        json_object_set_new(me, "detect", de);
        set_u64(mem, "sources", s->source_bytes);
        set_u64(mem, "clusters", s->cluster_bytes);
    }
    json_t *ev_out = json_object();
    set_u64(ev_out, "events", sink_counters(o->sink)->events);
    set_u64(ev_out, "write_errors", sink_counters(o->sink)->write_errors);
    json_object_set_new(me, "output", ev_out);
    json_object_set_new(ev, "sensor", me);
    emit(o, ev);
}
