/* The AI service catalogue: parses rules/ai-services.conf and answers, once
 * per flow, "which provider and service is this SNI / server address".
 *
 * Lookups are built for a catalogue of hundreds of patterns and a hostile
 * SNI: one pass over the name (at most 253 bytes) lower-cases and validates
 * it and computes, right to left, the hash of every label suffix; exact names
 * and "*." suffixes are then hash probes, and only the short list of
 * label-wildcard patterns is compared, and only against names with the same
 * number of labels. CIDR entries sit in one hash keyed by (prefix length,
 * masked address), probed once per distinct prefix length, longest first. */
#include "ds/catalog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/diag.h"
#include "ds/hash.h"
#include "ds/util.h"

#define CAT_NAME_MAX 253          /* longest DNS name, trailing dot excluded */
#define CAT_LABEL_MAX 63
#define CAT_LABELS_MAX 127        /* 253 bytes of one-byte labels and dots */
#define CAT_TOKEN_MAX 32          /* provider and service names */
#define CAT_LINE_MAX 4096
#define CAT_FIELDS_MAX 8
#define CAT_FILE_MAX (16u << 20)  /* a catalogue is kilobytes; refuse nonsense */
#define CAT_ENTRIES_MAX 100000

#define CAT_SEED 0u               /* seed.h's fixed catalog seed: plain FNV-1a */

struct entry {
    struct catalog_entry pub;
    int provider;                 /* index in cat->prov */
    unsigned line;
};

/* A label-wildcard pattern: as many labels as the names it matches. */
struct wild {
    int idx;
    const char *pat;              /* the entry's normalised pattern */
    size_t len;
    unsigned nlabels;
    size_t literal;               /* bytes other than '*': more is more specific */
};

/* Open addressing over string keys that live in the entries. */
struct hslot {
    const char *key;              /* NULL: empty */
    uint32_t len;
    uint32_t hash;
    int32_t idx;
};

struct htab {
    struct hslot *slots;
    size_t mask;                  /* capacity - 1; capacity is a power of two */
    size_t used;
};

#define CIDR_KEY 17               /* prefix length (IPv4-mapped space), masked address */

struct cslot {
    uint8_t key[CIDR_KEY];
    bool used;
    int32_t idx;
};

struct catalog {
    struct entry *e;
    size_t n, cap;
    char **prov;
    size_t nprov, provcap;
    struct htab exact;            /* "api.openai.com" */
    struct htab suffix;           /* "openai.azure.com" for "*.openai.azure.com" */
    struct wild *wild;
    size_t nwild, wildcap;
    struct cslot *ctab;
    size_t cmask, cused;
    uint8_t lens[129];            /* distinct CIDR prefix lengths, longest first */
    size_t nlens;
    uint32_t seed;                /* of the name and CIDR hashes (seed.h) */
};

struct parser {
    const char *name;
    unsigned line;
    unsigned errors;
    struct catalog *cat;
    struct diag *dg;              /* where errors go */
};

__attribute__((format(printf, 2, 3)))
static void perr(struct parser *ps, const char *fmt, ...)
{
    ps->errors++;
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(ps->dg, DIAG_ERROR, ps->name, ps->line, fmt, ap);
    va_end(ap);
}

/* ---- hashing ---------------------------------------------------------- */

/* Names hash last byte to first (ds_fnv1a32_rev), so that a name's suffix
 * hashes all come out of one right-to-left pass (suffix_hashes); CIDR keys
 * first to last (ds_fnv1a32). The seed is the run's (seed.h): the SNI a
 * lookup hashes is the attacker's. The tables are open-addressed, filled
 * only from the catalogue file and kept at most half full, so the probes of
 * one lookup are bounded by the longest run of the catalogue's own keys,
 * whatever is looked up: no chain grows with traffic, and no cap is needed. */

static int htab_find(const struct htab *t, const char *key, size_t len, uint32_t hash)
{
    if (t->slots == NULL)
        return -1;
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const struct hslot *s = &t->slots[i];
        if (s->key == NULL)
            return -1;
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
            return s->idx;
    }
}

