/* The table of TLS fact sets (tls-facts.h). Entries live in one array (id
 * = index + 1), chained from a power-of-two bucket array by a seeded hash
 * of the set's fields; a freed entry goes on a free list. The arrays are
 * allocated whole at creation but only touched as they are used, so an
 * idle table costs little resident memory; tls_facts_bytes_used counts
 * what has been touched. A set holds one reference to each of its strings
 * in the string table, taken when it is added and dropped when its last
 * flow lets it go. */
#include "ds/tls-facts.h"

#include <stdlib.h>
#include <string.h>

#include "ds/hash.h"
#include "ds/util.h"

#define TLS_FACTS_NONE UINT32_MAX /* end of a chain or free list */
#define TLS_FACTS_KEY 34u         /* the fields of a set, packed (no padding) */

struct tls_facts_entry {
    struct flow_tls v;
    uint32_t next; /* next entry in its bucket's chain (or the free list) */
    uint32_t refs; /* 0: free */
    uint32_t hash;
};

struct tls_facts {
    struct intern *strings; /* borrowed */
    uint32_t seed;
    uint32_t mask; /* buckets - 1 */
    uint32_t max_sets;
    uint32_t hw;         /* entries touched so far (high water) */
    uint32_t free_entry; /* free list of entries below hw */
    uint32_t live;       /* sets held */
    uint32_t *buckets;   /* first entry of each chain, TLS_FACTS_NONE if empty */
    struct tls_facts_entry *ent;
    uint64_t refused;
};

/* ---- a value's strings ---- */

void flow_tls_set(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const void *bytes,
                  size_t len)
{
    uint32_t id = intern_take(in, bytes, len); /* before the drop: the same string stays */
    intern_drop(in, t->str[k]);
    t->str[k] = id;
}

void flow_tls_set_str(struct flow_tls *t, struct intern *in, enum flow_tls_str k, const char *s,
                      size_t max)
{
    flow_tls_set(t, in, k, s, s ? strnlen(s, max) : 0);
}

void flow_tls_release(struct flow_tls *t, struct intern *in)
{
    for (int k = 0; k < FLOW_TLS_NSTR; k++)
        intern_drop(in, t->str[k]);
    memset(t, 0, sizeof(*t));
}

/* ---- the table ---- */

size_t tls_facts_size(uint32_t max_sets)
{
    return sizeof(struct tls_facts) + ds_pow2_at_least(max_sets) * sizeof(uint32_t) +
           (size_t)max_sets * sizeof(struct tls_facts_entry);
}

uint32_t tls_facts_sets_within(size_t bytes)
{
    /* Buckets are fewer than twice the sets (and 16 at least). */
    size_t fixed = sizeof(struct tls_facts) + 16 * sizeof(uint32_t);
    if (bytes <= fixed)
        return 0;
    size_t n = (bytes - fixed) / (sizeof(struct tls_facts_entry) + 2 * sizeof(uint32_t));
    return n >= TLS_FACTS_NONE ? TLS_FACTS_NONE - 1 : (uint32_t)n;
}

struct tls_facts *tls_facts_new(uint32_t max_sets, size_t cap_bytes, struct intern *strings,
                                uint32_t seed)
{
    if (max_sets == 0 || max_sets >= TLS_FACTS_NONE || tls_facts_size(max_sets) > cap_bytes)
        return NULL;
    struct tls_facts *tf = calloc(1, sizeof(*tf));
    if (tf == NULL)
        return NULL;
    size_t nb = ds_pow2_at_least(max_sets);
    tf->buckets = malloc(nb * sizeof(uint32_t));
    tf->ent = calloc(max_sets, sizeof(struct tls_facts_entry));
    if (tf->buckets == NULL || tf->ent == NULL) {
        tls_facts_free(tf);
        return NULL;
    }
    memset(tf->buckets, 0xff, nb * sizeof(uint32_t)); /* TLS_FACTS_NONE */
    tf->strings = strings;
    tf->seed = seed;
    tf->mask = (uint32_t)(nb - 1);
    tf->max_sets = max_sets;
    tf->free_entry = TLS_FACTS_NONE;
    return tf;
}

