/* The string-intern table (intern.h). Entries live in one array (id =
 * index + 1), chained from a power-of-two bucket array; a freed entry goes
 * on a free list. Strings live in one arena in blocks of six size classes
 * (16 to 512 bytes, a string plus its NUL rounded up to a power of two); a
 * freed block goes on its class's free list and is reused by the next
 * string of that class, so the arena never needs compaction and nothing is
 * allocated after intern_new. The arrays are allocated whole at creation
 * but only touched as they are used, so an idle table costs little
 * resident memory; intern_bytes_used counts what has been touched. */
#include "ds/intern.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ds/hash.h"

#define INTERN_CLASSES 6        /* block sizes 16 << 0 .. 16 << 5 (512) */
#define INTERN_NONE UINT32_MAX  /* end of a chain or free list */

struct intern_entry {
    uint32_t next;   /* next entry in its bucket's chain (or the free list) */
    uint32_t refs;   /* 0: free */
    uint32_t hash;
    uint32_t off;    /* its block in the arena */
    uint16_t len;
    uint8_t cls;
};

struct intern {
    uint32_t seed;
    uint32_t mask;              /* buckets - 1 */
    uint32_t max_entries;
    uint32_t hw;                /* entries touched so far (high water) */
    uint32_t free_entry;        /* free list of entries below hw */
    uint32_t live;              /* entries held */
    uint32_t *buckets;          /* first entry of each chain, INTERN_NONE if empty */
    struct intern_entry *ent;
    uint8_t *arena;
    uint32_t arena_cap;
    uint32_t arena_top;         /* bytes of the arena touched so far */
    uint32_t free_block[INTERN_CLASSES]; /* free list of each class, INTERN_NONE if empty */
    uint64_t refused;
};

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n)
        p <<= 1;
    return p;
}

struct intern *intern_new(uint32_t max_entries, size_t cap_bytes, uint32_t seed)
{
    if (max_entries == 0 || max_entries >= INTERN_NONE)
        return NULL;
    size_t nb = pow2_at_least(max_entries);
    size_t fixed = sizeof(struct intern) + nb * sizeof(uint32_t) +
                   (size_t)max_entries * sizeof(struct intern_entry);
    if (cap_bytes < fixed + (16u << (INTERN_CLASSES - 1)))
        return NULL;
    size_t arena = cap_bytes - fixed;
    if (arena > UINT32_MAX)
        arena = UINT32_MAX;
    struct intern *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return NULL;
    in->buckets = malloc(nb * sizeof(uint32_t));
    in->ent = calloc(max_entries, sizeof(struct intern_entry));
    in->arena = malloc(arena);
    if (in->buckets == NULL || in->ent == NULL || in->arena == NULL) {
        intern_free(in);
        return NULL;
    }
    memset(in->buckets, 0xff, nb * sizeof(uint32_t)); /* INTERN_NONE */
    in->seed = seed;
    in->mask = (uint32_t)(nb - 1);
    in->max_entries = max_entries;
    in->free_entry = INTERN_NONE;
    in->arena_cap = (uint32_t)arena;
    for (int c = 0; c < INTERN_CLASSES; c++)
        in->free_block[c] = INTERN_NONE;
    return in;
}

void intern_free(struct intern *in)
{
    if (in == NULL)
        return;
    free(in->buckets);
    free(in->ent);
    free(in->arena);
    free(in);
}

/* The size class of a string of len bytes (plus its NUL). */
static uint8_t class_of(size_t len)
{
    uint8_t c = 0;
    while ((16u << c) < len + 1)
        c++;
    return c;
}

/* A block of class c: a freed one, else fresh arena; INTERN_NONE if full. */
static uint32_t block_take(struct intern *in, uint8_t c)
{
    uint32_t off = in->free_block[c];
    if (off != INTERN_NONE) {
        memcpy(&in->free_block[c], in->arena + off, sizeof(uint32_t));
        return off;
    }
    uint32_t size = 16u << c;
    if (in->arena_cap - in->arena_top < size)
        return INTERN_NONE;
    off = in->arena_top;
    in->arena_top += size;
    return off;
}

static void block_put(struct intern *in, uint8_t c, uint32_t off)
{
    memcpy(in->arena + off, &in->free_block[c], sizeof(uint32_t));
    in->free_block[c] = off;
}

