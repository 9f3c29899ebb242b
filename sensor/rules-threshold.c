/* The threshold state of a ruleset: Suricata's threshold semantics (limit /
 * threshold / both, on packet time) per (sid, track, key), in a bounded
 * table. Entries live in one array and link by index (hash chains, free
 * list, LRU): no allocation after creation, and at the cap the least
 * recently used entry is reused, counted as evicted while its period was
 * still running. See ds/rules.h. */
#include "rules-int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/assert.h"
#include "ds/hash.h"
#include "ds/list.h"
#include "ds/time-units.h"
#include "ds/util.h"

#define THR_DEFAULT_CAP 65536
#define THR_NONE UINT32_MAX

struct thr_entry {
    uint32_t sid;
    uint8_t track;
    bool used;
    struct ds_addr key;
    uint64_t first_us;       /* start of the current period */
    uint64_t end_us;         /* first_us + the rule's seconds */
    uint32_t count;
    uint32_t hnext;
    struct ds_ilist_node lru;     /* indices, half the size of two pointers */
};

struct rules_threshold {
    struct thr_entry *e;
    uint32_t cap;
    uint32_t *bucket;
    uint32_t mask;
    uint32_t free_head;      /* chained through hnext */
    struct ds_ilist lru;     /* over e[], most recently used at the head */
    uint64_t in_use, evicted;
    uint32_t seed;           /* seed.h's threshold seed; 0 until rules_threshold_set_seed */
};

struct rules_threshold *rules_threshold_new(size_t cap)
{
    if (cap == 0)
        cap = THR_DEFAULT_CAP;
    if (cap > (1u << 24))
        cap = 1u << 24;
    struct rules_threshold *t = xcalloc(1, sizeof(*t));
    t->cap = (uint32_t)cap;
    t->e = xcalloc(cap, sizeof(*t->e));
    uint32_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    t->bucket = xmalloc(nb * sizeof(*t->bucket));
    for (uint32_t i = 0; i < nb; i++)
        t->bucket[i] = THR_NONE;
    t->mask = nb - 1;
    for (uint32_t i = 0; i < t->cap; i++)
        t->e[i].hnext = i + 1 < t->cap ? i + 1 : THR_NONE;
    t->free_head = 0;
    ds_ilist_init(&t->lru, t->e, sizeof(*t->e), offsetof(struct thr_entry, lru));
    return t;
}

void rules_threshold_free(struct rules_threshold *t)
{
    if (t == NULL)
        return;
    free(t->e);
    free(t->bucket);
    free(t);
}

void rules_threshold_set_seed(struct rules_threshold *t, uint32_t seed)
{
    DS_ASSERT(t->in_use == 0);   /* nothing is filed under the old seed */
    if (t->in_use == 0)
        t->seed = seed;
}

/* FNV-1a 64 of the track and the address, seeded with the sid XOR the
 * table's seed, finished by ds_mix64 so that every bit of the address and
 * of the seed moves the bucket bits (bare FNV-1a's low bits depend only on
 * the low bits of each byte: addresses that differ above them would share
 * a bucket under every seed). */
static uint32_t thr_hash(uint32_t seed, uint32_t sid, uint8_t track, const struct ds_addr *k)
{
    uint64_t h = ds_fnv1a64_step(ds_fnv1a64_init((uint64_t)(sid ^ seed)), track);
    h = ds_mix64(ds_fnv1a64_add(h, k->a, sizeof(k->a)));
    return (uint32_t)(h ^ (h >> 32));
}

static void thr_unhash(struct rules_threshold *t, uint32_t i)
{
    struct thr_entry *e = &t->e[i];
    uint32_t *pp = &t->bucket[thr_hash(t->seed, e->sid, e->track, &e->key) & t->mask];
    while (*pp != THR_NONE && *pp != i)
        pp = &t->e[*pp].hnext;
    if (*pp == i)
        *pp = e->hnext;
}

/* The entry for (sid, track, key), or a new one (count 0), taking the least
 * recently used entry when the table is full. */
static struct thr_entry *thr_get(struct rules_threshold *t, uint32_t sid, uint8_t track,
                                 const struct ds_addr *key, uint64_t now_us, bool *fresh)
{
    uint32_t h = thr_hash(t->seed, sid, track, key) & t->mask;
    for (uint32_t i = t->bucket[h]; i != THR_NONE; i = t->e[i].hnext) {
        struct thr_entry *e = &t->e[i];
        if (e->sid == sid && e->track == track && memcmp(&e->key, key, sizeof(*key)) == 0) {
            ds_ilist_move_to_head(&t->lru, i);
            *fresh = false;
            return e;
        }
    }
    uint32_t i = t->free_head;
    if (i != THR_NONE) {
        t->free_head = t->e[i].hnext;
        t->in_use++;
    } else {
        i = t->lru.tail;
        struct thr_entry *old = &t->e[i];
        /* An entry whose period is over is only a cache; one still inside
         * its period is suppression state lost: counted. */
        if (now_us < old->end_us)
            t->evicted++;
        thr_unhash(t, i);
        ds_ilist_unlink(&t->lru, i);
    }
    struct thr_entry *e = &t->e[i];
    memset(e, 0, sizeof(*e));
    e->sid = sid;
    e->track = track;
    e->key = *key;
    e->used = true;
    e->hnext = t->bucket[h];
    t->bucket[h] = i;
    ds_ilist_push_head(&t->lru, i);
    *fresh = true;
    return e;
}

/* Suricata's ThresholdHandlePacket semantics for one match at now_us. */
bool rules_threshold_pass(struct rules_threshold *t, const struct rule *r,
                          const struct ds_addr *key, uint64_t now_us)
{
    const struct rule_threshold *th = &r->threshold;
    bool fresh;
    struct thr_entry *e = thr_get(t, r->sid, (uint8_t)th->track, key, now_us, &fresh);
    uint64_t period = ds_s_to_us(th->seconds);
    bool within = !fresh && now_us < e->end_us;
    if (!within) {
        /* first match, or the period is over: this match opens a new one */
        e->first_us = now_us;
        e->end_us = now_us + period;
        e->count = 1;
        switch (th->type) {
        case RULE_THR_LIMIT:
            return true;
        case RULE_THR_THRESHOLD:
            if (th->count == 1) {
                e->count = 0;
                return true;
            }
            return false;
        case RULE_THR_BOTH:
            return th->count == 1;
        }
        return false;
    }
    if (e->count < UINT32_MAX)
        e->count++;
    switch (th->type) {
    case RULE_THR_LIMIT:        /* the first `count` matches of each period */
        return e->count <= th->count;
    case RULE_THR_THRESHOLD:    /* every `count`-th match within a period */
        if (e->count >= th->count) {
            e->count = 0;
            return true;
        }
        return false;
    case RULE_THR_BOTH:         /* once per period, at the `count`-th match */
        return e->count == th->count;
    }
    return false;
}

void rules_threshold_counts(const struct rules_threshold *t, uint64_t *in_use, uint64_t *evicted)
{
    *in_use = t->in_use;
    *evicted = t->evicted;
}
