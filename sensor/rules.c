/* Harvesting signatures: a ruleset (its rules, their source names and its
 * error count), loading files and directories of rules, and evaluation
 * against a source's or a cluster's features through the keyword table's
 * match functions and the threshold table. The language is parsed in
 * rules-parse.c; the threshold state is kept in rules-threshold.c. See
 * ds/rules.h. */
#include "ds/rules.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/diag.h"
#include "ds/stats.h"
#include "ds/util.h"
#include "rules-int.h"

#define RULES_FILE_MAX (16u << 20)

struct src_name {
    struct src_name *next;
    char name[];
};

struct ruleset {
    uint32_t windows[16];
    size_t n_windows;
    struct rule **rules;
    size_t n, cap;
    unsigned errors;
    struct src_name *names;
    struct rules_threshold *thr;
    struct rules_stats stats;
};

/* ---- ruleset ---- */

struct ruleset *rules_new(const uint32_t *windows_s, size_t n_windows, size_t max_thresholds)
{
    struct ruleset *rs = xcalloc(1, sizeof(*rs));
    if (n_windows > DS_ARRAY_LEN(rs->windows))
        n_windows = DS_ARRAY_LEN(rs->windows);
    if (windows_s && n_windows)
        memcpy(rs->windows, windows_s, n_windows * sizeof(*windows_s));
    rs->n_windows = n_windows;
    rs->thr = rules_threshold_new(max_thresholds);
    return rs;
}

void rules_set_seed(struct ruleset *rs, uint32_t seed)
{
    rules_threshold_set_seed(rs->thr, seed);
}

void rules_free(struct ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    struct src_name *n = rs->names;
    while (n) {
        struct src_name *next = n->next;
        free(n);
        n = next;
    }
    rules_threshold_free(rs->thr);
    free(rs);
}

unsigned rules_error_count(const struct ruleset *rs)
{
    return rs->errors;
}

size_t rules_count(const struct ruleset *rs)
{
    return rs->n;
}

const struct rule *rules_get(const struct ruleset *rs, size_t i)
{
    return i < rs->n ? rs->rules[i] : NULL;
}

const struct rule *rules_find_sid(const struct ruleset *rs, uint32_t sid)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->rules[i]->sid == sid)
            return rs->rules[i];
    return NULL;
}

static void sync_thr_stats(struct ruleset *rs)
{
    rules_threshold_counts(rs->thr, &rs->stats.thr_entries, &rs->stats.thr_evicted);
}

const struct rules_stats *rules_stats(const struct ruleset *rs)
{
    return &rs->stats;
}

void rules_take_state(struct ruleset *to, struct ruleset *from)
{
    struct rules_threshold *t = to->thr;
    to->thr = from->thr;
    from->thr = t;
    sync_thr_stats(to);
    sync_thr_stats(from);
    for (size_t i = 0; i < to->n; i++)
        for (size_t j = 0; j < from->n; j++)
            if (from->rules[j]->sid == to->rules[i]->sid)
                to->rules[i]->alerts = from->rules[j]->alerts;
}

/* ---- what the parser shares ---- */

void rules_verror(struct ruleset *rs, struct diag *dg, const char *file, unsigned line,
                  const char *fmt, va_list ap)
{
    rs->errors++;
    diag_vreport(dg, DIAG_ERROR, file, line, fmt, ap);
}

__attribute__((format(printf, 4, 5)))
static void file_error(struct ruleset *rs, struct diag *dg, const char *file, const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    rules_verror(rs, dg, file, 0, fmt, ap);
    va_end(ap);
}

size_t rules_windows(const struct ruleset *rs, const uint32_t **windows_s)
{
    *windows_s = rs->windows;
    return rs->n_windows;
}

const char *rules_keep_name(struct ruleset *rs, const char *name)
{
    for (struct src_name *n = rs->names; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n->name;
    size_t len = strlen(name) + 1;
    struct src_name *n = xmalloc(sizeof(*n) + len);
    memcpy(n->name, name, len);
    n->next = rs->names;
    rs->names = n;
    return n->name;
}

void rules_append(struct ruleset *rs, struct rule *r)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 16;
        rs->rules = xrealloc(rs->rules, rs->cap * sizeof(*rs->rules));
    }
    rs->rules[rs->n++] = r;
}

/* ---- loading files ---- */

