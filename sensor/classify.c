/* nDPI (4.2) per followed flow: JA3 client and server hashes, the negotiated
 * TLS version, and for QUIC the SNI, client ALPN and version nDPI decrypts.
 *
 * nDPI is the expensive part of the sensor, so it sees only the flows the
 * sensor follows, and only until it has nothing more to tell: for TCP our own
 * parser has already reassembled the ClientHello, which nDPI gets as one
 * synthesized segment; then the following packets of both directions until
 * the ServerHello (JA3S, version) or the certificate is read, or a packet cap.
 * Its per-flow struct comes from an indexed pool (ipool.h: the flow keeps
 * its 32-bit handle, not a pointer) and goes back, with what nDPI
 * allocated inside it, the moment the flow is done. The structs and what
 * nDPI allocates inside them are held to the memcap's ndpi share: beyond
 * it a new flow gets no state (counted; it is classified by its SNI and the
 * catalogue alone). The only nDPI user. */
#include "ds/classify.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "ds/bytes.h"
#include "ds/log.h"
#include "ds/memcap.h"
#include "ds/ipool.h"
#include "ds/quic-header.h"
#include "ds/stats.h"
#include "ds/time-units.h"
#include "ds/tls-facts.h" /* the fact sets it changes */
#include "ds/tls.h"
#include "ds/util.h"

/* The pooled per-flow record: our bookkeeping, then nDPI's struct. nDPI's
 * struct goes last so that a library whose struct is larger than the
 * header's (checked at start) still fits: objects are sized at run time. */
struct cls_flow {
    size_t heap;                 /* bytes nDPI allocated inside nf, last measured */
    uint16_t learnt;             /* LEARNT_* already copied into the flow */
    uint8_t seen;                /* packets offered, handed over or not */
    uint8_t quic_tries;          /* fresh starts on a QUIC flow (see quic_retry) */
    bool quic_waiting;           /* reset: waiting for the client's next Initial */
    bool quic_retry_worthy;      /* this start began on a probe or a non-Initial */
    struct ndpi_flow_struct nf;
};

/* nDPI 4.2 reads a QUIC flow's ClientHello only from the packets it sees
 * first: when the first is not an Initial it can read (a version-negotiation
 * probe with a reserved 0x?a?a?a?a version, a 0-RTT or Handshake packet
 * captured before the Initial) it gives up on the flow. We then start nDPI
 * afresh on the client's next Initial, at most this many times. An Initial
 * nDPI cannot decrypt (a version 4.2 does not know) is not retried: the
 * next one would fail the same way. */
#define QUIC_RETRIES 3

#define LEARNT_SNI 0x1u
#define LEARNT_ALPN 0x2u
#define LEARNT_JA3 0x4u
#define LEARNT_JA3S 0x8u

/* States a slab of the pool: its unit of growth. */
#define STATES_SLAB_SHIFT 6

struct classify {
    struct ndpi_detection_module_struct *ndpi;
    struct ipool states;         /* struct cls_flow, by the handle in f->cls */
    size_t obj_size;
    struct memcap *mc;           /* the caller's, or NULL */
    size_t share;                /* bytes of state at most (SIZE_MAX: no memcap) */
    bool caches_touched;         /* a flow may have filled nDPI's caches (may_fill_caches) */
    struct classify_stats st;
    struct tls_facts *facts;    /* where the flows' TLS facts go (the sensor's) */
    /* One synthesized IP+TCP packet: the reassembled ClientHello. */
    uint8_t synth[65535];
};

/* What ndpi_free_flow_data frees in 4.2, and the condition it frees it on:
 * the TLS/QUIC strings live in a union that other dissectors also use. */
static bool nf_is(const struct ndpi_flow_struct *nf, uint16_t proto)
{
    return nf->detected_protocol_stack[0] == proto || nf->detected_protocol_stack[1] == proto;
}

static bool nf_tls_like(const struct ndpi_flow_struct *nf)
{
    return nf_is(nf, NDPI_PROTOCOL_QUIC) || nf_is(nf, NDPI_PROTOCOL_TLS) ||
           nf_is(nf, NDPI_PROTOCOL_DTLS) || nf_is(nf, NDPI_PROTOCOL_MAIL_SMTPS) ||
           nf_is(nf, NDPI_PROTOCOL_MAIL_POPS) || nf_is(nf, NDPI_PROTOCOL_MAIL_IMAPS);
}

