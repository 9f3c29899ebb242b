/* The string-intern table (intern.h). Entries live in one array (id =
 * index + 1), chained from a power-of-two bucket array; a freed entry goes
 * on a free list. Strings live in one arena in blocks of six size classes
 * (16 to 512 bytes, a string plus its NUL rounded up to a power of two),
 * kept as a buddy system: the arena is carved in 512-byte chunks, a block
 * of class c lies at a multiple of its size, a larger free block is split
 * when its class has none free, and a freed block merges with its free
 * buddy, so that storage freed by strings of one size serves strings of
 * any other (without it, long strings that once filled the arena would
 * leave short ones refused for good). Free blocks are on a doubly linked
 * list a class, and a bitmap (a bit per 16 bytes) marks where one starts;
 * nothing is allocated after intern_new and no step walks more than the
 * six classes. The arrays are allocated whole at creation but only
 * touched as they are used, so an idle table costs little resident
 * memory; intern_bytes_used counts what has been touched. */
#include "ds/intern.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ds/hash.h"
#include "ds/util.h"

#define INTERN_CLASSES 6        /* block sizes 16 << 0 .. 16 << 5 (512) */
#define INTERN_UNIT 16u         /* the smallest block, a bit of the free map */
#define INTERN_CHUNK (INTERN_UNIT << (INTERN_CLASSES - 1)) /* what the arena is carved in */
#define INTERN_CHUNK_MAP (INTERN_CHUNK / INTERN_UNIT / 8)   /* its bytes of free map */
#define INTERN_NONE UINT32_MAX  /* end of a chain or free list */

/* What a free block holds (at its start, by memcpy: blocks are 16 bytes
 * or more). */
struct intern_free {
    uint32_t next, prev;        /* its class's free list, INTERN_NONE at the ends */
    uint8_t cls;
};

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
    uint8_t *free_map;          /* a bit per INTERN_UNIT: a free block starts there */
    uint32_t arena_cap;         /* a multiple of INTERN_CHUNK */
    uint32_t arena_top;         /* bytes of the arena carved so far (whole chunks) */
    uint32_t free_block[INTERN_CLASSES]; /* free list of each class, INTERN_NONE if empty */
    uint64_t refused;
};

