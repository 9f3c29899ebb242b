/* Fuzz target for the ClientHello parser, JA4 and the TCP reassembly of the
 * hello.
 *
 * Input: 13 control bytes, then the client's stream. The stream is parsed as
 * a bare handshake message, then fed whole to tls_asm_feed, then fed again
 * cut into segments at points taken from the control bytes, in order or
 * backwards, with repeats and overlaps. Cutting must not change the outcome:
 * the same result, and on DONE the same JA4, SNI and records, as the whole
 * stream gave. Any difference aborts.
 *
 * control[0]: bit 0 SYN seen (start_known), bit 1 backwards, bit 2 repeat
 *             every segment overlapping its predecessor, bits 3-5 the number
 *             of cuts (0..7)
 * control[1..4]: the initial sequence number, big-endian (to wrap 2^32)
 * control[5..12]: cut points, as fractions of the stream length /256 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/tls-asm.h"
#include "ds/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTL 13
#define MAX_SEGS 9

static struct tls_asm_pool *pool;

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Parses the bytes as a handshake message, both ways, and checks what
 * comes back is a well-formed fingerprint. */
static void parse_direct(const uint8_t *p, size_t n)
{
    struct tls_hello h;
    int rc = tls_parse_client_hello(p, n, false, &h);
    char raw[256];
    int rr = tls_ja4_raw(p, n, false, raw, sizeof(raw));
    if (rc != 0) {
        if (rr == 0)
            abort(); /* the raw form must refuse what the parser refuses */
        return;
    }
    if (strlen(h.ja4) != 36 || h.ja4[10] != '_' || h.ja4[23] != '_')
        abort();
    if (strlen(h.sni) >= TLS_SNI_MAX || h.alpn_wire_len > TLS_ALPN_WIRE_MAX)
        abort();
    if (rr == 0 && memcmp(raw, h.ja4, 10) != 0)
        abort();
    /* ECH: a known kind; a public name only with real ECH, and then the
     * service's SNI is hidden; GREASE only with an SNI. */
    if (h.ech > TLS_ECH_BAD || (h.ech_public != 0) != (tls_ech_public_name(h.ech_public) != NULL))
        abort();
    if (h.ech_public != 0 && (h.ech != TLS_ECH_REAL || h.sni[0] != '\0'))
        abort();
    if (h.ech == TLS_ECH_GREASE && h.sni[0] == '\0')
        abort();
}

struct result {
    enum tls_feed r;
    struct tls_hello h;
    uint8_t raw[TLS_HELLO_MAX];
    size_t raw_len;
};

static void keep(struct result *res, enum tls_feed r, const struct tls_hello *h,
                 const uint8_t *raw, size_t raw_len)
{
    res->r = r;
    if (r != TLS_FEED_DONE)
        return;
    if (raw == NULL || raw_len < 9 || raw_len > TLS_HELLO_MAX || raw[0] != 0x16)
        abort();
    res->h = *h;
    memcpy(res->raw, raw, raw_len);
    res->raw_len = raw_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (pool == NULL)
        pool = tls_asm_pool_new(1, NULL);
    parse_direct(data, size);
    if (size <= CTL)
        return 0;
    const uint8_t *ctl = data;
    const uint8_t *s = data + CTL;
    size_t n = size - CTL;
    parse_direct(s, n);

    bool known = ctl[0] & 1;
    bool backwards = ctl[0] & 2;
    bool overlap = ctl[0] & 4;
    size_t ncut = (ctl[0] >> 3) & 7;
    uint32_t isn = ((uint32_t)ctl[1] << 24) | ((uint32_t)ctl[2] << 16) | ((uint32_t)ctl[3] << 8) |
                   ctl[4];

    /* The whole stream in one segment. */
    static struct result whole, cut;
    uint32_t a = 0;
    struct tls_hello h;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    enum tls_feed r = tls_asm_feed(pool, &a, known, isn, isn, s, n, &h, &raw, &raw_len);
    keep(&whole, r, &h, raw, raw_len);
    tls_asm_release(pool, &a);

    /* The same stream in segments. */
    size_t at[MAX_SEGS + 1];
    at[0] = 0;
    for (size_t i = 0; i < ncut; i++)
        at[i + 1] = n * ctl[5 + i] / 256;
    at[ncut + 1] = n;
    qsort(at, ncut + 2, sizeof(at[0]), cmp_size);
    size_t nseg = ncut + 1;
    if (backwards)
        known = true; /* without a SYN the first segment fed must start the stream */
    r = TLS_FEED_MORE;
    for (size_t k = 0; k < nseg && r == TLS_FEED_MORE; k++) {
        size_t i = backwards ? nseg - 1 - k : k;
        size_t from = at[i], to = at[i + 1];
        if (from == to)
            continue;
        r = tls_asm_feed(pool, &a, known, isn, isn + (uint32_t)from, s + from, to - from, &h, &raw,
                         &raw_len);
        if (overlap && r == TLS_FEED_MORE && from > 0) {
            size_t back = from / 2;
            r = tls_asm_feed(pool, &a, known, isn, isn + (uint32_t)back, s + back, to - back, &h,
                             &raw, &raw_len);
        }
    }
    keep(&cut, r, &h, raw, raw_len);
    tls_asm_release(pool, &a);

    /* A buffer may be refused only when none is free, and the pool of one is
     * free here; so the outcomes must agree. */
    if (cut.r != whole.r)
        abort();
    if (whole.r == TLS_FEED_DONE &&
        (strcmp(cut.h.ja4, whole.h.ja4) != 0 || strcmp(cut.h.sni, whole.h.sni) != 0 ||
         cut.raw_len != whole.raw_len || memcmp(cut.raw, whole.raw, whole.raw_len) != 0))
        abort();
    return 0;
}