void tls_facts_free(struct tls_facts *tf)
{
    if (tf == NULL)
        return;
    free(tf->buckets);
    free(tf->ent);
    free(tf);
}

struct intern *tls_facts_strings(const struct tls_facts *tf)
{
    return tf ? tf->strings : NULL;
}

static bool set_equal(const struct flow_tls *a, const struct flow_tls *b)
{
    for (int k = 0; k < FLOW_TLS_NSTR; k++) {
        if (a->str[k] != b->str[k])
            return false;
    }
    return a->quic_version == b->quic_version && a->hello_version == b->hello_version &&
           a->version == b->version && a->ech == b->ech && a->ech_public == b->ech_public;
}

static bool set_empty(const struct flow_tls *t)
{
    static const struct flow_tls none;
    return set_equal(t, &none);
}

/* The seeded hash of t's fields, packed (the struct's padding is not hashed). */
static uint32_t set_hash(const struct tls_facts *tf, const struct flow_tls *t)
{
    uint8_t key[TLS_FACTS_KEY];
    size_t n = 0;
    memcpy(key + n, t->str, sizeof(t->str));
    n += sizeof(t->str);
    memcpy(key + n, &t->quic_version, sizeof(t->quic_version));
    n += sizeof(t->quic_version);
    memcpy(key + n, &t->hello_version, sizeof(t->hello_version));
    n += sizeof(t->hello_version);
    memcpy(key + n, &t->version, sizeof(t->version));
    n += sizeof(t->version);
    key[n++] = t->ech;
    key[n++] = t->ech_public;
    return ds_hash_bytes32(tf->seed, key, n);
}

_Static_assert(FLOW_TLS_NSTR * 4 + 4 + 2 + 2 + 1 + 1 == TLS_FACTS_KEY,
               "TLS_FACTS_KEY must be the packed size of struct flow_tls's fields");

const struct flow_tls *tls_facts_get(const struct tls_facts *tf, uint32_t id)
{
    static const struct flow_tls none;
    if (tf == NULL || id == 0 || id > tf->hw || tf->ent[id - 1].refs == 0)
        return &none;
    return &tf->ent[id - 1].v;
}

const char *tls_facts_str(const struct tls_facts *tf, const struct flow_tls *t, enum flow_tls_str k,
                          size_t *len)
{
    return flow_tls_str(t, tls_facts_strings(tf), k, len);
}

/* Each string of t referenced once more (a copy of it); false, with none
 * taken, when one could not be. */
static bool hold_strings(struct intern *in, const struct flow_tls *t)
{
    for (int k = 0; k < FLOW_TLS_NSTR; k++) {
        if (t->str[k] != 0 && intern_hold(in, t->str[k]) == 0) {
            while (k-- > 0)
                intern_drop(in, t->str[k]);
            return false;
        }
    }
    return true;
}

void tls_facts_edit(struct tls_facts *tf, uint32_t id, struct flow_tls *out)
{
    *out = *tls_facts_get(tf, id);
    if (!hold_strings(tls_facts_strings(tf), out))
        memset(out, 0, sizeof(*out)); /* never: a string's count is a reference a set or copy */
}

/* The entry equal to t in its chain, TLS_FACTS_NONE if none; the chain's
 * length in *chain. */
static uint32_t find(const struct tls_facts *tf, uint32_t h, const struct flow_tls *t,
                     unsigned *chain)
{
    *chain = 0;
    for (uint32_t i = tf->buckets[h & tf->mask]; i != TLS_FACTS_NONE; i = tf->ent[i].next) {
        if (tf->ent[i].hash == h && set_equal(&tf->ent[i].v, t))
            return i;
        (*chain)++;
    }
    return TLS_FACTS_NONE;
}

static uint32_t entry_take(struct tls_facts *tf)
{
    uint32_t i = tf->free_entry;
    if (i != TLS_FACTS_NONE) {
        tf->free_entry = tf->ent[i].next;
        return i;
    }
    if (tf->hw == tf->max_sets)
        return TLS_FACTS_NONE;
    return tf->hw++;
}