static void htab_put(struct hslot *slots, size_t mask, const struct hslot *in)
{
    size_t i = in->hash & mask;
    while (slots[i].key != NULL)
        i = (i + 1) & mask;
    slots[i] = *in;
}

/* Inserts a key known to be absent; keeps the load at most one half. */
static void htab_add(struct htab *t, uint32_t seed, const char *key, size_t len, int idx)
{
    if (t->slots == NULL || (t->used + 1) * 2 > t->mask + 1) {
        size_t cap = t->slots ? (t->mask + 1) * 2 : 64;
        struct hslot *ns = xcalloc(cap, sizeof(*ns));
        if (t->slots != NULL) {
            for (size_t i = 0; i <= t->mask; i++)
                if (t->slots[i].key != NULL)
                    htab_put(ns, cap - 1, &t->slots[i]);
            free(t->slots);
        }
        t->slots = ns;
        t->mask = cap - 1;
    }
    struct hslot s = { key, (uint32_t)len, ds_fnv1a32_rev(seed, key, len), idx };
    htab_put(t->slots, t->mask, &s);
    t->used++;
}

static int ctab_find(const struct catalog *cat, const uint8_t key[CIDR_KEY])
{
    if (cat->ctab == NULL)
        return -1;
    for (size_t i = ds_fnv1a32(cat->seed, key, CIDR_KEY) & cat->cmask;; i = (i + 1) & cat->cmask) {
        const struct cslot *s = &cat->ctab[i];
        if (!s->used)
            return -1;
        if (memcmp(s->key, key, CIDR_KEY) == 0)
            return s->idx;
    }
}

static void ctab_put(struct cslot *tab, size_t mask, uint32_t seed, const struct cslot *in)
{
    size_t i = ds_fnv1a32(seed, in->key, CIDR_KEY) & mask;
    while (tab[i].used)
        i = (i + 1) & mask;
    tab[i] = *in;
}

static void ctab_add(struct catalog *cat, const uint8_t key[CIDR_KEY], int idx)
{
    if (cat->ctab == NULL || (cat->cused + 1) * 2 > cat->cmask + 1) {
        size_t cap = cat->ctab ? (cat->cmask + 1) * 2 : 16;
        struct cslot *nt = xcalloc(cap, sizeof(*nt));
        if (cat->ctab != NULL) {
            for (size_t i = 0; i <= cat->cmask; i++)
                if (cat->ctab[i].used)
                    ctab_put(nt, cap - 1, cat->seed, &cat->ctab[i]);
            free(cat->ctab);
        }
        cat->ctab = nt;
        cat->cmask = cap - 1;
    }
    struct cslot s;
    memcpy(s.key, key, CIDR_KEY);
    s.used = true;
    s.idx = idx;
    ctab_put(cat->ctab, cat->cmask, cat->seed, &s);
    cat->cused++;

    /* Keep the distinct lengths sorted longest first for the lookup walk. */
    uint8_t plen = key[0];
    size_t i = 0;
    while (i < cat->nlens && cat->lens[i] > plen)
        i++;
    if (i < cat->nlens && cat->lens[i] == plen)
        return;
    memmove(&cat->lens[i + 1], &cat->lens[i], cat->nlens - i);
    cat->lens[i] = plen;
    cat->nlens++;
}

/* ---- entries ---------------------------------------------------------- */

static int provider_intern(struct catalog *cat, const char *name, size_t len)
{
    for (size_t i = 0; i < cat->nprov; i++)
        if (strlen(cat->prov[i]) == len && memcmp(cat->prov[i], name, len) == 0)
            return (int)i;
    if (cat->nprov == cat->provcap) {
        cat->provcap = cat->provcap ? cat->provcap * 2 : 16;
        cat->prov = xrealloc(cat->prov, cat->provcap * sizeof(*cat->prov));
    }
    char *s = xmalloc(len + 1);
    memcpy(s, name, len);
    s[len] = '\0';
    cat->prov[cat->nprov] = s;
    return (int)cat->nprov++;
}