struct intern *intern_new(uint32_t max_entries, size_t cap_bytes, uint32_t seed)
{
    if (max_entries == 0 || max_entries >= INTERN_NONE)
        return NULL;
    size_t nb = ds_pow2_at_least(max_entries);
    size_t fixed = sizeof(struct intern) + nb * sizeof(uint32_t) +
                   (size_t)max_entries * sizeof(struct intern_entry);
    if (cap_bytes < fixed + INTERN_CHUNK + INTERN_CHUNK_MAP)
        return NULL;
    size_t chunks = (cap_bytes - fixed) / (INTERN_CHUNK + INTERN_CHUNK_MAP);
    if (chunks > UINT32_MAX / INTERN_CHUNK - 1) /* offsets stay below INTERN_NONE */
        chunks = UINT32_MAX / INTERN_CHUNK - 1;
    struct intern *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return NULL;
    in->buckets = malloc(nb * sizeof(uint32_t));
    in->ent = calloc(max_entries, sizeof(struct intern_entry));
    in->arena = malloc(chunks * INTERN_CHUNK);
    in->free_map = calloc(chunks, INTERN_CHUNK_MAP);
    if (in->buckets == NULL || in->ent == NULL || in->arena == NULL || in->free_map == NULL) {
        intern_free(in);
        return NULL;
    }
    memset(in->buckets, 0xff, nb * sizeof(uint32_t)); /* INTERN_NONE */
    in->seed = seed;
    in->mask = (uint32_t)(nb - 1);
    in->max_entries = max_entries;
    in->free_entry = INTERN_NONE;
    in->arena_cap = (uint32_t)(chunks * INTERN_CHUNK);
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
    free(in->free_map);
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

static uint32_t block_size(uint8_t c)
{
    return INTERN_UNIT << c;
}

static bool map_get(const struct intern *in, uint32_t off)
{
    uint32_t u = off / INTERN_UNIT;
    return ((unsigned)in->free_map[u / 8] >> (u % 8)) & 1u;
}

static void map_set(struct intern *in, uint32_t off, bool on)
{
    uint32_t u = off / INTERN_UNIT;
    uint8_t bit = (uint8_t)(1u << (u % 8));
    if (on)
        in->free_map[u / 8] |= bit;
    else
        in->free_map[u / 8] &= (uint8_t)~bit;
}

static struct intern_free free_read(const struct intern *in, uint32_t off)
{
    struct intern_free f;
    memcpy(&f, in->arena + off, sizeof(f));
    return f;
}

static void free_write(struct intern *in, uint32_t off, const struct intern_free *f)
{
    memcpy(in->arena + off, f, sizeof(*f));
}

/* Block off of class c goes on its free list. */
static void free_push(struct intern *in, uint8_t c, uint32_t off)
{
    struct intern_free f = { in->free_block[c], INTERN_NONE, c };
    if (f.next != INTERN_NONE) {
        struct intern_free head = free_read(in, f.next);
        head.prev = off;
        free_write(in, f.next, &head);
    }
    free_write(in, off, &f);
    in->free_block[c] = off;
    map_set(in, off, true);
}

/* Free block off of class c leaves its free list. */
static void free_unlink(struct intern *in, uint8_t c, uint32_t off)
{
    struct intern_free f = free_read(in, off);
    if (f.prev != INTERN_NONE) {
        struct intern_free p = free_read(in, f.prev);
        p.next = f.next;
        free_write(in, f.prev, &p);
    } else {
        in->free_block[c] = f.next;
    }
    if (f.next != INTERN_NONE) {
        struct intern_free n = free_read(in, f.next);
        n.prev = f.prev;
        free_write(in, f.next, &n);
    }
    map_set(in, off, false);
}

/* A block of class c: a free one of that class, else the smallest larger
 * free one or a fresh chunk, split down to c (the halves not taken go on
 * their free lists); INTERN_NONE if the storage is used up. */
static uint32_t block_take(struct intern *in, uint8_t c)
{
    uint8_t k = c;
    while (k < INTERN_CLASSES && in->free_block[k] == INTERN_NONE)
        k++;
    uint32_t off;
    if (k < INTERN_CLASSES) {
        off = in->free_block[k];
        free_unlink(in, k, off);
    } else {
        if (in->arena_cap - in->arena_top < INTERN_CHUNK)
            return INTERN_NONE;
        off = in->arena_top;
        in->arena_top += INTERN_CHUNK;
        k = INTERN_CLASSES - 1;
    }
    while (k > c) {
        k--;
        free_push(in, k, off + block_size(k));
    }
    return off;
}

/* Block off of class c is free again: merged with its buddy while that is
 * free and whole, then on its class's free list. */
static void block_put(struct intern *in, uint8_t c, uint32_t off)
{
    while (c < INTERN_CLASSES - 1) {
        uint32_t buddy = off ^ block_size(c);
        if (!map_get(in, buddy) || free_read(in, buddy).cls != c)
            break;
        free_unlink(in, c, buddy);
        off &= ~block_size(c);
        c++;
    }
    free_push(in, c, off);
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
    uint32_t h = ds_hash_bytes32(in->seed, bytes, len);
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

uint32_t intern_hold(struct intern *in, uint32_t id)
{
    if (in == NULL || id == 0 || id > in->hw || in->ent[id - 1].refs == 0)
        return 0;
    if (in->ent[id - 1].refs == UINT32_MAX) {
        in->refused++;
        return 0;
    }
    in->ent[id - 1].refs++;
    return id;
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
           (size_t)in->hw * sizeof(struct intern_entry) + in->arena_top +
           in->arena_top / INTERN_CHUNK * INTERN_CHUNK_MAP;
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
