/* The source event and the parts of every event about a source (see
 * event-source.h), written directly (jsonw.h) like every event. */
#include "ds/event-source.h"

#include <string.h>

#include "ds/util.h"

void event_source_last_flow(const struct eve *e, struct jsonw *w, const struct ds_addr *src,
                            const struct source_last_flow *l)
{
    if (l)
        eve_vlan(w, &l->vlan);
    jsonw_addr(w, "src_ip", src);
    if (l == NULL)
        return;
    jsonw_addr(w, "dest_ip", &l->dst);
    jsonw_u64(w, "dest_port", l->dport);
    jsonw_str(w, "proto", l->quic ? "UDP" : "TCP");
    eve_community_id(e, w, l->quic ? DS_IPPROTO_UDP : DS_IPPROTO_TCP, src, l->sport, &l->dst,
                     l->dport);
    jsonw_str(w, "app_proto", l->quic ? "quic" : "tls");
    jsonw_u64(w, "flow_id", l->flow_id);
    struct eve_tls t = { .quic = l->quic,
                         .sni = l->host,
                         .ech = l->ech,
                         .ech_public = l->ech_public,
                         .ja4 = l->ja4 };
    eve_tls(w, &t);
    jsonw_object(w, "ai");
    if (l->provider[0])
        jsonw_text(w, "provider", l->provider);
    if (l->service[0])
        jsonw_text(w, "service", l->service);
    if (l->family[0])
        jsonw_text(w, "fingerprint_family", l->family);
    jsonw_close(w);
}

void event_source_profile(struct jsonw *w, const struct source_profile *p)
{
    jsonw_object(w, "profile");
    if (p == NULL || p->family == NULL) {
        jsonw_str(w, "type", "address");
    } else {
        jsonw_str(w, "type", "family");
        jsonw_text(w, "family", p->family);
        jsonw_u64(w, "address_families", p->families);
    }
    jsonw_close(w);
}

void event_source_features(struct jsonw *w, const struct features *f)
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

void event_source_geo(struct jsonw *w, const struct features *f)
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

void event_source(struct eve *e, uint64_t ts_us, const struct ds_addr *src,
                  const struct features *f, const struct source_last_flow *last,
                  const struct source_profile *p)
{
    struct jsonw w;
    eve_begin(e, &w, ts_us, "source");
    event_source_last_flow(e, &w, src, last);
    jsonw_object(&w, "source");
    jsonw_u64(&w, "window", f->window_s);
    event_source_profile(&w, p);
    event_source_features(&w, f);
    jsonw_close(&w);
    event_source_geo(&w, f);
    eve_write_line(e, eve_end(&w));
}
