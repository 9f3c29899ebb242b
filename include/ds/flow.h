/* Flow table: bidirectional flows keyed by the 5-tuple and the VLAN tags
 * (as Suricata's, unless configured off), in slabs allocated on demand up
 * to the cap and linked by 32-bit references, a seeded symmetric hash (the
 * run's seed, seed.h) with chains capped at FLOW_CHAIN_MAX, client/server
 * orientation, idle timeouts on packet time and a cap at which the least
 * useful of the longest idle flows is evicted (FLOW_EVICT_SCAN below). */
#ifndef DS_FLOW_H
#define DS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/assert.h"
#include "ds/packet.h"

enum flow_dir { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

enum flow_state {
    FLOW_STATE_NEW = 0,     /* one side seen */
    FLOW_STATE_ESTABLISHED, /* both sides seen */
    FLOW_STATE_CLOSED,      /* FIN both ways or RST */
};
/* struct flow keeps the state in 2 bits. */
#define FLOW_STATE_BITS 2
_Static_assert(FLOW_STATE_CLOSED < (1 << FLOW_STATE_BITS), "enum flow_state outgrew its bits");

/* Why a flow ended (EVE flow.reason: "timeout", "shutdown", "forced"). */
enum flow_end {
    FLOW_END_TIMEOUT = 0,
    FLOW_END_EVICTED,       /* pushed out at the cap (--max-flows, --memcap), or from a
                               full hash chain */
    FLOW_END_SHUTDOWN,      /* end of capture */
};
/* struct flow keeps the reason in 2 bits. */
#define FLOW_END_BITS 2
_Static_assert(FLOW_END_SHUTDOWN < (1 << FLOW_END_BITS), "enum flow_end outgrew its bits");

#define FLOW_F_SYN_SEEN     0x0001u /* client SYN seen: flow_cli_isn valid */
#define FLOW_F_SYNACK_SEEN  0x0002u
#define FLOW_F_FIN_CLI      0x0004u
#define FLOW_F_FIN_SRV      0x0008u
#define FLOW_F_RST          0x0010u
#define FLOW_F_TLS          0x0020u /* a ClientHello was parsed */
#define FLOW_F_QUIC         0x0040u /* QUIC Initial seen */
#define FLOW_F_HELLO_DONE   0x0080u /* ClientHello inspection over (parsed or given up) */
#define FLOW_F_FOLLOW       0x0100u /* we keep app state (AI flow, or --all-tls) */
#define FLOW_F_IGNORE       0x0200u /* nothing more to learn: count packets only */
#define FLOW_F_CLASSIFIED   0x0400u /* nDPI is done with this flow */
#define FLOW_F_PROFILE      0x0800u /* its address's profile record counts it too (detect.h) */
#define FLOW_F_QUIC_READ    0x1000u /* our QUIC parser read the hello: app->quic is the
                                       server id (JA3S), NULL once done, not the slot */
#define FLOW_F_QUIC_SHED    0x2000u /* refused a QUIC reassembly slot at the cap: counted once */
#define FLOW_F_QUIC_FAILED  0x4000u /* our QUIC parser gave up on the hello: no slot again */
#define FLOW_F_SOURCE       0x8000u /* its address's source record counts it (detect.h) */

/* The most catalogue entries a flow can name: struct flow keeps the index
 * in an int16_t (the shipped catalogue has about 150; the sensor refuses a
 * catalogue with more, sensor.c's load_catalog). */
#define FLOW_SERVICE_MAX INT16_MAX

/* A flow's links in its table: 32-bit references into the table's flow
 * store, not pointers (half their size); 0 is none. Private to flow.c. */
struct flow_link {
    uint32_t prev, next;
};

/* The most client segments (or early QUIC packets) the sensor looks at
 * for a hello: struct flow counts them in 8 bits, saturating here. The
 * sensor gives up after far fewer (sensor.c: HELLO_MAX_CLIENT_PKTS, 24, and
 * QUIC_EARLY_MAX, 4, asserted below this), so the count never sticks
 * before it has decided. */
#define FLOW_HELLO_TRIES_MAX UINT8_MAX

/* The most bytes a flow counts one way: struct flow keeps each direction's
 * count in 48 bits (a 32-bit low word and a 16-bit high one), saturating
 * here: 281 TB one way, over 7 hours of one flow at 100 Gbit/s (Suricata's
 * Flow keeps 64-bit byte counters; no flow this sensor follows comes near
 * either). */
#define FLOW_BYTES_MAX ((UINT64_C(1) << 48) - 1)

/* A flow record, laid out widest member first so that it has no holes
 * (`gdb -batch -ex 'ptype/o struct flow' build/distill-sensor`): 120 B on
 * x86-64, stored unrounded in the table's slabs (144 with pointers for
 * app, cls and hello, 10-byte VLAN tags, 16-bit hello_tries and byte-wide
 * state and end; 128 with 64-bit byte counters and the client's ISN in a
 * word of its own, or with a second idle link for a list of the flows
 * holding app state, which flow_evict_app no longer keeps). The narrow
 * fields, and why their widths are enough
 * (counters saturate, never wrap):
 *   pkts        uint32_t, as Suricata's Flow keeps todstpktcnt and
 *               tosrcpktcnt: 4.3 billion packets one way (over an hour
 *               of one flow at a million packets a second) before it
 *               sticks.
 *   bytes       48 bits each way, FLOW_BYTES_MAX above: bytes_lo and
 *               bytes_hi, read and added through flow_bytes and
 *               flow_bytes_add only.
 *   ndpi_pkts   uint8_t: nDPI is given at most CLASSIFY_MAX_PKTS (32)
 *               packets of a flow (classify.c) before it is stopped.
 *   hello_tries uint8_t: FLOW_HELLO_TRIES_MAX above (flow_hello_try).
 *   service     int16_t: a catalogue entry (FLOW_SERVICE_MAX above).
 *   app, cls, hello  32-bit handles into their owners' indexed pools
 *               (ipool.h, which hands out at most UINT32_MAX - 1).
 *   vlan        four 12-bit ids and their count in 8 bytes (packet.h:
 *               a VLAN id is 12 bits on the wire).
 *   state, end  2 bits each (their enums' _Static_asserts above).
 * The client's ISN and the ClientHello reassembly slot share a word
 * (struct flow_hello below: the ISN is only read until a buffer is taken).
 * The hash is not kept: bucket_remove computes it again from the key. */
struct flow {
    struct ds_addr cli, srv;       /* client = sent the SYN, else the ephemeral side */
    uint64_t id;                   /* flow_id: unique within a run */
    uint64_t first_us, last_us;
    struct ds_vlan_packed vlan;    /* the first packet's VLAN tags (ds_vlan_unpack): part
                                      of the key unless flow_config.vlan_key is off */
    uint32_t bytes_lo[2];          /* by enum flow_dir, bytes on the wire: the low 32 bits
                                      (flow_bytes) */
    /* The application layer's state, opaque to the table (Suricata's
     * Flow.alstate): the handle of the sensor's struct flow_app
     * (ds/flow-app.h) in the sensor's pool, 0 unless followed; the table
     * only tests it for 0. Released by the flow_end_fn callee. cls and
     * hello stay beside it, not in it: each belongs to a module the sensor
     * calls with the flow (classify.c, tls-asm.c), which takes and clears
     * it without knowing the sensor's app state; and hello is needed
     * before a flow is followed, when there is no app state yet. Each is a
     * 32-bit handle into its owner's indexed pool (ipool.h), 0 for none. */
    uint32_t app;
    uint32_t cls;                  /* classifier state, 0 when done */
    /* Until the ClientHello is in: the client's ISN + 1 (when
     * FLOW_F_SYN_SEEN) while hello_held is 0, the reassembly slot
     * (tls-asm.h) while it is 1; through flow_cli_isn, flow_hello_slot,
     * flow_hello_buffer, flow_hello_open and flow_hello_close only. */
    union {
        uint32_t cli_isn;
        uint32_t slot;
    } hello;
    uint32_t pkts[2];              /* by enum flow_dir; saturating (above) */
    uint32_t hnext;                /* hash chain */
    struct flow_link idle;         /* idle order in its class, oldest at the head */
    uint16_t cport, sport;
    uint16_t flags;                /* FLOW_F_* */
    int16_t service;               /* AI catalogue index, -1 if none */
    uint16_t bytes_hi[2];          /* by enum flow_dir: bits 32 to 47 (flow_bytes) */
    uint8_t hello_tries;           /* client data segments looked at for a hello;
                                      saturating (flow_hello_try) */
    uint8_t proto;
    uint8_t state : FLOW_STATE_BITS; /* enum flow_state */
    uint8_t end : FLOW_END_BITS;   /* enum flow_end, set when it ends */
    uint8_t hello_held : 1;        /* hello holds the slot, not the ISN */
    uint8_t ndpi_pkts;             /* packets handed to nDPI; saturating (above) */
};

/* What a flow costs (sizeof, on x86-64): the budget this layout keeps. */
_Static_assert(sizeof(struct flow) <= 120, "struct flow grew past its budget");

/* The bytes flow f has seen in direction dir (enum flow_dir). */
static inline uint64_t flow_bytes(const struct flow *f, int dir)
{
    return (uint64_t)f->bytes_hi[dir] << 32 | f->bytes_lo[dir];
}

/* Counts n more bytes in direction dir, sticking at FLOW_BYTES_MAX. */
static inline void flow_bytes_add(struct flow *f, int dir, uint64_t n)
{
    uint64_t b = flow_bytes(f, dir);
    b = n > FLOW_BYTES_MAX - b ? FLOW_BYTES_MAX : b + n;
    f->bytes_lo[dir] = (uint32_t)b;
    f->bytes_hi[dir] = (uint16_t)(b >> 32);
}

/* The client's ISN + 1, meaningful when FLOW_F_SYN_SEEN and no
 * reassembly buffer has been taken (0 once one has: tls-asm then keeps
 * the stream's start itself). */
static inline uint32_t flow_cli_isn(const struct flow *f)
{
    return f->hello_held ? 0 : f->hello.cli_isn;
}

/* A client SYN's ISN + 1 (flow.c): kept unless the word holds the slot,
 * whose buffer has its stream's start already (and, once the hello is
 * done or given up, nothing reads the ISN again). */
static inline void flow_set_cli_isn(struct flow *f, uint32_t isn1)
{
    if (!f->hello_held)
        f->hello.cli_isn = isn1;
}

/* f's reassembly slot for tls_asm_release, NULL (which it takes as no
 * slot) while the word holds the ISN. */
static inline uint32_t *flow_hello_slot(struct flow *f)
{
    return f->hello_held ? &f->hello.slot : NULL;
}

/* f's reassembly slot's value for tls_asm_raw_seq: 0 (no buffer) while
 * the word holds the ISN. */
static inline uint32_t flow_hello_buffer(const struct flow *f)
{
    return f->hello_held ? f->hello.slot : 0;
}

/* Around one tls_asm_feed: open turns the word into the slot (0 when it
 * held the ISN) and returns the ISN + 1 for the feed's start_seq (0 if
 * the word already was the slot: a held buffer has its own start); after
 * the feed, close gives the word back to the ISN if no buffer was taken,
 * so that the next feed starts from it as before. The slot does not move
 * while it holds a buffer (the pool writes to it on a reclaim). */
static inline uint32_t flow_hello_open(struct flow *f)
{
    if (f->hello_held)
        return 0;
    uint32_t isn1 = f->hello.cli_isn;
    f->hello.slot = 0;
    f->hello_held = 1;
    return isn1;
}

static inline void flow_hello_close(struct flow *f, uint32_t isn1)
{
    if (f->hello_held && f->hello.slot == 0) {
        f->hello.cli_isn = isn1;
        f->hello_held = 0;
    }
}

/* One more client segment (or early QUIC packet) looked at for f's hello:
 * the count so far, sticking at FLOW_HELLO_TRIES_MAX. */
static inline unsigned flow_hello_try(struct flow *f)
{
    if (f->hello_tries < FLOW_HELLO_TRIES_MAX)
        f->hello_tries++;
    return f->hello_tries;
}

/* A catalogue index (catalog_match_*: -1 or an entry) as struct flow
 * keeps it; one past FLOW_SERVICE_MAX, which load_catalog never lets
 * through, is no service rather than a wrapped one. */
static inline int16_t flow_service_index(int idx)
{
    return idx >= 0 && idx <= FLOW_SERVICE_MAX ? (int16_t)idx : -1;
}

struct memcap;

/* The most flows a table holds (32-bit references, 0 for none). */
#define FLOW_MAX_FLOWS ((size_t)UINT32_MAX - 1)

struct flow_config {
    size_t max_flows;              /* cap, at most FLOW_MAX_FLOWS; at the cap the least
                                      useful idle flow is evicted */
    uint32_t timeout_new_s;        /* one side only */
    uint32_t timeout_est_s;        /* established TCP */
    uint32_t timeout_closed_s;     /* after FIN both ways or RST */
    uint32_t timeout_udp_s;        /* UDP with both sides seen */
    uint32_t seed;                 /* hash seed (seed.h); the default is the fixed offline one */
    bool vlan_key;                 /* VLAN ids in the key (default); off: a connection
                                      is one flow whatever its tags (--no-vlan-key) */
    struct memcap *memcap;         /* the caller's, or NULL: where the table reports how
                                      full it is and counts evictions by kind, and whose
                                      emergency mode shortens the timeouts */
};

/* Emergency mode's idle timeouts (Suricata's TCP emergency-new,
 * emergency-established and emergency-closed, and UDP's
 * emergency-established), and how many times more flows an expiry pass
 * may end. */
#define FLOW_EMERG_NEW_S 5
#define FLOW_EMERG_EST_S 100
#define FLOW_EMERG_CLOSED_S 10
#define FLOW_EMERG_UDP_S 100
#define FLOW_EMERG_VISIT_FACTOR 8

/* At the cap the flow to evict is the least useful of the longest idle
 * flows (the first FLOW_EVICT_SCAN of each timeout class): one that will
 * never be followed (ignored, or a half-open connection with nothing
 * decided) before one not yet decided, before a followed one; the longest
 * idle within a kind. */
#define FLOW_EVICT_SCAN 64

/* The most flows a hash chain holds: a lookup walks at most this many. */
#define FLOW_CHAIN_MAX 32

/* The hash buckets: FLOW_BUCKETS_NUM / FLOW_BUCKETS_DEN of max_flows (3 a
 * 4 flows, 3 bytes a flow at the cap), at least FLOW_BUCKETS_MIN and at
 * most FLOW_BUCKETS_MAX, any count (not rounded up to a power of two,
 * which cost up to 8 bytes a flow: 6.9 at the cap the default memcap
 * gives). At the cap a chain holds 4/3 of a flow on average; measured at
 * 1,000,000 flows (tools/bench-flows.sh's traffic) a lookup walked 0.939
 * flows on average against 0.913 with 2^20 buckets, the longest walk 8
 * both ways; FLOW_CHAIN_MAX bounds it whatever the keys. */
#define FLOW_BUCKETS_NUM 3
#define FLOW_BUCKETS_DEN 4
#define FLOW_BUCKETS_MIN ((size_t)1024)
#define FLOW_BUCKETS_MAX ((size_t)1 << 26)

/* The bucket count of a table of max_flows flows. */
static inline size_t flow_buckets_for(size_t max_flows)
{
    size_t n = max_flows / FLOW_BUCKETS_DEN * FLOW_BUCKETS_NUM +
               (max_flows % FLOW_BUCKETS_DEN * FLOW_BUCKETS_NUM + FLOW_BUCKETS_DEN - 1) /
                   FLOW_BUCKETS_DEN;
    if (n < FLOW_BUCKETS_MIN)
        return FLOW_BUCKETS_MIN;
    return n > FLOW_BUCKETS_MAX ? FLOW_BUCKETS_MAX : n;
}

/* The bucket of a flow of hash h among nbuckets (at most 2^32): the
 * hash's fraction of the range (Lemire's multiply-shift), which takes
 * any count, by the hash's high bits, without a division. */
static inline size_t flow_bucket_of(uint32_t h, size_t nbuckets)
{
    return (size_t)(((uint64_t)h * nbuckets) >> 32);
}

struct flow_stats {
    uint64_t created, ended, timed_out, evicted, active, max_active;
    uint64_t tcp, udp;             /* flows created, by protocol */
    uint64_t chain_evicted;        /* of evicted: to keep a chain at FLOW_CHAIN_MAX */
    uint64_t lookups, lookup_steps; /* flow_handle lookups, flows they walked */
    uint64_t max_chain;            /* the most one lookup walked */
};

struct flow_table;

/* Called when a flow ends (timeout, eviction, shutdown), before its record
 * is reused: the callee emits events and releases the flow's app state. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f);

void flow_config_default(struct flow_config *cfg);
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn end_fn, void *ctx);
/* Ends every flow (reason SHUTDOWN, through end_fn) and frees. NULL-safe. */
void flow_table_free(struct flow_table *ft);

/* Finds or creates the flow of packet p, updates its counters and state, and
 * returns it with *dir set; NULL only if the pool is exhausted and nothing
 * could be evicted. */
struct flow *flow_handle(struct flow_table *ft, const struct packet *p, enum flow_dir *dir);

/* The table hash of packet p's flow under seed, its VLAN tags included (as
 * a table keyed on them hashes it), the same for both directions (a flow's
 * bucket is flow_bucket_of this hash): what tests use to build keys that
 * share a bucket. */
uint32_t flow_packet_hash(uint32_t seed, const struct packet *p);

/* Expires idle flows against packet time `now_us`: ends at most max_visit
 * flows per call, the longest idle of each timeout class first. In the
 * memcap's emergency mode the timeouts are the emergency ones and the
 * budget FLOW_EMERG_VISIT_FACTOR times larger, for as long as the mode
 * lasts: each flow is judged by the mode in force when it is reached, so
 * a pass that leaves emergency goes on (if at all) by the normal ones. */
void flow_expire(struct flow_table *ft, uint64_t now_us, unsigned max_visit);

/* Gives flow f its application state (f->app = app, the handle of the
 * caller's state, not 0), which makes it a candidate for flow_evict_app;
 * detach takes it back (f->app = 0; the state stays the caller's). The
 * table keeps no list of them (flow_evict_app), so neither needs it. */
static inline void flow_app_attach(struct flow *f, uint32_t app)
{
    DS_ASSERT(app != 0);
    f->app = app;
}

static inline void flow_app_detach(struct flow *f)
{
    f->app = 0;
}

/* Ends (reason EVICTED, counted by kind) the least useful idle flow that
 * holds application state (f->app != 0), other than `keep`, to make room
 * in the caller's application store: of the first FLOW_EVICT_SCAN flows of
 * each timeout class (the longest idle), those holding app state, one not
 * decided yet before a followed one, the longest idle within a kind. 0, or
 * -1 if none of them holds any (the caller then refuses the state, and
 * counts it).
 *
 * A safety net, not a path the sensor takes: its application store holds
 * as many states as the table holds flows (sensor.c's make_pools sizes
 * both by memcap_objects, and memcap.c's shares give flow_app more than
 * sizeof(struct flow_app) / flow_table_bytes_per_flow() of the flows'
 * share), and a flow holds at most one, so a flow asking for one finds
 * the store not full. That is why no list of the flows holding app state
 * is kept (8 bytes a flow): a bounded scan of the class lists does. */
int flow_evict_app(struct flow_table *ft, const struct flow *keep);

/* Ends every flow (reason SHUTDOWN), oldest first. */
void flow_flush(struct flow_table *ft);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* What the table holds: its flow slabs, their index and its buckets. */
size_t flow_table_bytes(const struct flow_table *ft);
/* What one more flow of the cap costs the table when every flow is made:
 * its record and its share of the buckets (FLOW_BUCKETS_NUM /
 * FLOW_BUCKETS_DEN of a 32-bit one, rounded up), for sizing the cap to a
 * memory share. */
size_t flow_table_bytes_per_flow(void);


struct stats_node;
/* EVE's stats.flow, our sensor.flows (the table's part) and
 * sensor.memory.flows. */
void flow_table_stats_write(const struct flow_table *ft, struct stats_node *root);

#endif
