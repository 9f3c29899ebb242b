/* TLS ClientHello: reassembly of the client's first bytes over TCP, parsing of
 * the ClientHello, and its JA4 fingerprint.
 *
 * JA4 follows the outputs of FoxIO's reference tool (FoxIO-LLC/ja4, the Rust
 * snapshots), where those and its written spec part ways; the cases are noted
 * where they are handled (ALPN characters, sorting without de-duplication).
 * Every length on the wire is hostile: all reads go through ds/bytes.h. */
#include "ds/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/bytes.h"
#include "ds/pool.h"
#include "ds/sha256.h"
#include "ds/util.h"

#define REC_HANDSHAKE 0x16
#define REC_HDR 5
#define REC_MAX 16384      /* RFC 8446 5.1: a plaintext record carries at most 2^14 bytes */
#define HS_HDR 4
#define HS_CLIENT_HELLO 1

#define EXT_SERVER_NAME 0x0000
#define EXT_SIG_ALGS 0x000d
#define EXT_ALPN 0x0010
#define EXT_SUPPORTED_VERSIONS 0x002b

/* A message of TLS_HELLO_MAX bytes holds at most this many cipher suites
 * (2 bytes each) and extensions (4 bytes each at least). */
#define CH_MAX_CIPHERS (TLS_HELLO_MAX / 2)
#define CH_MAX_EXTS (TLS_HELLO_MAX / 4)

