/* Client fingerprint families: JA4 -> family (browser, python, go, ...) from
 * a table users edit (rules/fingerprints.conf, format in rules/FINGERPRINTS.md).
 *
 * An entry is an exact JA4 or a pattern whose parts may be '*' (part b or c,
 * or all of part a) or hold '?' for single characters of part a. A JA4's
 * part c hashes the extensions and signature algorithms, which move with
 * library options and versions, while parts a and b (protocol, counts, ALPN,
 * cipher list) identify the TLS stack; so "a + b, any c" entries carry most of
 * the table's reach, and the most specific matching entry wins.
 *
 * Lookups happen when a source shows a new JA4, not per packet; still they
 * allocate nothing: exact entries are found by binary search, patterns by a
 * scan in order of specificity that stops at the first match. */
#include "ds/fingerprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/diag.h"
#include "ds/util.h"

#define JA4_LEN 36          /* "t13d1516h2_8daaf6152771_02713d6af862" */
#define JA4_A_LEN 10
#define JA4_HASH_LEN 12
#define LINE_MAX_BYTES 1024 /* a longer line is an error, not silently cut */
#define FP_FILE_MAX (16u << 20) /* 65536 entries of a few dozen bytes; refuse nonsense */
/* Pairwise overlap warnings cost n^2 within one specificity; past this many
 * patterns the check is skipped (the table still loads and works). */
#define OVERLAP_CHECK_MAX 4096

struct fp_entry {
    char pattern[JA4_LEN + 1]; /* normalised (lower case), as compared */
    bool a_any, b_any, c_any;
    unsigned specificity;      /* characters that must match exactly */
    unsigned line;
    char family[FP_FAMILY_MAX];
    char client[FP_CLIENT_MAX];
};

struct fingerprints {
    struct fp_entry *exact;    /* whole JA4s, sorted by pattern */
    size_t n_exact;
    struct fp_entry *wild;     /* patterns, most specific first, then by line */
    size_t n_wild;
};

