/* JA3 of a parsed ClientHello (see tls-ja3.h): the text is written in
 * pieces to a sink, the MD5 (tls_ja3) or a buffer (tls_ja3_text), so the
 * hash needs no buffer as large as the longest text (a 16 KiB hello may
 * list 8,000 ciphers). GREASE is left out as Salesforce's ja3.py, nDPI and
 * Wireshark do; extensions and ciphers come from tls_ch, which has already
 * dropped their GREASE values; groups and point formats are read here. */
#include "ds/tls-ja3.h"

#include <stdio.h>
#include <string.h>

#include "ds/bytes.h"
#include "ds/md5.h"
#include "ds/tls-record.h"
#include "ds/util.h"

/* Where the text goes: into the MD5 if `md` is set, else into buf. */
struct ja3_out {
    struct md5 *md;
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void put(struct ja3_out *o, const char *s, size_t n)
{
    if (o->md != NULL) {
        md5_update(o->md, s, n);
        return;
    }
    if (o->overflow || o->len + n >= o->cap) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* One value, '-' before it unless it is the list's first. */
static void put_value(struct ja3_out *o, unsigned v, bool *first)
{
    char num[8];
    int n = snprintf(num, sizeof(num), "%s%u", *first ? "" : "-", v);
    put(o, num, (size_t)n);
    *first = false;
}

static void put_u16s(struct ja3_out *o, const uint16_t *v, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++)
        put_value(o, v[i], &first);
}

/* A list of big-endian values `width` bytes wide, GREASE left out. */
static void put_wire_list(struct ja3_out *o, const uint8_t *p, size_t len, size_t width)
{
    bool first = true;
    for (size_t i = 0; p != NULL && i + width <= len; i += width) {
        unsigned v = width == 2 ? (unsigned)p[i] << 8 | p[i + 1] : p[i];
        if (width == 2 && tls_is_grease((uint16_t)v))
            continue;
        put_value(o, v, &first);
    }
}

static void ja3_write(const struct tls_ch *c, struct ja3_out *o)
{
    bool first = true;
    put_value(o, c->legacy_version, &first);
    put(o, ",", 1);
    put_u16s(o, c->ciphers, c->n_ciphers);
    put(o, ",", 1);
    put_u16s(o, c->exts, c->n_exts);
    put(o, ",", 1);
    put_wire_list(o, c->groups, c->groups_len, 2);
    put(o, ",", 1);
    put_wire_list(o, c->ecpf, c->ecpf_len, 1);
}

void tls_ja3(const struct tls_ch *c, char out[TLS_JA3_LEN])
{
    struct md5 md;
    md5_init(&md);
    struct ja3_out o = { .md = &md };
    ja3_write(c, &o);
    uint8_t d[MD5_LEN];
    md5_final(&md, d);
    ds_hex(d, MD5_LEN, out);
}

int tls_ja3_text(const struct tls_ch *c, char *buf, size_t buflen)
{
    struct ja3_out o = { .buf = buf, .cap = buflen };
    ja3_write(c, &o);
    if (o.overflow) {
        buf[0] = '\0';
        return -1;
    }
    buf[o.len] = '\0';
    return (int)o.len;
}

/* The ServerHello's JA3S text to o. RFC 8446 4.1.3: legacy_version,
 * random, legacy_session_id, cipher_suite, legacy_compression_method,
 * extensions; before TLS 1.2 the extensions block may be absent. 0, or -1
 * if the message is not a well-formed ServerHello or the text overflowed. */
static int ja3s_write(const uint8_t *msg, size_t len, struct ja3_out *o)
{
    struct rd r = rd_init(msg, len);
    struct tls_handshake_hdr hh;
    if (!tls_handshake_hdr_read(&r, &hh) || hh.type != TLS_HANDSHAKE_SERVER_HELLO)
        return -1;
    struct rd b = rd_sub(&r, hh.len);
    uint16_t version = rd_be16(&b);
    rd_skip(&b, 32); /* random */
    rd_skip(&b, rd_u8(&b));
    uint16_t cipher = rd_be16(&b);
    rd_skip(&b, 1); /* compression method */
    struct rd exts = rd_init(NULL, 0);
    if (!b.bad && rd_left(&b) > 0)
        exts = rd_sub(&b, rd_be16(&b));
    if (b.bad || rd_left(&b) != 0)
        return -1;
    bool first = true;
    put_value(o, version, &first);
    put(o, ",", 1);
    first = true;
    put_value(o, cipher, &first);
    put(o, ",", 1);
    first = true;
    while (rd_left(&exts) > 0) {
        uint16_t type = rd_be16(&exts);
        rd_skip(&exts, rd_be16(&exts));
        if (exts.bad)
            return -1;
        if (!tls_is_grease(type))
            put_value(o, type, &first);
    }
    return o->overflow ? -1 : 0;
}

int tls_ja3s(const uint8_t *msg, size_t len, char out[TLS_JA3_LEN], char *text, size_t text_len)
{
    out[0] = '\0';
    if (text_len > 0) {
        struct ja3_out t = { .buf = text, .cap = text_len };
        int rc = ja3s_write(msg, len, &t);
        text[rc == 0 ? t.len : 0] = '\0';
        if (rc != 0)
            return -1;
    }
    struct md5 md;
    md5_init(&md);
    struct ja3_out o = { .md = &md };
    if (ja3s_write(msg, len, &o) != 0)
        return -1;
    uint8_t d[MD5_LEN];
    md5_final(&md, d);
    ds_hex(d, MD5_LEN, out);
    return 0;
}