/* What JA4 needs from a ClientHello, with pointers into the message. */
struct ch {
    uint16_t legacy_version;
    uint16_t version;            /* highest non-GREASE supported_version, else legacy */
    bool has_sni;                /* extension 0 present, whatever it holds */
    const uint8_t *alpn_first;   /* first ALPN protocol name, NULL if none */
    size_t alpn_first_len;
    const uint8_t *alpn_list;    /* protocol_name_list, len-prefixed entries */
    size_t alpn_list_len;
    const uint8_t *host;         /* first host_name of the SNI list, NULL if none */
    size_t host_len;
    const uint8_t *sigs;         /* first signature_algorithms list (0x000d only) */
    size_t sigs_len;
    size_t n_ciphers, n_exts;    /* GREASE excluded */
    uint16_t ciphers[CH_MAX_CIPHERS];
    uint16_t exts[CH_MAX_EXTS];
};

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* server_name (RFC 6066 3): the list must fill the extension exactly; the
 * first host_name entry is kept. An empty extension (the server's form) is
 * tolerated: it still marks the hello 'd' for JA4, as in FoxIO's tool. */
static int ch_sni(struct ch *c, struct rd ext)
{
    if (rd_left(&ext) == 0)
        return 0;
    uint16_t list_len = rd_be16(&ext);
    if (ext.bad || list_len != rd_left(&ext))
        return -1;
    while (rd_left(&ext) > 0) {
        uint8_t type = rd_u8(&ext);
        uint16_t n = rd_be16(&ext);
        const uint8_t *name = rd_bytes(&ext, n);
        if (ext.bad)
            return -1;
        if (type == 0 && c->host == NULL) {
            c->host = name;
            c->host_len = n;
        }
    }
    return 0;
}

/* ALPN (RFC 7301 3.1): a list of 1-byte-length-prefixed names that fills
 * the extension exactly. Empty names are tolerated (FoxIO then prints 00). */
static int ch_alpn(struct ch *c, struct rd ext)
{
    uint16_t list_len = rd_be16(&ext);
    if (ext.bad || list_len != rd_left(&ext))
        return -1;
    const uint8_t *list = ext.p + ext.off;
    bool first = true;
    while (rd_left(&ext) > 0) {
        uint8_t n = rd_u8(&ext);
        const uint8_t *name = rd_bytes(&ext, n);
        if (ext.bad)
            return -1;
        if (first) {
            c->alpn_first = name;
            c->alpn_first_len = n;
            first = false;
        }
    }
    c->alpn_list = list;
    c->alpn_list_len = list_len;
    return 0;
}

/* supported_versions in a ClientHello (RFC 8446 4.2.1): 1-byte length, then
 * versions. The highest non-GREASE one is the version JA4 reports. */
static int ch_versions(struct ch *c, struct rd ext)
{
    uint8_t n = rd_u8(&ext);
    if (ext.bad || n != rd_left(&ext) || n % 2 != 0)
        return -1;
    uint16_t best = 0;
    bool any = false;
    while (rd_left(&ext) > 0) {
        uint16_t v = rd_be16(&ext);
        if (is_grease(v))
            continue;
        if (!any || v > best)
            best = v;
        any = true;
    }
    if (any)
        c->version = best;
    return 0;
}

/* signature_algorithms (RFC 8446 4.2.3). JA4 takes them from this extension
 * only (not from signature_algorithms_cert 0x0032 or delegated credentials). */
static int ch_sigs(struct ch *c, struct rd ext)
{
    uint16_t n = rd_be16(&ext);
    if (ext.bad || n != rd_left(&ext) || n % 2 != 0)
        return -1;
    if (c->sigs == NULL) {
        c->sigs = ext.p + ext.off;
        c->sigs_len = n;
    }
    return 0;
}

/* Parses a whole ClientHello handshake message into *c. The message must
 * be well formed down to the extensions JA4 reads; its lengths must nest. */
static int ch_parse(const uint8_t *msg, size_t len, struct ch *c)
{
    memset(c, 0, offsetof(struct ch, ciphers));
    struct rd r = rd_init(msg, len);
    uint8_t type = rd_u8(&r);
    uint32_t body_len = rd_be24(&r);
    if (r.bad || type != HS_CLIENT_HELLO || HS_HDR + (size_t)body_len > TLS_HELLO_MAX)
        return -1;
    struct rd b = rd_sub(&r, body_len);
    c->legacy_version = rd_be16(&b);
    c->version = c->legacy_version;
    rd_skip(&b, 32); /* random */
    uint8_t sid_len = rd_u8(&b);
    rd_skip(&b, sid_len);
    uint16_t cs_len = rd_be16(&b);
    struct rd cs = rd_sub(&b, cs_len);
    uint8_t comp_len = rd_u8(&b);
    rd_skip(&b, comp_len);
    if (b.bad || cs_len % 2 != 0)
        return -1;
    while (rd_left(&cs) > 0) {
        uint16_t v = rd_be16(&cs);
        if (!is_grease(v))
            c->ciphers[c->n_ciphers++] = v;
    }

    /* Before TLS 1.2 a hello may end here, without an extensions block. */
    if (rd_left(&b) == 0)
        return 0;
    uint16_t exts_len = rd_be16(&b);
    struct rd exts = rd_sub(&b, exts_len);
    /* Bytes after the extensions block are a decode error (OpenSSL agrees). */
    if (b.bad || rd_left(&b) != 0)
        return -1;
    bool seen_sni = false, seen_alpn = false, seen_versions = false;
    while (rd_left(&exts) > 0) {
        uint16_t type16 = rd_be16(&exts);
        uint16_t n = rd_be16(&exts);
        struct rd ext = rd_sub(&exts, n);
        if (exts.bad)
            return -1;
        if (is_grease(type16))
            continue;
        c->exts[c->n_exts++] = type16;
        int rc = 0;
        switch (type16) {
        case EXT_SERVER_NAME:
            c->has_sni = true;
            if (!seen_sni)
                rc = ch_sni(c, ext);
            seen_sni = true;
            break;
        case EXT_ALPN:
            if (!seen_alpn)
                rc = ch_alpn(c, ext);
            seen_alpn = true;
            break;
        case EXT_SUPPORTED_VERSIONS:
            if (!seen_versions)
                rc = ch_versions(c, ext);
            seen_versions = true;
            break;
        case EXT_SIG_ALGS:
            rc = ch_sigs(c, ext);
            break;
        default:
            break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- JA4 ---------------------------------------------------------------- */

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
static void ja4_a(const struct ch *c, bool quic, char a[11])
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
static size_t ja4_sort(struct ch *c)
{
    sort_u16(c->ciphers, c->n_ciphers);
    size_t n = 0;
    for (size_t i = 0; i < c->n_exts; i++)
        if (c->exts[i] != EXT_SERVER_NAME && c->exts[i] != EXT_ALPN)
            c->exts[n++] = c->exts[i];
    sort_u16(c->exts, n);
    return n;
}

static void ja4_b(const struct ch *c, struct sink *s)
{
    for (size_t i = 0; i < c->n_ciphers; i++)
        sink_hex16(s, c->ciphers[i], i > 0);
}

/* Sorted extensions, then '_' and the signature algorithms in wire order;
 * no '_' when there are none. GREASE is dropped from the signature
 * algorithms as the spec says ("ignore GREASE anywhere"); FoxIO's tools keep
 * it there, but no reference capture has GREASE in that list. */
static void ja4_c(const struct ch *c, size_t n_exts, struct sink *s)
{
    for (size_t i = 0; i < n_exts; i++)
        sink_hex16(s, c->exts[i], i > 0);
    struct rd r = rd_init(c->sigs, c->sigs ? c->sigs_len : 0);
    bool first = true;
    while (rd_left(&r) >= 2) {
        uint16_t v = rd_be16(&r);
        if (is_grease(v))
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

static void ja4_hashed(struct ch *c, bool quic, char out[TLS_JA4_LEN])
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

/* Copies the first host_name lower-cased, or leaves "" when it cannot be a
 * host name (empty, too long, or bytes outside printable ASCII). */
static void copy_sni(const struct ch *c, char sni[TLS_SNI_MAX])
{
    sni[0] = '\0';
    if (c->host == NULL || c->host_len == 0 || c->host_len >= TLS_SNI_MAX)
        return;
    for (size_t i = 0; i < c->host_len; i++)
        if (c->host[i] <= 0x20 || c->host[i] >= 0x7f)
            return;
    memcpy(sni, c->host, c->host_len);
    sni[c->host_len] = '\0';
    ds_ascii_lower(sni);
}

/* Copies whole entries of the ALPN list while they fit in the cap, so that a
 * reader of alpn_wire never meets a cut entry. */
static uint16_t copy_alpn(const struct ch *c, uint8_t wire[TLS_ALPN_WIRE_MAX])
{
    size_t n = 0;
    struct rd r = rd_init(c->alpn_list, c->alpn_list ? c->alpn_list_len : 0);
    while (rd_left(&r) > 0) {
        size_t at = r.off;
        uint8_t len = rd_u8(&r);
        rd_skip(&r, len);
        if (r.bad || n + 1 + len > TLS_ALPN_WIRE_MAX)
            break;
        memcpy(wire + n, c->alpn_list + at, 1 + (size_t)len);
        n += 1 + (size_t)len;
    }
    return (uint16_t)n;
}

static int parse_hello(const uint8_t *msg, size_t len, bool quic, bool ja4, struct tls_hello *out)
{
    struct ch c;
    if (msg == NULL || out == NULL || ch_parse(msg, len, &c) != 0)
        return -1;
    memset(out, 0, sizeof(*out));
    out->legacy_version = c.legacy_version;
    out->version = c.version;
    out->has_sni = c.has_sni;
    copy_sni(&c, out->sni);
    out->alpn_wire_len = copy_alpn(&c, out->alpn_wire);
    out->n_ciphers = (uint16_t)c.n_ciphers;
    out->n_exts = (uint16_t)c.n_exts;
    if (ja4)
        ja4_hashed(&c, quic, out->ja4);
    return 0;
}

int tls_parse_client_hello(const uint8_t *msg, size_t len, bool quic, struct tls_hello *out)
{
    return parse_hello(msg, len, quic, true, out);
}

int tls_ja4_raw(const uint8_t *msg, size_t len, bool quic, char *buf, size_t buflen)
{
    struct ch c;
    if (buf == NULL || buflen == 0)
        return -1;
    buf[0] = '\0';
    if (msg == NULL || ch_parse(msg, len, &c) != 0)
        return -1;
    char a[11];
    ja4_a(&c, quic, a);
    size_t n_exts = ja4_sort(&c);
    struct sink s = { .buf = buf, .cap = buflen };
    sink_put(&s, a, 10);
    sink_put(&s, "_", 1);
    ja4_b(&c, &s);
    sink_put(&s, "_", 1);
    ja4_c(&c, n_exts, &s);
    if (s.full) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

const char *tls_version_name(uint16_t version)
{
    switch (version) {
    case 0x0304: return "TLSv1.3";
    case 0x0303: return "TLSv1.2";
    case 0x0302: return "TLSv1.1";
    case 0x0301: return "TLSv1";
    case 0x0300: return "SSLv3";
    case 0x0002:
    case 0x0200: return "SSLv2";
    default: return NULL;
    }
}

/* ---- Reassembly over TCP ------------------------------------------------- */

/* Where the walk over the client's records has got to. It only moves
 * forward, over complete records, so each byte is looked at a bounded number
 * of times however the segments arrive. */
struct walk {
    bool started;     /* base is known */
    uint32_t base;    /* stream offset of the first record (after a proxy request) */
    uint32_t off;     /* stream offset of the next record header */
    uint32_t hs_have; /* handshake bytes in the records walked */
    uint32_t hs_need; /* 4 + ClientHello length, 0 until known */
    uint8_t hdr[HS_HDR];
};

enum walk_res { WALK_MORE, WALK_DONE, WALK_NOT_TLS, WALK_BAD };

/* A client behind a forward proxy opens its stream with the proxy's request
 * and sends its ClientHello once the proxy has answered, so the hello follows
 * the request in the client's bytes. Requests longer than this are not taken
 * for one (a real one is far shorter, even with credentials). */
#define PREAMBLE_MAX 4096

/* Skips a NUL-terminated string of at most 255 bytes; false if longer. */
static bool skip_cstr(struct rd *r)
{
    for (int i = 0; i < 256; i++) {
        uint8_t c = rd_u8(r);
        if (r->bad || c == 0)
            return true;
    }
    return false;
}

/* The SOCKS readers return -1 for a request that is not a CONNECT, else 0
 * with r->off after the request, or r->bad when it is cut short.
 *
 * SOCKS 4 / 4a CONNECT (no RFC; the NEC protocol note): VN=4 CD=1 DSTPORT
 * DSTIP USERID NUL, then a host name and NUL when DSTIP is 0.0.0.x. */
static int socks4_len(struct rd *r)
{
    rd_skip(r, 1);
    if (rd_u8(r) != 1 && !r->bad)
        return -1;
    rd_skip(r, 2);
    const uint8_t *ip = rd_bytes(r, 4);
    if (!skip_cstr(r))
        return -1;
    if (ip != NULL && ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0 && !skip_cstr(r))
        return -1;
    return 0;
}

/* SOCKS 5 (RFC 1928): greeting VER=5 NMETHODS METHODS, optionally the
 * username/password sub-negotiation (RFC 1929, version 1) when that method
 * was offered, then the CONNECT request VER=5 CMD=1 RSV=0 ATYP ADDR PORT. */
static int socks5_len(struct rd *r)
{
    rd_skip(r, 1);
    uint8_t nmethods = rd_u8(r);
    const uint8_t *methods = rd_bytes(r, nmethods);
    if (r->bad)
        return 0;
    if (nmethods == 0)
        return -1;
    bool userpass = memchr(methods, 0x02, nmethods) != NULL;
    struct rd peek = *r;
    if (userpass && rd_u8(&peek) == 0x01 && !peek.bad) {
        rd_skip(r, 1);
        rd_skip(r, rd_u8(r));
        rd_skip(r, rd_u8(r));
    }
    uint8_t ver = rd_u8(r), cmd = rd_u8(r), rsv = rd_u8(r), atyp = rd_u8(r);
    if (r->bad)
        return 0;
    if (ver != 5 || cmd != 1 || rsv != 0)
        return -1;
    if (atyp == 1)
        rd_skip(r, 4);
    else if (atyp == 3)
        rd_skip(r, rd_u8(r));
    else if (atyp == 4)
        rd_skip(r, 16);
    else
        return -1;
    rd_skip(r, 2);
    return 0;
}

/* Finds where the records start: at once for a handshake record, after an
 * HTTP CONNECT request or a SOCKS 4/5 CONNECT otherwise. */
static enum walk_res walk_preamble(struct walk *w, const uint8_t *p, size_t avail)
{
    static const char http_connect[] = "CONNECT ";
    size_t n = avail < PREAMBLE_MAX ? avail : PREAMBLE_MAX;
    size_t base = 0;
    struct rd r = rd_init(p, n);
    uint8_t first = rd_u8(&r);
    if (r.bad)
        return WALK_MORE;
    if (first == REC_HANDSHAKE) {
        base = 0;
    } else if (first == 'C') {
        size_t k = n < sizeof(http_connect) - 1 ? n : sizeof(http_connect) - 1;
        if (memcmp(p, http_connect, k) != 0)
            return WALK_NOT_TLS;
        const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
        if (end == NULL)
            return n == PREAMBLE_MAX ? WALK_NOT_TLS : WALK_MORE;
        base = (size_t)(end - p) + 4;
    } else if (first == 4 || first == 5) {
        r = rd_init(p, n);
        int rc = first == 4 ? socks4_len(&r) : socks5_len(&r);
        if (rc < 0)
            return WALK_NOT_TLS;
        if (r.bad)
            return n == PREAMBLE_MAX ? WALK_NOT_TLS : WALK_MORE;
        base = r.off;
    } else {
        return WALK_NOT_TLS;
    }
    w->started = true;
    w->base = (uint32_t)base;
    w->off = (uint32_t)base;
    return WALK_MORE;
}

/* Walks the records in p[0, avail) (the contiguous start of the stream).
 * DONE when the records walked hold the whole ClientHello; the records span
 * p[w->base, w->off) then. */
static enum walk_res walk_records(struct walk *w, const uint8_t *p, size_t avail)
{
    if (!w->started && avail > 0) {
        enum walk_res r = walk_preamble(w, p, avail);
        if (r != WALK_MORE || !w->started)
            return r;
    }
    while (w->started && w->off < avail) {
        /* Bytes not here yet read as 0 and set r.bad: each check below
         * judges only bytes that have arrived. */
        size_t n = avail - w->off;
        struct rd r = rd_init(p + w->off, n);
        uint8_t type = rd_u8(&r), major = rd_u8(&r), minor = rd_u8(&r);
        uint32_t rec_len = rd_be16(&r);
        /* The stream is TLS only if it opens with a handshake record of a
         * TLS/SSLv3 version; a later record that is not one is malformed. */
        if (type != REC_HANDSHAKE || (n >= 2 && major != 3) || (n >= 3 && minor > 4))
            return w->off == w->base ? WALK_NOT_TLS : WALK_BAD;
        if (r.bad)
            return WALK_MORE;
        if (rec_len == 0 || rec_len > REC_MAX || w->off + REC_HDR + rec_len > TLS_HELLO_MAX)
            return WALK_BAD;
        /* Read the handshake header as soon as the first record shows it,
         * so a hostile length is refused without waiting for its bytes. */
        struct rd peek = r;
        uint8_t mtype = rd_u8(&peek);
        uint32_t mlen = rd_be24(&peek);
        if (w->hs_have == 0 && rec_len >= HS_HDR && !peek.bad &&
            (mtype != HS_CLIENT_HELLO || w->off + REC_HDR + HS_HDR + mlen > TLS_HELLO_MAX))
            return WALK_BAD;
        const uint8_t *body = rd_bytes(&r, rec_len);
        if (body == NULL)
            return WALK_MORE;
        for (uint32_t i = 0; w->hs_have + i < HS_HDR && i < rec_len; i++)
            w->hdr[w->hs_have + i] = body[i];
        w->hs_have += rec_len;
        w->off += REC_HDR + rec_len;
        if (w->hs_need == 0 && w->hs_have >= HS_HDR) {
            struct rd hr = rd_init(w->hdr, HS_HDR);
            mtype = rd_u8(&hr);
            mlen = rd_be24(&hr);
            if (mtype != HS_CLIENT_HELLO || w->base + REC_HDR + HS_HDR + mlen > TLS_HELLO_MAX)
                return WALK_BAD;
            w->hs_need = HS_HDR + mlen;
        }
        if (w->hs_need != 0) {
            if (w->hs_have >= w->hs_need)
                return WALK_DONE;
            /* Every record still to come costs a header too. */
            if (w->off + REC_HDR + (w->hs_need - w->hs_have) > TLS_HELLO_MAX)
                return WALK_BAD;
        }
    }
    return WALK_MORE;
}

struct tls_asm {
    uint32_t isn;      /* sequence number of stream byte 0 */
    uint32_t prefix;   /* bytes [0, prefix) are all present */
    struct walk w;
    uint8_t have[TLS_HELLO_MAX / 8]; /* one bit per stream byte received */
    uint8_t buf[TLS_HELLO_MAX];
};

struct tls_asm_pool {
    struct pool *bufs;
    /* A ClientHello spread over several records is made contiguous here
     * before parsing; one per pool, as a pool serves one capture thread. */
    uint8_t scratch[TLS_HELLO_MAX];
    bool lazy_ja4;            /* JA4 only on request (tls_asm_ja4) */
    const uint8_t *last_msg;  /* the hello of the last TLS_FEED_DONE */
    size_t last_len;
};

struct tls_asm_pool *tls_asm_pool_new(unsigned max_buffers)
{
    struct tls_asm_pool *pool = xcalloc(1, sizeof(*pool));
    pool->bufs = pool_new(sizeof(struct tls_asm), max_buffers, 8);
    return pool;
}

void tls_asm_pool_lazy_ja4(struct tls_asm_pool *pool, bool lazy)
{
    pool->lazy_ja4 = lazy;
}

int tls_asm_ja4(struct tls_asm_pool *pool, struct tls_hello *out)
{
    struct ch c;
    if (pool->last_msg == NULL || ch_parse(pool->last_msg, pool->last_len, &c) != 0)
        return -1;
    ja4_hashed(&c, false, out->ja4);
    return 0;
}

void tls_asm_pool_free(struct tls_asm_pool *pool)
{
    if (pool == NULL)
        return;
    pool_free(pool->bufs);
    free(pool);
}

size_t tls_asm_pool_bytes(const struct tls_asm_pool *pool)
{
    if (pool == NULL)
        return 0;
    return sizeof(*pool) + pool_bytes(pool->bufs);
}

void tls_asm_release(struct tls_asm_pool *pool, struct tls_asm **slot)
{
    if (slot == NULL || *slot == NULL)
        return;
    pool_put(pool->bufs, *slot);
    *slot = NULL;
}

uint32_t tls_asm_raw_seq(const struct tls_asm *slot, uint32_t seq, const uint8_t *data,
                         const uint8_t *raw)
{
    /* Without a buffer, raw points into the segment that completed the hello. */
    if (slot == NULL)
        return seq + (uint32_t)(raw - data);
    return slot->isn + (uint32_t)(raw - slot->buf);
}

/* Parses the ClientHello out of the complete records p[w->base, w->off): straight
 * from the first record when it holds the whole message, else after copying
 * the record payloads into the pool's scratch buffer. */
static enum tls_feed finish(struct tls_asm_pool *pool, const struct walk *w, const uint8_t *p,
                            struct tls_hello *out)
{
    struct rd r = rd_init(p + w->base, w->off - w->base);
    rd_skip(&r, 3);
    size_t first_len = rd_be16(&r);
    const uint8_t *msg = rd_bytes(&r, first_len);
    if (first_len < w->hs_need) {
        /* Concatenate the record bodies (the walk checked their headers). */
        r = rd_init(p + w->base, w->off - w->base);
        size_t got = 0;
        while (got < w->hs_need && !r.bad) {
            rd_skip(&r, 3);
            size_t rec_len = rd_be16(&r);
            const uint8_t *body = rd_bytes(&r, rec_len);
            size_t take = rec_len < w->hs_need - got ? rec_len : w->hs_need - got;
            if (body != NULL)
                memcpy(pool->scratch + got, body, take);
            got += take;
        }
        msg = r.bad ? NULL : pool->scratch;
    }
    pool->last_msg = msg;
    pool->last_len = w->hs_need;
    if (msg == NULL || parse_hello(msg, w->hs_need, false, !pool->lazy_ja4, out) != 0)
        return TLS_FEED_BAD;
    return TLS_FEED_DONE;
}

static enum tls_feed walk_result(enum walk_res r)
{
    switch (r) {
    case WALK_NOT_TLS: return TLS_FEED_NOT_TLS;
    case WALK_BAD: return TLS_FEED_BAD;
    default: return TLS_FEED_MORE;
    }
}

static bool have_bit(const struct tls_asm *a, uint32_t i)
{
    return (a->have[i >> 3] >> (i & 7)) & 1;
}

/* Copies stream bytes [from, to) in and marks them present. The first copy
 * of a byte wins: the walk has checked the bytes it passed, and a
 * retransmission that says something else must not change them under it. */
static void asm_put(struct tls_asm *a, uint32_t from, uint32_t to, const uint8_t *data)
{
    uint32_t i = from;
    while (i < to) {
        if ((i & 7) == 0 && to - i >= 8) {
            uint8_t *m = &a->have[i >> 3];
            if (*m == 0xff) {
                i += 8;
                continue;
            }
            if (*m == 0) {
                memcpy(a->buf + i, data + (i - from), 8);
                *m = 0xff;
                i += 8;
                continue;
            }
        }
        if (!have_bit(a, i)) {
            a->buf[i] = data[i - from];
            a->have[i >> 3] |= (uint8_t)(1u << (i & 7));
        }
        i++;
    }
    while (a->prefix < TLS_HELLO_MAX) {
        if ((a->prefix & 7) == 0 && a->have[a->prefix >> 3] == 0xff)
            a->prefix += 8;
        else if (have_bit(a, a->prefix))
            a->prefix++;
        else
            break;
    }
}

enum tls_feed tls_asm_feed(struct tls_asm_pool *pool, struct tls_asm **slot, bool start_known,
                           uint32_t start_seq, uint32_t seq, const uint8_t *data, size_t len,
                           struct tls_hello *out, const uint8_t **raw, size_t *raw_len)
{
    struct tls_asm *a = *slot;
    if (data == NULL || len == 0)
        return TLS_FEED_MORE;
    uint32_t isn = a != NULL ? a->isn : (start_known ? start_seq : seq);
    /* Offset of the segment in the stream, as a signed distance so that a
     * segment from before the start (a retransmitted SYN with data, say) is
     * trimmed rather than taken for one 4 GB ahead. */
    int64_t off = (int32_t)(seq - isn);
    if (off < 0) {
        if ((uint64_t)-off >= len)
            return TLS_FEED_MORE;
        data += -off;
        len -= (size_t)-off;
        off = 0;
    }

    /* Fast path: the whole ClientHello in the first segment, no buffer. */
    if (a == NULL && off == 0) {
        struct walk w = { 0 };
        enum walk_res r = walk_records(&w, data, len);
        if (r == WALK_DONE) {
            enum tls_feed f = finish(pool, &w, data, out);
            if (f == TLS_FEED_DONE) {
                *raw = data + w.base;
                *raw_len = w.off - w.base;
            }
            return f;
        }
        if (r != WALK_MORE)
            return walk_result(r);
    }

    if (off >= TLS_HELLO_MAX)
        return TLS_FEED_MORE; /* beyond any ClientHello we take; its start may still come */
    if (a == NULL) {
        a = pool_get(pool->bufs);
        if (a == NULL)
            return TLS_FEED_BAD;
        a->isn = isn;
        *slot = a;
    }
    uint32_t from = (uint32_t)off;
    uint32_t to = len > TLS_HELLO_MAX - from ? TLS_HELLO_MAX : from + (uint32_t)len;
    asm_put(a, from, to, data);

    enum walk_res r = walk_records(&a->w, a->buf, a->prefix);
    if (r == WALK_DONE) {
        enum tls_feed f = finish(pool, &a->w, a->buf, out);
        if (f == TLS_FEED_DONE) {
            *raw = a->buf + a->w.base;
            *raw_len = a->w.off - a->w.base;
        }
        return f;
    }
    if (r == WALK_MORE && a->prefix == TLS_HELLO_MAX)
        return TLS_FEED_BAD;
    return walk_result(r);
}