/* Collects entries while loading; capped at FP_MAX_ENTRIES. */
struct fp_list {
    struct fp_entry *v;
    size_t n, cap;
};

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_lower_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void skip_space(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Advances *p over one blank-separated token; returns its length. */
static size_t take_token(const char **p, const char **tok)
{
    skip_space(p);
    *tok = *p;
    while (**p != '\0' && **p != ' ' && **p != '\t')
        (*p)++;
    return (size_t)(*p - *tok);
}

/* A family name: a lower-case letter, then letters, digits, '-' or '_'. */
static const char *check_family(const char *s, size_t n)
{
    if (n >= FP_FAMILY_MAX)
        return "family name longer than 31 characters";
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return "family name must start with a lower-case letter";
    for (size_t i = 1; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return "family name may hold only a-z, 0-9, '-' and '_'";
    return NULL;
}

/* Splits a lower-cased pattern at its '_' into three parts. NULL, or why
 * it is not three parts (in why_buf). */
static const char *split_parts(const char *lower, size_t n, const char *parts[3], size_t lens[3],
                               char *why_buf, size_t why_len)
{
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || lower[i] == '_') {
            if (k == 3) {
                snprintf(why_buf, why_len, "'%s' has more than three parts", lower);
                return why_buf;
            }
            parts[k] = lower + start;
            lens[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    if (k != 3) {
        snprintf(why_buf, why_len, "'%s' is not a JA4: want three parts a_b_c", lower);
        return why_buf;
    }
    return NULL;
}

/* Part a: '*', or 10 characters of a-z, 0-9 and '?' starting with t, q, d
 * or '?'. Adds the characters that must match to *spec. NULL or why. */
static const char *check_part_a(const char *lower, const char *a, size_t len, struct fp_entry *e,
                                unsigned *spec, char *why_buf, size_t why_len)
{
    e->a_any = len == 1 && a[0] == '*';
    if (e->a_any)
        return NULL;
    if (len != JA4_A_LEN) {
        snprintf(why_buf, why_len, "'%s': part a must be 10 characters (like t13d1516h2) or *",
                 lower);
        return why_buf;
    }
    for (size_t i = 0; i < JA4_A_LEN; i++) {
        char c = a[i];
        if (c == '?')
            continue;
        if (!is_lower_alnum(c)) {
            snprintf(why_buf, why_len,
                     "'%s': part a may hold only a-z, 0-9 and ? (any one character)", lower);
            return why_buf;
        }
        (*spec)++;
    }
    if (a[0] != '?' && a[0] != 't' && a[0] != 'q' && a[0] != 'd') {
        snprintf(why_buf, why_len, "'%s': part a starts with t (TLS), q (QUIC) or d (DTLS)",
                 lower);
        return why_buf;
    }
    return NULL;
}

/* Part b or c (named by `which`): '*' (*any set), or 12 hex digits, which
 * add to *spec. NULL or why. */
static const char *check_hash_part(const char *lower, char which, const char *p, size_t len,
                                   bool *any, unsigned *spec, char *why_buf, size_t why_len)
{
    *any = len == 1 && p[0] == '*';
    if (*any)
        return NULL;
    bool ok = len == JA4_HASH_LEN;
    for (size_t i = 0; ok && i < len; i++)
        ok = is_lower_hex(p[i]);
    if (!ok) {
        snprintf(why_buf, why_len, "'%s': part %c must be 12 hex digits or *", lower, which);
        return why_buf;
    }
    *spec += JA4_HASH_LEN;
    return NULL;
}

/* Checks and normalises a JA4 pattern into e; returns NULL or why it is bad.
 * why_buf holds reasons that quote the pattern. */
static const char *parse_pattern(const char *s, size_t n, struct fp_entry *e, char *why_buf,
                                 size_t why_len)
{
    char lower[JA4_LEN + 1];
    const char *parts[3];
    size_t lens[3];
    const char *why;

    if (n > JA4_LEN) {
        snprintf(why_buf, why_len, "'%.*s' is longer than a JA4 (36 characters)", (int)n, s);
        return why_buf;
    }
    for (size_t i = 0; i < n; i++)
        lower[i] = ascii_lower(s[i]);
    lower[n] = '\0';
    why = split_parts(lower, n, parts, lens, why_buf, why_len);
    if (why != NULL)
        return why;
    unsigned spec = 0;
    why = check_part_a(lower, parts[0], lens[0], e, &spec, why_buf, why_len);
    if (why == NULL)
        why = check_hash_part(lower, 'b', parts[1], lens[1], &e->b_any, &spec, why_buf, why_len);
    if (why == NULL)
        why = check_hash_part(lower, 'c', parts[2], lens[2], &e->c_any, &spec, why_buf, why_len);
    if (why != NULL)
        return why;
    if (e->a_any && e->b_any && e->c_any) {
        snprintf(why_buf, why_len,
                 "'%s' matches every JA4 (clients nothing matches are '" FP_UNKNOWN "' already)",
                 lower);
        return why_buf;
    }
    e->specificity = spec;
    memcpy(e->pattern, lower, n + 1);
    return NULL;
}

static bool is_exact(const struct fp_entry *e)
{
    return e->specificity == JA4_A_LEN + 2 * JA4_HASH_LEN;
}

/* Whether some JA4 matches both patterns. */
static bool overlap(const struct fp_entry *x, const struct fp_entry *y)
{
    if (!x->a_any && !y->a_any) {
        for (size_t i = 0; i < JA4_A_LEN; i++) {
            char a = x->pattern[i], b = y->pattern[i];
            if (a != '?' && b != '?' && a != b)
                return false;
        }
    }
    /* Each part starts right after the previous '_' (a '*' part is 1 long). */
    const char *xb = strchr(x->pattern, '_') + 1, *yb = strchr(y->pattern, '_') + 1;
    if (!x->b_any && !y->b_any && memcmp(xb, yb, JA4_HASH_LEN) != 0)
        return false;
    const char *xc = strchr(xb, '_') + 1, *yc = strchr(yb, '_') + 1;
    if (!x->c_any && !y->c_any && memcmp(xc, yc, JA4_HASH_LEN) != 0)
        return false;
    return true;
}

static int cmp_exact(const void *a, const void *b)
{
    return strcmp(((const struct fp_entry *)a)->pattern, ((const struct fp_entry *)b)->pattern);
}

static int cmp_wild(const void *a, const void *b)
{
    const struct fp_entry *x = a, *y = b;
    if (x->specificity != y->specificity)
        return x->specificity > y->specificity ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* The client label: the rest of the line, blanks around it dropped and
 * tabs made spaces, into client (FP_CLIENT_MAX bytes). NULL or why not. */
static const char *parse_client(const char *p, char *client)
{
    skip_space(&p);
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n >= FP_CLIENT_MAX)
        return "client label longer than 63 bytes";
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\t') {
            client[i] = ' '; /* a tab between words is a blank like any other */
            continue;
        }
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return "control character in the client label";
        client[i] = p[i];
    }
    client[n] = '\0';
    return NULL;
}

/* Parses one line (comment and line end already cut). Returns 0 (entry added
 * or blank line) or -1 after reporting file:line: why to dg. */
static int parse_line(struct diag *dg, const char *path, unsigned line, const char *text,
                      struct fp_list *list)
{
    struct fp_entry e;
    char why_buf[160];
    const char *why = NULL;
    const char *p = text, *tok;
    size_t n;

    memset(&e, 0, sizeof(e));
    e.line = line;
    n = take_token(&p, &tok);
    if (n == 0)
        return 0;
    why = check_family(tok, n);
    if (why != NULL)
        goto fail;
    memcpy(e.family, tok, n);
    e.family[n] = '\0';

    n = take_token(&p, &tok);
    if (n == 0) {
        why = "a family needs a JA4 pattern after it";
        goto fail;
    }
    why = parse_pattern(tok, n, &e, why_buf, sizeof(why_buf));
    if (why != NULL)
        goto fail;

    why = parse_client(p, e.client);
    if (why != NULL)
        goto fail;
    if (list->n == FP_MAX_ENTRIES) {
        why = "more than 65536 entries";
        goto fail;
    }
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
    }
    list->v[list->n++] = e;
    return 0;
fail:
    diag_error(dg, path, line, "%s", why);
    return -1;
}