static char *dup_token(const char *s, size_t len)
{
    char *d = xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static int entry_add(struct catalog *cat, const char *prov, size_t prov_len, const char *svc,
                     size_t svc_len, const char *pattern, size_t pat_len, unsigned line)
{
    if (cat->n == cat->cap) {
        cat->cap = cat->cap ? cat->cap * 2 : 64;
        cat->e = xrealloc(cat->e, cat->cap * sizeof(*cat->e));
    }
    struct entry *e = &cat->e[cat->n];
    e->provider = provider_intern(cat, prov, prov_len);
    e->pub.provider = cat->prov[e->provider];
    e->pub.service = dup_token(svc, svc_len);
    e->pub.pattern = dup_token(pattern, pat_len);
    e->line = line;
    return (int)cat->n++;
}

/* ---- parsing ---------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace-separated token of [*p, end); advances *p. */
static bool next_token(const char **p, const char *end, const char **tok, size_t *len)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    if (s == end) {
        *p = s;
        return false;
    }
    const char *t = s;
    while (t < end && !is_space(*t))
        t++;
    *tok = s;
    *len = (size_t)(t - s);
    *p = t;
    return true;
}

/* Provider and service names go into events and counter names. */
static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > CAT_TOKEN_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

enum pat_kind { PAT_EXACT, PAT_SUFFIX, PAT_WILD };

/* A host pattern as parsed: its normalised text and what the tables need. */
struct host_pattern {
    char text[CAT_NAME_MAX + 1];  /* lower case, no trailing dot */
    size_t len;
    enum pat_kind kind;
    unsigned labels;
    unsigned stars;
    unsigned last_star_label;     /* index of the last label holding a '*' */
};

/* How much of a bad token a message quotes. */
static int shown_len(size_t len)
{
    return len > 80 ? 80 : (int)len;
}

/* The pattern's bytes: 1 to 253 of them once a trailing dot is dropped,
 * host characters or '*', lower-cased into hp->text. 0 or -1 (reported). */
