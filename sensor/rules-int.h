/* What the three files of the rules module share; the API is ds/rules.h.
 *   rules.c            the ruleset, loading files and directories, evaluation
 *   rules-parse.c      the lexer, the parser and the keyword table
 *   rules-threshold.c  the threshold (alert suppression) table
 * Private to them: it lives beside them rather than in include/ds/, so no
 * other module depends on it. */
#ifndef DS_RULES_INT_H
#define DS_RULES_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/features.h"
#include "ds/packet.h"
#include "ds/rules.h"

/* ---- rules.c ---- */

/* Counts an error of the ruleset and reports it to dg as `file:line: why`
 * (`file: why` when line is 0). */
__attribute__((format(printf, 5, 0)))
void rules_verror(struct ruleset *rs, struct diag *dg, const char *file, unsigned line,
                  const char *fmt, va_list ap);
/* The windows (seconds) rules may name in `window:`; returns how many. */
size_t rules_windows(const struct ruleset *rs, const uint32_t **windows_s);
/* A copy of a source name (file path) that lives as long as the ruleset:
 * rules point at it (rule.file). */
const char *rules_keep_name(struct ruleset *rs, const char *name);
/* Adds a parsed rule (the ruleset owns it from now on). */
void rules_append(struct ruleset *rs, struct rule *r);

/* Match functions of the numeric and string conditions (the keyword table
 * refers to them): whether c holds on f (cv for cluster_size and
 * sync_rounds, NULL for a source), *value
 * the number seen (0 for strings). */
typedef bool (*rules_match_fn)(const struct rule_cond *c, const struct features *f,
                               const struct rule_cluster_vals *cv, double *value);
bool rules_match_num(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value);
bool rules_match_str(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value);

/* ---- rules-parse.c ---- */

/* The match function of keyword kw (rule_cond.kw), NULL if it has none. */
rules_match_fn rules_keyword_match(unsigned kw);
/* Frees a rule and everything it holds; NULL is a no-op. */
void rule_free(struct rule *r);

/* ---- rules-threshold.c ---- */

/* Threshold state: one entry per (sid, track, key), at most cap entries
 * (0 = 65536, at most 2^24), allocated at creation. */
struct rules_threshold;
struct rules_threshold *rules_threshold_new(size_t cap);
void rules_threshold_free(struct rules_threshold *t);
/* The table's hash seed (seed.h); only while it is empty. */
void rules_threshold_set_seed(struct rules_threshold *t, uint32_t seed);
/* Whether a match of rule r for key at now_us passes its threshold (Suricata's
 * semantics), updating the state. */
bool rules_threshold_pass(struct rules_threshold *t, const struct rule *r,
                          const struct ds_addr *key, uint64_t now_us);
/* Entries in use, and entries evicted while their period was running. */
void rules_threshold_counts(const struct rules_threshold *t, uint64_t *in_use, uint64_t *evicted);

#endif
