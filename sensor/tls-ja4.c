/* JA4 of a parsed ClientHello (tls-hello.h), hashed with our own SHA-256
 * (sha256.c), and its raw JA4_r form.
 *
 * JA4 follows the outputs of FoxIO's reference tool (FoxIO-LLC/ja4, the Rust
 * snapshots), where those and its written spec part ways; the cases are noted
 * where they are handled (ALPN characters, sorting without de-duplication). */
#include "ds/tls-ja4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/bytes.h"
#include "ds/sha256.h"
#include "ds/util.h"

/* A sink for the JA4 strings: a running SHA-256, or a bounded text buffer for
 * the raw (JA4_r) form. */
struct sink {
    struct sha256 *h;
    char *buf;
    size_t cap, len;
    bool full;
    /* Hashing: pieces are 4-5 bytes, so they are gathered before each
     * sha256_update call rather than hashed one by one. */
    char stage[256];
    size_t staged;
};

static void sink_flush(struct sink *s)
{
    if (s->h != NULL && s->staged > 0)
        sha256_update(s->h, s->stage, s->staged);
    s->staged = 0;
}

static void sink_put(struct sink *s, const char *p, size_t n)
{
    if (s->h != NULL) {
        if (n > sizeof(s->stage) - s->staged)
            sink_flush(s);
        memcpy(s->stage + s->staged, p, n);
        s->staged += n;
        return;
    }
    if (s->full || n >= s->cap - s->len) {
        s->full = true;
        return;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void sink_hex16(struct sink *s, uint16_t v, bool comma)
{
    static const char hx[] = "0123456789abcdef";
    char t[5] = { ',', hx[v >> 12], hx[(v >> 8) & 15], hx[(v >> 4) & 15], hx[v & 15] };
    sink_put(s, comma ? t : t + 1, comma ? 5 : 4);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* Real hellos carry a few dozen values: insertion sort beats qsort's
 * indirect calls there; qsort keeps a hostile list of thousands bounded. */
static void sort_u16(uint16_t *v, size_t n)
{
    if (n > 64) {
        qsort(v, n, sizeof(v[0]), cmp_u16);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

/* FoxIO's tool reads the ALPN value as tshark shows it (ASCII, one U+FFFD per
 * byte >= 0x80) and prints '9' for a non-ASCII character, where its spec now
 * says to print hex digits. We follow the tool, and also print '9' for ASCII
 * bytes that are not alphanumeric so the fingerprint keeps its alphabet. */
static char alpn_char(uint8_t b)
{
    if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
        return (char)b;
    return '9';
}

/* Part a: "t13d1516h2". A one-character ALPN value prints as that character
 * and '0' (FoxIO's output; its spec says the character twice). */
static void ja4_a(const struct tls_ch *c, bool quic, char a[11])
{
    const char *ver = ja4_version(c->version);
    size_t nc = c->n_ciphers > 99 ? 99 : c->n_ciphers;
    size_t ne = c->n_exts > 99 ? 99 : c->n_exts;
    char a0 = '0', a1 = '0';
    if (c->alpn_first != NULL && c->alpn_first_len > 0) {
        a0 = alpn_char(c->alpn_first[0]);
        if (c->alpn_first_len > 1)
            a1 = alpn_char(c->alpn_first[c->alpn_first_len - 1]);
    }
    a[0] = quic ? 'q' : 't';
    a[1] = ver[0];
    a[2] = ver[1];
    a[3] = c->has_sni ? 'd' : 'i';
    a[4] = (char)('0' + nc / 10);
    a[5] = (char)('0' + nc % 10);
    a[6] = (char)('0' + ne / 10);
    a[7] = (char)('0' + ne % 10);
    a[8] = a0;
    a[9] = a1;
    a[10] = '\0';
}

/* Sorts the ciphers, and the extensions without SNI and ALPN, in place (the
 * counts for part a are taken before). Duplicates are kept, as FoxIO's Rust
 * tool does (its Python tool drops them). */
static size_t ja4_sort(struct tls_ch *c)
{
    sort_u16(c->ciphers, c->n_ciphers);
    size_t n = 0;
    for (size_t i = 0; i < c->n_exts; i++)
        if (c->exts[i] != TLS_EXT_SERVER_NAME && c->exts[i] != TLS_EXT_ALPN)
            c->exts[n++] = c->exts[i];
    sort_u16(c->exts, n);
    return n;
}

static void ja4_b(const struct tls_ch *c, struct sink *s)
{
    for (size_t i = 0; i < c->n_ciphers; i++)
        sink_hex16(s, c->ciphers[i], i > 0);
}

/* Sorted extensions, then '_' and the signature algorithms in wire order;
 * no '_' when there are none. GREASE is dropped from the signature
 * algorithms as the spec says ("ignore GREASE anywhere"); FoxIO's tools keep
 * it there, but no reference capture has GREASE in that list. */
static void ja4_c(const struct tls_ch *c, size_t n_exts, struct sink *s)
{
    for (size_t i = 0; i < n_exts; i++)
        sink_hex16(s, c->exts[i], i > 0);
    struct rd r = rd_init(c->sigs, c->sigs ? c->sigs_len : 0);
    bool first = true;
    while (rd_left(&r) >= 2) {
        uint16_t v = rd_be16(&r);
        if (tls_is_grease(v))
            continue;
        if (first)
            sink_put(s, "_", 1);
        sink_hex16(s, v, !first);
        first = false;
    }
}

/* The first 12 hex digits of the digest, or twelve zeros when the list is
 * empty (JA4 spec: clearer than the hash of nothing). */
static void hash12(struct sha256 *h, bool empty, char out[13])
{
    if (empty) {
        memcpy(out, "000000000000", 13);
        return;
    }
    uint8_t d[SHA256_LEN];
    sha256_final(h, d);
    ds_hex(d, 6, out);
    out[12] = '\0';
}

void tls_ja4(struct tls_ch *c, bool quic, char out[TLS_JA4_LEN])
{
    char a[11], b[13], cc[13];
    ja4_a(c, quic, a);
    size_t n_exts = ja4_sort(c);

    struct sha256 h;
    struct sink s = { .h = &h };
    sha256_init(&h);
    ja4_b(c, &s);
    sink_flush(&s);
    hash12(&h, c->n_ciphers == 0, b);
    sha256_init(&h);
    ja4_c(c, n_exts, &s);
    sink_flush(&s);
    hash12(&h, n_exts == 0, cc);
    snprintf(out, TLS_JA4_LEN, "%s_%s_%s", a, b, cc);
}

int tls_ja4_raw_ch(struct tls_ch *c, bool quic, char *buf, size_t buflen)
{
    buf[0] = '\0';
    char a[11];
    ja4_a(c, quic, a);
    size_t n_exts = ja4_sort(c);
    struct sink s = { .buf = buf, .cap = buflen };
    sink_put(&s, a, 10);
    sink_put(&s, "_", 1);
    ja4_b(c, &s);
    sink_put(&s, "_", 1);
    ja4_c(c, n_exts, &s);
    if (s.full) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}
