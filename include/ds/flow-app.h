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
 * else here. Other modules must not include this header. */
#ifndef DS_FLOW_APP_H
#define DS_FLOW_APP_H

#include <stdint.h>

#include "ds/exchange.h"
#include "ds/quic-initial.h"
#include "ds/tls.h"

struct quic_initial_flow;

/* What the TLS/QUIC handshake told us about a followed flow. */
struct flow_tls {
    char sni[TLS_SNI_MAX];
    uint8_t alpn_wire[TLS_ALPN_WIRE_MAX]; /* client ALPN list, len-prefixed */
    uint16_t alpn_wire_len;
    uint16_t hello_version;  /* highest version the client offered */
    uint16_t version;        /* negotiated (ServerHello), 0 if unknown */
    uint8_t ech;             /* enum tls_ech of the client's hello */
    uint8_t ech_public;      /* real ECH: its outer SNI (tls_ech_public_name) */
    uint32_t quic_version;   /* QUIC flows */
    char ja3[33];            /* JA3 client hash (nDPI; ours for QUIC) */
    char ja3s[33];           /* JA3S server hash (nDPI; ours for QUIC) */
    char ja4[TLS_JA4_LEN];   /* our own */
    char ndpi_proto[32];     /* nDPI's protocol name, for --all-tls context */
};

/* Per-flow application state, from a pool, only for flows we follow: what
 * struct flow's `app` points to. */
struct flow_app {
    struct flow_tls tls;
    struct exchange ex;
    uint64_t source_token;   /* per-source state's handle for this flow, 0 if none */
    struct quic_initial_flow *quic; /* our QUIC hello reassembly (sensor.c), NULL if none */
    struct quic_server_id quic_server; /* what opens the server's Initials (JA3S), QUIC */
};

#endif
