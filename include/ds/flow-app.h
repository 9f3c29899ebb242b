/* The sensor's application state of a followed flow: what its handshake
 * told us, its request/response turns and its source's handle. struct flow
 * holds it as the opaque `app` (Suricata's Flow.alstate), so the flow table
 * knows nothing of TLS or turns.
 *
 * Private to the sensor's pipeline, which is why it is not in flow.h: it is
 * in include/ds/ only because several modules of that pipeline share it.
 * sensor.c owns it (takes it from its pool when it follows a flow, fills
 * it, returns it when the flow ends); the flow event writer (event-flow.c)
 * writes it; detection (detect.c) reads its TLS facts; classification
 * (classify.c) fills the struct flow_tls it is handed and needs nothing
 * else here. Other modules must not include this header. flow-app.c holds
 * the few functions over it (the TLS facts' strings). */
#ifndef DS_FLOW_APP_H
#define DS_FLOW_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/exchange.h"
#include "ds/intern.h"

struct quic_initial_flow;
struct quic_server_id;

/* The strings of a flow's TLS facts: each an id in the sensor's string
 * table (intern.h), 0 when unknown or when the table refused it (counted in
 * its stats; the flow event then lacks that field). */
enum flow_tls_str {
    FLOW_TLS_SNI,     /* first host_name, as the hello gave it (< TLS_SNI_MAX) */
    FLOW_TLS_ALPN,    /* client ALPN protocol_name_list, on the wire (bytes) */
    FLOW_TLS_JA3,     /* JA3 client hash (nDPI; ours for QUIC), 32 hex digits */
    FLOW_TLS_JA3S,    /* JA3S server hash (nDPI; ours for QUIC) */
    FLOW_TLS_JA4,     /* our own */
    FLOW_TLS_NDPI,    /* nDPI's protocol name (at most 31 bytes), for --all-tls context */
    FLOW_TLS_NSTR,
};

#define FLOW_TLS_NDPI_MAX 31 /* bytes of nDPI's protocol name kept, as before interning */

/* What the TLS/QUIC handshake told us about a followed flow. */
struct flow_tls {
    uint32_t str[FLOW_TLS_NSTR]; /* enum flow_tls_str: intern ids */
    uint32_t quic_version;   /* QUIC flows */
    uint16_t hello_version;  /* highest version the client offered */
    uint16_t version;        /* negotiated (ServerHello), 0 if unknown */
    uint8_t ech;             /* enum tls_ech of the client's hello */
    uint8_t ech_public;      /* real ECH: its outer SNI (tls_ech_public_name) */
};

/* Per-flow application state, from a pool, only for flows we follow: what
 * struct flow's `app` points to. */
struct flow_app {
    struct flow_tls tls;
    uint64_t source_token;   /* per-source state's handle for this flow, 0 if none */
    struct exchange ex;
    /* QUIC (sensor.c): our reassembly of the client's hello (a 16 KiB
     * slot) until the hello is read, then what opens the server's Initials
     * until its ServerHello is read (JA3S); FLOW_F_QUIC_READ says which;
     * NULL when neither. One pointer for both, each from a bounded pool,
     * keeps this handshake-time state out of the budget below. */
    union {
        struct quic_initial_flow *hello;
        struct quic_server_id *server;
    } quic;
};

/* The memory budget of a classified flow's application state (issue 10):
 * with one million flows followed at once, every byte here is a megabyte.
 * What does not fit lives in shared bounded pools: strings in the intern
 * table, listed turns, requests in flight beyond the first and held
 * records in the exchange pool (exchange.h). 224 bytes on x86-64: tls 36
 * (and 4 of alignment), source_token 8, ex 168, quic 8; a multiple of 16,
 * so the pool (pool.h rounds objects to 16) holds it with nothing lost
 * (256 before, 2,744 before issue 10). */
_Static_assert(sizeof(struct flow_app) <= 224,
               "struct flow_app must stay within 224 bytes a flow (issue 10)");

/* What every flow's application state shares: owned by the sensor. */
struct flow_app_shared {
    struct intern *strings;
    struct exchange_pool *turns;
};

/* String k of t, NUL-terminated ("" if none); its length in *len if not NULL. */
static inline const char *flow_tls_str(const struct flow_tls *t, const struct intern *in,
                                       enum flow_tls_str k, size_t *len)
{
    return intern_get(in, t->str[k], len);
}

static inline bool flow_tls_has(const struct flow_tls *t, enum flow_tls_str k)
{
    return t->str[k] != 0;
}

/* Sets string k of t to bytes[0, len) (len 0: clears it), dropping the one
 * it held. Refused by a full table: k stays unknown (counted there). */
void flow_tls_set(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const void *bytes,
                  size_t len);
/* The same for a C string, cut at max bytes. */
void flow_tls_set_str(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const char *s,
                      size_t max);
/* Drops every string of t (the flow ends). */
void flow_tls_release(struct flow_tls *t, struct intern *in);

struct stats_node;

/* The string table and exchange pool for max_flows flows, within
 * strings_share and turns_share bytes (the memcap's shares; 0: no share),
 * the table's hash seeded with seed (seed.h). 0, or -1 if either could not
 * be made (the sensor then runs without: facts and turns are counted, not
 * kept). */
int flow_app_shared_init(struct flow_app_shared *sh, size_t max_flows, size_t strings_share,
                         size_t turns_share, uint32_t seed);
void flow_app_shared_free(struct flow_app_shared *sh);
/* Gives back what app holds in sh (strings, pooled turns): the flow ended
 * and its event was written. NULL-safe. */
void flow_app_release(struct flow_app *app, struct flow_app_shared *sh);
/* sensor.memory.{strings, turn_pool}, sensor.strings {entries, refused},
 * sensor.turn_pool {listed, not_listed, open_shed, held_shed}. */
void flow_app_stats_write(const struct flow_app_shared *sh, struct stats_node *root);

#endif
