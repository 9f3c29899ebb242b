/* Fuzz target for the fingerprint table loader and matcher: the input is a
 * fingerprints.conf. A refused table comes back as a count of errors, each
 * reported, and no table. A table that loads must give every entry's family
 * to a JA4 made from the entry's own pattern (each '?' of part a replaced by
 * '0', each '*' part by a fixed value): the entry or a more specific one
 * matches it. Every line's second word is also
 * looked up as a (hostile) JA4. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/diag.h"
#include "ds/fingerprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JA4_LEN 36

static void quiet(void *ctx, enum diag_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

/* Fills a JA4 from a pattern the loader accepted (three parts a_b_c). */
static void instantiate(const char *pat, size_t n, char ja4[JA4_LEN + 1])
{
    static const char *const any[3] = { "t13d1516h2", "000000000000", "000000000000" };
    size_t o = 0, part = 0, start = 0;
    for (size_t i = 0; i <= n && part < 3; i++) {
        if (i < n && pat[i] != '_')
            continue;
        size_t len = i - start;
        if (len == 1 && pat[start] == '*') {
            size_t al = strlen(any[part]);
            memcpy(ja4 + o, any[part], al);
            o += al;
        } else {
            for (size_t k = 0; k < len && o < JA4_LEN; k++) {
                char c = pat[start + k];
                ja4[o++] = c == '?' ? '0' : c;
            }
        }
        if (part < 2 && o < JA4_LEN)
            ja4[o++] = '_';
        part++;
        start = i + 1;
    }
    ja4[o < JA4_LEN ? o : JA4_LEN] = '\0';
}

/* The first two blank-separated words of a line (comment cut). */
static size_t words(const char *line, const char **w, size_t *wl)
{
    size_t nw = 0;
    const char *p = line;
    while (nw < 2) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\0' || *p == '#')
            break;
        w[nw] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#')
            p++;
        wl[nw] = (size_t)(p - w[nw]);
        nw++;
    }
    return nw;
}

static void check_line(const struct fingerprints *fp, const char *line)
{
    const char *w[2];
    size_t wl[2];
    size_t nw = words(line, w, wl);
    if (nw < 2)
        return;
    char word[1024];
    memcpy(word, w[1], wl[1]);
    word[wl[1]] = '\0';
    const char *family, *client;
    (void)fingerprint_match(fp, word, &family, &client);
    if (family == NULL || client == NULL)
        abort();
    if (fp == NULL)
        return;
    /* The table loaded, so this line was an entry: its family is known and
     * its own pattern, made a JA4, is not unknown. */
    memcpy(word, w[0], wl[0]);
    word[wl[0]] = '\0';
    if (!fingerprint_family_known(fp, word))
        abort();
    char ja4[JA4_LEN + 1];
    char low[JA4_LEN + 1];
    if (wl[1] > JA4_LEN)
        abort();
    for (size_t i = 0; i < wl[1]; i++)
        low[i] = w[1][i] >= 'A' && w[1][i] <= 'Z' ? (char)(w[1][i] - 'A' + 'a') : w[1][i];
    instantiate(low, wl[1], ja4);
    if (fingerprint_match(fp, ja4, NULL, NULL) != 0)
        abort(); /* (a family may be called "unknown": ask for the match) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fingerprints *fp = NULL;
    struct diag dg;
    diag_init(&dg);
    diag_set_fn(&dg, quiet, NULL);
    int rc = fingerprint_load_buffer("fuzz.conf", (const char *)data, size, &dg, &fp);
    diag_finish(&dg);
    if (rc < 0 || (rc == 0) != (fp != NULL) || diag_errors(&dg) != (unsigned)rc)
        abort();
    if (fp != NULL && fingerprint_count(fp) > size)
        abort();

    /* Each line of the input, as the loader cuts it. */
    char line[1024];
    size_t off = 0;
    while (off < size) {
        const uint8_t *eol = memchr(data + off, '\n', size - off);
        size_t len = eol ? (size_t)(eol - (data + off)) : size - off;
        size_t k = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
        memcpy(line, data + off, k);
        line[k] = '\0';
        check_line(fp, line);
        off += len + 1;
    }
    fingerprint_free(fp);
    return 0;
}
