/* Harvesting signatures: the rule language (lexer, keyword table after
 * Suricata's sigmatch_table, parser with `file:line: why` errors), loading
 * files and directories, evaluation against a source's features, and
 * Suricata's threshold semantics (limit / threshold / both; by_src / by_dst
 * / by_rule) in a bounded table on packet time. See ds/rules.h. */
#include "ds/rules.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/log.h"
#include "ds/stats.h"
#include "ds/util.h"

#define THR_DEFAULT_CAP 65536
#define THR_NONE UINT32_MAX
#define RULES_FILE_MAX (16u << 20)
#define RULE_MAX_SECONDS (7u * 86400u)

/* ---- threshold state ---- */

struct thr_entry {
    uint32_t sid;
    uint8_t track;
    bool used;
    struct ds_addr key;
    uint64_t first_us;       /* start of the current period */
    uint64_t end_us;         /* first_us + the rule's seconds */
    uint32_t count;
    uint32_t hnext, lprev, lnext;
};

struct thr_table {
    struct thr_entry *e;
    uint32_t cap;
    uint32_t *bucket;
    uint32_t mask;
    uint32_t free_head;      /* chained through hnext */
    uint32_t lru_head, lru_tail;   /* most recently used at the head */
    uint64_t in_use, evicted;
};

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
    rules_error_fn efn;
    void *ectx;
    struct src_name *names;
    struct thr_table *thr;
    struct rules_stats stats;
};

static struct thr_table *thr_new(size_t cap)
{
    if (cap == 0)
        cap = THR_DEFAULT_CAP;
    if (cap > (1u << 24))
        cap = 1u << 24;
    struct thr_table *t = xcalloc(1, sizeof(*t));
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
    t->lru_head = t->lru_tail = THR_NONE;
    return t;
}

static void thr_free(struct thr_table *t)
{
    if (t == NULL)
        return;
    free(t->e);
    free(t->bucket);
    free(t);
}

static uint32_t thr_hash(uint32_t sid, uint8_t track, const struct ds_addr *k)
{
    uint32_t h = 2166136261u ^ sid;
    h = (h ^ track) * 16777619u;
    for (int i = 0; i < 16; i++)
        h = (h ^ k->a[i]) * 16777619u;
    return h ^ (h >> 15);
}

static void thr_lru_unlink(struct thr_table *t, uint32_t i)
{
    struct thr_entry *e = &t->e[i];
    if (e->lprev != THR_NONE)
        t->e[e->lprev].lnext = e->lnext;
    else
        t->lru_head = e->lnext;
    if (e->lnext != THR_NONE)
        t->e[e->lnext].lprev = e->lprev;
    else
        t->lru_tail = e->lprev;
}

static void thr_lru_push(struct thr_table *t, uint32_t i)
{
    struct thr_entry *e = &t->e[i];
    e->lprev = THR_NONE;
    e->lnext = t->lru_head;
    if (t->lru_head != THR_NONE)
        t->e[t->lru_head].lprev = i;
    t->lru_head = i;
    if (t->lru_tail == THR_NONE)
        t->lru_tail = i;
}

static void thr_unhash(struct thr_table *t, uint32_t i)
{
    struct thr_entry *e = &t->e[i];
    uint32_t *pp = &t->bucket[thr_hash(e->sid, e->track, &e->key) & t->mask];
    while (*pp != THR_NONE && *pp != i)
        pp = &t->e[*pp].hnext;
    if (*pp == i)
        *pp = e->hnext;
}

/* The entry for (sid, track, key), or a new one (count 0), taking the least
 * recently used entry when the table is full. */