static size_t heap_of(const void *ptr)
{
    return ptr ? malloc_usable_size((void *)ptr) : 0;
}

/* Bytes nDPI has allocated inside one flow struct right now: every pointer
 * ndpi_free_flow_data would free, under the same conditions. */
static size_t nf_heap(const struct ndpi_flow_struct *nf)
{
    size_t n = heap_of(nf->http.url) + heap_of(nf->http.content_type) +
               heap_of(nf->http.request_content_type) + heap_of(nf->http.user_agent) +
               heap_of(nf->http.nat_ip) + heap_of(nf->http.detected_os) +
               heap_of(nf->kerberos_buf.pktbuf);
    if (nf_tls_like(nf))
        n += heap_of(nf->protos.tls_quic.server_names) + heap_of(nf->protos.tls_quic.alpn) +
             heap_of(nf->protos.tls_quic.tls_supported_versions) +
             heap_of(nf->protos.tls_quic.issuerDN) + heap_of(nf->protos.tls_quic.subjectDN) +
             heap_of(nf->protos.tls_quic.encrypted_sni.esni);
    if (nf->l4_proto == DS_IPPROTO_TCP)
        n += heap_of(nf->l4.tcp.tls.message.buffer);
    if (nf->l4_proto == DS_IPPROTO_UDP)
        n += heap_of(nf->l4.udp.quic_reasm_buf);
    return n;
}

static void account_heap(struct classify *c, struct cls_flow *cf)
{
    size_t now = nf_heap(&cf->nf);
    c->st.heap_bytes = c->st.heap_bytes - cf->heap + now;
    c->st.state_bytes = c->st.state_bytes - cf->heap + now;
    cf->heap = now;
    if (now > c->st.heap_peak_flow)
        c->st.heap_peak_flow = now;
    if (c->st.state_bytes > c->st.state_peak)
        c->st.state_peak = c->st.state_bytes;
}

/* nDPI's detection module, with only the TLS and QUIC dissectors: nDPI
 * sees nothing but flows our parser already found to carry a ClientHello or
 * a QUIC Initial. With every dissector on, a hello on a port another
 * protocol owns can be taken by that dissector first (nDPI 4.2 called TLS
 * from client port 5001 "TargusDataspeed" on port 8443) and its JA3 is
 * lost; and the reduced set is a little cheaper (2% a TLS flow on port 443,
 * 7% on 8443, 4% a QUIC flow, measured). Sub-protocols from the SNI
 * ("TLS.Google") and address labels do not depend on the set. 0 or -1. */
static int make_module(struct classify *c)
{
    uint32_t before = ndpi_get_tot_allocated_memory();
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (c->ndpi == NULL) {
        log_error("nDPI: cannot initialise the detection module");
        return -1;
    }
    NDPI_PROTOCOL_BITMASK protos;
    NDPI_BITMASK_RESET(protos);
    NDPI_BITMASK_ADD(protos, NDPI_PROTOCOL_TLS);
    NDPI_BITMASK_ADD(protos, NDPI_PROTOCOL_QUIC);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &protos);
    ndpi_finalize_initialization(c->ndpi);
    c->st.module_bytes = ndpi_get_tot_allocated_memory() - before;
    c->caches_touched = false;
    return 0;
}

