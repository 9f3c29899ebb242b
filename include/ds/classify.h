/* nDPI classification of a followed flow: negotiated TLS version, JA3 client
 * and server hashes, and for QUIC the SNI, ALPN and version nDPI decrypts.
 * The only module that includes nDPI. nDPI's per-flow state is taken when a
 * flow is followed and freed as soon as nDPI has nothing more to say. */
#ifndef DS_CLASSIFY_H
#define DS_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ds/flow.h"
#include "ds/packet.h"

struct classify;

struct classify *classify_new(size_t max_states);
void classify_free(struct classify *c);

/* Starts nDPI on flow f if it has no state yet. For TCP flows whose
 * ClientHello we reassembled, hands nDPI that ClientHello as one synthesized
 * segment (`p` is the packet that completed it: addresses, ports and
 * acknowledgement come from it; `raw`/`raw_len` are the hello's records and
 * `first_seq` the sequence number of their first byte). Returns 0, or -1 if
 * no state could be had (counted; the flow goes on without JA3). */
int classify_begin_tcp_hello(struct classify *c, struct flow *f, const struct packet *p,
                             const uint8_t *raw, size_t raw_len, uint32_t first_seq);

/* Starts nDPI on a flow from its first packet (QUIC, and flows inspected
 * from the start). Returns 0 or -1 as above. */
int classify_begin(struct classify *c, struct flow *f);

/* Feeds one packet of a flow that has state; fills f->app->tls as nDPI
 * learns. When nDPI is done, frees the state, sets FLOW_F_CLASSIFIED and
 * returns 1; else 0. */
int classify_packet(struct classify *c, struct flow *f, const struct packet *p);

/* Ends classification early (flow end): keeps what was learnt, frees state. */
void classify_end(struct classify *c, struct flow *f);

struct classify_stats {
    uint64_t flows;        /* flows handed to nDPI */
    uint64_t pkts;         /* packets handed to nDPI */
    uint64_t no_state;     /* flows refused for lack of state */
    size_t state_bytes;    /* bytes of nDPI per-flow state held now */
    size_t state_size;     /* bytes of one per-flow state */
};
const struct classify_stats *classify_stats(const struct classify *c);

#endif
