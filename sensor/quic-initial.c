/* QUIC client Initials (see quic-initial.h): keys, header protection,
 * AES-128-GCM, frames and CRYPTO reassembly. The one user of libcrypto. */
#include "ds/quic-initial.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ds/bytes.h"
#include "ds/sha256.h"
#include "ds/tls-ja3.h"

#define QI_SCRATCH 65536u  /* a UDP payload is at most 65,527 bytes */
#define QI_SAMPLE 16u      /* header protection sample (RFC 9001 5.4.2) */
#define QI_TAG 16u         /* AES-128-GCM tag */
#define QI_FRAME_PADDING 0x00u
#define QI_FRAME_PING 0x01u
#define QI_FRAME_ACK 0x02u
#define QI_FRAME_ACK_ECN 0x03u
#define QI_FRAME_CRYPTO 0x06u
#define QI_HS_CLIENT_HELLO 1u
#define QI_HS_SERVER_HELLO 2u

struct quic_initial {
    EVP_CIPHER_CTX *ecb;   /* header protection */
    EVP_CIPHER_CTX *gcm;   /* payload */
    struct quic_initial_stats st;
    struct quic_initial_flow server; /* one server datagram's CRYPTO bytes */
    uint8_t scratch[QI_SCRATCH]; /* one packet, unprotected in place */
};

/* RFC 9001 5.2 (v1, and drafts 33 and 34). */
static const uint8_t salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
/* RFC 9369 3.3.1. */
static const uint8_t salt_v2[20] = {
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};
/* draft-ietf-quic-tls-29 5.2, used by drafts 29 to 32. */
static const uint8_t salt_d29[20] = {
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
    0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
};
/* draft-ietf-quic-tls-23 5.2, used by drafts 23 to 28. */
static const uint8_t salt_d23[20] = {
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
    0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02,
};

const uint8_t *quic_initial_salt(uint32_t v)
{
    if (v == QUIC_V1)
        return salt_v1;
    if (v == QUIC_V2)
        return salt_v2;
    if (!quic_version_is_draft(v))
        return NULL;
    uint32_t d = v & 0xffu;
    if (d >= 33 && d <= 34)
        return salt_v1;
    if (d >= 29 && d <= 32)
        return salt_d29;
    if (d >= 27 && d <= 28)
        return salt_d23;
    return NULL;
}

/* HMAC-SHA256 (RFC 2104) with the project's SHA-256: no libcrypto call, so
 * no allocation, in the key schedule. Keys are at most one block. */
static void hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *msg, size_t mlen,
                        uint8_t out[SHA256_LEN])
{
    uint8_t pad[64], inner[SHA256_LEN];
    struct sha256 h;
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < klen && i < sizeof(pad); i++)
        pad[i] ^= key[i];
    sha256_init(&h);
    sha256_update(&h, pad, sizeof(pad));
    sha256_update(&h, msg, mlen);
    sha256_final(&h, inner);
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    sha256_init(&h);
    sha256_update(&h, pad, sizeof(pad));
    sha256_update(&h, inner, sizeof(inner));
    sha256_final(&h, out);
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of
 * at most one SHA-256 block: T(1) = HMAC(secret, info || 0x01). */
static int expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t n)
{
    uint8_t info[64], t[SHA256_LEN];
    size_t ll = strlen(label), i = 0;
    if (n > 32 || 6 + ll > 255 || 2 + 1 + 6 + ll + 2 > sizeof(info))
        return -1;
    info[i++] = 0;
    info[i++] = (uint8_t)n;
    info[i++] = (uint8_t)(6 + ll);
    memcpy(info + i, "tls13 ", 6);
    i += 6;
    memcpy(info + i, label, ll);
    i += ll;
    info[i++] = 0; /* context */
    info[i++] = 1; /* T(1) */
    hmac_sha256(secret, 32, info, i, t);
    memcpy(out, t, n);
    return 0;
}

int quic_initial_keys(uint32_t v, const uint8_t *dcid, size_t dcid_len, bool server,
                      struct quic_keys *k)
{
    const uint8_t *salt = quic_initial_salt(v);
    uint8_t prk[SHA256_LEN], secret[32];
    if (salt == NULL || dcid_len > QUIC_CID_MAX)
        return -1;
    hmac_sha256(salt, 20, dcid_len ? dcid : salt, dcid_len, prk);
    bool v2 = v == QUIC_V2;
    if (expand_label(prk, server ? "server in" : "client in", secret, 32) != 0 ||
        expand_label(secret, v2 ? "quicv2 key" : "quic key", k->key, sizeof(k->key)) != 0 ||
        expand_label(secret, v2 ? "quicv2 iv" : "quic iv", k->iv, sizeof(k->iv)) != 0 ||
        expand_label(secret, v2 ? "quicv2 hp" : "quic hp", k->hp, sizeof(k->hp)) != 0)
        return -1;
    return 0;
}