struct classify *classify_new(size_t max_states, struct memcap *mc)
{
    struct classify *c = NULL;
    size_t lib_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
    if (lib_size < sizeof(struct ndpi_flow_struct)) {
        /* A smaller struct in the library than in our header: the fields we
         * read would not be where we read them. */
        log_error("nDPI: library flow struct (%zu bytes) does not match its header (%zu)",
                  lib_size, sizeof(struct ndpi_flow_struct));
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    if (make_module(c) != 0)
        goto fail;
    c->obj_size = offsetof(struct cls_flow, nf) + lib_size;
    c->st.state_size = (c->obj_size + 15) & ~(size_t)15; /* ipool_init's rounding to 16 */
    c->mc = mc;
    c->share = mc ? memcap_share(mc, MEMCAP_NDPI) : SIZE_MAX;
    /* 16-aligned as malloc's memory is, which nDPI's struct was made for. */
    ipool_init(&c->states, c->obj_size, 16,
               memcap_objects(mc, MEMCAP_NDPI, c->st.state_size, max_states), STATES_SLAB_SHIFT);
    return c;
fail:
    free(c);
    return NULL;
}

/* nDPI 4.2 offers no call that empties its caches (the TLS certificate
 * cache, keyed on the server's address, and the other dissectors' LRU
 * caches), and its module struct is private to the library: the module is
 * made afresh instead, and only when a flow was handed to nDPI since it was
 * made (nothing can be cached before). */
int classify_reset(struct classify *c)
{
    if (c == NULL || c->ndpi == NULL || !c->caches_touched)
        return 0;
    if (c->states.in_use != 0)
        return -1;
    ndpi_exit_detection_module(c->ndpi);
    c->ndpi = NULL;
    if (make_module(c) != 0)
        return -1;
    c->st.module_resets++;
    return 0;
}

void classify_free(struct classify *c)
{
    if (c == NULL)
        return;
    if (c->ndpi)
        ndpi_exit_detection_module(c->ndpi);
    ipool_free(&c->states);
    free(c);
}

/* The state of flow f, which has one (f->cls not 0). */
static struct cls_flow *state_of(const struct classify *c, const struct flow *f)
{
    return ipool_at(&c->states, f->cls);
}

/* Takes a state for f; 0, or -1 when the pool is out (counted). */
static int take_state(struct classify *c, struct flow *f)
{
    if (c->ndpi == NULL) {       /* a reset could not make the module again */
        c->st.no_state++;
        return -1;
    }
    if (c->st.state_bytes + c->st.state_size > c->share) {
        /* nDPI's own allocations inside the states in use fill the share. */
        c->st.no_state++;
        memcap_ndpi_refused(c->mc);
        return -1;
    }
    uint32_t h = ipool_get(&c->states);
    if (h == 0) {
        c->st.no_state++;
        memcap_ndpi_refused(c->mc);
        return -1;
    }
    /* ipool_get zeroes the object: nDPI wants a zeroed flow struct. */
    f->cls = h;
    f->ndpi_pkts = 0;
    c->st.flows++;
    c->st.state_bytes += c->st.state_size;
    if (c->st.state_bytes > c->st.state_peak)
        c->st.state_peak = c->st.state_bytes;
    c->st.pool_bytes = c->states.bytes;
    return 0;
}

static void release_state(struct classify *c, struct flow *f)
{
    struct cls_flow *cf = state_of(c, f);
    ndpi_free_flow_data(&cf->nf);
    c->st.heap_bytes -= cf->heap;
    c->st.state_bytes -= cf->heap + c->st.state_size;
    ipool_put(&c->states, f->cls);
    f->cls = 0;
    f->flags |= FLOW_F_CLASSIFIED;
}

/* nDPI's comma-separated ALPN list ("h3,h3-29") to the wire form
 * (length-prefixed names). An ALPN name holding a comma is split: nDPI
 * kept no better record of it. */
static uint16_t alpn_to_wire(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 0 && len <= 255) {
            if (n + 1 + len > cap)
                break;
            out[n++] = (uint8_t)len;
            memcpy(out + n, s, len);
            n += len;
        }
        if (e == NULL)
            break;
        s = e + 1;
    }
    return (uint16_t)n;
}

