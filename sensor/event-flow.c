/* The flow event (see event-flow.h), the most frequent event: written
 * directly (jsonw.h), since building a jansson tree for it (a malloc a
 * field, then a free) cost more than all the flow and TLS work of the flow. */
#include "ds/event-flow.h"

#include "ds/exchange.h"
#include "ds/flow-app.h"
#include "ds/jsonw.h"
#include "ds/time-units.h"

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

static void write_tls(struct jsonw *w, const struct flow_tls *t, const struct intern *strs,
                      bool quic)
{
    size_t alpn_len;
    const char *alpn = flow_tls_str(t, strs, FLOW_TLS_ALPN, &alpn_len);
    struct eve_tls et = {
        .quic = quic,
        .sni = flow_tls_str(t, strs, FLOW_TLS_SNI, NULL),
        .ech = t->ech,
        .ech_public = t->ech_public,
        .version = t->version,
        .hello_version = t->hello_version,
        .quic_version = t->quic_version,
        .alpn_wire = (const uint8_t *)alpn,
        .alpn_wire_len = alpn_len,
        .ja3 = flow_tls_str(t, strs, FLOW_TLS_JA3, NULL),
        .ja3s = flow_tls_str(t, strs, FLOW_TLS_JA3S, NULL),
        .ja4 = flow_tls_str(t, strs, FLOW_TLS_JA4, NULL),
    };
    eve_tls(w, &et);
}

/* EVE's flow object: counters each way, times, state and why it ended. */
static void write_flow_object(struct jsonw *w, const struct flow *f)
{
    jsonw_object(w, "flow");
    jsonw_u64(w, "pkts_toserver", f->pkts[0]);
    jsonw_u64(w, "pkts_toclient", f->pkts[1]);
    jsonw_u64(w, "bytes_toserver", flow_bytes(f, FLOW_TOSERVER));
    jsonw_u64(w, "bytes_toclient", flow_bytes(f, FLOW_TOCLIENT));
    jsonw_ts(w, "start", f->first_us);
    jsonw_ts(w, "end", f->last_us);
    jsonw_u64(w, "age", ds_us_to_s(f->last_us - f->first_us));
    jsonw_str(w, "state", flow_state_name(f->state));
    jsonw_str(w, "reason", flow_end_name(f->end));
    jsonw_close(w);
}

/* Ours: the catalogue entry, nDPI's name for the protocol and, for QUIC,
 * the client's ALPNs (EVE's quic object has no place for them). */
static void write_ai(struct jsonw *w, const struct flow *f, const struct catalog_entry *svc,
                     const struct flow_tls *t, const struct intern *strs)
{
    bool quic = (f->flags & FLOW_F_QUIC) != 0;
    bool ai_ndpi = t && flow_tls_has(t, FLOW_TLS_NDPI);
    bool ai_alpn = t && quic && flow_tls_has(t, FLOW_TLS_ALPN);
    if (!svc && !ai_ndpi && !ai_alpn)
        return;
    jsonw_object(w, "ai");
    if (svc) {
        jsonw_str(w, "provider", svc->provider);
        jsonw_str(w, "service", svc->service);
        jsonw_str(w, "match", svc->pattern);
    }
    if (ai_ndpi)
        jsonw_str(w, "ndpi_protocol", flow_tls_str(t, strs, FLOW_TLS_NDPI, NULL));
    if (ai_alpn) {
        size_t n;
        const char *alpn = flow_tls_str(t, strs, FLOW_TLS_ALPN, &n);
        eve_alpns(w, "client_alpns", (const uint8_t *)alpn, (uint16_t)n);
    }
    jsonw_close(w);
}

static void write_exchanges(struct jsonw *w, const struct exchange *e,
                            const struct exchange_pool *turns, bool with_turns)
{
    jsonw_object(w, "exchanges");
    jsonw_u64(w, "count", e->count);
    jsonw_u64(w, "request_bytes", exchange_app_bytes(e, 0));
    jsonw_u64(w, "response_bytes", exchange_app_bytes(e, 1));
    if (e->resync)
        jsonw_u64(w, "resync", e->resync);
    if (with_turns) {
        jsonw_array(w, "turns");
        for (const struct turn *t = exchange_listed_turn(e, turns, 0); t != NULL;
             t = exchange_listed_next(e, turns, t)) {
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

static size_t write_flow(struct eve *e, const struct flow *f, const struct flow_app *app,
                         const struct catalog_entry *svc, const struct tls_facts *facts,
                         const struct exchange_pool *turns, bool with_turns)
{
    bool quic = (f->flags & FLOW_F_QUIC) != 0;
    struct jsonw w;
    eve_begin(e, &w, f->first_us, "flow");
    jsonw_u64(&w, "flow_id", f->id);
    const struct ds_vlan vlan = ds_vlan_unpack(f->vlan);
    eve_vlan(&w, &vlan);
    jsonw_addr(&w, "src_ip", &f->cli);
    jsonw_u64(&w, "src_port", f->cport);
    jsonw_addr(&w, "dest_ip", &f->srv);
    jsonw_u64(&w, "dest_port", f->sport);
    jsonw_str(&w, "proto", f->proto == DS_IPPROTO_TCP ? "TCP" : "UDP");
    eve_community_id(e, &w, f->proto, &f->cli, f->cport, &f->srv, f->sport);
    if (f->flags & (FLOW_F_TLS | FLOW_F_QUIC))
        jsonw_str(&w, "app_proto", quic ? "quic" : "tls");
    const struct flow_tls *t = app ? tls_facts_get(facts, app->tls) : NULL;
    const struct intern *strs = tls_facts_strings(facts);
    if (app)
        write_tls(&w, t, strs, quic);
    write_flow_object(&w, f);
    write_ai(&w, f, svc, t, strs);
    if (app)
        write_exchanges(&w, &app->ex, turns, with_turns);
    if (!with_turns)
        jsonw_bool(&w, "truncated", true);
    return eve_end(&w);
}

void event_flow(struct eve *e, const struct flow *f, const struct flow_app *app,
                const struct catalog_entry *svc, const struct tls_facts *facts,
                const struct exchange_pool *turns)
{
    size_t n = write_flow(e, f, app, svc, facts, turns, true);
    if (n == 0) {
        /* Over the line cap: the turn list goes, and the event says so. */
        eve_note_truncated(e);
        n = write_flow(e, f, app, svc, facts, turns, false);
    }
    eve_write_line(e, n);
}
