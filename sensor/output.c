/* Events out (see output.h): the sink and the event writers, opened
 * together; the stats event. The only module that includes jansson. */
#include "ds/output.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ds/eve.h"
#include "ds/event-alert.h"
#include "ds/event-flow.h"
#include "ds/event-source.h"
#include "ds/jsonw.h"
#include "ds/sink.h"
#include "ds/util.h"

struct output {
    struct sink *sink;
    struct eve *eve;
};

int output_open(const char *path, const char *host, struct output **out, char *err,
                size_t errlen)
{
    struct sink *k = NULL;
    if (sink_open(path, &k, err, errlen) != 0)
        return -1;
    struct output *o = xcalloc(1, sizeof(*o));
    o->sink = k;
    o->eve = eve_new(k, host);
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
    eve_free(o->eve);
    int rc = sink_close(o->sink);
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

void output_flow(struct output *o, const struct flow *f, const struct catalog_entry *svc)
{
    event_flow(o->eve, f, svc);
}

void output_alert(struct output *o, const struct detect_alert *a)
{
    event_alert(o->eve, a);
}

void output_cluster_update(struct output *o, uint64_t ts_us, const struct cluster *c,
                           const struct rule *r)
{
    event_cluster_update(o->eve, ts_us, c, r);
}

void output_source(struct output *o, uint64_t ts_us, const struct ds_addr *src,
                   const struct features *f, const struct source_last_flow *last)
{
    event_source(o->eve, ts_us, src, f, last);
}

/* jansson builds the stats event; we write it out through the JSON writer,
 * because json_dumpb formats every integer through snprintf (see jsonw.h).
 * Keys come in insertion order, as jansson's own dump writes them; strings
 * are valid UTF-8 (json_string checked them). */
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

/* The event: the prologue, then body's members; 0 if over the line cap. */
static size_t write_tree(struct eve *e, uint64_t ts_us, const char *type, json_t *body,
                         bool truncated)
{
    struct jsonw w;
    eve_begin(e, &w, ts_us, type);
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
        write_value(&w, k, v);
    if (truncated)
        jsonw_bool(&w, "truncated", true);
    return eve_end(&w);
}

/* Writes one event and frees its body. An event over the line cap says so
 * (there is nothing optional to drop in a tree event). */
static void emit(struct output *o, uint64_t ts_us, const char *type, json_t *body)
{
    size_t n = write_tree(o->eve, ts_us, type, body, false);
    if (n == 0) {
        eve_note_truncated(o->eve);
        n = write_tree(o->eve, ts_us, type, body, true);
    }
    json_decref(body);
    eve_write_line(o->eve, n);
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

void output_stats(struct output *o, uint64_t ts_us, const struct sensor_stats *s)
{
    json_t *ev = json_object();
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
    emit(o, ts_us, "stats", ev);
}