/* Warns about patterns of one specificity that a JA4 can match both of with
 * different families: the earlier line wins, which may not be what was meant. */
static void warn_overlaps(struct diag *dg, const char *path, const struct fingerprints *fp)
{
    if (fp->n_wild > OVERLAP_CHECK_MAX)
        return;
    for (size_t i = 0; i < fp->n_wild; i++) {
        const struct fp_entry *x = &fp->wild[i];
        for (size_t j = i + 1; j < fp->n_wild && fp->wild[j].specificity == x->specificity; j++) {
            const struct fp_entry *y = &fp->wild[j];
            if (strcmp(x->family, y->family) != 0 && overlap(x, y))
                diag_warn(dg, path, y->line,
                          "'%s' (%s) and line %u '%s' (%s) can match the same JA4; line %u wins",
                          y->pattern, y->family, x->line, x->pattern, x->family, x->line);
        }
    }
}

struct fp_dup {
    unsigned line, first;
    const char *pattern;
};

static int cmp_by_pattern(const void *a, const void *b)
{
    const struct fp_entry *x = a, *y = b;
    int c = strcmp(x->pattern, y->pattern);
    if (c != 0)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_dup(const void *a, const void *b)
{
    const struct fp_dup *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts the list by pattern and reports every repeated pattern, in line
 * order. Returns how many there were. */
static int report_duplicates(struct diag *dg, const char *path, struct fp_list *list)
{
    struct fp_dup *dups;
    size_t nd = 0;

    if (list->n < 2)
        return 0;
    qsort(list->v, list->n, sizeof(*list->v), cmp_by_pattern);
    dups = xcalloc(list->n, sizeof(*dups));
    for (size_t i = 1, first = 0; i < list->n; i++) {
        if (strcmp(list->v[i].pattern, list->v[first].pattern) != 0) {
            first = i;
            continue;
        }
        dups[nd].line = list->v[i].line;
        dups[nd].first = list->v[first].line;
        dups[nd].pattern = list->v[i].pattern;
        nd++;
    }
    qsort(dups, nd, sizeof(*dups), cmp_dup);
    for (size_t i = 0; i < nd; i++)
        diag_error(dg, path, dups[i].line, "duplicate pattern '%s', first at line %u",
                   dups[i].pattern, dups[i].first);
    free(dups);
    return (int)nd;
}

/* Parses the lines of text (len bytes): a line longer than LINE_MAX_BYTES - 1
 * bytes or holding a NUL byte is an error; a '\r' before the line end and
 * comments are cut. Entries go to list; returns how many lines were bad. */
static int parse_lines(struct diag *dg, const char *name, const char *text, size_t len,
                       struct fp_list *list)
{
    char buf[LINE_MAX_BYTES];
    const char *p = text, *end = text + len;
    unsigned line = 0;
    int errors = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        size_t n = (size_t)(eol - p);
        const char *start = p;
        p = eol < end ? eol + 1 : end;
        if (n > LINE_MAX_BYTES - 1) {
            diag_error(dg, name, line, "line longer than %d bytes", LINE_MAX_BYTES - 1);
            errors++;
            continue;
        }
        if (memchr(start, '\0', n) != NULL) {
            diag_error(dg, name, line, "NUL byte in the line");
            errors++;
            continue;
        }
        if (n > 0 && start[n - 1] == '\r')
            n--;
        memcpy(buf, start, n);
        buf[n] = '\0';
        char *hash = strchr(buf, '#');
        if (hash != NULL)
            *hash = '\0';
        if (parse_line(dg, name, line, buf, list) < 0)
            errors++;
    }
    return errors;
}

/* The table of the listed entries: exact JA4s sorted for binary search,
 * patterns most specific first. */
static struct fingerprints *build_table(const struct fp_list *list)
{
    struct fingerprints *fp = xcalloc(1, sizeof(*fp));
    for (size_t i = 0; i < list->n; i++) {
        if (is_exact(&list->v[i]))
            fp->n_exact++;
        else
            fp->n_wild++;
    }
    fp->exact = xcalloc(fp->n_exact ? fp->n_exact : 1, sizeof(*fp->exact));
    fp->wild = xcalloc(fp->n_wild ? fp->n_wild : 1, sizeof(*fp->wild));
    size_t ne = 0, nw = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (is_exact(&list->v[i]))
            fp->exact[ne++] = list->v[i];
        else
            fp->wild[nw++] = list->v[i];
    }
    qsort(fp->exact, fp->n_exact, sizeof(*fp->exact), cmp_exact);
    qsort(fp->wild, fp->n_wild, sizeof(*fp->wild), cmp_wild);
    return fp;
}