static struct thr_entry *thr_get(struct thr_table *t, uint32_t sid, uint8_t track,
                                 const struct ds_addr *key, uint64_t now_us, bool *fresh)
{
    uint32_t h = thr_hash(sid, track, key) & t->mask;
    for (uint32_t i = t->bucket[h]; i != THR_NONE; i = t->e[i].hnext) {
        struct thr_entry *e = &t->e[i];
        if (e->sid == sid && e->track == track && memcmp(&e->key, key, sizeof(*key)) == 0) {
            if (t->lru_head != i) {
                thr_lru_unlink(t, i);
                thr_lru_push(t, i);
            }
            *fresh = false;
            return e;
        }
    }
    uint32_t i = t->free_head;
    if (i != THR_NONE) {
        t->free_head = t->e[i].hnext;
        t->in_use++;
    } else {
        i = t->lru_tail;
        struct thr_entry *old = &t->e[i];
        /* An entry whose period is over is only a cache; one still inside
         * its period is suppression state lost: counted. */
        if (now_us < old->end_us)
            t->evicted++;
        thr_unhash(t, i);
        thr_lru_unlink(t, i);
    }
    struct thr_entry *e = &t->e[i];
    memset(e, 0, sizeof(*e));
    e->sid = sid;
    e->track = track;
    e->key = *key;
    e->used = true;
    e->hnext = t->bucket[h];
    t->bucket[h] = i;
    thr_lru_push(t, i);
    *fresh = true;
    return e;
}

/* Suricata's ThresholdHandlePacket semantics for one match at now_us. */
static bool thr_pass(struct thr_table *t, const struct rule *r, const struct ds_addr *key,
                     uint64_t now_us)
{
    const struct rule_threshold *th = &r->threshold;
    bool fresh;
    struct thr_entry *e = thr_get(t, r->sid, (uint8_t)th->track, key, now_us, &fresh);
    uint64_t period = (uint64_t)th->seconds * 1000000ull;
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

/* ---- ruleset ---- */

struct ruleset *rules_new(const uint32_t *windows_s, size_t n_windows, size_t max_thresholds)
{
    struct ruleset *rs = xcalloc(1, sizeof(*rs));
    if (n_windows > DS_ARRAY_LEN(rs->windows))
        n_windows = DS_ARRAY_LEN(rs->windows);
    if (windows_s && n_windows)
        memcpy(rs->windows, windows_s, n_windows * sizeof(*windows_s));
    rs->n_windows = n_windows;
    rs->thr = thr_new(max_thresholds);
    return rs;
}

static void cond_free(struct rule_cond *c)
{
    for (unsigned i = 0; i < c->n_values; i++)
        free(c->values[i]);
    c->n_values = 0;
}

static void rule_free(struct rule *r)
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
    thr_free(rs->thr);
    free(rs);
}

void rules_set_error_fn(struct ruleset *rs, rules_error_fn fn, void *ctx)
{
    rs->efn = fn;
    rs->ectx = ctx;
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
    rs->stats.thr_entries = rs->thr->in_use;
    rs->stats.thr_evicted = rs->thr->evicted;
}

const struct rules_stats *rules_stats(const struct ruleset *rs)
{
    return &rs->stats;
}

void rules_take_state(struct ruleset *to, struct ruleset *from)
{
    struct thr_table *t = to->thr;
    to->thr = from->thr;
    from->thr = t;
    sync_thr_stats(to);
    sync_thr_stats(from);
}

/* ---- parsing ---- */

