/* The AI service catalogue: host names (exact and "*." suffixes) and
 * optional address ranges, each mapped to a provider and a service kind.
 * Loaded from a rules file a network team edits (rules/ai-services.conf). */
#ifndef DS_CATALOG_H
#define DS_CATALOG_H

#include <stddef.h>

#include "ds/packet.h"

struct catalog;

struct catalog_entry {
    const char *provider;  /* "openai", "anthropic", ... */
    const char *service;   /* "api", "web", "sdk", ... */
    const char *pattern;   /* the line's host pattern or CIDR, for events */
};

/* Loads a catalogue file. Each error is logged as `file:line: why`; returns
 * 0 with *out set, or the (positive) number of errors, or -1 if the file
 * cannot be read (logged). The caller owns *out (catalog_free). */
int catalog_load(const char *path, struct catalog **out);
void catalog_free(struct catalog *cat);

/* Matches a client-sent host name (SNI), case-insensitively, exact entries
 * before the longest suffix. Returns the entry index or -1. */
int catalog_match_host(const struct catalog *cat, const char *host);
/* Matches a server address against the CIDR entries; index or -1. */
int catalog_match_addr(const struct catalog *cat, const struct ds_addr *addr);

const struct catalog_entry *catalog_entry(const struct catalog *cat, int idx);
size_t catalog_count(const struct catalog *cat);
/* Distinct provider names in file order, for per-provider counters. */
size_t catalog_providers(const struct catalog *cat, const char *const **names);
/* Index of entry idx's provider in catalog_providers(). */
int catalog_provider_index(const struct catalog *cat, int idx);

#endif