/* A new entry for t at the head of its chain, holding t's strings;
 * TLS_FACTS_NONE when the entries are used up. */
static uint32_t insert(struct tls_facts *tf, uint32_t h, const struct flow_tls *t)
{
    uint32_t i = entry_take(tf);
    if (i == TLS_FACTS_NONE)
        return TLS_FACTS_NONE;
    if (!hold_strings(tf->strings, t)) {
        tf->ent[i].next = tf->free_entry;
        tf->free_entry = i;
        return TLS_FACTS_NONE;
    }
    struct tls_facts_entry *e = &tf->ent[i];
    e->v = *t;
    e->hash = h;
    e->refs = 0;
    e->next = tf->buckets[h & tf->mask];
    tf->buckets[h & tf->mask] = i;
    tf->live++;
    return i;
}

/* The id of a set equal to t, with one more reference taken: 0 for the
 * empty set, and 0 when it was refused (counted). */
static uint32_t take(struct tls_facts *tf, const struct flow_tls *t)
{
    if (set_empty(t))
        return 0;
    uint32_t h = set_hash(tf, t);
    unsigned chain = 0;
    uint32_t i = find(tf, h, t, &chain);
    if (i == TLS_FACTS_NONE && chain < TLS_FACTS_CHAIN_MAX)
        i = insert(tf, h, t);
    if (i == TLS_FACTS_NONE || tf->ent[i].refs == UINT32_MAX) {
        tf->refused++;
        return 0;
    }
    tf->ent[i].refs++;
    return i + 1;
}

bool tls_facts_commit(struct tls_facts *tf, uint32_t *id, struct flow_tls *t)
{
    bool kept = true;
    if (tf == NULL) {
        memset(t, 0, sizeof(*t)); /* no string table either: it holds nothing */
        return false;
    }
    if (!set_equal(tls_facts_get(tf, *id), t)) {
        uint32_t next = take(tf, t);
        if (next == 0 && !set_empty(t)) {
            kept = false; /* *id keeps what the flow knew */
        } else {
            tls_facts_drop(tf, *id);
            *id = next;
        }
    }
    flow_tls_release(t, tf->strings);
    return kept;
}

bool tls_facts_set(struct tls_facts *tf, uint32_t *id, enum flow_tls_str k, const void *bytes,
                   size_t len)
{
    struct flow_tls t;
    tls_facts_edit(tf, *id, &t);
    flow_tls_set(&t, tls_facts_strings(tf), k, bytes, len);
    return tls_facts_commit(tf, id, &t);
}

bool tls_facts_set_str(struct tls_facts *tf, uint32_t *id, enum flow_tls_str k, const char *s,
                       size_t max)
{
    return tls_facts_set(tf, id, k, s, s ? strnlen(s, max) : 0);
}

static void unlink_entry(struct tls_facts *tf, uint32_t i)
{
    uint32_t *p = &tf->buckets[tf->ent[i].hash & tf->mask];
    while (*p != i)
        p = &tf->ent[*p].next;
    *p = tf->ent[i].next;
}

void tls_facts_drop(struct tls_facts *tf, uint32_t id)
{
    if (tf == NULL || id == 0 || id > tf->hw)
        return;
    uint32_t i = id - 1;
    struct tls_facts_entry *e = &tf->ent[i];
    if (e->refs == 0 || --e->refs > 0)
        return;
    unlink_entry(tf, i); /* a chain is at most TLS_FACTS_CHAIN_MAX long */
    flow_tls_release(&e->v, tf->strings);
    e->next = tf->free_entry;
    tf->free_entry = i;
    tf->live--;
}

size_t tls_facts_bytes_used(const struct tls_facts *tf)
{
    if (tf == NULL)
        return 0;
    return sizeof(*tf) + ((size_t)tf->mask + 1) * sizeof(uint32_t) +
           (size_t)tf->hw * sizeof(struct tls_facts_entry);
}

void tls_facts_stats_get(const struct tls_facts *tf, struct tls_facts_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (tf == NULL)
        return;
    st->entries = tf->live;
    st->bytes = tls_facts_bytes_used(tf);
    st->refused = tf->refused;
}