struct parse_ctx {
    struct ruleset *rs;
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
    char why[512], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (pc->line)
        snprintf(msg, sizeof(msg), "%s:%u: %s", pc->file, pc->line, why);
    else
        snprintf(msg, sizeof(msg), "%s: %s", pc->file, why);
    pc->failed = true;
    pc->rs->errors++;
    if (pc->rs->efn)
        pc->rs->efn(pc->rs->ectx, msg);
    else
        log_error("%s", msg);
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
typedef bool (*kw_match_fn)(const struct rule_cond *c, const struct features *f, double csize,
                            double *value);
typedef void (*kw_free_fn)(struct rule_cond *c);

#define KW_ONCE 0x1u     /* may appear once */
#define KW_VALUE 0x2u    /* needs a value */

struct kw_def {
    const char *name;    /* NULL for the feature entries, found by feature name */
    kw_parse_fn parse;
    kw_match_fn match;
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
static int kw_num_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static int kw_str_feature(struct parse_ctx *pc, const char *name, const char *val, bool quoted);
static bool match_num(const struct rule_cond *c, const struct features *f, double csize,
                      double *value);
static bool match_str(const struct rule_cond *c, const struct features *f, double csize,
                      double *value);

enum {
    KW_MSG = 0, KW_SID, KW_REV, KW_WINDOW, KW_SEVERITY, KW_CLASSTYPE, KW_METADATA,
    KW_THRESHOLD, KW_CLUSTER_SIZE, KW_NUM_FEATURE, KW_STR_FEATURE, KW_COUNT
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
    [KW_CLUSTER_SIZE] = { "cluster_size", kw_cluster_size, match_num, cond_free,
                          KW_ONCE | KW_VALUE },
    [KW_NUM_FEATURE] = { NULL, kw_num_feature, match_num, cond_free, KW_VALUE },
    [KW_STR_FEATURE] = { NULL, kw_str_feature, match_str, cond_free, KW_VALUE },
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
    for (size_t i = 0; i < pc->rs->n_windows; i++) {
        if (pc->rs->windows[i] == secs) {
            pc->r->window_s = (uint32_t)secs;
            return 0;
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < pc->rs->n_windows && used < sizeof(list); i++) {
        char d[24];
        format_duration(pc->rs->windows[i], d, sizeof(d));
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
        unsigned bit;
        uint64_t n;
        if (strcmp(item, "type") == 0) {
            bit = 1;
            if (strcmp(v, "limit") == 0)
                th.type = RULE_THR_LIMIT;
            else if (strcmp(v, "threshold") == 0)
                th.type = RULE_THR_THRESHOLD;
            else if (strcmp(v, "both") == 0)
                th.type = RULE_THR_BOTH;
            else {
                perr(pc, "bad threshold type '%.32s' (limit, threshold or both)", v);
                goto out;
            }
        } else if (strcmp(item, "track") == 0) {
            bit = 2;
            if (strcmp(v, "by_src") == 0)
                th.track = RULE_TRACK_BY_SRC;
            else if (strcmp(v, "by_dst") == 0)
                th.track = RULE_TRACK_BY_DST;
            else if (strcmp(v, "by_rule") == 0)
                th.track = RULE_TRACK_BY_RULE;
            else {
                perr(pc, "bad threshold track '%.32s' (by_src, by_dst or by_rule)", v);
                goto out;
            }
        } else if (strcmp(item, "count") == 0) {
            bit = 4;
            if (ds_parse_u64(v, 1, 1000000, &n) != 0) {
                perr(pc, "bad threshold count '%.32s' (1 to 1000000)", v);
                goto out;
            }
            th.count = (uint32_t)n;
        } else if (strcmp(item, "seconds") == 0) {
            bit = 8;
            if (ds_parse_u64(v, 1, RULE_MAX_SECONDS, &n) != 0) {
                perr(pc, "bad threshold seconds '%.32s' (1 to %u)", v, RULE_MAX_SECONDS);
                goto out;
            }
            th.seconds = (uint32_t)n;
        } else {
            perr(pc, "bad threshold item '%.32s' (type, track, count, seconds)", item);
            goto out;
        }
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
        c->name = keywords[KW_CLUSTER_SIZE].name;
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

/* Parses one rule's text (continuations joined, NUL-terminated). */
static struct rule *parse_rule(struct parse_ctx *pc, const char *text)
{
    struct rule *r = xcalloc(1, sizeof(*r));
    pc->r = r;
    pc->seen = 0;
    r->severity = 3;
    r->line = pc->line;
    size_t tlen = strlen(text);
    char *val = xmalloc(tlen + 1);
    const char *p = text;

    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '(')
        n++;
    if (n != 5 || strncmp(p, "alert", 5) != 0) {
        perr(pc, "unknown action '%.*s' (expected 'alert')", (int)(n > 32 ? 32 : n), p);
        goto fail;
    }
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '(')
        n++;
    if (n == 10 && strncmp(p, "ai-harvest", 10) == 0) {
        r->kind = RULE_KIND_SOURCE;
    } else if (n == 18 && strncmp(p, "ai-harvest-cluster", 18) == 0) {
        r->kind = RULE_KIND_CLUSTER;
    } else if (n == 0) {
        perr(pc, "expected a rule kind (ai-harvest or ai-harvest-cluster) after 'alert'");
        goto fail;
    } else {
        perr(pc, "unknown rule kind '%.*s' (expected ai-harvest or ai-harvest-cluster)",
             (int)(n > 32 ? 32 : n), p);
        goto fail;
    }
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '(') {
        perr(pc, "expected '(' after the rule kind");
        goto fail;
    }
    p++;

    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ')') {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != '\0') {
                perr(pc, "unexpected text after ')': '%.20s'", p);
                goto fail;
            }
            break;
        }
        if (*p == '\0') {
            perr(pc, "rule does not end with ')'");
            goto fail;
        }
        n = scan_name(p);
        if (n == 0) {
            perr(pc, "expected an option name at '%.20s'", p);
            goto fail;
        }
        char name[64];
        if (n >= sizeof(name)) {
            perr(pc, "option name too long at '%.20s'", p);
            goto fail;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *value = NULL;
        bool quoted = false;
        if (*p == ';') {
            p++;
        } else if (*p == ':') {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            size_t vl = 0;
            if (*p == '"') {
                quoted = true;
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ';'))
                        p++;
                    val[vl++] = *p++;
                }
                if (*p != '"') {
                    perr(pc, "unterminated quoted string in option '%s'", name);
                    goto fail;
                }
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                if (*p != ';') {
                    perr(pc, "option '%s' is not terminated by ';'", name);
                    goto fail;
                }
                p++;
                val[vl] = '\0';
                value = val;
            } else {
                while (*p && *p != ';') {
                    if (*p == '\\' && p[1] == ';')
                        p++;
                    val[vl++] = *p++;
                }
                if (*p != ';') {
                    perr(pc, "option '%s' is not terminated by ';'", name);
                    goto fail;
                }
                p++;
                val[vl] = '\0';
                value = trim(val);
            }
        } else {
            perr(pc, "expected ':' or ';' after option '%s'", name);
            goto fail;
        }
        if (dispatch(pc, name, value, quoted) != 0)
            goto fail;
    }

    if (r->msg == NULL) {
        perr(pc, "missing 'msg'");
        goto fail;
    }
    if (r->sid == 0) {
        perr(pc, "missing 'sid'");
        goto fail;
    }
    if (r->window_s == 0) {
        perr(pc, "missing 'window'");
        goto fail;
    }
    bool has_size = false;
    for (unsigned i = 0; i < r->n_conds; i++)
        if (r->conds[i].feature == RULE_FEAT_CLUSTER_SIZE)
            has_size = true;
    if (r->kind == RULE_KIND_CLUSTER && !has_size) {
        perr(pc, "ai-harvest-cluster rule needs 'cluster_size'");
        goto fail;
    }
    if (r->n_conds == 0) {
        perr(pc, "rule has no conditions");
        goto fail;
    }
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
    free(val);
    return r;
