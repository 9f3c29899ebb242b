/* Harvesting signatures: a Suricata-like rule language over the per-source
 * features (ds/features.h), its parser, and evaluation with Suricata's
 * threshold semantics. The syntax and every keyword are documented in
 * rules/SIGNATURES.md; in short:
 *
 *   alert ai-harvest (msg:"AI-HARVEST steady cadence, templated prompts"; \
 *       window:10m; requests:>=60; cadence_regularity:>=0.8; \
 *       request_size_cv:<0.15; provider:openai,anthropic; \
 *       fingerprint_family:!browser; classtype:ai-harvest; severity:1; \
 *       threshold: type limit, track by_src, count 1, seconds 3600; \
 *       sid:9000001; rev:1;)
 *
 * One rule per line (a line ending in '\' continues on the next); '#' starts
 * a comment line. Conditions are ANDed:
 *   numeric feature:  >=N  >N  <=N  <N  =N  N  N-M (inclusive range)
 *   string feature:   a,b,c (any of the source's values is one of them)
 *                     !a,!b  (none of them is; every item negated)
 * A condition on a feature the window could not measure never matches.
 * `alert ai-harvest-cluster (...)` rules describe coordinated groups and
 * take cluster_size:<numeric condition> (required) and sync_rounds:<numeric
 * condition> besides features.
 *
 * Errors read `file:line: why` (line of the rule's first line) and go to the
 * diagnostics sink given to the load (ds/diag.h; NULL: the log). A bad rule
 * is skipped and counted; loading goes on so that every error is reported
 * at once.
 *
 * Reload: load into a new ruleset; on success hand it the old one's
 * threshold state (rules_take_state) and swap; on failure keep the old one.
 *
 *   struct ruleset *n = rules_new(windows, nw, 0);
 *   if (rules_load_dir(n, dir, &dg) == 0) { rules_take_state(n, cur); rules_free(cur); cur = n; }
 *   else rules_free(n);
 */
#ifndef DS_RULES_H
#define DS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/features.h"
#include "ds/packet.h"

#define RULES_MAX_SET 16          /* values in one string condition */
#define RULES_MAX_CONDS 32        /* conditions in one rule */
#define RULES_MAX_LEN 65536       /* bytes in one rule (continuations joined) */
#define RULES_MAX_META 16

/* The pseudo-features of cluster rules: what a cluster has that none of its
 * members' features say. */
#define RULE_FEAT_CLUSTER_SIZE (-2)
#define RULE_FEAT_SYNC_ROUNDS (-3)

/* Their values for one cluster. */
struct rule_cluster_vals {
    double size;                  /* cluster_size: members */
    double sync_rounds;           /* sync_rounds: rounds a synchronous group's members
                                     shared; < 0 for a profile cluster (a condition on
                                     it does not hold) */
};

enum rule_kind {
    RULE_KIND_SOURCE = 0,         /* ai-harvest: one source */
    RULE_KIND_CLUSTER,            /* ai-harvest-cluster: a coordinated group */
};

enum rule_op {
    RULE_OP_EQ = 0,
    RULE_OP_LT,
    RULE_OP_LE,
    RULE_OP_GT,
    RULE_OP_GE,
    RULE_OP_RANGE,                /* lo <= v <= hi */
    RULE_OP_IN,                   /* any value in the set */
    RULE_OP_NOT_IN,               /* no value in the set */
};

enum rule_thr_type { RULE_THR_LIMIT = 0, RULE_THR_THRESHOLD, RULE_THR_BOTH };
enum rule_thr_track { RULE_TRACK_BY_SRC = 0, RULE_TRACK_BY_DST, RULE_TRACK_BY_RULE };

struct rule_cond {
    int feature;                  /* enum feature_id, or RULE_FEAT_CLUSTER_SIZE, _SYNC_ROUNDS */
    const char *name;             /* the keyword as written ("requests") */
    enum rule_op op;
    double lo, hi;                /* the threshold (lo), or the range lo..hi */
    unsigned n_values;            /* string sets */
    char *values[RULES_MAX_SET];
    uint8_t kw;                   /* index in the keyword table (its match function) */
};

struct rule_threshold {
    enum rule_thr_type type;
    enum rule_thr_track track;
    uint32_t count;
    uint32_t seconds;
    bool implicit;                /* not written: limit, by_src, 1 per window */
};

struct rule {
    enum rule_kind kind;
    uint32_t sid;
    uint32_t rev;
    char *msg;
    char *classtype;              /* EVE alert.category */
    int severity;                 /* 1 (high) .. 3 (low) */
    uint32_t window_s;
    struct rule_threshold threshold;
    unsigned n_conds;
    struct rule_cond conds[RULES_MAX_CONDS];
    unsigned n_meta;              /* metadata: key value pairs */
    char *meta_key[RULES_MAX_META];
    char *meta_val[RULES_MAX_META];
    const char *file;             /* where it was defined (lives with the ruleset) */
    unsigned line;
    uint64_t alerts;              /* hits that passed the threshold (kept over a reload) */
};