static int pattern_chars(struct parser *ps, const char *tok, size_t len, struct host_pattern *hp)
{
    int shown = shown_len(len);
    size_t n = len;
    if (n > 0 && tok[n - 1] == '.')
        n--;
    if (n == 0 || n > CAT_NAME_MAX) {
        perr(ps, "bad host pattern '%.*s': length must be 1 to %d", shown, tok, CAT_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = tok[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!host_char(c) && c != '*') {
            perr(ps, "bad host pattern '%.*s': character 0x%02x is not allowed (letters, digits, "
                 "'-', '_', '.', '*')", shown, tok, (unsigned char)tok[i]);
            return -1;
        }
        hp->text[i] = c;
    }
    hp->text[n] = '\0';
    hp->len = n;
    return 0;
}

/* Labels: non-empty, at most 63 bytes, at most one '*' each; counts them
 * and the '*'s. 0 or -1 (reported). */
static int pattern_labels(struct parser *ps, const char *tok, size_t len, struct host_pattern *hp)
{
    int shown = shown_len(len);
    const char *out = hp->text;
    size_t start = 0;
    hp->labels = hp->stars = hp->last_star_label = 0;
    for (size_t i = 0; i <= hp->len; i++) {
        if (i < hp->len && out[i] != '.')
            continue;
        size_t ll = i - start;
        if (ll == 0) {
            perr(ps, "bad host pattern '%.*s': empty label", shown, tok);
            return -1;
        }
        if (ll > CAT_LABEL_MAX) {
            perr(ps, "bad host pattern '%.*s': label longer than %d", shown, tok, CAT_LABEL_MAX);
            return -1;
        }
        unsigned in_label = 0;
        for (size_t j = start; j < i; j++)
            in_label += out[j] == '*';
        if (in_label > 1) {
            perr(ps, "bad host pattern '%.*s': at most one '*' per label", shown, tok);
            return -1;
        }
        if (in_label)
            hp->last_star_label = hp->labels;
        hp->stars += in_label;
        hp->labels++;
        start = i + 1;
    }
    return 0;
}

/* Exact (no '*'), a "*." suffix, or label wildcards; a pattern that would
 * match too much (fewer than two literal labels at the right) is refused.
 * 0 or -1 (reported). */
static int pattern_kind(struct parser *ps, const char *tok, size_t len, struct host_pattern *hp)
{
    int shown = shown_len(len);
    if (hp->stars == 0) {
        hp->kind = PAT_EXACT;
    } else if (hp->text[0] == '*' && hp->len > 1 && hp->text[1] == '.') {
        if (hp->stars > 1) {
            perr(ps, "bad host pattern '%.*s': a leading '*.' cannot be combined with another '*'",
                 shown, tok);
            return -1;
        }
        if (hp->labels < 3) {
            perr(ps, "bad host pattern '%.*s': too broad, name at least two labels after '*.'",
                 shown, tok);
            return -1;
        }
        hp->kind = PAT_SUFFIX;
    } else {
        if (hp->labels < 3 || hp->last_star_label + 2 >= hp->labels) {
            perr(ps, "bad host pattern '%.*s': too broad, the last two labels must be literal",
                 shown, tok);
            return -1;
        }
        hp->kind = PAT_WILD;
    }
    return 0;
}

/* Validates a host pattern and writes its normalised form and kind to hp.
 * 0 or -1 (reported). */
static int parse_host(struct parser *ps, const char *tok, size_t len, struct host_pattern *hp)
{
    if (pattern_chars(ps, tok, len, hp) != 0 || pattern_labels(ps, tok, len, hp) != 0 ||
        pattern_kind(ps, tok, len, hp) != 0)
        return -1;
    return 0;
}

/* Parses ADDRESS/LENGTH into a table key and its normalised text. */
static int parse_cidr(struct parser *ps, const char *tok, size_t len, uint8_t key[CIDR_KEY],
                      char *text, size_t text_len)
{
    int shown = shown_len(len);
    const char *slash = memchr(tok, '/', len);
    if (slash == NULL) {
        perr(ps, "bad CIDR '%.*s': expected ADDRESS/LENGTH", shown, tok);
        return -1;
    }
    size_t alen = (size_t)(slash - tok), llen = len - alen - 1;
    char abuf[INET6_ADDRSTRLEN + 1], lbuf[8];
    if (alen == 0 || alen >= sizeof(abuf) || llen == 0 || llen >= sizeof(lbuf)) {
        perr(ps, "bad CIDR '%.*s': expected ADDRESS/LENGTH", shown, tok);
        return -1;
    }
    memcpy(abuf, tok, alen);
    abuf[alen] = '\0';
    memcpy(lbuf, slash + 1, llen);
    lbuf[llen] = '\0';

    uint8_t a[16];
    bool v4 = memchr(abuf, ':', alen) == NULL;
    if (v4) {
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        memcpy(a, mapped, sizeof(mapped));
        if (inet_pton(AF_INET, abuf, a + 12) != 1) {
            perr(ps, "bad CIDR '%.*s': '%s' is not an IPv4 address", shown, tok, abuf);
            return -1;
        }
    } else if (inet_pton(AF_INET6, abuf, a) != 1) {
        perr(ps, "bad CIDR '%.*s': '%s' is not an IPv6 address", shown, tok, abuf);
        return -1;
    }
    uint64_t plen = 0;
    if (ds_parse_u64(lbuf, 0, v4 ? 32 : 128, &plen) != 0) {
        perr(ps, "bad CIDR '%.*s': prefix length must be 1 to %d", shown, tok, v4 ? 32 : 128);
        return -1;
    }
    if (plen == 0) {
        perr(ps, "bad CIDR '%.*s': a /0 would match every address", shown, tok);
        return -1;
    }
    unsigned bits = (unsigned)plen + (v4 ? 96u : 0u);
    uint8_t masked[16];
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
        uint8_t m = (uint8_t)(keep == 0 ? 0 : 0xffu << (8 - keep));
        masked[i] = a[i] & m;
    }
    char net[INET6_ADDRSTRLEN];
    if (v4)
        inet_ntop(AF_INET, masked + 12, net, sizeof(net));
    else
        inet_ntop(AF_INET6, masked, net, sizeof(net));
    if (memcmp(masked, a, 16) != 0) {
        perr(ps, "bad CIDR '%.*s': host bits set (the network is %s/%u)", shown, tok, net,
             (unsigned)plen);
        return -1;
    }
    key[0] = (uint8_t)bits;
    memcpy(key + 1, masked, 16);
    snprintf(text, text_len, "%s/%u", net, (unsigned)plen);
    return 0;
}