fail:
    free(val);
    rule_free(r);
    pc->r = NULL;
    return NULL;
}

static const char *keep_name(struct ruleset *rs, const char *name)
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
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 16;
        rs->rules = xrealloc(rs->rules, rs->cap * sizeof(*rs->rules));
    }
    rs->rules[rs->n++] = r;
}

int rules_load_buffer(struct ruleset *rs, const char *name, const char *buf, size_t len)
{
    unsigned before = rs->errors;
    struct parse_ctx pc = { .rs = rs, .file = keep_name(rs, name ? name : "<rules>") };
    char *text = xmalloc(RULES_MAX_LEN + 1);
    size_t tl = 0;
    bool in_rule = false, too_long = false, has_nul = false;
    unsigned lineno = 0, start = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t eol = pos;
        while (eol < len && buf[eol] != '\n')
            eol++;
        lineno++;
        size_t ll = eol - pos;
        const char *line = buf + pos;
        pos = eol < len ? eol + 1 : eol;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (!in_rule) {
            size_t i = 0;
            while (i < ll && (line[i] == ' ' || line[i] == '\t'))
                i++;
            if (i == ll || line[i] == '#')
                continue;
            in_rule = true;
            start = lineno;
            tl = 0;
            too_long = has_nul = false;
        }
        if (memchr(line, '\0', ll) != NULL)
            has_nul = true;
        /* a trailing '\' continues the rule on the next line */
        size_t end = ll;
        while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t'))
            end--;
        bool cont = end > 0 && line[end - 1] == '\\';
        size_t take = cont ? end - 1 : ll;
        if (tl + take + 1 > RULES_MAX_LEN)
            too_long = true;
        else {
            memcpy(text + tl, line, take);
            tl += take;
            if (cont)
                text[tl++] = ' ';
        }
        if (cont && pos < len)
            continue;
        in_rule = false;
        text[tl] = '\0';
        pc.line = start;
        pc.failed = false;
        if (too_long) {
            perr(&pc, "rule longer than %d bytes", RULES_MAX_LEN);
            continue;
        }
        if (has_nul) {
            perr(&pc, "NUL byte in rule");
            continue;
        }
        struct rule *r = parse_rule(&pc, text);
        if (r)
            add_rule(&pc, r);
    }
    free(text);
    return (int)(rs->errors - before);
}