/* One pass through both ciphers with a zero key, so that whatever
 * libcrypto sets up on first use is set up now, before the first packet,
 * and the heap the rest of the sensor sees after that is the same from one
 * run to the next (the GCM pass fails its tag, as meant). */
static void warm_up(struct quic_initial *q)
{
    uint8_t key[16] = { 0 }, iv[12] = { 0 }, buf[32] = { 0 };
    int ol = 0;
    (void)EVP_EncryptInit_ex(q->ecb, NULL, NULL, key, NULL);
    (void)EVP_EncryptUpdate(q->ecb, buf, &ol, buf + 16, QI_SAMPLE);
    (void)EVP_DecryptInit_ex(q->gcm, NULL, NULL, key, iv);
    (void)EVP_DecryptUpdate(q->gcm, NULL, &ol, buf, 1);
    (void)EVP_DecryptUpdate(q->gcm, buf, &ol, buf, 16);
    (void)EVP_CIPHER_CTX_ctrl(q->gcm, EVP_CTRL_GCM_SET_TAG, (int)QI_TAG, buf + 16);
    (void)EVP_DecryptFinal_ex(q->gcm, buf, &ol);
}

struct quic_initial *quic_initial_new(void)
{
    struct quic_initial *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->ecb = EVP_CIPHER_CTX_new();
    q->gcm = EVP_CIPHER_CTX_new();
    if (q->ecb == NULL || q->gcm == NULL ||
        EVP_EncryptInit_ex(q->ecb, EVP_aes_128_ecb(), NULL, NULL, NULL) != 1 ||
        EVP_DecryptInit_ex(q->gcm, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1) {
        quic_initial_free(q);
        return NULL;
    }
    EVP_CIPHER_CTX_set_padding(q->ecb, 0);
    warm_up(q);
    return q;
}

void quic_initial_free(struct quic_initial *q)
{
    if (q == NULL)
        return;
    EVP_CIPHER_CTX_free(q->ecb);
    EVP_CIPHER_CTX_free(q->gcm);
    free(q);
}

const struct quic_initial_stats *quic_initial_stats(const struct quic_initial *q)
{
    return &q->st;
}

void quic_initial_flow_init(struct quic_initial_flow *f)
{
    memset(f, 0, offsetof(struct quic_initial_flow, have) + sizeof(f->have));
    f->largest_pn = -1;
}

/* One Initial as found in the datagram: the header up to the packet
 * number (pn_off bytes) and the packet's total length. */
struct qi_packet {
    const uint8_t *p;
    size_t pn_off, total;
    struct quic_header h;
};

/* RFC 9000 A.3: the full packet number nearest the one expected. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned bits)
{
    uint64_t expected = (uint64_t)(largest + 1);
    uint64_t win = 1ull << bits, hwin = win / 2, mask = win - 1;
    uint64_t cand = (expected & ~mask) | truncated;
    if (cand + hwin <= expected && cand < (1ull << 62) - win)
        return cand + win;
    if (cand > expected + hwin && cand >= win)
        return cand - win;
    return cand;
}

/* Header protection off (RFC 9001 5.4) in q->scratch; the packet number
 * length, or 0 if libcrypto failed. */
static unsigned unprotect_header(struct quic_initial *q, const struct quic_keys *k, size_t pn_off,
                                 uint64_t *truncated)
{
    uint8_t mask[32];
    int ml = 0;
    uint8_t *s = q->scratch;
    if (EVP_EncryptInit_ex(q->ecb, NULL, NULL, k->hp, NULL) != 1 ||
        EVP_EncryptUpdate(q->ecb, mask, &ml, s + pn_off + 4, QI_SAMPLE) != 1 || ml < 5)
        return 0;
    s[0] ^= (uint8_t)(mask[0] & 0x0fu);
    unsigned pn_len = (s[0] & 3u) + 1u;
    uint64_t pn = 0;
    for (unsigned i = 0; i < pn_len; i++) {
        s[pn_off + i] ^= mask[1 + i];
        pn = (pn << 8) | s[pn_off + i];
    }
    *truncated = pn;
    return pn_len;
}

/* Opens packet p with keys k into q->scratch: *plain and *plain_len the
 * frames, *pn the packet number. 0, or -1 if it does not authenticate. */
static int open_packet(struct quic_initial *q, const struct quic_keys *k, int64_t largest,
                       const struct qi_packet *p, const uint8_t **plain, size_t *plain_len,
                       uint64_t *pn)
{
    uint8_t *s = q->scratch;
    memcpy(s, p->p, p->total);
    uint64_t truncated = 0;
    unsigned pn_len = unprotect_header(q, k, p->pn_off, &truncated);
    size_t hdr = p->pn_off + pn_len;
    if (pn_len == 0 || hdr + QI_TAG >= p->total)
        return -1;
    *pn = decode_pn(largest, truncated, 8 * pn_len);
    uint8_t nonce[12];
    memcpy(nonce, k->iv, sizeof(nonce));
    for (unsigned i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(*pn >> (8 * i));
    int ct_len = (int)(p->total - hdr - QI_TAG), ol = 0, fl = 0;
    uint8_t *ct = s + hdr;
    if (EVP_DecryptInit_ex(q->gcm, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(q->gcm, NULL, &ol, s, (int)hdr) != 1 ||
        EVP_DecryptUpdate(q->gcm, ct, &ol, ct, ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(q->gcm, EVP_CTRL_GCM_SET_TAG, (int)QI_TAG, ct + ct_len) != 1 ||
        EVP_DecryptFinal_ex(q->gcm, ct + ol, &fl) != 1)
        return -1;
    *plain = ct;
    *plain_len = (size_t)ct_len;
    return 0;
}

static bool same_dcid(const struct quic_initial_flow *f, const struct quic_header *h)
{
    return f->dcid_len == h->dcid_len && memcmp(f->dcid, h->dcid, h->dcid_len) == 0;
}

/* Opens p with keys of its own DCID and version, which become the flow's. */
static int open_new_keys(struct quic_initial *q, struct quic_initial_flow *f,
                         const struct qi_packet *p, const uint8_t **plain, size_t *plain_len,
                         uint64_t *pn)
{
    struct quic_keys k;
    if (quic_initial_keys(p->h.version, p->h.dcid, p->h.dcid_len, false, &k) != 0 ||
        open_packet(q, &k, -1, p, plain, plain_len, pn) != 0)
        return -1;
    f->keys = k;
    f->have_keys = true;
    f->version = p->h.version;
    f->dcid_len = p->h.dcid_len;
    memcpy(f->dcid, p->h.dcid, p->h.dcid_len);
    f->largest_pn = -1;
    return 0;
}

/* Opens p with the flow's keys, or with keys of its own DCID and version
 * (a Retry's new DCID, a version after negotiation). */
static int open_initial(struct quic_initial *q, struct quic_initial_flow *f,
                        const struct qi_packet *p, const uint8_t **plain, size_t *plain_len)
{
    uint64_t pn = 0;
    bool same = f->have_keys && f->version == p->h.version && same_dcid(f, &p->h);
    int rc = f->have_keys ? open_packet(q, &f->keys, f->largest_pn, p, plain, plain_len, &pn) : -1;
    if (rc != 0 && !same)
        rc = open_new_keys(q, f, p, plain, plain_len, &pn);
    if (rc != 0)
        return -1;
    if ((int64_t)pn > f->largest_pn)
        f->largest_pn = (int64_t)pn;
    return 0;
}

/* CRYPTO bytes [off, off + n) into the flow's buffer; bytes past it are
 * counted and dropped. A byte sent twice keeps its last value. */
static void crypto_put(struct quic_initial *q, struct quic_initial_flow *f, uint64_t off,
                       const uint8_t *data, uint64_t n)
{
    if (n == 0)
        return;
    if (off >= QUIC_INITIAL_BUF || n > QUIC_INITIAL_BUF - off) {
        q->st.crypto_overflow++;
        if (off >= QUIC_INITIAL_BUF)
            return;
        n = QUIC_INITIAL_BUF - off;
    }
    size_t o = (size_t)off, e = o + (size_t)n;
    memcpy(f->buf + o, data, (size_t)n);
    for (size_t i = o; i < e; i++)
        f->have[i / 8] |= (uint8_t)(1u << (i % 8));
    while (f->prefix < QUIC_INITIAL_BUF && (f->have[f->prefix / 8] & (1u << (f->prefix % 8))))
        f->prefix++;
}

/* ACK and ACK_ECN (RFC 9000 19.3): read and dropped. */
static void skip_ack(struct rd *r, uint64_t type)
{
    (void)quic_varint_read(r); /* largest acknowledged */
    (void)quic_varint_read(r); /* delay */
    uint64_t ranges = quic_varint_read(r);
    (void)quic_varint_read(r); /* first range */
    if (ranges > rd_left(r) / 2) {
        r->bad = true;
        return;
    }
    for (uint64_t i = 0; i < ranges && !r->bad; i++) {
        (void)quic_varint_read(r); /* gap */
        (void)quic_varint_read(r); /* length */
    }
    if (type == QI_FRAME_ACK_ECN)
        for (unsigned i = 0; i < 3; i++)
            (void)quic_varint_read(r);
}

/* The frames of an opened Initial; a frame an Initial may not carry, or
 * one cut short, ends the packet (the CRYPTO data before it is kept). */
static void read_frames(struct quic_initial *q, struct quic_initial_flow *f, const uint8_t *p,
                        size_t n)
{
    struct rd r = rd_init(p, n);
    while (rd_left(&r) > 0) {
        uint64_t type = quic_varint_read(&r);
        if (type == QI_FRAME_PADDING || type == QI_FRAME_PING)
            continue;
        if (type == QI_FRAME_ACK || type == QI_FRAME_ACK_ECN) {
            skip_ack(&r, type);
        } else if (type == QI_FRAME_CRYPTO) {
            uint64_t off = quic_varint_read(&r), len = quic_varint_read(&r);
            const uint8_t *data = len > rd_left(&r) ? NULL : rd_bytes(&r, (size_t)len);
            if (data != NULL)
                crypto_put(q, f, off, data, len);
            else
                r.bad = true;
        } else {
            r.bad = true;
        }
        if (r.bad) {
            q->st.bad_frames++;
            return;
        }
    }
}

/* The hello, if the CRYPTO stream holds a whole one now. */
static enum quic_initial_res try_hello(struct quic_initial *q, struct quic_initial_flow *f,
                                       struct tls_hello *out)
{
    if (f->prefix < 4)
        return QUIC_INITIAL_MORE;
    if (f->buf[0] != QI_HS_CLIENT_HELLO) {
        q->st.not_hello++;
        return QUIC_INITIAL_FAIL;
    }
    size_t msg = 4 + ((size_t)f->buf[1] << 16 | (size_t)f->buf[2] << 8 | f->buf[3]);
    if (msg > QUIC_INITIAL_BUF) {
        q->st.crypto_overflow++;
        return QUIC_INITIAL_FAIL;
    }
    if (f->prefix < msg)
        return QUIC_INITIAL_MORE;
    if (tls_parse_client_hello(f->buf, msg, true, out) != 0) {
        q->st.bad_hello++;
        return QUIC_INITIAL_FAIL;
    }
    q->st.hellos++;
    return QUIC_INITIAL_HELLO;
}

/* The next packet of the datagram at r: false when the walk ends (not a
 * long header of a known version, a Retry or Version Negotiation, or a
 * length past the datagram). */
static bool next_packet(struct quic_initial *q, struct rd *r, struct qi_packet *p)
{
    size_t start = r->off;
    enum quic_header_res res = quic_header_read(r, &p->h);
    if (res == QUIC_HDR_TRUNCATED || res == QUIC_HDR_BAD_CID)
        q->st.truncated++;
    if (res != QUIC_HDR_LONG || !quic_version_known(p->h.version) ||
        p->h.type == QUIC_PT_RETRY || p->h.type == QUIC_PT_VERSION_NEGOTIATION)
        return false;
    if (p->h.type == QUIC_PT_INITIAL) {
        uint64_t token = quic_varint_read(r);
        rd_skip(r, token > rd_left(r) ? rd_left(r) + 1 : (size_t)token);
    }
    uint64_t len = quic_varint_read(r);
    if (r->bad || len > rd_left(r)) {
        q->st.truncated++;
        return false;
    }
    p->p = r->p + start;
    p->pn_off = r->off - start;
    p->total = p->pn_off + (size_t)len;
    rd_skip(r, (size_t)len);
    return true;
}

/* One Initial read into the flow. */
static void read_initial(struct quic_initial *q, struct quic_initial_flow *f,
                         const struct qi_packet *p)
{
    const uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (p->total < p->pn_off + 4 + QI_SAMPLE || p->total > QI_SCRATCH) {
        q->st.truncated++;
        return;
    }
    if (open_initial(q, f, p, &plain, &plain_len) != 0) {
        q->st.auth_failed++;
        return;
    }
    q->st.initials++;
    f->packets++;
    read_frames(q, f, plain, plain_len);
}

enum quic_initial_res quic_initial_datagram(struct quic_initial *q, struct quic_initial_flow *f,
                                            const uint8_t *d, size_t len, struct tls_hello *out)
{
    if (f->done)
        return QUIC_INITIAL_IGNORED;
    q->st.datagrams++;
    struct rd r = rd_init(d, len);
    struct qi_packet p;
    unsigned seen = 0;
    enum quic_initial_res res = QUIC_INITIAL_MORE;
    for (unsigned n = 0; n < QUIC_INITIAL_COALESCED_MAX && res == QUIC_INITIAL_MORE &&
                         rd_left(&r) > 0 && next_packet(q, &r, &p);
         n++) {
        if (p.h.type != QUIC_PT_INITIAL || quic_initial_salt(p.h.version) == NULL)
            continue;
        seen++;
        read_initial(q, f, &p);
        res = try_hello(q, f, out);
    }
    if (seen == 0)
        q->st.not_initial++;
    if (res == QUIC_INITIAL_MORE && f->packets >= QUIC_INITIAL_PKTS_MAX) {
        q->st.gave_up++;
        res = QUIC_INITIAL_FAIL;
    }
    f->done = res != QUIC_INITIAL_MORE;
    return res;
}

void quic_initial_server_id(const struct quic_initial_flow *f, struct quic_server_id *out)
{
    memset(out, 0, sizeof(*out));
    if (!f->have_keys)
        return;
    out->version = f->version;
    out->dcid_len = f->dcid_len;
    memcpy(out->dcid, f->dcid, f->dcid_len);
}

/* The JA3S, if the server's CRYPTO bytes hold a whole ServerHello now. */
static enum quic_server_res try_server_hello(struct quic_initial *q,
                                             const struct quic_initial_flow *f,
                                             char ja3s[TLS_JA3_LEN])
{
    if (f->prefix < 4)
        return QUIC_SERVER_MORE;
    if (f->buf[0] != QI_HS_SERVER_HELLO)
        return QUIC_SERVER_FAIL;
    size_t msg = 4 + ((size_t)f->buf[1] << 16 | (size_t)f->buf[2] << 8 | f->buf[3]);
    if (msg > QUIC_INITIAL_BUF)
        return QUIC_SERVER_FAIL;
    if (f->prefix < msg)
        return QUIC_SERVER_MORE;
    if (tls_ja3s(f->buf, msg, ja3s, NULL, 0) != 0)
        return QUIC_SERVER_FAIL;
    q->st.server_hellos++;
    return QUIC_SERVER_JA3S;
}

/* A Retry (RFC 9000 17.2.5) answering the flow's client: its SCID is the
 * DCID of the client's next Initials, whose keys the server then uses
 * (RFC 9001 5.2). Its integrity tag is not checked: a forged Retry costs
 * the flow its JA3S, nothing else. True if d starts with one. */
static bool server_retry(struct quic_server_id *id, const uint8_t *d, size_t len)
{
    struct rd r = rd_init(d, len);
    struct quic_header h;
    if (quic_header_read(&r, &h) != QUIC_HDR_LONG || h.type != QUIC_PT_RETRY ||
        h.version != id->version)
        return false;
    id->dcid_len = h.scid_len;
    memcpy(id->dcid, h.scid, h.scid_len);
    return true;
}

enum quic_server_res quic_initial_server_ja3s(struct quic_initial *q, struct quic_server_id *id,
                                              const uint8_t *d, size_t len,
                                              char ja3s[TLS_JA3_LEN])
{
    if (server_retry(id, d, len))
        return QUIC_SERVER_MORE;
    struct quic_initial_flow *f = &q->server;
    quic_initial_flow_init(f);
    if (quic_initial_salt(id->version) == NULL)
        return QUIC_SERVER_FAIL;
    struct rd r = rd_init(d, len);
    struct qi_packet p;
    for (unsigned n = 0; n < QUIC_INITIAL_COALESCED_MAX && rd_left(&r) > 0 &&
                         next_packet(q, &r, &p);
         n++) {
        /* After a version negotiation the server answers in the version
         * the client chose next, under the same DCID: keys of that version. */
        if (p.h.type != QUIC_PT_INITIAL || p.total < p.pn_off + 4 + QI_SAMPLE ||
            p.total > QI_SCRATCH)
            continue;
        if ((!f->have_keys || p.h.version != f->version) &&
            quic_initial_keys(p.h.version, id->dcid, id->dcid_len, true, &f->keys) != 0)
            continue;
        f->have_keys = true;
        f->version = p.h.version;
        const uint8_t *plain = NULL;
        size_t plain_len = 0;
        uint64_t pn = 0;
        if (open_packet(q, &f->keys, f->largest_pn, &p, &plain, &plain_len, &pn) != 0)
            continue;
        if ((int64_t)pn > f->largest_pn)
            f->largest_pn = (int64_t)pn;
        read_frames(q, f, plain, plain_len);
    }
    return try_server_hello(q, f, ja3s);
}
