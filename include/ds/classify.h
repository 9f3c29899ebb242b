/* nDPI classification of a followed flow: negotiated TLS version, JA3 client
 * and server hashes, and for QUIC the SNI, ALPN and version nDPI decrypts.
 * The only module that includes nDPI. nDPI's per-flow state is taken when a
 * flow is followed and freed as soon as nDPI has nothing more to say.
 *
 * What nDPI learns goes into the flow's TLS fact set: `facts` points to the
 * flow's id in the table given to classify_set_facts (ds/tls-facts.h), and
 * each call changes it when nDPI learnt something new (a few times a flow,
 * not a packet); NULL: nowhere. A field already set stays: JA3, JA3S with the negotiated
 * version, and the QUIC SNI and ALPN are written only while empty (so the
 * SNI and ALPN our own parser found first are kept); nDPI's protocol name is
 * written when nDPI is done with the flow (and its label so far when a QUIC
 * flow is started afresh); the QUIC version is the first one seen, unless a
 * version-negotiation probe's gives way to a real one. */
#ifndef DS_CLASSIFY_H
#define DS_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ds/flow.h"
#include "ds/packet.h"

struct tls_facts;

/* Packets of one flow handed to nDPI at most (the synthesized ClientHello
 * included); nDPI 4.2 itself stops dissecting a flow after 32. */
#define CLASSIFY_MAX_PKTS 32

/* Largest reassembled ClientHello that fits one synthesized packet: nDPI
 * takes a packet length as 16 bits, and the IPv6 + TCP headers need 60. */
#define CLASSIFY_HELLO_MAX (65535u - 60u)

struct classify;

struct memcap;

/* A classifier with room for nDPI state of at most `max_states` flows at
 * once, and within mc's ndpi share (the states and what nDPI allocates in
 * them; mc is the caller's and may be NULL: no share). Sets nDPI's module
 * up (TLS and QUIC dissectors). NULL if nDPI fails to start; the functions
 * below accept that NULL (begin returns -1, stats are zero), so the sensor
 * can run on without JA3. */
struct classify *classify_new(size_t max_states, struct memcap *mc);
/* Empties nDPI's own caches (what it learnt of addresses: the servers whose
 * TLS certificate it read, and the other dissectors' LRU caches), so that
 * what follows is classified as by a new classifier: the module is made
 * afresh (0.1 s) if a flow since it was made may have written them: nDPI
 * read a server certificate, or found Teams, Skype, Zoom, Ookla or mining
 * (counted in module_resets). Every flow state must have been ended (classify_end)
 * first. 0, or -1 if one is still held or nDPI cannot start again (then,
 * as after a failed classify_new, no flow gets nDPI state). NULL-safe. */
int classify_reset(struct classify *c);
/* The table of TLS fact sets (and through it the string table) that the
 * facts nDPI learns (JA3, JA3S, nDPI's name, a QUIC SNI, ALPN list and
 * version) go into; without one they are not kept. NULL-safe on c. */
void classify_set_facts(struct classify *c, struct tls_facts *facts);
/* Frees the module and every state pool. States still held become invalid:
 * end their flows first (classify_end). NULL-safe. */
void classify_free(struct classify *c);

/* Starts nDPI on flow f if it has no state yet. For TCP flows whose
 * ClientHello we reassembled, hands nDPI that ClientHello as one synthesized
 * segment (`p` is the packet that completed it: addresses, ports and
 * acknowledgement come from it; `raw`/`raw_len` are the hello's records and
 * `first_seq` the sequence number of their first byte). `p` itself is not
 * handed to nDPI again: pass only later packets to classify_packet. Returns
 * 0, or -1 if no state could be had or the hello exceeds CLASSIFY_HELLO_MAX
 * (both counted; the flow goes on without JA3). What nDPI learnt from the
 * hello goes to *facts (see above). Copies nothing out of `raw` once it
 * returns. */
int classify_begin_tcp_hello(struct classify *c, struct flow *f, const struct packet *p,
                             const uint8_t *raw, size_t raw_len, uint32_t first_seq,
                             uint32_t *facts);

/* Starts nDPI on a flow from its first packet (QUIC, and flows inspected
 * from the start): the next classify_packet hands nDPI that packet.
 * Returns 0 or -1 as above. A flow already classified is left alone (0). */
int classify_begin(struct classify *c, struct flow *f);

/* Feeds one packet of a flow that has state (either direction); changes
 * *facts as nDPI learns (for QUIC the SNI appears as soon as nDPI has read the
 * Initial). When nDPI is done (detection complete and no extra
 * dissection left, or CLASSIFY_MAX_PKTS reached), frees the state, sets
 * FLOW_F_CLASSIFIED, f->cls = 0 and returns 1; else 0 (also for a flow
 * without state). TCP packets without payload are not handed to nDPI. A QUIC
 * flow on which nDPI found no ClientHello (a version-negotiation probe or a
 * 0-RTT packet came first) is started afresh on the client's next
 * long-header packet (f->cli/f->cport tell the client), a few times at most;
 * meanwhile other packets are only counted against CLASSIFY_MAX_PKTS. */
int classify_packet(struct classify *c, struct flow *f, const struct packet *p,
                    uint32_t *facts);

/* Ends classification early (flow end): what was learnt goes to *facts (NULL:
 * the caller keeps nothing), frees state, sets FLOW_F_CLASSIFIED. No-op for
 * a flow without state. */
void classify_end(struct classify *c, struct flow *f, uint32_t *facts);

struct classify_stats {
    uint64_t flows;        /* flows handed to nDPI */
    uint64_t pkts;         /* packets handed to nDPI (synthesized hellos included) */
    uint64_t no_state;     /* flows refused for lack of state */
    uint64_t too_big;      /* ClientHellos over CLASSIFY_HELLO_MAX, not handed over */
    uint64_t done;         /* flows nDPI finished with by itself */
    uint64_t capped;       /* flows stopped at CLASSIFY_MAX_PKTS */
    uint64_t ended;        /* flows ended before nDPI was done (classify_end) */
    uint64_t skipped;      /* packets not handed over (over 65535 bytes) */
    uint64_t quic_retries; /* QUIC flows started afresh after nDPI found no hello */
    uint64_t module_resets; /* nDPI modules made afresh by classify_reset */
    size_t state_bytes;    /* bytes of nDPI per-flow state held now: the pooled
                              structs plus what nDPI allocated inside them */
    size_t state_peak;     /* most state_bytes held at once */
    size_t state_size;     /* bytes of one pooled per-flow struct */
    size_t heap_bytes;     /* of state_bytes, nDPI's own allocations inside flows */
    size_t heap_peak_flow; /* most heap one flow held at once */
    size_t pool_bytes;     /* bytes of the state pool's slabs (kept for reuse) and index */
    size_t module_bytes;   /* nDPI heap taken by the detection module at start */
};
const struct classify_stats *classify_stats(const struct classify *c);


struct stats_node;
/* Our sensor.ndpi and sensor.memory.ndpi_state (zeros for a NULL c). */
void classify_stats_write(const struct classify *c, struct stats_node *root);

#endif
