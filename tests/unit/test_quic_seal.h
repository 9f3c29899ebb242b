/* Client Initials sealed as a client does (RFC 9001 5.3, 5.4), for the unit
 * tests (include after cmocka.h; link libcrypto). */
#ifndef DS_TEST_QUIC_SEAL_H
#define DS_TEST_QUIC_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "ds/quic-initial.h"

struct sealed {
    uint8_t b[1500];
    size_t len;
};

/* A client Initial of version v to dcid, packet number pn (4 bytes), with
 * `frames` as its payload padded to `pad` bytes; appended to *s. */
static inline void seal(struct sealed *s, uint32_t v, const uint8_t *dcid, uint8_t dcid_len,
                        uint32_t pn, const uint8_t *frames, size_t flen, size_t pad)
{
    struct quic_keys k;
    assert_int_equal(quic_initial_keys(v, dcid, dcid_len, false, &k), 0);
    size_t plen = flen > pad ? flen : pad;
    uint8_t *p = s->b + s->len;
    size_t i = 0;
    p[i++] = (uint8_t)(0xc3u | (v == QUIC_V2 ? 0x10u : 0u));
    p[i++] = (uint8_t)(v >> 24);
    p[i++] = (uint8_t)(v >> 16);
    p[i++] = (uint8_t)(v >> 8);
    p[i++] = (uint8_t)v;
    p[i++] = dcid_len;
    memcpy(p + i, dcid, dcid_len);
    i += dcid_len;
    p[i++] = 0; /* SCID */
    p[i++] = 0; /* token */
    size_t length = 4 + plen + 16;
    assert_true(s->len + i + 2 + length <= sizeof(s->b));
    p[i++] = (uint8_t)(0x40u | (length >> 8));
    p[i++] = (uint8_t)length;
    size_t pn_off = i;
    for (unsigned j = 0; j < 4; j++)
        p[i++] = (uint8_t)(pn >> (24 - 8 * j));
    memset(p + i, 0, plen);
    memcpy(p + i, frames, flen);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (unsigned j = 0; j < 4; j++)
        nonce[11 - j] ^= (uint8_t)(pn >> (8 * j));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ol = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(c, NULL, &ol, p, (int)i), 1);
    assert_int_equal(EVP_EncryptUpdate(c, p + i, &ol, p + i, (int)plen), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, p + i + plen, &ol), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + i + plen), 1);
    uint8_t mask[16];
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &ol, p + pn_off + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    p[0] ^= (uint8_t)(mask[0] & 0x0fu);
    for (unsigned j = 0; j < 4; j++)
        p[pn_off + j] ^= mask[1 + j];
    s->len += i + plen + 16;
}

/* A CRYPTO frame of hello[from, to) appended to buf at *n. */
static inline void crypto_frame(uint8_t *buf, size_t *n, const uint8_t *hello, size_t from,
                                size_t to)
{
    buf[(*n)++] = 0x06;
    buf[(*n)++] = (uint8_t)(0x40u | (from >> 8));
    buf[(*n)++] = (uint8_t)from;
    buf[(*n)++] = (uint8_t)(0x40u | ((to - from) >> 8));
    buf[(*n)++] = (uint8_t)(to - from);
    memcpy(buf + *n, hello + from, to - from);
    *n += to - from;
}

#endif