int rules_load_file(struct ruleset *rs, const char *path, struct diag *dg)
{
    const char *file = rules_keep_name(rs, path);
    char *buf;
    size_t len;
    if (ds_read_file(path, RULES_FILE_MAX, &buf, &len) != 0) {
        if (errno == EFBIG)
            file_error(rs, dg, file, "larger than %u bytes", RULES_FILE_MAX);
        else
            file_error(rs, dg, file, "cannot read: %s", strerror(errno));
        return 1;
    }
    int n = rules_load_buffer(rs, path, buf, len, dg);
    free(buf);
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rules_file(const char *name)
{
    size_t l = strlen(name);
    return name[0] != '.' && l > 6 && strcmp(name + l - 6, ".rules") == 0;
}

/* The paths of the *.rules files of an open directory, in name order; *n
 * gets how many. The caller frees each and the array. */
static char **rules_files(DIR *d, const char *dir, size_t *n)
{
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (!is_rules_file(e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof(*names));
        }
        size_t pl = strlen(dir) + strlen(e->d_name) + 2;
        names[*n] = xmalloc(pl);
        snprintf(names[*n], pl, "%s/%s", dir, e->d_name);
        (*n)++;
    }
    if (*n > 1)
        qsort(names, *n, sizeof(*names), by_name);
    return names;
}

int rules_load_dir(struct ruleset *rs, const char *dir, struct diag *dg)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        const char *why = strerror(errno);
        file_error(rs, dg, rules_keep_name(rs, dir), "cannot open rules directory: %s", why);
        return 1;
    }
    size_t n;
    char **names = rules_files(d, dir, &n);
    closedir(d);
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        errors += rules_load_file(rs, names[i], dg);
        free(names[i]);
    }
    free(names);
    return errors;
}

/* ---- evaluation ---- */

bool rules_match_num(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value)
{
    double v;
    if (c->feature == RULE_FEAT_CLUSTER_SIZE || c->feature == RULE_FEAT_SYNC_ROUNDS) {
        if (value)
            *value = 0;
        if (cv == NULL)
            return false;
        v = c->feature == RULE_FEAT_CLUSTER_SIZE ? cv->size : cv->sync_rounds;
        if (v < 0)   /* not a synchronous group: not measured */
            return false;
    } else {
        if (!features_has(f, c->feature))
            return false;
        v = features_num(f, c->feature);
    }
    if (value)
        *value = v;
    switch (c->op) {
    case RULE_OP_EQ:
        return v == c->lo;
    case RULE_OP_LT:
        return v < c->lo;
    case RULE_OP_LE:
        return v <= c->lo;
    case RULE_OP_GT:
        return v > c->lo;
    case RULE_OP_GE:
        return v >= c->lo;
    case RULE_OP_RANGE:
        return v >= c->lo && v <= c->hi;
    case RULE_OP_IN:
    case RULE_OP_NOT_IN:
        break;
    }
    return false;
}

bool rules_match_str(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value)
{
    (void)cv;
    if (value)
        *value = 0;
    size_t n = features_str_count(f, c->feature);
    if (n == 0)
        return false;   /* not measured: neither "is" nor "is not" */
    bool any = false;
    for (unsigned i = 0; i < c->n_values && !any; i++)
        any = features_str_has(f, c->feature, c->values[i]);
    return c->op == RULE_OP_NOT_IN ? !any : any;
}

bool rule_cond_match(const struct rule_cond *c, const struct features *f,
                     const struct rule_cluster_vals *cv, double *value)
{
    rules_match_fn match = rules_keyword_match(c->kw);
    return match != NULL && match(c, f, cv, value);
}

static bool rule_matches(const struct rule *r, const struct features *f,
                         const struct rule_cluster_vals *cv)
{
    for (unsigned i = 0; i < r->n_conds; i++)
        if (!rule_cond_match(&r->conds[i], f, cv, NULL))
            return false;
    return true;
}

static int evaluate(struct ruleset *rs, enum rule_kind kind, const struct rule_cluster_vals *cv,
                    const struct features *f, uint32_t window_s, uint64_t ts_us,
                    const struct ds_addr *src, const struct ds_addr *dst, rules_hit_fn fn,
                    void *ctx)
{
    static const struct ds_addr none;
    int hits = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = rs->rules[i];
        if (r->kind != kind || r->window_s != window_s)
            continue;
        rs->stats.evaluations++;
        if (!rule_matches(r, f, cv))
            continue;
        rs->stats.matches++;
        const struct ds_addr *key = &none;
        if (r->threshold.track == RULE_TRACK_BY_SRC && src)
            key = src;
        else if (r->threshold.track == RULE_TRACK_BY_DST && dst)
            key = dst;
        bool pass = rules_threshold_pass(rs->thr, r, key, ts_us);
        sync_thr_stats(rs);
        if (!pass) {
            rs->stats.suppressed++;
            continue;
        }
        rs->stats.hits++;
        rs->rules[i]->alerts++;
        hits++;
        if (fn) {
            struct rule_hit h = { .rule = r, .features = f, .window_s = window_s,
                                  .ts_us = ts_us };
            if (cv)
                h.cluster = *cv;
            fn(ctx, &h);
        }
    }
    return hits;
}