int fingerprint_load_buffer(const char *name, const char *text, size_t len, struct diag *dg,
                            struct fingerprints **out)
{
    struct fp_list list = { 0 };
    *out = NULL;
    if (name == NULL)
        name = "(fingerprints)";
    int errors = parse_lines(dg, name, text, len, &list);
    errors += report_duplicates(dg, name, &list);
    if (errors == 0) {
        *out = build_table(&list);
        warn_overlaps(dg, name, *out);
    }
    free(list.v);
    return errors;
}

int fingerprint_load(const char *path, struct diag *dg, struct fingerprints **out)
{
    char *buf;
    size_t len;
    *out = NULL;
    if (diag_read_file(dg, path, FP_FILE_MAX, "a fingerprint table", &buf, &len) != 0)
        return -1;
    int rc = fingerprint_load_buffer(path, buf, len, dg, out);
    free(buf);
    return rc;
}

void fingerprint_free(struct fingerprints *fp)
{
    if (fp == NULL)
        return;
    free(fp->exact);
    free(fp->wild);
    free(fp);
}

static bool wild_match(const struct fp_entry *e, const char *ja4)
{
    const char *p = e->pattern;
    if (e->a_any) {
        p += 2; /* "*_" */
    } else {
        for (size_t i = 0; i < JA4_A_LEN; i++)
            if (p[i] != '?' && p[i] != ja4[i])
                return false;
        p += JA4_A_LEN + 1;
    }
    if (e->b_any) {
        p += 2;
    } else {
        if (memcmp(p, ja4 + JA4_A_LEN + 1, JA4_HASH_LEN) != 0)
            return false;
        p += JA4_HASH_LEN + 1;
    }
    return e->c_any || memcmp(p, ja4 + JA4_A_LEN + JA4_HASH_LEN + 2, JA4_HASH_LEN) == 0;
}

static const struct fp_entry *find(const struct fingerprints *fp, const char *ja4)
{
    char key[JA4_LEN + 1];

    if (fp == NULL || ja4 == NULL)
        return NULL;
    /* Only a well-formed JA4 can match; anything else is unknown. */
    for (size_t i = 0; i < JA4_LEN; i++) {
        char c = ascii_lower(ja4[i]);
        if (c == '\0')
            return NULL;
        if (i == JA4_A_LEN || i == JA4_A_LEN + JA4_HASH_LEN + 1) {
            if (c != '_')
                return NULL;
        } else if (!is_lower_alnum(c)) {
            return NULL;
        }
        key[i] = c;
    }
    if (ja4[JA4_LEN] != '\0')
        return NULL;
    key[JA4_LEN] = '\0';

    size_t lo = 0, hi = fp->n_exact;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, fp->exact[mid].pattern);
        if (c == 0)
            return &fp->exact[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = 0; i < fp->n_wild; i++)
        if (wild_match(&fp->wild[i], key))
            return &fp->wild[i];
    return NULL;
}

int fingerprint_match(const struct fingerprints *fp, const char *ja4, const char **family,
                      const char **client)
{
    const struct fp_entry *e = find(fp, ja4);
    if (family != NULL)
        *family = e ? e->family : FP_UNKNOWN;
    if (client != NULL)
        *client = e ? e->client : "";
    return e ? 0 : -1;
}

const char *fingerprint_family(const struct fingerprints *fp, const char *ja4)
{
    const struct fp_entry *e = find(fp, ja4);
    return e ? e->family : FP_UNKNOWN;
}

bool fingerprint_family_known(const struct fingerprints *fp, const char *family)
{
    if (family == NULL)
        return false;
    if (strcmp(family, FP_UNKNOWN) == 0)
        return true;
    if (fp == NULL)
        return false;
    for (size_t i = 0; i < fp->n_exact; i++)
        if (strcmp(fp->exact[i].family, family) == 0)
            return true;
    for (size_t i = 0; i < fp->n_wild; i++)
        if (strcmp(fp->wild[i].family, family) == 0)
            return true;
    return false;
}

size_t fingerprint_count(const struct fingerprints *fp)
{
    return fp ? fp->n_exact + fp->n_wild : 0;
}
