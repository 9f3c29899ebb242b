/* The rule language: the lexer (rules split into lines, `\` continuations,
 * comments), the parser of one rule into `struct rule` with `file:line: why`
 * errors, and the keyword table after Suricata's sigmatch_table (each
 * keyword's parse, match and free functions). See ds/rules.h and
 * rules/SIGNATURES.md. */
#include "rules-int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/util.h"

#define RULE_MAX_SECONDS (7u * 86400u)
#define RULE_THRESHOLD_COUNT_MAX 1000000u   /* matches, not microseconds */

/* ---- what a rule holds ---- */

static void cond_free(struct rule_cond *c)
{
    for (unsigned i = 0; i < c->n_values; i++)
        free(c->values[i]);
    c->n_values = 0;
}

void rule_free(struct rule *r)
{
    if (r == NULL)
        return;
    free(r->msg);
    free(r->classtype);
    for (unsigned i = 0; i < r->n_conds; i++)
        cond_free(&r->conds[i]);
    for (unsigned i = 0; i < r->n_meta; i++) {
        free(r->meta_key[i]);
        free(r->meta_val[i]);
    }
    free(r);
}

/* ---- parsing ---- */

struct parse_ctx {
    struct ruleset *rs;
    struct diag *dg;         /* where errors go */
    const char *file;
    unsigned line;
    struct rule *r;
    uint64_t seen;           /* keyword indices already given */
    bool failed;
};