static bool is_hex32(const char *s)
{
    for (int i = 0; i < 32; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return s[32] == '\0';
}

/* The flow's set as a copy to change (*t), taken at the first change:
 * what learn changes becomes one change of the set. */
static struct flow_tls *edit(struct classify *c, uint32_t id, struct flow_tls *t, bool *open)
{
    if (!*open)
        tls_facts_edit(c->facts, id, t);
    *open = true;
    return t;
}

/* Copies what nDPI knows so far into the flow's fact set *facts (NULL:
 * nowhere). Cheap and idempotent: called after every packet so that the
 * sensor sees a QUIC SNI at once; the set changes only when a fact is new
 * (once a flow and a fact, by cf->learnt). */
static void learn(struct classify *c, uint32_t *facts, struct cls_flow *cf)
{
    const struct ndpi_flow_struct *nf = &cf->nf;
    if (facts == NULL || !nf_tls_like(nf))
        return;
    /* What the flow knows (valid until the commit below) and its copy to
     * change. */
    const struct flow_tls *now = tls_facts_get(c->facts, *facts);
    struct flow_tls t;
    bool open = false;
    struct intern *strs = tls_facts_strings(c->facts);
    const char *ja3c = nf->protos.tls_quic.ja3_client;
    const char *ja3s = nf->protos.tls_quic.ja3_server;
    /* Each fact is copied once: a string the full table refuses is counted
     * once (sensor.strings.refused), not again at every later packet. */
    if (!(cf->learnt & LEARNT_JA3) && !flow_tls_has(now, FLOW_TLS_JA3) && is_hex32(ja3c)) {
        flow_tls_set(edit(c, *facts, &t, &open), strs, FLOW_TLS_JA3, ja3c, 32);
        cf->learnt |= LEARNT_JA3;
    }
    if (!(cf->learnt & LEARNT_JA3S) && !flow_tls_has(now, FLOW_TLS_JA3S) && is_hex32(ja3s)) {
        flow_tls_set(edit(c, *facts, &t, &open), strs, FLOW_TLS_JA3S, ja3s, 32);
        cf->learnt |= LEARNT_JA3S;
        /* The ServerHello was read: ssl_version now holds the version the
         * server chose (supported_versions if present, else its legacy
         * version). Before it, it holds the client's legacy version. */
        t.version = nf->protos.tls_quic.ssl_version;
    }
    if (nf_is(nf, NDPI_PROTOCOL_QUIC)) {
        /* Our TCP parser gave SNI and ALPN for TLS; for QUIC nDPI decrypts
         * the Initial. nDPI keeps at most 79 bytes of a name. */
        if (!(cf->learnt & LEARNT_SNI) && nf->host_server_name[0]) {
            /* A real ECH hello's outer name is not the service's. */
            if (!flow_tls_has(now, FLOW_TLS_SNI) && now->ech != TLS_ECH_REAL)
                flow_tls_set_str(edit(c, *facts, &t, &open), strs, FLOW_TLS_SNI,
                                 nf->host_server_name, TLS_SNI_MAX - 1);
            cf->learnt |= LEARNT_SNI;
        }
        if (!(cf->learnt & LEARNT_ALPN) && nf->protos.tls_quic.alpn) {
            if (!flow_tls_has(now, FLOW_TLS_ALPN)) {
                uint8_t wire[TLS_ALPN_WIRE_MAX];
                uint16_t n = alpn_to_wire(nf->protos.tls_quic.alpn, wire, sizeof(wire));
                flow_tls_set(edit(c, *facts, &t, &open), strs, FLOW_TLS_ALPN, wire, n);
            }
            cf->learnt |= LEARNT_ALPN;
        }
    }
    if (open)
        tls_facts_commit(c->facts, facts, &t);
}

static void set_proto_name(struct classify *c, uint32_t *facts, ndpi_protocol proto)
{
    if (facts == NULL)
        return;
    char buf[64];
    const char *name = ndpi_protocol2name(c->ndpi, proto, buf, sizeof(buf));
    tls_facts_set_str(c->facts, facts, FLOW_TLS_NDPI, name ? name : "", FLOW_TLS_NDPI_MAX);
}

/* The protocol nDPI settled on, as ndpi_detection_process_packet reports it. */
static ndpi_protocol current_proto(const struct ndpi_flow_struct *nf)
{
    ndpi_protocol r;
    memset(&r, 0, sizeof(r));
    r.app_protocol = nf->detected_protocol_stack[0];
    r.master_protocol = nf->detected_protocol_stack[1];
    if (r.master_protocol == r.app_protocol)
        r.master_protocol = NDPI_PROTOCOL_UNKNOWN;
    r.category = nf->category;
    return r;
}

/* Done: no detection or extra dissection will happen on later packets. */
static bool ndpi_done(struct classify *c, struct ndpi_flow_struct *nf, ndpi_protocol proto)
{
    if (nf->fail_with_unknown || nf->num_processed_pkts >= NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT)
        return true;
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN && proto.master_protocol == NDPI_PROTOCOL_UNKNOWN) {
        /* Nothing found yet: done once the one dissector that could find
         * something on this flow (the set is TLS and QUIC) has excluded it. */
        uint16_t mine = nf->l4_proto == DS_IPPROTO_UDP ? NDPI_PROTOCOL_QUIC : NDPI_PROTOCOL_TLS;
        return NDPI_COMPARE_PROTOCOL_TO_BITMASK(nf->excluded_protocol_bitmask, mine) != 0;
    }
    /* We take nothing from the certificate: on TCP, once the ServerHello
     * gave JA3S (and the version), nDPI's further dissection is all cost
     * (its per-packet address lookups among it). */
    if (nf->l4_proto == DS_IPPROTO_TCP && nf_tls_like(nf) && nf->protos.tls_quic.ja3_server[0])
        return true;
    /* Once detected, nDPI works on a flow only through its extra-packet
     * function; in 4.2 ndpi_extra_dissection_possible can still say yes for
     * TLS after that function has used up its packets, so look at both. */
    if (!nf->check_extra_packets || nf->extra_packets_func == NULL)
        return true;
    return ndpi_extra_dissection_possible(c->ndpi, nf) == 0;
}