static uint32_t entry_take(struct intern *in)
{
    uint32_t i = in->free_entry;
    if (i != INTERN_NONE) {
        in->free_entry = in->ent[i].next;
        return i;
    }
    if (in->hw == in->max_entries)
        return INTERN_NONE;
    return in->hw++;
}

/* The entry holding bytes[0, len) in its chain, INTERN_NONE if none; the
 * chain's length in *chain. */
static uint32_t find(const struct intern *in, uint32_t h, const void *bytes, size_t len,
                     unsigned *chain)
{
    *chain = 0;
    for (uint32_t i = in->buckets[h & in->mask]; i != INTERN_NONE; i = in->ent[i].next) {
        const struct intern_entry *e = &in->ent[i];
        if (e->hash == h && e->len == len && memcmp(in->arena + e->off, bytes, len) == 0)
            return i;
        (*chain)++;
    }
    return INTERN_NONE;
}

/* A new entry for bytes[0, len) at the head of its chain; INTERN_NONE when
 * the entries or the arena are used up. */
static uint32_t insert(struct intern *in, uint32_t h, const void *bytes, size_t len)
{
    uint8_t c = class_of(len);
    uint32_t off = block_take(in, c);
    if (off == INTERN_NONE)
        return INTERN_NONE;
    uint32_t i = entry_take(in);
    if (i == INTERN_NONE) {
        block_put(in, c, off);
        return INTERN_NONE;
    }
    memcpy(in->arena + off, bytes, len);
    in->arena[off + len] = '\0';
    struct intern_entry *e = &in->ent[i];
    e->hash = h;
    e->off = off;
    e->len = (uint16_t)len;
    e->cls = c;
    e->refs = 0;
    e->next = in->buckets[h & in->mask];
    in->buckets[h & in->mask] = i;
    in->live++;
    return i;
}

uint32_t intern_take(struct intern *in, const void *bytes, size_t len)
{
    if (in == NULL || len == 0)
        return 0;
    uint32_t h = ds_fnv1a32(in->seed, bytes, len);
    unsigned chain = 0;
    uint32_t i = len > INTERN_LEN_MAX ? INTERN_NONE : find(in, h, bytes, len, &chain);
    if (i == INTERN_NONE && len <= INTERN_LEN_MAX && chain < INTERN_CHAIN_MAX)
        i = insert(in, h, bytes, len);
    if (i == INTERN_NONE || in->ent[i].refs == UINT32_MAX) {
        in->refused++;
        return 0;
    }
    in->ent[i].refs++;
    return i + 1;
}

static void unlink_entry(struct intern *in, uint32_t i)
{
    uint32_t *p = &in->buckets[in->ent[i].hash & in->mask];
    while (*p != i)
        p = &in->ent[*p].next;
    *p = in->ent[i].next;
}

void intern_drop(struct intern *in, uint32_t id)
{
    if (in == NULL || id == 0 || id > in->hw)
        return;
    uint32_t i = id - 1;
    struct intern_entry *e = &in->ent[i];
    if (e->refs == 0 || --e->refs > 0)
        return;
    unlink_entry(in, i); /* a chain is at most INTERN_CHAIN_MAX long */
    block_put(in, e->cls, e->off);
    e->next = in->free_entry;
    in->free_entry = i;
    in->live--;
}

const char *intern_get(const struct intern *in, uint32_t id, size_t *len)
{
    if (in == NULL || id == 0 || id > in->hw || in->ent[id - 1].refs == 0) {
        if (len)
            *len = 0;
        return "";
    }
    const struct intern_entry *e = &in->ent[id - 1];
    if (len)
        *len = e->len;
    return (const char *)in->arena + e->off;
}

size_t intern_bytes_used(const struct intern *in)
{
    if (in == NULL)
        return 0;
    return sizeof(*in) + ((size_t)in->mask + 1) * sizeof(uint32_t) +
           (size_t)in->hw * sizeof(struct intern_entry) + in->arena_top;
}

void intern_stats_get(const struct intern *in, struct intern_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (in == NULL)
        return;
    st->entries = in->live;
    st->bytes = intern_bytes_used(in);
    st->refused = in->refused;
}
