/* The sensor's application state of a followed flow: what its handshake
 * told us and its request/response turns. struct flow
 * holds it as the opaque `app` (Suricata's Flow.alstate), so the flow table
 * knows nothing of TLS or turns.
 *
 * Private to the sensor's pipeline, which is why it is not in flow.h: it is
 * in include/ds/ only because several modules of that pipeline share it.
 * sensor.c owns it (takes it from its pool when it follows a flow, fills
 * it, returns it when the flow ends); the flow event writer (event-flow.c)
 * writes it; detection (detect.c) reads its TLS facts; classification
 * (classify.c) changes the flow's fact set it is handed (an id in the
 * table of tls-facts.h) and needs nothing else here. Other modules must not
 * include this header. flow-app.c holds the few functions over it: what
 * all flows share (the string table, the fact sets, the exchange pool). */
#ifndef DS_FLOW_APP_H
#define DS_FLOW_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/exchange.h"
#include "ds/intern.h"
#include "ds/tls-facts.h"

/* Per-flow application state, from a pool, only for flows we follow: what
 * struct flow's `app` names (its 32-bit handle in the sensor's indexed
 * pool, ipool.h). */
struct flow_app {
    /* What its handshake told us: an id in the shared table of TLS fact
     * sets (tls-facts.h), read through tls_facts_get, changed through
     * tls_facts_edit/commit; 0 while nothing is known. */
    uint32_t tls;
    /* QUIC (sensor.c): the handle of our reassembly of the client's hello
     * (a 16 KiB slot) until the hello is read, then of what opens the
     * server's Initials until its ServerHello is read (JA3S), each in its
     * own bounded pool; FLOW_F_QUIC_READ says which; 0 when neither. One
     * 32-bit handle for both keeps this handshake-time state out of the
     * budget below, beside tls where alignment left room. */
    uint32_t quic;
    /* What per-source state counts this flow is two bits of the flow's
     * flags (FLOW_F_SOURCE, FLOW_F_PROFILE: detect.h), not a handle here. */
    struct exchange ex;
};

/* The memory budget of a classified flow's application state (issue 10):
 * with one million flows followed at once, every byte here is a megabyte.
 * What does not fit lives in shared bounded pools: the TLS facts as one
 * set for all the flows that share them (tls-facts.h) and their strings
 * in the intern table, listed turns, requests in flight beyond the first
 * and held records in the exchange pool (exchange.h). 128 bytes on x86-64:
 * tls 4, quic 4, ex 120; the sensor's indexed pool keeps it unrounded (136
 * with a 64-bit source token beside them, 152 with that and a 136-byte ex,
 * 160 with a 144-byte ex, 168 with a 152-byte one, 176 with a QUIC
 * pointer, 192 with a 168-byte ex, 224 with the facts in every flow, 256
 * before, 2,744 before issue 10). */
_Static_assert(sizeof(struct flow_app) <= 128,
               "struct flow_app must stay within 128 bytes a flow (issue 10)");

/* What every flow's application state shares: owned by the sensor. */
struct flow_app_shared {
    struct intern *strings;
    struct tls_facts *facts;     /* the flows' fact sets, over strings */
    struct exchange_pool *turns;
};

struct stats_node;

/* The string table, the fact sets and the exchange pool for max_flows
 * flows, the first two within strings_share bytes and the pool within
 * turns_share (the memcap's shares; 0: no share), the tables' hashes
 * seeded with seed (seed.h). 0, or -1 if any could not be made (the sensor
 * then runs without: facts and turns are counted, not kept). */
int flow_app_shared_init(struct flow_app_shared *sh, size_t max_flows, size_t strings_share,
                         size_t turns_share, uint32_t seed);
void flow_app_shared_free(struct flow_app_shared *sh);
/* Gives back what app holds in sh (its fact set, pooled turns): the flow ended
 * and its event was written. NULL-safe. */
void flow_app_release(struct flow_app *app, struct flow_app_shared *sh);
/* sensor.memory.{strings, tls_facts, turn_pool}, sensor.strings {entries,
 * refused}, sensor.tls_facts {entries, refused}, sensor.turn_pool {listed, not_listed, open_shed, held_shed}. */
void flow_app_stats_write(const struct flow_app_shared *sh, struct stats_node *root);

#endif
