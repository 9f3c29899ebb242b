/* A bounded string-intern table: one copy of each byte string (SNI, ALPN
 * wire list, JA3, JA4, nDPI's protocol name), referenced by a 32-bit id and
 * reference-counted, so that a million flows to one service hold its name
 * once. The flows' TLS fact sets (tls-facts.h) take a reference to each of
 * their strings and drop it when their last flow lets them go; an entry
 * whose last reference goes is freed at once.
 *
 * Bounded: at most max_entries strings and cap_bytes of memory in all
 * (entries, buckets and string storage), both given at creation; a lookup
 * walks at most INTERN_CHAIN_MAX entries (a chain that long refuses new
 * members), with a seeded hash (seed.h). When a string cannot be interned
 * (table full, storage full, chain full, longer than INTERN_LEN_MAX) the
 * caller gets id 0, the refusal is counted, and whatever would have shown
 * the string shows nothing: never silently. Nothing here allocates after
 * intern_new. */
#ifndef DS_INTERN_H
#define DS_INTERN_H

#include <stddef.h>
#include <stdint.h>

#define INTERN_LEN_MAX 511  /* longest string kept (a NUL is stored after each) */
#define INTERN_CHAIN_MAX 8  /* entries a lookup walks at most */

struct intern;

struct intern_stats {
    uint64_t entries;       /* strings held */
    uint64_t bytes;         /* memory in use (intern_bytes_used) */
    uint64_t refused;       /* intern_take calls that got no id */
};

/* A table of at most max_entries strings in at most cap_bytes, with hash
 * seed `seed`. NULL when the entries and buckets alone would not fit in
 * cap_bytes (or out of memory). */
struct intern *intern_new(uint32_t max_entries, size_t cap_bytes, uint32_t seed);
/* Frees the table; ids become invalid. NULL-safe. */
void intern_free(struct intern *in);

/* The id of bytes[0, len), with one more reference taken; 0 when len is 0
 * (nothing to hold) or the string was refused (counted). */
uint32_t intern_take(struct intern *in, const void *bytes, size_t len);
/* One more reference to id, which the caller holds a reference to (a copy
 * of what refers to it): id, or 0 when id is 0 or its count is at its
 * maximum (refused, counted). */
uint32_t intern_hold(struct intern *in, uint32_t id);
/* Drops a reference; the last one frees the string. id 0 is a no-op. */
void intern_drop(struct intern *in, uint32_t id);

/* The string of id (NUL-terminated, its length in *len if len is not
 * NULL); "" (length 0) for id 0. Valid while a reference is held. */
const char *intern_get(const struct intern *in, uint32_t id, size_t *len);

/* Memory in use: the table, its buckets, the entries and string storage
 * touched so far (what memcap counts). */
size_t intern_bytes_used(const struct intern *in);
void intern_stats_get(const struct intern *in, struct intern_stats *st);

#endif
