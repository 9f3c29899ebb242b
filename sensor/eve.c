/* The shared part of the event writers (see eve.h). */
#include "ds/eve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/community-id.h"
#include "ds/packet.h"
#include "ds/sink.h"
#include "ds/tls.h"
#include "ds/util.h"

struct eve {
    struct sink *sink;
    char *host;
    char *line;        /* EVE_LINE_MAX */
    uint16_t community_id_seed;
};

struct eve *eve_new(struct sink *sink, const char *host)
{
    struct eve *e = xcalloc(1, sizeof(*e));
    e->sink = sink;
    if (host)
        e->host = xstrdup(host);
    e->line = xmalloc(EVE_LINE_MAX);
    return e;
}

void eve_free(struct eve *e)
{
    if (e == NULL)
        return;
    free(e->host);
    free(e->line);
    free(e);
}

void eve_begin(struct eve *e, struct jsonw *w, uint64_t ts_us, const char *type)
{
    jsonw_init(w, e->line, EVE_LINE_MAX - 1);   /* room for the newline */
    jsonw_object(w, NULL);
    jsonw_ts(w, "timestamp", ts_us);
    jsonw_str(w, "event_type", type);
    if (e->host)
        jsonw_text(w, "host", e->host);
}

size_t eve_end(struct jsonw *w)
{
    jsonw_close(w);
    return jsonw_len(w);
}

void eve_write_line(struct eve *e, size_t n)
{
    sink_write(e->sink, e->line, n);
}

void eve_note_truncated(struct eve *e)
{
    sink_note_truncated(e->sink);
}

void eve_set_community_id_seed(struct eve *e, uint16_t seed)
{
    e->community_id_seed = seed;
}

void eve_community_id(const struct eve *e, struct jsonw *w, uint8_t proto,
                      const struct ds_addr *a, uint16_t aport, const struct ds_addr *b,
                      uint16_t bport)
{
    char id[COMMUNITY_ID_SIZE];
    community_id(id, e->community_id_seed, proto, a, aport, b, bport);
    jsonw_str(w, "community_id", id);
}

void eve_vlan(struct jsonw *w, const struct ds_vlan *v)
{
    if (v->n == 0)
        return;
    jsonw_array(w, "vlan");
    for (unsigned i = 0; i < v->n && i < DS_VLAN_MAX; i++)
        jsonw_u64(w, NULL, v->id[i]);
    jsonw_close(w);
}

void eve_alpns(struct jsonw *w, const char *key, const uint8_t *wire, size_t len)
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

static void write_hash(struct jsonw *w, const char *key, const char *hash)
{
    if (hash == NULL || hash[0] == '\0')
        return;
    jsonw_object(w, key);
    jsonw_str(w, "hash", hash);
    jsonw_close(w);
}

void eve_tls(struct jsonw *w, const struct eve_tls *t)
{
    jsonw_object(w, t->quic ? "quic" : "tls");
    if (t->sni && t->sni[0])
        jsonw_wire(w, "sni", (const uint8_t *)t->sni, strlen(t->sni));
    const char *ech = tls_ech_name(t->ech);
    if (ech)
        jsonw_str(w, "ech", ech);
    const char *outer = tls_ech_public_name(t->ech_public);
    if (outer)
        jsonw_str(w, "ech_outer_sni", outer);
    if (t->quic) {
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
            eve_alpns(w, "client_alpns", t->alpn_wire, t->alpn_wire_len);
    }
    write_hash(w, "ja3", t->ja3);
    write_hash(w, "ja3s", t->ja3s);
    if (t->ja4 && t->ja4[0])
        jsonw_str(w, "ja4", t->ja4);
    jsonw_close(w);
}