/* An alert: a rule whose conditions all held and whose threshold let it
 * through. Valid during the callback only. */
struct rule_hit {
    const struct rule *rule;
    const struct features *features;  /* the values the conditions saw */
    uint32_t window_s;
    uint64_t ts_us;
    struct rule_cluster_vals cluster; /* cluster rules */
};

typedef void (*rules_hit_fn)(void *ctx, const struct rule_hit *hit);

struct ruleset;
struct diag;

/* An empty ruleset accepting the given windows (seconds) in `window:`;
 * max_thresholds bounds the threshold state (0 = 65536 entries). */
struct ruleset *rules_new(const uint32_t *windows_s, size_t n_windows, size_t max_thresholds);
/* Seeds the threshold table's hash (seed.h's threshold seed; without this
 * call, the fixed offline one). Call before the first match. */
void rules_set_seed(struct ruleset *rs, uint32_t seed);
void rules_free(struct ruleset *rs);

/* Parse rules from a buffer named `name` in messages, reporting each error
 * to dg (NULL: the log). Returns the number of errors (0 = all good); good
 * rules are added either way. */
int rules_load_buffer(struct ruleset *rs, const char *name, const char *buf, size_t len,
                      struct diag *dg);
/* Parse one file; an unreadable file is one error ("path: cannot read: why"). */
int rules_load_file(struct ruleset *rs, const char *path, struct diag *dg);
/* Every *.rules file of a directory, in name order; a directory that cannot
 * be opened is one error. */
int rules_load_dir(struct ruleset *rs, const char *dir, struct diag *dg);

/* Errors counted so far (all loads). */
unsigned rules_error_count(const struct ruleset *rs);
size_t rules_count(const struct ruleset *rs);
const struct rule *rules_get(const struct ruleset *rs, size_t i);
const struct rule *rules_find_sid(const struct ruleset *rs, uint32_t sid);

/* Runs the ai-harvest rules of window window_s over one source's features
 * at packet time ts_us. dst is the source's latest AI destination (for
 * track by_dst; NULL tracks as by_rule). For each rule that matches and
 * passes its threshold, calls fn. Returns the number of hits. */
int rules_evaluate(struct ruleset *rs, const struct features *f, uint32_t window_s,
                   uint64_t ts_us, const struct ds_addr *src, const struct ds_addr *dst,
                   rules_hit_fn fn, void *ctx);

/* The same for ai-harvest-cluster rules over a cluster (its size and sync
 * rounds in cv), with the cluster's aggregate features; cluster_id stands for the source in
 * by_src tracking. */
int rules_evaluate_cluster(struct ruleset *rs, const struct rule_cluster_vals *cv,
                           const struct features *f,
                           uint32_t window_s, uint64_t ts_us, uint64_t cluster_id,
                           rules_hit_fn fn, void *ctx);

/* Whether one condition holds, and the value it saw (*value: the number, or
 * 0 for strings); cv: the cluster's values, NULL for a source (a cluster
 * condition then does not hold). For events: "why did this fire". */
bool rule_cond_match(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value);
/* "requests:>=60", "provider:openai,anthropic" -- the condition as written
 * (normalised). Returns the snprintf length. */
int rule_cond_format(const struct rule_cond *c, char *buf, size_t len);
/* ">=", "<", "=", "-", "in", "not in" */
const char *rule_op_name(enum rule_op op);
const char *rule_thr_type_name(enum rule_thr_type t);
const char *rule_thr_track_name(enum rule_thr_track t);

/* Moves the threshold state (alert suppression) of `from` into `to`, so a
 * reload does not re-alert; `from` keeps an empty one. Each rule of `to`
 * takes the alert count of the rule of `from` with its sid. */
void rules_take_state(struct ruleset *to, struct ruleset *from);

struct rules_stats {
    uint64_t evaluations;
    uint64_t matches;             /* conditions held */
    uint64_t hits;                /* passed the threshold: alerts */
    uint64_t suppressed;
    uint64_t thr_entries;         /* threshold entries in use */
    uint64_t thr_evicted;         /* pushed out at the cap */
};
const struct rules_stats *rules_stats(const struct ruleset *rs);


struct stats_node;
/* Our sensor.detect: rules, evaluations, matches, suppressed. */
void rules_stats_write(const struct ruleset *rs, struct stats_node *root);
/* For the metrics only (not in the stats event): sensor.detect.alerts_by_rule,
 * {"<sid>": {"<severity>": alerts}} for each rule loaded. */
void rules_metrics_write(const struct ruleset *rs, struct stats_node *root);

#endif