/* Ends nDPI on f: a last guess at the protocol if it found none, copies
 * into the flow's fact set *facts, frees. */
static void finish(struct classify *c, struct flow *f, ndpi_protocol proto, bool detected,
                   uint32_t *facts)
{
    struct cls_flow *cf = state_of(c, f);
    if (cf->nf.num_processed_pkts > 0) { /* else nDPI never saw this state */
        if (!detected) {
            uint8_t guessed = 0;
            proto = ndpi_detection_giveup(c->ndpi, &cf->nf, 1, &guessed);
            account_heap(c, cf);
        }
        learn(c, facts, cf);
        set_proto_name(c, facts, proto);
    }
    release_state(c, f);
}

static bool detected_of(ndpi_protocol proto)
{
    return proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
           proto.master_protocol != NDPI_PROTOCOL_UNKNOWN;
}

/* A QUIC flow nDPI gave up on without reading a ClientHello: clear its
 * state for another start (true), unless the tries are used up. */
static bool quic_retry(struct classify *c, struct flow *f, struct cls_flow *cf,
                       uint32_t *facts)
{
    const struct ndpi_flow_struct *nf = &cf->nf;
    if (f->proto != DS_IPPROTO_UDP || !cf->quic_retry_worthy || cf->quic_tries >= QUIC_RETRIES)
        return false;
    if (nf->host_server_name[0] || (nf_tls_like(nf) && nf->protos.tls_quic.ja3_client[0]))
        return false;
    set_proto_name(c, facts, current_proto(nf)); /* the label so far, if no better comes */
    ndpi_free_flow_data(&cf->nf);
    memset(&cf->nf, 0, c->obj_size - offsetof(struct cls_flow, nf));
    account_heap(c, cf);
    cf->quic_tries++;
    cf->quic_waiting = true;
    c->st.quic_retries++;
    return true;
}

/* What nDPI 4.2 learns across flows is in its module's LRU caches, private
 * to it (NDPI_LIB_COMPILATION), so only making the module again (0.1 s:
 * its automata) empties them. Of the dissectors we run (TLS, QUIC) and
 * nDPI's main loop, they are written when a server certificate is read
 * (tls_cert_cache: its subject is then in the flow) or a flow is found to
 * be Teams, Skype, Zoom, Ookla or mining (their caches, by the host): true
 * if nf did either. */
static bool may_fill_caches(const struct ndpi_flow_struct *nf)
{
    if (nf_tls_like(nf) && nf->protos.tls_quic.subjectDN != NULL)
        return true;
    return nf_is(nf, NDPI_PROTOCOL_MSTEAMS) || nf_is(nf, NDPI_PROTOCOL_SKYPE_TEAMS) ||
           nf_is(nf, NDPI_PROTOCOL_ZOOM) || nf_is(nf, NDPI_PROTOCOL_OOKLA) ||
           nf_is(nf, NDPI_PROTOCOL_MINING);
}

/* A flow's ndpi_pkts (8 bits) counts up to the cap. */
_Static_assert(CLASSIFY_MAX_PKTS < UINT8_MAX, "struct flow's ndpi_pkts is too narrow");