__attribute__((format(printf, 2, 3)))
static void perr(struct parse_ctx *pc, const char *fmt, ...)
{
    if (pc->failed)
        return;   /* one error per rule: the rest would be noise */
    pc->failed = true;
    va_list ap;
    va_start(ap, fmt);
    rules_verror(pc->rs, pc->dg, pc->file, pc->line, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Takes the next item of a "key value, key value" list, splitting it in
 * place: *key is its first word, *val the rest (empty when there is none).
 * *cursor walks the list and is NULL once it is used up. */
static bool next_pair(char **cursor, char **key, char **val)
{
    char *p = *cursor;
    if (p == NULL)
        return false;
    char *comma = strchr(p, ',');
    if (comma) {
        *comma = '\0';
        *cursor = comma + 1;
    } else {
        *cursor = NULL;
    }
    char *item = trim(p);
    char *sp = item;
    while (*sp && *sp != ' ' && *sp != '\t')
        sp++;
    char *v = sp;
    if (*sp) {
        *sp = '\0';
        v = trim(sp + 1);
    }
    *key = item;
    *val = v;
    return true;
}

/* Scans a plain decimal number (-?digits[.digits]) at *p; advances *p past
 * it. 0 or -1. */
static int scan_number(const char **p, double *out)
{
    const char *s = *p, *q = s;
    if (*q == '-')
        q++;
    const char *d = q;
    while (isdigit((unsigned char)*q))
        q++;
    if (q == d)
        return -1;
    if (*q == '.') {
        q++;
        const char *f = q;
        while (isdigit((unsigned char)*q))
            q++;
        if (q == f)
            return -1;
    }
    char tmp[64];
    size_t len = (size_t)(q - s);
    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    double v;
    if (ds_parse_double(tmp, &v) != 0 || !isfinite(v))
        return -1;
    *out = v;
    *p = q;
    return 0;
}

static int parse_numeric_cond(struct parse_ctx *pc, const char *name, const char *val,
                              struct rule_cond *c)
{
    const char *p = val;
    enum rule_op op = RULE_OP_EQ;
    bool has_op = true;
    if (strncmp(p, ">=", 2) == 0) {
        op = RULE_OP_GE;
        p += 2;
    } else if (strncmp(p, "<=", 2) == 0) {
        op = RULE_OP_LE;
        p += 2;
    } else if (*p == '>') {
        op = RULE_OP_GT;
        p++;
    } else if (*p == '<') {
        op = RULE_OP_LT;
        p++;
    } else if (*p == '=') {
        op = RULE_OP_EQ;
        p++;
    } else {
        has_op = false;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    double lo, hi;
    if (scan_number(&p, &lo) != 0) {
        perr(pc, "bad number '%.64s' for '%s'", val, name);
        return -1;
    }
    if (!has_op && *p == '-') {
        p++;
        if (scan_number(&p, &hi) != 0 || *p != '\0') {
            perr(pc, "bad range '%.64s' for '%s' (expected N-M)", val, name);
            return -1;
        }
        if (lo > hi) {
            perr(pc, "empty range '%.64s' for '%s' (%g > %g)", val, name, lo, hi);
            return -1;
        }
        c->op = RULE_OP_RANGE;
        c->lo = lo;
        c->hi = hi;
        return 0;
    }
    if (*p != '\0') {
        perr(pc, "bad number '%.64s' for '%s'", val, name);
        return -1;
    }
    c->op = op;
    c->lo = c->hi = lo;
    return 0;
}

static int parse_string_cond(struct parse_ctx *pc, const char *name, const char *val,
                             struct rule_cond *c)
{
    if (*val == '<' || *val == '>' || *val == '=') {
        perr(pc, "'%s' is a string feature: expected values such as a,b or !a, not '%.64s'",
             name, val);
        return -1;
    }
    char *copy = xstrdup(val);
    int neg = -1;   /* unknown until the first item */
    char *p = copy;
    int rc = -1;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *item = trim(p);
        bool is_neg = false;
        if (*item == '!') {
            is_neg = true;
            item = trim(item + 1);
        }
        if (*item == '\0') {
            perr(pc, "empty value in the list for '%s'", name);
            goto out;
        }
        if (neg >= 0 && neg != (int)is_neg) {
            perr(pc, "'%s' mixes negated and plain values (negate every value or none)", name);
            goto out;
        }
        neg = is_neg;
        if (strlen(item) >= FEATURE_STR_LEN) {
            perr(pc, "value longer than %d characters for '%s'", FEATURE_STR_LEN - 1, name);
            goto out;
        }
        if (c->n_values == RULES_MAX_SET) {
            perr(pc, "too many values for '%s' (at most %d)", name, RULES_MAX_SET);
            goto out;
        }
        c->values[c->n_values++] = xstrdup(item);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    c->op = neg == 1 ? RULE_OP_NOT_IN : RULE_OP_IN;
    rc = 0;
out:
    free(copy);
    return rc;
}

/* keyword handlers */

typedef int (*kw_parse_fn)(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
typedef void (*kw_free_fn)(struct rule_cond *c);

#define KW_ONCE 0x1u     /* may appear once */
#define KW_VALUE 0x2u    /* needs a value */

struct kw_def {
    const char *name;    /* NULL for the feature entries, found by feature name */
    kw_parse_fn parse;
    rules_match_fn match;
    kw_free_fn free;
    unsigned flags;
};

static int kw_msg(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_sid(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_rev(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_window(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_severity(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_classtype(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_metadata(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_threshold(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_cluster_size(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_sync_rounds(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_num_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_str_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted);

enum {
    KW_MSG = 0, KW_SID, KW_REV, KW_WINDOW, KW_SEVERITY, KW_CLASSTYPE, KW_METADATA,
    KW_THRESHOLD, KW_CLUSTER_SIZE, KW_SYNC_ROUNDS, KW_NUM_FEATURE, KW_STR_FEATURE, KW_COUNT
};

static const struct kw_def keywords[KW_COUNT] = {
    [KW_MSG] = { "msg", kw_msg, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_SID] = { "sid", kw_sid, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_REV] = { "rev", kw_rev, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_WINDOW] = { "window", kw_window, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_SEVERITY] = { "severity", kw_severity, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_CLASSTYPE] = { "classtype", kw_classtype, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_METADATA] = { "metadata", kw_metadata, NULL, NULL, KW_VALUE },
    [KW_THRESHOLD] = { "threshold", kw_threshold, NULL, NULL, KW_ONCE | KW_VALUE },
    [KW_CLUSTER_SIZE] = { "cluster_size", kw_cluster_size, rules_match_num, cond_free,
                          KW_ONCE | KW_VALUE },
    [KW_SYNC_ROUNDS] = { "sync_rounds", kw_sync_rounds, rules_match_num, cond_free,
                         KW_ONCE | KW_VALUE },
    [KW_NUM_FEATURE] = { NULL, kw_num_feature, rules_match_num, cond_free, KW_VALUE },
    [KW_STR_FEATURE] = { NULL, kw_str_feature, rules_match_str, cond_free, KW_VALUE },
};

static int kw_msg(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    if (!quoted) {
        perr(pc, "msg must be a quoted string");
        return -1;
    }
    if (*val == '\0') {
        perr(pc, "empty msg");
        return -1;
    }
    pc->r->msg = xstrdup(val);
    return 0;
}

static int kw_sid(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    uint64_t v;
    if (ds_parse_u64(val, 1, UINT32_MAX, &v) != 0) {
        perr(pc, "bad sid '%.64s' (a number from 1 to 4294967295)", val);
        return -1;
    }
    pc->r->sid = (uint32_t)v;
    return 0;
}

static int kw_rev(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    uint64_t v;
    if (ds_parse_u64(val, 0, UINT32_MAX, &v) != 0) {
        perr(pc, "bad rev '%.64s' (a number from 0 to 4294967295)", val);
        return -1;
    }
    pc->r->rev = (uint32_t)v;
    return 0;
}

static void format_duration(uint32_t s, char *buf, size_t len)
{
    if (s % 3600 == 0)
        snprintf(buf, len, "%uh", s / 3600);
    else if (s % 60 == 0)
        snprintf(buf, len, "%um", s / 60);
    else
        snprintf(buf, len, "%us", s);
}

static int kw_window(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    uint64_t secs;
    if (ds_parse_duration(val, &secs) != 0 || secs == 0 || secs > UINT32_MAX) {
        perr(pc, "bad window '%.64s' (a duration such as 10m)", val);
        return -1;
    }
    const uint32_t *windows;
    size_t n_windows = rules_windows(pc->rs, &windows);
    for (size_t i = 0; i < n_windows; i++) {
        if (windows[i] == secs) {
            pc->r->window_s = (uint32_t)secs;
            return 0;
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n_windows && used < sizeof(list); i++) {
        char d[24];
        format_duration(windows[i], d, sizeof(d));
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", d);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    perr(pc, "window '%.64s' is not a configured window (%s)", val, list);
    return -1;
}

static int kw_severity(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    uint64_t v;
    if (ds_parse_u64(val, 1, 3, &v) != 0) {
        perr(pc, "bad severity '%.64s' (1 high, 2 medium, 3 low)", val);
        return -1;
    }
    pc->r->severity = (int)v;
    return 0;
}

static bool word_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (!(isalnum(c) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0 && n <= max;
}

static int kw_classtype(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    if (!word_ok(val, 64)) {
        perr(pc, "bad classtype '%.64s' (letters, digits, '-', '_', '.')", val);
        return -1;
    }
    pc->r->classtype = xstrdup(val);
    return 0;
}

static int kw_metadata(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    struct rule *r = pc->r;
    char *copy = xstrdup(val);
    char *p = copy;
    int rc = -1;
    char *item, *v;
    while (next_pair(&p, &item, &v)) {
        if (!word_ok(item, 64) || *v == '\0') {
            perr(pc, "bad metadata '%.64s' (expected 'key value, key value')", val);
            goto out;
        }
        if (r->n_meta == RULES_MAX_META) {
            perr(pc, "too much metadata (at most %d pairs)", RULES_MAX_META);
            goto out;
        }
        r->meta_key[r->n_meta] = xstrdup(item);
        r->meta_val[r->n_meta] = xstrdup(v);
        r->n_meta++;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

/* One `key value` item of a threshold, into th. Returns the item's bit (1
 * type, 2 track, 4 count, 8 seconds), or 0 after reporting a bad item. */
static unsigned threshold_item(struct parse_ctx *pc, const char *item, const char *v,
                               struct rule_threshold *th)
{
    uint64_t n;
    if (strcmp(item, "type") == 0) {
        if (strcmp(v, "limit") == 0)
            th->type = RULE_THR_LIMIT;
        else if (strcmp(v, "threshold") == 0)
            th->type = RULE_THR_THRESHOLD;
        else if (strcmp(v, "both") == 0)
            th->type = RULE_THR_BOTH;
        else {
            perr(pc, "bad threshold type '%.32s' (limit, threshold or both)", v);
            return 0;
        }
        return 1;
    }
    if (strcmp(item, "track") == 0) {
        if (strcmp(v, "by_src") == 0)
            th->track = RULE_TRACK_BY_SRC;
        else if (strcmp(v, "by_dst") == 0)
            th->track = RULE_TRACK_BY_DST;
        else if (strcmp(v, "by_rule") == 0)
            th->track = RULE_TRACK_BY_RULE;
        else {
            perr(pc, "bad threshold track '%.32s' (by_src, by_dst or by_rule)", v);
            return 0;
        }
        return 2;
    }
    if (strcmp(item, "count") == 0) {
        if (ds_parse_u64(v, 1, RULE_THRESHOLD_COUNT_MAX, &n) != 0) {
            perr(pc, "bad threshold count '%.32s' (1 to %u)", v, RULE_THRESHOLD_COUNT_MAX);
            return 0;
        }
        th->count = (uint32_t)n;
        return 4;
    }
    if (strcmp(item, "seconds") == 0) {
        if (ds_parse_u64(v, 1, RULE_MAX_SECONDS, &n) != 0) {
            perr(pc, "bad threshold seconds '%.32s' (1 to %u)", v, RULE_MAX_SECONDS);
            return 0;
        }
        th->seconds = (uint32_t)n;
        return 8;
    }
    perr(pc, "bad threshold item '%.32s' (type, track, count, seconds)", item);
    return 0;
}

/* `threshold: type T, track K, count N, seconds S`: all four, once each. */
static int kw_threshold(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)name;
    (void)quoted;
    struct rule_threshold th = { 0 };
    unsigned have = 0;   /* bits: type, track, count, seconds */
    char *copy = xstrdup(val);
    char *p = copy;
    int rc = -1;
    char *item, *v;
    while (next_pair(&p, &item, &v)) {
        unsigned bit = threshold_item(pc, item, v, &th);
        if (bit == 0)
            goto out;
        if (have & bit) {
            perr(pc, "threshold gives '%s' twice", item);
            goto out;
        }
        have |= bit;
    }
    if (have != 15) {
        perr(pc, "threshold needs type, track, count and seconds");
        goto out;
    }
    pc->r->threshold = th;
    rc = 0;
out:
    free(copy);
    return rc;
}

static struct rule_cond *new_cond(struct parse_ctx *pc, int feature, int kw)
{
    struct rule *r = pc->r;
    if (r->n_conds == RULES_MAX_CONDS) {
        perr(pc, "too many conditions (at most %d)", RULES_MAX_CONDS);
        return NULL;
    }
    struct rule_cond *c = &r->conds[r->n_conds];
    memset(c, 0, sizeof(*c));
    c->feature = feature;
    c->kw = (uint8_t)kw;
    if (feature >= 0)
        c->name = features_info(feature)->name;
    else
        c->name = keywords[kw].name;   /* a cluster pseudo-feature is its keyword */
    return c;
}

static int kw_cluster_size(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)quoted;
    if (pc->r->kind != RULE_KIND_CLUSTER) {
        perr(pc, "'cluster_size' applies only to ai-harvest-cluster rules");
        return -1;
    }
    struct rule_cond *c = new_cond(pc, RULE_FEAT_CLUSTER_SIZE, KW_CLUSTER_SIZE);
    if (c == NULL || parse_numeric_cond(pc, name, val, c) != 0)
        return -1;
    pc->r->n_conds++;
    return 0;
}

/* sync_rounds: the rounds a synchronous group's members shared (synchrony.h);
 * a profile cluster has none, and a condition on it does not hold there. */
static int kw_sync_rounds(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)quoted;
    if (pc->r->kind != RULE_KIND_CLUSTER) {
        perr(pc, "'sync_rounds' applies only to ai-harvest-cluster rules");
        return -1;
    }
    struct rule_cond *c = new_cond(pc, RULE_FEAT_SYNC_ROUNDS, KW_SYNC_ROUNDS);
    if (c == NULL || parse_numeric_cond(pc, name, val, c) != 0)
        return -1;
    pc->r->n_conds++;
    return 0;
}

static int kw_num_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)quoted;
    struct rule_cond *c = new_cond(pc, features_lookup(name), KW_NUM_FEATURE);
    if (c == NULL || parse_numeric_cond(pc, name, val, c) != 0)
        return -1;
    pc->r->n_conds++;
    return 0;
}

static int kw_str_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    (void)quoted;
    struct rule_cond *c = new_cond(pc, features_lookup(name), KW_STR_FEATURE);
    if (c == NULL)
        return -1;
    if (parse_string_cond(pc, name, val, c) != 0) {
        cond_free(c);
        return -1;
    }
    pc->r->n_conds++;
    return 0;
}

/* The option name at *p: [a-z0-9_]+. */
static size_t scan_name(const char *p)
{
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_' ||
           (p[n] >= 'A' && p[n] <= 'Z'))
        n++;
    return n;
}

static bool looks_like_condition(const char *v)
{
    if (v == NULL)
        return false;
    if (*v == '<' || *v == '>' || *v == '=')
        return true;
    if (*v == '-')
        v++;
    return isdigit((unsigned char)*v);
}

static int dispatch(struct parse_ctx *pc, const char *name, const char *val, bool quoted)
{
    int kw = -1;
    for (int i = 0; i < KW_COUNT; i++) {
        if (keywords[i].name && strcmp(keywords[i].name, name) == 0) {
            kw = i;
            break;
        }
    }
    if (kw < 0) {
        int f = features_lookup(name);
        if (f < 0) {
            if (looks_like_condition(val))
                perr(pc, "unknown feature '%.64s'", name);
            else
                perr(pc, "unknown keyword '%.64s'", name);
            return -1;
        }
        kw = features_info(f)->type == FEATURE_NUM ? KW_NUM_FEATURE : KW_STR_FEATURE;
    }
    const struct kw_def *k = &keywords[kw];
    if ((k->flags & KW_VALUE) && val == NULL) {
        perr(pc, "option '%.64s' needs a value", name);
        return -1;
    }
    if (k->flags & KW_ONCE) {
        if (pc->seen & (UINT64_C(1) << kw)) {
            perr(pc, "duplicate option '%.64s'", name);
            return -1;
        }
        pc->seen |= UINT64_C(1) << kw;
    }
    return k->parse(pc, name, val ? val : "", quoted);
}

#define OPTION_NAME_MAX 64   /* bytes of an option name, NUL included */

static void skip_blanks(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Length of the word at p: up to a blank, a '(' or the end. */
static size_t word_len(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '(')
        n++;
    return n;
}

/* The header, "alert ai-harvest (" or "alert ai-harvest-cluster (": sets
 * the rule's kind and advances *p past the '('. 0 or -1 (reported). */
static int parse_header(struct parse_ctx *pc, const char **p)
{
    const char *s = *p;
    skip_blanks(&s);
    size_t n = word_len(s);
    if (n != 5 || strncmp(s, "alert", 5) != 0) {
        perr(pc, "unknown action '%.*s' (expected 'alert')", (int)(n > 32 ? 32 : n), s);
        return -1;
    }
    s += n;
    skip_blanks(&s);
    n = word_len(s);
    if (n == 10 && strncmp(s, "ai-harvest", 10) == 0) {
        pc->r->kind = RULE_KIND_SOURCE;
    } else if (n == 18 && strncmp(s, "ai-harvest-cluster", 18) == 0) {
        pc->r->kind = RULE_KIND_CLUSTER;
    } else if (n == 0) {
        perr(pc, "expected a rule kind (ai-harvest or ai-harvest-cluster) after 'alert'");
        return -1;
    } else {
        perr(pc, "unknown rule kind '%.*s' (expected ai-harvest or ai-harvest-cluster)",
             (int)(n > 32 ? 32 : n), s);
        return -1;
    }
    s += n;
    skip_blanks(&s);
    if (*s != '(') {
        perr(pc, "expected '(' after the rule kind");
        return -1;
    }
    *p = s + 1;
    return 0;
}

/* A quoted value, *p just after its opening '"': the text up to the closing
 * '"' into val, with \" \\ and \; unescaped, then blanks and the ';' that
 * ends the option. Advances *p past the ';'. 0 or -1 (reported). */
static int scan_quoted(struct parse_ctx *pc, const char **p, const char *name, char *val)
{
    const char *s = *p;
    size_t vl = 0;
    while (*s && *s != '"') {
        if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == ';'))
            s++;
        val[vl++] = *s++;
    }
    if (*s != '"') {
        perr(pc, "unterminated quoted string in option '%s'", name);
        return -1;
    }
    s++;
    skip_blanks(&s);
    if (*s != ';') {
        perr(pc, "option '%s' is not terminated by ';'", name);
        return -1;
    }
    val[vl] = '\0';
    *p = s + 1;
    return 0;
}

/* A plain value: the text up to the ';' that ends the option (\; stands for
 * a ';') into val, trimmed; *value points into val. Advances *p past the
 * ';'. 0 or -1 (reported). */
static int scan_plain(struct parse_ctx *pc, const char **p, const char *name, char *val,
                      const char **value)
{
    const char *s = *p;
    size_t vl = 0;
    while (*s && *s != ';') {
        if (*s == '\\' && s[1] == ';')
            s++;
        val[vl++] = *s++;
    }
    if (*s != ';') {
        perr(pc, "option '%s' is not terminated by ';'", name);
        return -1;
    }
    val[vl] = '\0';
    *value = trim(val);
    *p = s + 1;
    return 0;
}

/* One option at *p, `name;` or `name: value;` with the value quoted or
 * plain: its name into name (OPTION_NAME_MAX bytes), its value into val (as
 * long as the rule text) with *value pointing at it, or NULL when there is
 * none. Advances *p past the option. 0 or -1 (reported). */
static int scan_option(struct parse_ctx *pc, const char **p, char *name, char *val,
                       const char **value, bool *quoted)
{
    const char *s = *p;
    size_t n = scan_name(s);
    if (n == 0) {
        perr(pc, "expected an option name at '%.20s'", s);
        return -1;
    }
    if (n >= OPTION_NAME_MAX) {
        perr(pc, "option name too long at '%.20s'", s);
        return -1;
    }
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    skip_blanks(&s);
    *value = NULL;
    *quoted = false;
    if (*s == ';') {
        *p = s + 1;
        return 0;
    }
    if (*s != ':') {
        perr(pc, "expected ':' or ';' after option '%s'", name);
        return -1;
    }
    s++;
    skip_blanks(&s);
    if (*s == '"') {
        s++;
        if (scan_quoted(pc, &s, name, val) != 0)
            return -1;
        *quoted = true;
        *value = val;
    } else if (scan_plain(pc, &s, name, val, value) != 0) {
        return -1;
    }
    *p = s;
    return 0;
}

/* The options from p to the closing ')', each handed to its keyword; only
 * blanks may follow the ')'. val is scratch as long as the rule text. 0 or
 * -1 (reported). */
static int parse_options(struct parse_ctx *pc, const char *p, char *val)
{
    for (;;) {
        skip_blanks(&p);
        if (*p == ')') {
            p++;
            skip_blanks(&p);
            if (*p != '\0') {
                perr(pc, "unexpected text after ')': '%.20s'", p);
                return -1;
            }
            return 0;
        }
        if (*p == '\0') {
            perr(pc, "rule does not end with ')'");
            return -1;
        }
        char name[OPTION_NAME_MAX];
        const char *value;
        bool quoted;
        if (scan_option(pc, &p, name, val, &value, &quoted) != 0 ||
            dispatch(pc, name, value, quoted) != 0)
            return -1;
    }
}

/* What every rule needs once its options are read: msg, sid, window, at
 * least one condition, and cluster_size in a cluster rule. 0 or -1
 * (reported). */
static int check_complete(struct parse_ctx *pc)
{
    const struct rule *r = pc->r;
    if (r->msg == NULL) {
        perr(pc, "missing 'msg'");
        return -1;
    }
    if (r->sid == 0) {
        perr(pc, "missing 'sid'");
        return -1;
    }
    if (r->window_s == 0) {
        perr(pc, "missing 'window'");
        return -1;
    }
    bool has_size = false;
    for (unsigned i = 0; i < r->n_conds; i++)
        if (r->conds[i].feature == RULE_FEAT_CLUSTER_SIZE)
            has_size = true;
    if (r->kind == RULE_KIND_CLUSTER && !has_size) {
        perr(pc, "ai-harvest-cluster rule needs 'cluster_size'");
        return -1;
    }
    if (r->n_conds == 0) {
        perr(pc, "rule has no conditions");
        return -1;
    }
    return 0;
}

/* Defaults for what the rule did not say: its threshold and classtype. */
static void apply_defaults(struct parse_ctx *pc)
{
    struct rule *r = pc->r;
    if (!(pc->seen & (UINT64_C(1) << KW_THRESHOLD))) {
        /* Without a threshold a rule would alert at every evaluation: one
         * alert per source and window length is the quiet default. */
        r->threshold.type = RULE_THR_LIMIT;
        r->threshold.track = RULE_TRACK_BY_SRC;
        r->threshold.count = 1;
        r->threshold.seconds = r->window_s;
        r->threshold.implicit = true;
    }
    if (r->classtype == NULL)
        r->classtype = xstrdup(r->kind == RULE_KIND_CLUSTER ? "ai-harvest-cluster" : "ai-harvest");
}

/* Parses one rule's text (continuations joined, NUL-terminated): the header,
 * the options, what every rule needs, then the defaults for what it did not
 * say. The rule (the caller owns it), or NULL after reporting the first
 * error. */
static struct rule *parse_rule(struct parse_ctx *pc, const char *text)
{
    struct rule *r = xcalloc(1, sizeof(*r));
    pc->r = r;
    pc->seen = 0;
    r->severity = 3;
    r->line = pc->line;
    char *val = xmalloc(strlen(text) + 1);
    const char *p = text;
    if (parse_header(pc, &p) != 0 || parse_options(pc, p, val) != 0 || check_complete(pc) != 0)
        goto fail;
    apply_defaults(pc);
    free(val);
    return r;
fail:
    free(val);
    rule_free(r);
    pc->r = NULL;
    return NULL;
}

/* ---- rules out of lines ---- */

static void add_rule(struct parse_ctx *pc, struct rule *r)
{
    struct ruleset *rs = pc->rs;
    const struct rule *dup = rules_find_sid(rs, r->sid);
    if (dup) {
        perr(pc, "duplicate sid %u (first at %s:%u)", r->sid, dup->file, dup->line);
        rule_free(r);
        return;
    }
    r->file = pc->file;
    rules_append(rs, r);
}

/* One rule's text as its lines come in: continuation lines joined (a
 * trailing '\' becomes a blank), capped at RULES_MAX_LEN bytes. */
struct rule_text {
    char *text;              /* RULES_MAX_LEN + 1 bytes */
    size_t len;
    unsigned start;          /* the line the rule starts on */
    bool in_rule;            /* a rule has started and not ended */
    bool too_long, has_nul;
};

/* Whether a line outside a rule starts none: blank, or a comment. */
static bool starts_no_rule(const char *line, size_t ll)
{
    size_t i = 0;
    while (i < ll && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i == ll || line[i] == '#';
}

/* Adds a line (ll bytes, no line end) to the rule's text; returns whether it
 * continues on the next line. */
static bool append_line(struct rule_text *rt, const char *line, size_t ll)
{
    if (memchr(line, '\0', ll) != NULL)
        rt->has_nul = true;
    /* a trailing '\' continues the rule on the next line */
    size_t end = ll;
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t'))
        end--;
    bool cont = end > 0 && line[end - 1] == '\\';
    size_t take = cont ? end - 1 : ll;
    if (rt->len + take + 1 > RULES_MAX_LEN) {
        rt->too_long = true;
    } else {
        memcpy(rt->text + rt->len, line, take);
        rt->len += take;
        if (cont)
            rt->text[rt->len++] = ' ';
    }
    return cont;
}

/* A rule's text is complete: refuse it if it was too long or held a NUL,
 * else parse it and add the rule. */
static void end_rule(struct parse_ctx *pc, struct rule_text *rt)
{
    rt->in_rule = false;
    rt->text[rt->len] = '\0';
    pc->line = rt->start;
    pc->failed = false;
    if (rt->too_long) {
        perr(pc, "rule longer than %d bytes", RULES_MAX_LEN);
        return;
    }
    if (rt->has_nul) {
        perr(pc, "NUL byte in rule");
        return;
    }
    struct rule *r = parse_rule(pc, rt->text);
    if (r)
        add_rule(pc, r);
}

int rules_load_buffer(struct ruleset *rs, const char *name, const char *buf, size_t len,
                      struct diag *dg)
{
    unsigned before = rules_error_count(rs);
    struct parse_ctx pc = { .rs = rs, .dg = dg };
    pc.file = rules_keep_name(rs, name ? name : "<rules>");
    struct rule_text rt = { .text = xmalloc(RULES_MAX_LEN + 1) };
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += nl ? ll + 1 : ll;
        lineno++;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (!rt.in_rule) {
            if (starts_no_rule(line, ll))
                continue;
            rt.in_rule = true;
            rt.start = lineno;
            rt.len = 0;
            rt.too_long = rt.has_nul = false;
        }
        if (append_line(&rt, line, ll) && pos < len)
            continue;
        end_rule(&pc, &rt);
    }
    free(rt.text);
    return (int)(rules_error_count(rs) - before);
}

/* ---- the keyword table for evaluation ---- */

rules_match_fn rules_keyword_match(unsigned kw)
{
    return kw < KW_COUNT ? keywords[kw].match : NULL;
}