int rules_evaluate(struct ruleset *rs, const struct features *f, uint32_t window_s,
                   uint64_t ts_us, const struct ds_addr *src, const struct ds_addr *dst,
                   rules_hit_fn fn, void *ctx)
{
    return evaluate(rs, RULE_KIND_SOURCE, NULL, f, window_s, ts_us, src, dst, fn, ctx);
}

int rules_evaluate_cluster(struct ruleset *rs, const struct rule_cluster_vals *cv,
                           const struct features *f,
                           uint32_t window_s, uint64_t ts_us, uint64_t cluster_id,
                           rules_hit_fn fn, void *ctx)
{
    struct ds_addr key;
    memset(&key, 0, sizeof(key));
    memcpy(key.a, &cluster_id, sizeof(cluster_id));
    key.a[15] = 0xc1;   /* never equal to a source address's key by accident */
    return evaluate(rs, RULE_KIND_CLUSTER, cv, f, window_s, ts_us, &key, NULL, fn, ctx);
}

/* ---- text forms ---- */

const char *rule_op_name(enum rule_op op)
{
    switch (op) {
    case RULE_OP_EQ:
        return "=";
    case RULE_OP_LT:
        return "<";
    case RULE_OP_LE:
        return "<=";
    case RULE_OP_GT:
        return ">";
    case RULE_OP_GE:
        return ">=";
    case RULE_OP_RANGE:
        return "range";
    case RULE_OP_IN:
        return "in";
    case RULE_OP_NOT_IN:
        return "not in";
    }
    return "?";
}

const char *rule_thr_type_name(enum rule_thr_type t)
{
    switch (t) {
    case RULE_THR_LIMIT:
        return "limit";
    case RULE_THR_THRESHOLD:
        return "threshold";
    case RULE_THR_BOTH:
        return "both";
    }
    return "?";
}

const char *rule_thr_track_name(enum rule_thr_track t)
{
    switch (t) {
    case RULE_TRACK_BY_SRC:
        return "by_src";
    case RULE_TRACK_BY_DST:
        return "by_dst";
    case RULE_TRACK_BY_RULE:
        return "by_rule";
    }
    return "?";
}

static void format_num(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

/* A string condition, "provider:openai,anthropic" or "provider:!openai,!xai",
 * into buf; like snprintf, the length the whole text has. */
static int format_set(const struct rule_cond *c, char *buf, size_t len)
{
    size_t used = 0;
    int total = snprintf(buf, len, "%s:", c->name);
    if (total < 0)
        return total;
    for (unsigned i = 0; i < c->n_values; i++) {
        used = (size_t)total < len ? (size_t)total : (len ? len - 1 : 0);
        char *dst = used < len ? buf + used : NULL;
        int n = snprintf(dst, dst ? len - used : 0, "%s%s%s", i ? "," : "",
                         c->op == RULE_OP_NOT_IN ? "!" : "", c->values[i]);
        if (n < 0)
            return n;
        total += n;
    }
    return total;
}

int rule_cond_format(const struct rule_cond *c, char *buf, size_t len)
{
    char a[32], b[32];
    if (c->op == RULE_OP_IN || c->op == RULE_OP_NOT_IN)
        return format_set(c, buf, len);
    format_num(c->lo, a, sizeof(a));
    if (c->op == RULE_OP_RANGE) {
        format_num(c->hi, b, sizeof(b));
        return snprintf(buf, len, "%s:%s-%s", c->name, a, b);
    }
    return snprintf(buf, len, "%s:%s%s", c->name, rule_op_name(c->op), a);
}

void rules_stats_write(const struct ruleset *rs, struct stats_node *root)
{
    struct stats_node *de = stats_child(stats_child(root, "sensor"), "detect");
    stats_u64(de, "rules", rs->n);
    stats_u64(de, "evaluations", rs->stats.evaluations);
    stats_u64(de, "matches", rs->stats.matches);
    stats_u64(de, "suppressed", rs->stats.suppressed);
}

void rules_metrics_write(const struct ruleset *rs, struct stats_node *root)
{
    struct stats_node *by = stats_child(stats_child(stats_child(root, "sensor"), "detect"),
                                        "alerts_by_rule");
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = rs->rules[i];
        char sid[16], sev[16];
        snprintf(sid, sizeof(sid), "%" PRIu32, r->sid);
        snprintf(sev, sizeof(sev), "%d", r->severity);
        stats_u64(stats_child(by, sid), sev, r->alerts);
    }
}