static int wild_find(const struct catalog *cat, const char *pat, size_t len)
{
    for (size_t i = 0; i < cat->nwild; i++)
        if (cat->wild[i].len == len && memcmp(cat->wild[i].pat, pat, len) == 0)
            return cat->wild[i].idx;
    return -1;
}

static void wild_add(struct catalog *cat, int idx, unsigned nlabels)
{
    if (cat->nwild == cat->wildcap) {
        cat->wildcap = cat->wildcap ? cat->wildcap * 2 : 8;
        cat->wild = xrealloc(cat->wild, cat->wildcap * sizeof(*cat->wild));
    }
    struct wild *w = &cat->wild[cat->nwild++];
    w->idx = idx;
    w->pat = cat->e[idx].pub.pattern;
    w->len = strlen(w->pat);
    w->nlabels = nlabels;
    w->literal = 0;
    for (size_t i = 0; i < w->len; i++)
        w->literal += w->pat[i] != '*';
}

/* The fields of one line: its blank-separated tokens before any '#'. */
struct fields {
    const char *tok[CAT_FIELDS_MAX];
    size_t len[CAT_FIELDS_MAX];
    size_t n;                     /* CAT_FIELDS_MAX + 1 when there were more */
};

static void split_fields(const char *p, const char *end, struct fields *f)
{
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash != NULL)
        end = hash;
    const char *t;
    size_t tl;
    f->n = 0;
    while (next_token(&p, end, &t, &tl)) {
        if (f->n == CAT_FIELDS_MAX) {
            f->n++;
            break;
        }
        f->tok[f->n] = t;
        f->len[f->n] = tl;
        f->n++;
    }
}

/* The shape every entry has: `host` or `cidr` (*is_host says which), three
 * fields, a valid provider and service name; and room for one more entry.
 * 0 or -1 (reported). */
static int check_fields(struct parser *ps, const struct fields *f, bool *is_host)
{
    const char *const *tok = f->tok;
    const size_t *len = f->len;
    bool host = len[0] == 4 && memcmp(tok[0], "host", 4) == 0;
    bool cidr = len[0] == 4 && memcmp(tok[0], "cidr", 4) == 0;
    if (!host && !cidr) {
        perr(ps, "unknown directive '%.*s' (expected 'host' or 'cidr')",
             len[0] > 40 ? 40 : (int)len[0], tok[0]);
        return -1;
    }
    if (f->n != 4) {
        perr(ps, "'%s' takes 3 fields: %s %s PROVIDER SERVICE (got %zu)", host ? "host" : "cidr",
             host ? "host" : "cidr", host ? "PATTERN" : "ADDRESS/LENGTH", f->n - 1);
        return -1;
    }
    if (!valid_name(tok[2], len[2])) {
        perr(ps, "bad provider name '%.*s': 1 to %d of a-z 0-9 '-' '_', starting with a letter "
             "or digit", len[2] > 40 ? 40 : (int)len[2], tok[2], CAT_TOKEN_MAX);
        return -1;
    }
    if (!valid_name(tok[3], len[3])) {
        perr(ps, "bad service name '%.*s': 1 to %d of a-z 0-9 '-' '_', starting with a letter "
             "or digit", len[3] > 40 ? 40 : (int)len[3], tok[3], CAT_TOKEN_MAX);
        return -1;
    }
    if (ps->cat->n >= CAT_ENTRIES_MAX) {
        perr(ps, "too many entries (at most %d)", CAT_ENTRIES_MAX);
        return -1;
    }
    *is_host = host;
    return 0;
}

