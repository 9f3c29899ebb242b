/* A bounded, reference-counted table of TLS fact sets: what a flow's
 * handshake told us (SNI, ALPN list, JA3, JA3S, JA4, nDPI's protocol name,
 * versions, ECH kind), kept once for all the flows that share it (a
 * client's flows to one service do), so that a flow holds one 32-bit id
 * instead of the whole set (issue 10).
 *
 * A set's strings live in the string table (intern.h); a set holds one
 * reference to each of its strings, and a flow holds one reference to its
 * set. Id 0 is the empty set (nothing known), which needs no entry.
 *
 * Sets change a few times a flow (the hello, nDPI's verdict, the
 * ServerHello), never a packet: an update copies the set (tls_facts_edit),
 * changes fields of the copy, and interns the result (tls_facts_commit),
 * which drops the old set. A struct flow_tls value outside the table
 * (such a copy) holds a reference to each of its strings of its own.
 *
 * Bounded: at most max_sets sets in at most cap_bytes (entries and
 * buckets), given at creation; a lookup walks at most TLS_FACTS_CHAIN_MAX
 * entries. When a changed set cannot be interned (the table or a chain
 * full), the flow keeps the set it had and the change is counted as
 * refused (tls_facts_stats.refused): what the flow knew is not lost, what
 * it learnt is not kept, as a string the string table refuses stays
 * unknown. Nothing here allocates after tls_facts_new. */
#ifndef DS_TLS_FACTS_H
#define DS_TLS_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/intern.h"

#define TLS_FACTS_CHAIN_MAX 8 /* entries a lookup walks at most */

/* The strings of a set: each an id in the string table (intern.h), 0 when
 * unknown or when the table refused it (counted in its stats; the flow
 * event then lacks that field). */
enum flow_tls_str {
    FLOW_TLS_SNI,  /* first host_name, as the hello gave it (< TLS_SNI_MAX) */
    FLOW_TLS_ALPN, /* client ALPN protocol_name_list, on the wire (bytes) */
    FLOW_TLS_JA3,  /* JA3 client hash (nDPI; ours for QUIC), 32 hex digits */
    FLOW_TLS_JA3S, /* JA3S server hash (nDPI; ours for QUIC) */
    FLOW_TLS_JA4,  /* our own */
    FLOW_TLS_NDPI, /* nDPI's protocol name (at most 31 bytes), for --all-tls context */
    FLOW_TLS_NSTR,
};

#define FLOW_TLS_NDPI_MAX 31 /* bytes of nDPI's protocol name kept, as before interning */

/* One set of TLS facts: what the TLS/QUIC handshake told us about a flow. */
struct flow_tls {
    uint32_t str[FLOW_TLS_NSTR]; /* enum flow_tls_str: intern ids */
    uint32_t quic_version;       /* QUIC flows */
    uint16_t hello_version;      /* highest version the client offered */
    uint16_t version;            /* negotiated (ServerHello), 0 if unknown */
    uint8_t ech;                 /* enum tls_ech of the client's hello */
    uint8_t ech_public;          /* real ECH: its outer SNI (tls_ech_public_name) */
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

/* On a value that holds its strings' references (a copy from
 * tls_facts_edit): sets string k of t to bytes[0, len) (len 0: clears it),
 * dropping the one it held. Refused by a full string table: k stays
 * unknown (counted there). */
void flow_tls_set(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const void *bytes,
                  size_t len);
/* The same for a C string, cut at max bytes. */
void flow_tls_set_str(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const char *s,
                      size_t max);
/* Drops every string of such a value and zeroes it. */
void flow_tls_release(struct flow_tls *t, struct intern *in);

struct tls_facts;

struct tls_facts_stats {
    uint64_t entries; /* sets held */
    uint64_t bytes;   /* memory in use (tls_facts_bytes_used) */
    uint64_t refused; /* changes not kept: the table or a chain was full */
};

/* A table of at most max_sets sets in at most cap_bytes, over the string
 * table strings (borrowed: it must outlive the table), with hash seed
 * `seed`. NULL when max_sets sets would not fit in cap_bytes (see
 * tls_facts_size) or out of memory. */
struct tls_facts *tls_facts_new(uint32_t max_sets, size_t cap_bytes, struct intern *strings,
                                uint32_t seed);
/* Frees the table (not its string table); ids become invalid. NULL-safe. */
void tls_facts_free(struct tls_facts *tf);
/* What a table of max_sets sets allocates; and the most sets that bytes
 * hold. */
size_t tls_facts_size(uint32_t max_sets);
uint32_t tls_facts_sets_within(size_t bytes);

/* The string table the sets' strings are in (NULL for a NULL table). */
struct intern *tls_facts_strings(const struct tls_facts *tf);

/* The one getter: set id, read-only; the empty set for id 0 or a NULL
 * table. Valid while a reference to id is held and until the next change
 * of the table (a commit may free it). */
const struct flow_tls *tls_facts_get(const struct tls_facts *tf, uint32_t id);
/* String k of set t from tf's string table ("" if none). */
const char *tls_facts_str(const struct tls_facts *tf, const struct flow_tls *t, enum flow_tls_str k,
                          size_t *len);

/* A copy of set id into *out that holds references of its own to its
 * strings, to change and then hand to tls_facts_commit. */
void tls_facts_edit(struct tls_facts *tf, uint32_t id, struct flow_tls *out);
/* *id becomes the set equal to *t: found or added, the old one dropped.
 * Refused (the table or its chain full; counted): *id keeps its set, and
 * false. Either way t's own references are dropped and t is zeroed. */
bool tls_facts_commit(struct tls_facts *tf, uint32_t *id, struct flow_tls *t);
/* One string of *id's set changed (edit, flow_tls_set, commit). */
bool tls_facts_set(struct tls_facts *tf, uint32_t *id, enum flow_tls_str k, const void *bytes,
                   size_t len);
bool tls_facts_set_str(struct tls_facts *tf, uint32_t *id, enum flow_tls_str k, const char *s,
                       size_t max);
/* Drops the reference to set id that the caller held; the last one frees
 * the set and drops its strings. id 0 is a no-op. */
void tls_facts_drop(struct tls_facts *tf, uint32_t id);

/* Memory in use: the table, its buckets and the entries touched so far. */
size_t tls_facts_bytes_used(const struct tls_facts *tf);
void tls_facts_stats_get(const struct tls_facts *tf, struct tls_facts_stats *st);

#endif