int rules_load_file(struct ruleset *rs, const char *path)
{
    struct parse_ctx pc = { .rs = rs, .file = keep_name(rs, path) };
    char *buf;
    size_t len;
    if (ds_read_file(path, RULES_FILE_MAX, &buf, &len) != 0) {
        if (errno == EFBIG)
            perr(&pc, "larger than %u bytes", RULES_FILE_MAX);
        else
            perr(&pc, "cannot read: %s", strerror(errno));
        return 1;
    }
    int n = rules_load_buffer(rs, path, buf, len);
    free(buf);
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rules_load_dir(struct ruleset *rs, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        struct parse_ctx pc = { .rs = rs, .file = keep_name(rs, dir) };
        perr(&pc, "cannot open rules directory: %s", strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= 6 || strcmp(e->d_name + l - 6, ".rules") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof(*names));
        }
        size_t pl = strlen(dir) + l + 2;
        names[n] = xmalloc(pl);
        snprintf(names[n], pl, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), by_name);
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        errors += rules_load_file(rs, names[i]);
        free(names[i]);
    }
    free(names);
    return errors;
}

/* ---- evaluation ---- */

static bool match_num(const struct rule_cond *c, const struct features *f, double csize,
                      double *value)
{
    double v;
    if (c->feature == RULE_FEAT_CLUSTER_SIZE) {
        v = csize;
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

static bool match_str(const struct rule_cond *c, const struct features *f, double csize,
                      double *value)
{
    (void)csize;
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

bool rule_cond_match(const struct rule_cond *c, const struct features *f, double cluster_size,
                     double *value)
{
    if (c->kw >= KW_COUNT || keywords[c->kw].match == NULL)
        return false;
    return keywords[c->kw].match(c, f, cluster_size, value);
}

static bool rule_matches(const struct rule *r, const struct features *f, double csize)
{
    for (unsigned i = 0; i < r->n_conds; i++)
        if (!rule_cond_match(&r->conds[i], f, csize, NULL))
            return false;
    return true;
}

static int evaluate(struct ruleset *rs, enum rule_kind kind, double csize,
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
        if (!rule_matches(r, f, csize))
            continue;
        rs->stats.matches++;
        const struct ds_addr *key = &none;
        if (r->threshold.track == RULE_TRACK_BY_SRC && src)
            key = src;
        else if (r->threshold.track == RULE_TRACK_BY_DST && dst)
            key = dst;
        bool pass = thr_pass(rs->thr, r, key, ts_us);
        sync_thr_stats(rs);
        if (!pass) {
            rs->stats.suppressed++;
            continue;
        }
        rs->stats.hits++;
        hits++;
        if (fn) {
            struct rule_hit h = { .rule = r, .features = f, .window_s = window_s,
                                  .ts_us = ts_us, .cluster_size = csize };
            fn(ctx, &h);
        }
    }
    return hits;
}

int rules_evaluate(struct ruleset *rs, const struct features *f, uint32_t window_s,
                   uint64_t ts_us, const struct ds_addr *src, const struct ds_addr *dst,
                   rules_hit_fn fn, void *ctx)
{
    return evaluate(rs, RULE_KIND_SOURCE, 0, f, window_s, ts_us, src, dst, fn, ctx);
}

int rules_evaluate_cluster(struct ruleset *rs, double size, const struct features *f,
                           uint32_t window_s, uint64_t ts_us, uint64_t cluster_id,
                           rules_hit_fn fn, void *ctx)
{
    struct ds_addr key;
    memset(&key, 0, sizeof(key));
    memcpy(key.a, &cluster_id, sizeof(cluster_id));
    key.a[15] = 0xc1;   /* never equal to a source address's key by accident */
    return evaluate(rs, RULE_KIND_CLUSTER, size, f, window_s, ts_us, &key, NULL, fn, ctx);
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

int rule_cond_format(const struct rule_cond *c, char *buf, size_t len)
{
    char a[32], b[32];
    if (c->op == RULE_OP_IN || c->op == RULE_OP_NOT_IN) {
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