/* `cidr ADDRESS/LENGTH PROVIDER SERVICE`: an entry unless the network is
 * bad or already listed. */
static void add_cidr(struct parser *ps, const struct fields *f)
{
    struct catalog *cat = ps->cat;
    uint8_t key[CIDR_KEY];
    char text[INET6_ADDRSTRLEN + 8];
    if (parse_cidr(ps, f->tok[1], f->len[1], key, text, sizeof(text)) != 0)
        return;
    int dup = ctab_find(cat, key);
    if (dup >= 0) {
        perr(ps, "duplicate CIDR %s (first on line %u)", text, cat->e[dup].line);
        return;
    }
    int idx = entry_add(cat, f->tok[2], f->len[2], f->tok[3], f->len[3], text, strlen(text),
                        ps->line);
    ctab_add(cat, key, idx);
}

/* `host PATTERN PROVIDER SERVICE`: an entry in the table of its kind unless
 * the pattern is bad or already listed. */
static void add_host(struct parser *ps, const struct fields *f)
{
    struct catalog *cat = ps->cat;
    struct host_pattern hp;
    if (parse_host(ps, f->tok[1], f->len[1], &hp) != 0)
        return;
    const char *pat = hp.text;
    size_t plen = hp.len;
    int dup = -1;
    if (hp.kind == PAT_EXACT)
        dup = htab_find(&cat->exact, pat, plen, ds_fnv1a32_rev(cat->seed, pat, plen));
    else if (hp.kind == PAT_SUFFIX)
        dup = htab_find(&cat->suffix, pat + 2, plen - 2,
                        ds_fnv1a32_rev(cat->seed, pat + 2, plen - 2));
    else
        dup = wild_find(cat, pat, plen);
    if (dup >= 0) {
        perr(ps, "duplicate host %s (first on line %u)", pat, cat->e[dup].line);
        return;
    }
    int idx = entry_add(cat, f->tok[2], f->len[2], f->tok[3], f->len[3], pat, plen, ps->line);
    const char *stored = cat->e[idx].pub.pattern;
    if (hp.kind == PAT_EXACT)
        htab_add(&cat->exact, cat->seed, stored, plen, idx);
    else if (hp.kind == PAT_SUFFIX)
        htab_add(&cat->suffix, cat->seed, stored + 2, plen - 2, idx);
    else
        wild_add(cat, idx, hp.labels);
}

/* One line of the file, [p, end) without its line end: blank, a comment,
 * or an entry (errors reported and counted). */
static void parse_line(struct parser *ps, const char *p, const char *end)
{
    if ((size_t)(end - p) > CAT_LINE_MAX) {
        perr(ps, "line longer than %d bytes", CAT_LINE_MAX);
        return;
    }
    if (memchr(p, '\0', (size_t)(end - p)) != NULL) {
        perr(ps, "NUL byte in line");
        return;
    }
    struct fields f;
    split_fields(p, end, &f);
    if (f.n == 0)
        return;
    bool is_host;
    if (check_fields(ps, &f, &is_host) != 0)
        return;
    if (is_host)
        add_host(ps, &f);
    else
        add_cidr(ps, &f);
}

int catalog_load_buffer(const char *name, const char *text, size_t len, struct diag *dg,
                        struct catalog **out)
{
    return catalog_load_buffer_seeded(name, text, len, CAT_SEED, dg, out);
}

int catalog_load_buffer_seeded(const char *name, const char *text, size_t len, uint32_t seed,
                               struct diag *dg, struct catalog **out)
{
    *out = NULL;
    struct catalog *cat = xcalloc(1, sizeof(*cat));
    cat->seed = seed;
    struct parser ps = { name ? name : "(catalogue)", 0, 0, cat, dg };
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a UTF-8 byte order mark from a Windows editor */
    while (p < end) {
        ps.line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        parse_line(&ps, p, eol);
        p = eol < end ? eol + 1 : end;
    }
    if (ps.errors > 0) {
        catalog_free(cat);
        return ps.errors > INT_MAX ? INT_MAX : (int)ps.errors;
    }
    *out = cat;
    return 0;
}

