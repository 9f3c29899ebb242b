/* The AI service catalogue: host names (exact, "*." suffixes, label
 * wildcards) and optional address ranges, each mapped to a provider and a
 * service kind. Loaded from a rules file a network team edits
 * (rules/ai-services.conf; the format is in rules/README.md). */
#ifndef DS_CATALOG_H
#define DS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "ds/packet.h"

struct catalog;
struct diag;

struct catalog_entry {
    const char *provider;  /* "openai", "anthropic", ... */
    const char *service;   /* "api", "web", "sdk", ... */
    const char *pattern;   /* the line's host pattern or CIDR (normalised), for events */
};

/* Loads a catalogue file. Each error goes to dg (ds/diag.h; NULL: the log)
 * as `file:line: why`; returns 0 with *out set, or the (positive) number of
 * errors with *out NULL, or -1 if the file cannot be read (reported as
 * `file: cannot read: why`). The caller owns *out (catalog_free). */
int catalog_load(const char *path, struct diag *dg, struct catalog **out);
/* The same from a buffer of len bytes (need not be NUL-terminated); `name`
 * is the file name used in error messages. */
int catalog_load_buffer(const char *name, const char *text, size_t len, struct diag *dg,
                        struct catalog **out);
/* catalog_load and catalog_load_buffer with the name and CIDR tables'
 * hash seed (seed.h); the two above use the fixed offline seed. */
int catalog_load_seeded(const char *path, uint32_t seed, struct diag *dg, struct catalog **out);
int catalog_load_buffer_seeded(const char *name, const char *text, size_t len, uint32_t seed,
                               struct diag *dg, struct catalog **out);
/* NULL-safe. */
void catalog_free(struct catalog *cat);

/* Matches a client-sent host name (SNI), case-insensitively, after removing
 * one trailing dot: exact entries first, then label-wildcard patterns
 * (`bedrock-runtime.*.amazonaws.com`, `*-aiplatform.googleapis.com`; the one
 * with the most literal characters), then the longest `*.` suffix. Names
 * that are not plain ASCII host names (empty labels, other bytes, longer
 * than 253) never match. Returns the entry index or -1. */
int catalog_match_host(const struct catalog *cat, const char *host);
/* Matches a server address against the CIDR entries, longest prefix first;
 * index or -1. */
int catalog_match_addr(const struct catalog *cat, const struct ds_addr *addr);

/* Entry idx (0 <= idx < catalog_count), NULL if out of range. */
const struct catalog_entry *catalog_entry(const struct catalog *cat, int idx);
size_t catalog_count(const struct catalog *cat);
/* Distinct provider names in file order, for per-provider counters. */
size_t catalog_providers(const struct catalog *cat, const char *const **names);
/* Index of entry idx's provider in catalog_providers(); -1 if out of range. */
int catalog_provider_index(const struct catalog *cat, int idx);

#endif