/* Hands one IP packet to nDPI, what it learnt to *facts; returns 1 (and frees)
 * when done, else 0. */
static int feed(struct classify *c, struct flow *f, const uint8_t *l3, size_t l3_len,
                uint64_t ts_us, uint32_t *facts)
{
    struct cls_flow *cf = state_of(c, f);
    ndpi_protocol proto = ndpi_detection_process_packet(c->ndpi, &cf->nf, l3, (unsigned short)l3_len,
                                                        ts_us / DS_US_PER_MS);
    if (f->ndpi_pkts < UINT8_MAX)
        f->ndpi_pkts++;            /* saturating: struct flow keeps 8 bits */
    c->st.pkts++;
    account_heap(c, cf);
    if (!c->caches_touched && may_fill_caches(&cf->nf))
        c->caches_touched = true;
    learn(c, facts, cf);
    bool capped = f->ndpi_pkts >= CLASSIFY_MAX_PKTS || cf->seen >= CLASSIFY_MAX_PKTS;
    if (ndpi_done(c, &cf->nf, proto)) {
        if (!capped && quic_retry(c, f, cf, facts))
            return 0;
        c->st.done++;
        finish(c, f, proto, detected_of(proto), facts);
        return 1;
    }
    if (capped) {
        c->st.capped++;
        finish(c, f, proto, detected_of(proto), facts);
        return 1;
    }
    return 0;
}