int catalog_load(const char *path, struct diag *dg, struct catalog **out)
{
    return catalog_load_seeded(path, CAT_SEED, dg, out);
}

int catalog_load_seeded(const char *path, uint32_t seed, struct diag *dg, struct catalog **out)
{
    *out = NULL;
    char *buf;
    size_t len;
    if (diag_read_file(dg, path, CAT_FILE_MAX, "a catalogue", &buf, &len) != 0)
        return -1;
    int rc = catalog_load_buffer_seeded(path, buf, len, seed, dg, out);
    free(buf);
    return rc;
}

void catalog_free(struct catalog *cat)
{
    if (cat == NULL)
        return;
    for (size_t i = 0; i < cat->n; i++) {
        free((char *)cat->e[i].pub.service);
        free((char *)cat->e[i].pub.pattern);
    }
    for (size_t i = 0; i < cat->nprov; i++)
        free(cat->prov[i]);
    free(cat->e);
    free(cat->prov);
    free(cat->exact.slots);
    free(cat->suffix.slots);
    free(cat->wild);
    free(cat->ctab);
    free(cat);
}

/* ---- matching --------------------------------------------------------- */

/* One label of a wildcard pattern against one label of the name: a '*'
 * stands for one or more bytes inside the label. */
static bool label_match(const char *pl, size_t plen, const char *nl, size_t nlen)
{
    const char *star = memchr(pl, '*', plen);
    if (star == NULL)
        return plen == nlen && memcmp(pl, nl, nlen) == 0;
    size_t pre = (size_t)(star - pl), suf = plen - pre - 1;
    return nlen >= pre + suf + 1 && memcmp(pl, nl, pre) == 0 &&
           memcmp(star + 1, nl + nlen - suf, suf) == 0;
}

static bool wild_match(const struct wild *w, const char *name, const uint8_t *loff,
                       const uint8_t *llen)
{
    const char *p = w->pat, *pend = w->pat + w->len;
    for (unsigned i = 0; i < w->nlabels; i++) {
        const char *dot = memchr(p, '.', (size_t)(pend - p));
        size_t pl = dot ? (size_t)(dot - p) : (size_t)(pend - p);
        if (!label_match(p, pl, name + loff[i], llen[i]))
            return false;
        p += pl + 1;
    }
    return true;
}

/* Lower-cases a client-sent name into name (CAT_NAME_MAX + 2 bytes) and
 * drops one trailing dot. The length, or 0 when the name is not a plain
 * ASCII host name the catalogue could list (other bytes, '*', longer than
 * 253, a leading dot). */
static size_t normalise_host(const char *host, char *name)
{
    size_t n = 0;
    for (; host[n] != '\0'; n++) {
        if (n > CAT_NAME_MAX) /* 253 bytes and a trailing dot at most */
            return 0;
        char c = host[n];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!host_char(c))
            return 0; /* non-ASCII, '*', spaces, controls: not a host name we list */
        name[n] = c;
    }
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n == 0 || n > CAT_NAME_MAX || name[0] == '.')
        return 0;
    return n;
}

/* The hashes of a name's suffixes that follow a dot, in one right-to-left
 * pass: sfx_hash[i] of the suffix starting at sfx_at[i], the shortest first
 * (at most CAT_LABELS_MAX), and *whole of the name itself. Returns how many
 * suffixes, or -1 when a label is empty. */
static int suffix_hashes(uint32_t seed, const char *name, size_t n, uint32_t *sfx_hash,
                         uint8_t *sfx_at, uint32_t *whole)
{
    unsigned nsfx = 0;
    uint32_t h = ds_fnv1a32_init(seed);
    for (size_t i = n; i-- > 0;) {
        if (name[i] == '.') {
            if (i + 1 == n || name[i + 1] == '.')
                return -1; /* empty label */
            if (nsfx < CAT_LABELS_MAX) {
                sfx_hash[nsfx] = h;
                sfx_at[nsfx] = (uint8_t)(i + 1);
                nsfx++;
            }
        }
        h = ds_fnv1a32_step(h, (uint8_t)name[i]);
    }
    *whole = h;
    return (int)nsfx;
}

