/* TLS ClientHello parsing: the message into struct tls_ch (what JA4 needs,
 * pointing into the message), then into struct tls_hello for the sensor.
 * Every length on the wire is hostile: all reads go through ds/bytes.h. */
#include "ds/tls-hello.h"

#include <string.h>

#include "ds/bytes.h"
#include "ds/tls-ja3.h"
#include "ds/tls-ja4.h"
#include "ds/tls-record.h"
#include "ds/util.h"

/* server_name (RFC 6066 3): the list must fill the extension exactly; the
 * first host_name entry is kept. An empty extension (the server's form) is
 * tolerated: it still marks the hello 'd' for JA4, as in FoxIO's tool. */
static int ch_sni(struct tls_ch *c, struct rd ext)
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
static int ch_alpn(struct tls_ch *c, struct rd ext)
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
static int ch_versions(struct tls_ch *c, struct rd ext)
{
    uint8_t n = rd_u8(&ext);
    if (ext.bad || n != rd_left(&ext) || n % 2 != 0)
        return -1;
    uint16_t best = 0;
    bool any = false;
    while (rd_left(&ext) > 0) {
        uint16_t v = rd_be16(&ext);
        if (tls_is_grease(v))
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
static int ch_sigs(struct tls_ch *c, struct rd ext)
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

/* A list of `width`-byte values behind a `lwidth`-byte length that fills
 * the extension exactly: supported_groups (RFC 8422 5.1.1, 2 and 2) and
 * ec_point_formats (RFC 8422 5.1.2, 1 and 1), kept for JA3. A malformed
 * one is left out (JA3 then has an empty field); it does not make the
 * hello unreadable, as it never did before JA3 read it. */
static void ch_list(struct rd ext, size_t lwidth, size_t width, const uint8_t **list,
                    size_t *list_len)
{
    size_t n = lwidth == 1 ? rd_u8(&ext) : rd_be16(&ext);
    if (ext.bad || *list != NULL || n != rd_left(&ext) || n % width != 0)
        return;
    *list = ext.p + ext.off;
    *list_len = n;
}

/* The extensions block: every non-GREASE extension is listed in c->exts,
 * and the bodies JA4 reads are checked; the first server_name, ALPN and
 * supported_versions count, every signature_algorithms is checked. */
static int ch_exts(struct tls_ch *c, struct rd exts)
{
    bool seen_sni = false, seen_alpn = false, seen_versions = false;
    while (rd_left(&exts) > 0) {
        uint16_t type16 = rd_be16(&exts);
        uint16_t n = rd_be16(&exts);
        struct rd ext = rd_sub(&exts, n);
        if (exts.bad)
            return -1;
        if (tls_is_grease(type16))
            continue;
        c->exts[c->n_exts++] = type16;
        int rc = 0;
        switch (type16) {
        case TLS_EXT_SERVER_NAME:
            c->has_sni = true;
            if (!seen_sni)
                rc = ch_sni(c, ext);
            seen_sni = true;
            break;
        case TLS_EXT_ALPN:
            if (!seen_alpn)
                rc = ch_alpn(c, ext);
            seen_alpn = true;
            break;
        case TLS_EXT_SUPPORTED_VERSIONS:
            if (!seen_versions)
                rc = ch_versions(c, ext);
            seen_versions = true;
            break;
        case TLS_EXT_SIG_ALGS:
            rc = ch_sigs(c, ext);
            break;
        case TLS_EXT_SUPPORTED_GROUPS:
            ch_list(ext, 2, 2, &c->groups, &c->groups_len);
            break;
        case TLS_EXT_EC_POINT_FORMATS:
            ch_list(ext, 1, 1, &c->ecpf, &c->ecpf_len);
            break;
        case TLS_EXT_ECH:
            /* Its body is checked by ech_kind: a malformed one is reported,
             * it does not make the hello (and its JA4) unreadable. */
            if (c->ech == NULL) {
                c->ech = ext.p + ext.off;
                c->ech_len = n;
            }
            break;
        default:
            break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

int tls_ch_parse(const uint8_t *msg, size_t len, struct tls_ch *c)
{
    memset(c, 0, offsetof(struct tls_ch, ciphers));
    struct rd r = rd_init(msg, len);
    struct tls_handshake_hdr hh;
    if (!tls_handshake_hdr_read(&r, &hh) || hh.type != TLS_HANDSHAKE_CLIENT_HELLO ||
        TLS_HANDSHAKE_HDR_LEN + (size_t)hh.len > TLS_HELLO_MAX)
        return -1;
    struct rd b = rd_sub(&r, hh.len);
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
        if (!tls_is_grease(v))
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
    return ch_exts(c, exts);
}

/* Copies the first host_name lower-cased, or leaves "" when it cannot be a
 * host name (empty, too long, or bytes outside printable ASCII). */
static void copy_sni(const struct tls_ch *c, char sni[TLS_SNI_MAX])
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
static uint16_t copy_alpn(const struct tls_ch *c, uint8_t wire[TLS_ALPN_WIRE_MAX])
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

/* ---- Encrypted Client Hello ----
 *
 * The extension's body (draft-ietf-tls-esni, "Encrypted ClientHello
 * Extension") in a hello on the wire is an outer ECHClientHello:
 *
 *   uint8  type = outer(0)            (inner(1) lives only inside the
 *   uint16 kdf_id, aead_id             encrypted payload, never in clear)
 *   uint8  config_id
 *   opaque enc<0..2^16-1>
 *   opaque payload<1..2^16-1>
 *
 * filling the extension exactly.
 *
 * GREASE or real? A client without an ECHConfig for the server (Chrome on
 * every connection then) sends GREASE ECH (the draft's "GREASE ECH"
 * section): a random config_id, a valid-looking enc and a random payload of
 * the length a real one would have, so the extension alone cannot tell
 * them apart, and we do not try to from config_id or lengths. What does
 * tell them apart: a real ECH hello comes only after the client fetched the
 * server's ECHConfig (its HTTPS DNS record), and its outer SNI must be that
 * config's public_name, the client-facing server's (cloudflare-ech.com for
 * every Cloudflare site), while GREASE keeps the real SNI in the outer
 * hello. So: ECH with an outer SNI in the table below, or with no outer SNI,
 * is "real", and the outer SNI is kept apart as the public name (the
 * service's own name is hidden); ECH with any other SNI is "grease". A real
 * ECH to a public name missing from the table reads as GREASE: the table
 * is the one thing to extend as providers deploy ECH. */
static const char *const ech_public_names[] = {
    "cloudflare-ech.com", /* Cloudflare's public name for every ECH zone */
};

/* True if the ECH extension body is a well-formed outer ECHClientHello. */
static bool ech_outer_ok(const uint8_t *p, size_t len)
{
    struct rd r = rd_init(p, len);
    uint8_t type = rd_u8(&r);
    rd_skip(&r, 2 + 2 + 1); /* kdf_id, aead_id, config_id */
    uint16_t enc_len = rd_be16(&r);
    rd_skip(&r, enc_len);
    uint16_t payload_len = rd_be16(&r);
    rd_skip(&r, payload_len);
    return !r.bad && type == 0 && payload_len > 0 && rd_left(&r) == 0;
}

/* 1 + the index of sni in ech_public_names, or 0. */
static uint8_t ech_public_index(const char *sni)
{
    for (size_t i = 0; i < DS_ARRAY_LEN(ech_public_names); i++)
        if (strcmp(sni, ech_public_names[i]) == 0)
            return (uint8_t)(i + 1);
    return 0;
}

/* out->ech and out->ech_public from the hello's ECH extension, after
 * out->sni is set; a real ECH's outer SNI leaves out->sni. */
static void ech_kind(const struct tls_ch *c, struct tls_hello *out)
{
    if (c->ech == NULL)
        return;
    if (!ech_outer_ok(c->ech, c->ech_len)) {
        out->ech = TLS_ECH_BAD;
        return;
    }
    out->ech_public = out->sni[0] ? ech_public_index(out->sni) : 0;
    if (out->sni[0] && out->ech_public == 0) {
        out->ech = TLS_ECH_GREASE;
        return;
    }
    out->ech = TLS_ECH_REAL;
    out->sni[0] = '\0';
}

const char *tls_ech_name(uint8_t ech)
{
    switch (ech) {
    case TLS_ECH_GREASE: return "grease";
    case TLS_ECH_REAL: return "real";
    default: return NULL;
    }
}

const char *tls_ech_public_name(uint8_t ech_public)
{
    if (ech_public == 0 || ech_public > DS_ARRAY_LEN(ech_public_names))
        return NULL;
    return ech_public_names[ech_public - 1];
}

int tls_hello_parse(const uint8_t *msg, size_t len, bool quic, bool ja4, struct tls_hello *out)
{
    struct tls_ch c;
    if (msg == NULL || out == NULL || tls_ch_parse(msg, len, &c) != 0)
        return -1;
    memset(out, 0, sizeof(*out));
    out->legacy_version = c.legacy_version;
    out->version = c.version;
    out->has_sni = c.has_sni;
    copy_sni(&c, out->sni);
    ech_kind(&c, out);
    out->alpn_wire_len = copy_alpn(&c, out->alpn_wire);
    out->n_ciphers = (uint16_t)c.n_ciphers;
    out->n_exts = (uint16_t)c.n_exts;
    if (ja4 && quic)
        tls_ja3(&c, out->ja3);      /* before tls_ja4 sorts the lists */
    if (ja4)
        tls_ja4(&c, quic, out->ja4);
    return 0;
}

int tls_parse_client_hello(const uint8_t *msg, size_t len, bool quic, struct tls_hello *out)
{
    return tls_hello_parse(msg, len, quic, true, out);
}

int tls_ja4_raw(const uint8_t *msg, size_t len, bool quic, char *buf, size_t buflen)
{
    struct tls_ch c;
    if (buf == NULL || buflen == 0)
        return -1;
    buf[0] = '\0';
    if (msg == NULL || tls_ch_parse(msg, len, &c) != 0)
        return -1;
    return tls_ja4_raw_ch(&c, quic, buf, buflen);
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