int classify_begin(struct classify *c, struct flow *f)
{
    if (f->cls || (f->flags & FLOW_F_CLASSIFIED))
        return 0;
    if (c == NULL)
        return -1; /* nDPI failed to start: the sensor runs without it */
    return take_state(c, f);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)((h[i] << 8) | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Writes an IPv4 or IPv6 header and a TCP header (ACK|PSH) carrying the
 * hello into c->synth; returns the packet length. */
static size_t synth_hello(struct classify *c, const struct packet *p, const uint8_t *raw,
                          size_t raw_len, uint32_t first_seq)
{
    uint8_t *b = c->synth;
    size_t ip_len;
    bool v4 = ds_addr_is_v4(&p->src) && ds_addr_is_v4(&p->dst);
    uint8_t ttl = p->ttl ? p->ttl : 64;
    if (v4) {
        ip_len = 20;
        memset(b, 0, 20);
        b[0] = 0x45;
        put_be16(b + 2, (uint16_t)(20 + 20 + raw_len));
        put_be16(b + 6, 0x4000); /* DF, no fragment */
        b[8] = ttl;
        b[9] = DS_IPPROTO_TCP;
        memcpy(b + 12, p->src.a + 12, 4);
        memcpy(b + 16, p->dst.a + 12, 4);
        put_be16(b + 10, ipv4_checksum(b, 20));
    } else {
        ip_len = 40;
        memset(b, 0, 40);
        b[0] = 0x60;
        put_be16(b + 4, (uint16_t)(20 + raw_len));
        b[6] = DS_IPPROTO_TCP;
        b[7] = ttl;
        memcpy(b + 8, p->src.a, 16);
        memcpy(b + 24, p->dst.a, 16);
    }
    uint8_t *t = b + ip_len;
    memset(t, 0, 20);
    put_be16(t, p->sport);
    put_be16(t + 2, p->dport);
    put_be32(t + 4, first_seq);
    put_be32(t + 8, p->ack);
    t[12] = 5 << 4;
    t[13] = DS_TCP_ACK | DS_TCP_PSH;
    put_be16(t + 14, p->win ? p->win : 0xffff);
    /* The TCP checksum stays 0: nDPI does not check it. */
    memcpy(t + 20, raw, raw_len);
    return ip_len + 20 + raw_len;
}

int classify_begin_tcp_hello(struct classify *c, struct flow *f, const struct packet *p,
                             const uint8_t *raw, size_t raw_len, uint32_t first_seq,
                             uint32_t *facts)
{
    if (f->cls || (f->flags & FLOW_F_CLASSIFIED))
        return 0;
    if (c == NULL)
        return -1;
    if (raw_len == 0 || raw_len > CLASSIFY_HELLO_MAX) {
        c->st.too_big++;
        return -1;
    }
    if (take_state(c, f) != 0)
        return -1;
    size_t len = synth_hello(c, p, raw, raw_len, first_seq);
    feed(c, f, c->synth, len, p->ts_us, facts);
    return 0;
}

/* What classification reads of a UDP payload's QUIC header (quic-header.h). */
struct quic_hdr {
    uint32_t version;  /* 0 for a short header or version negotiation */
    bool initial;      /* a long-header Initial packet (v2's numbering mapped) */
    bool probe;        /* a reserved version: asks only for version negotiation */
};

static struct quic_hdr quic_hdr_of(const struct packet *p)
{
    struct quic_hdr q = { 0, false, false };
    struct rd r = rd_init(p->payload, p->payload_len);
    struct quic_header h;
    if (quic_header_read_version(&r, &h) != QUIC_HDR_LONG)
        return q;
    q.version = h.version;
    q.initial = h.type == QUIC_PT_INITIAL;
    q.probe = quic_version_is_reserved(h.version);
    return q;
}

/* The flow's QUIC version is the first seen, unless a probe's gives way
 * to a real one: a change of its set only when it changes. */
static void note_quic_version(struct classify *c, uint32_t *facts, struct quic_hdr h)
{
    uint32_t qv = tls_facts_get(c->facts, *facts)->quic_version;
    bool better = qv == 0 || (quic_version_is_reserved(qv) && !h.probe);
    if (h.version == 0 || h.version == qv || !better)
        return;
    struct flow_tls t;
    tls_facts_edit(c->facts, *facts, &t);
    t.quic_version = h.version;
    tls_facts_commit(c->facts, facts, &t);
}

static bool from_client(const struct flow *f, const struct packet *p)
{
    return p->sport == f->cport && memcmp(&p->src, &f->cli, sizeof(p->src)) == 0;
}

int classify_packet(struct classify *c, struct flow *f, const struct packet *p,
                    uint32_t *facts)
{
    if (f->cls == 0)
        return (f->flags & FLOW_F_CLASSIFIED) ? 1 : 0;
    if (p->payload_len == 0 && p->proto == DS_IPPROTO_TCP)
        return 0; /* nothing for a dissector; spares the packet cap */
    if (p->l3_len > 65535) {
        c->st.skipped++;
        return 0;
    }
    struct cls_flow *cf = state_of(c, f);
    if (cf->seen < UINT8_MAX)
        cf->seen++;
    if (p->proto == DS_IPPROTO_UDP) {
        struct quic_hdr h = quic_hdr_of(p);
        if (cf->quic_waiting) {
            /* Only the client's next real Initial is worth a new start. */
            if (!h.initial || h.probe || !from_client(f, p)) {
                if (cf->seen < CLASSIFY_MAX_PKTS)
                    return 0;
                c->st.capped++;
                finish(c, f, current_proto(&cf->nf), false, facts);
                return 1;
            }
            cf->quic_waiting = false;
        }
        if (cf->nf.num_processed_pkts == 0)
            cf->quic_retry_worthy = h.version != 0 && (h.probe || !h.initial);
        /* The first version seen, unless a probe's gives way to a real one. */
        if (facts)
            note_quic_version(c, facts, h);
    }
    return feed(c, f, p->l3, p->l3_len, p->ts_us, facts);
}

void classify_end(struct classify *c, struct flow *f, uint32_t *facts)
{
    if (f->cls == 0)
        return;
    struct cls_flow *cf = state_of(c, f);
    ndpi_protocol proto = current_proto(&cf->nf);
    c->st.ended++;
    finish(c, f, proto, detected_of(proto), facts);
}

const struct classify_stats *classify_stats(const struct classify *c)
{
    static const struct classify_stats none;
    return c ? &c->st : &none;
}

void classify_set_facts(struct classify *c, struct tls_facts *facts)
{
    if (c)
        c->facts = facts;
}

void classify_stats_write(const struct classify *c, struct stats_node *root)
{
    const struct classify_stats *st = classify_stats(c);
    struct stats_node *me = stats_child(root, "sensor");
    struct stats_node *nd = stats_child(me, "ndpi");
    stats_u64(nd, "flows", st->flows);
    stats_u64(nd, "pkts", st->pkts);
    stats_u64(nd, "no_state", st->no_state);
    stats_u64(stats_child(me, "memory"), "ndpi_state", st->state_bytes);
}