/* The label-wildcard pattern of nl labels with the most literal bytes that
 * matches name (n bytes); its entry index or -1. */
static int match_wild(const struct catalog *cat, const char *name, size_t n, unsigned nl)
{
    uint8_t loff[CAT_LABELS_MAX + 1], llen[CAT_LABELS_MAX + 1];
    size_t start = 0;
    unsigned k = 0;
    for (size_t i = 0; i <= n && k < CAT_LABELS_MAX + 1; i++) {
        if (i < n && name[i] != '.')
            continue;
        loff[k] = (uint8_t)start;
        llen[k] = (uint8_t)(i - start);
        k++;
        start = i + 1;
    }
    int best = -1;
    size_t best_lit = 0;
    for (size_t i = 0; i < cat->nwild; i++) {
        const struct wild *w = &cat->wild[i];
        if (w->nlabels != nl || (best >= 0 && w->literal <= best_lit))
            continue;
        if (wild_match(w, name, loff, llen)) {
            best = w->idx;
            best_lit = w->literal;
        }
    }
    return best;
}

int catalog_match_host(const struct catalog *cat, const char *host)
{
    if (cat == NULL || host == NULL)
        return -1;
    char name[CAT_NAME_MAX + 2];
    size_t n = normalise_host(host, name);
    if (n == 0)
        return -1;
    uint32_t sfx_hash[CAT_LABELS_MAX], h;
    uint8_t sfx_at[CAT_LABELS_MAX];
    int nsfx = suffix_hashes(cat->seed, name, n, sfx_hash, sfx_at, &h);
    if (nsfx < 0)
        return -1;

    int idx = htab_find(&cat->exact, name, n, h);
    if (idx >= 0)
        return idx;
    if (cat->nwild > 0) {
        idx = match_wild(cat, name, n, (unsigned)nsfx + 1);
        if (idx >= 0)
            return idx;
    }
    /* sfx_at[] runs right to left: the last one is the longest suffix. */
    for (int i = nsfx; i-- > 0;) {
        size_t at = sfx_at[i];
        idx = htab_find(&cat->suffix, name + at, n - at, sfx_hash[i]);
        if (idx >= 0)
            return idx;
    }
    return -1;
}

int catalog_match_addr(const struct catalog *cat, const struct ds_addr *addr)
{
    if (cat == NULL || addr == NULL)
        return -1;
    uint8_t key[CIDR_KEY];
    for (size_t i = 0; i < cat->nlens; i++) {
        unsigned bits = cat->lens[i];
        key[0] = (uint8_t)bits;
        for (unsigned b = 0; b < 16; b++) {
            unsigned keep = bits >= (b + 1) * 8 ? 8 : (bits > b * 8 ? bits - b * 8 : 0);
            uint8_t m = (uint8_t)(keep == 0 ? 0 : 0xffu << (8 - keep));
            key[1 + b] = addr->a[b] & m;
        }
        int idx = ctab_find(cat, key);
        if (idx >= 0)
            return idx;
    }
    return -1;
}

const struct catalog_entry *catalog_entry(const struct catalog *cat, int idx)
{
    if (cat == NULL || idx < 0 || (size_t)idx >= cat->n)
        return NULL;
    return &cat->e[idx].pub;
}

size_t catalog_count(const struct catalog *cat)
{
    return cat ? cat->n : 0;
}

size_t catalog_providers(const struct catalog *cat, const char *const **names)
{
    if (cat == NULL) {
        *names = NULL;
        return 0;
    }
    *names = (const char *const *)cat->prov;
    return cat->nprov;
}

int catalog_provider_index(const struct catalog *cat, int idx)
{
    if (cat == NULL || idx < 0 || (size_t)idx >= cat->n)
        return -1;
    return cat->e[idx].provider;
}
