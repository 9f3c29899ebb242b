/* Fuzz target for the QUIC Initial parser (quic-initial.h). The input is a
 * mode byte, then datagrams, each a 2-byte big-endian length and its bytes
 * (the last one takes what is left), all fed to one flow in order:
 *  - mode bit 0 clear: each datagram as it is (headers, lengths, coalesced
 *    packets, what does not authenticate);
 *  - mode bit 0 set: each datagram is the plaintext frames of a v1 client
 *    Initial that the target seals itself (DCID 8394c8f03e515708, packet
 *    number = its index), so that frame parsing and CRYPTO reassembly get
 *    hostile frames past the AEAD;
 *  - mode bit 1 set: each datagram goes instead to the server side
 *    (quic_initial_server_ja3s, the same DCID; sealed with the server's
 *    keys when bit 0 is set), so the ServerHello reader and a Retry's new
 *    DCID get hostile bytes too.
 * The result must be one of the four (three on the server side), a flow
 * once done stays done, the reassembled prefix stays inside the buffer, a
 * hello has a NUL inside its SNI and a 'q' JA4, and a JA3S is 32 hex digits
 * or "". Any breach aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ds/quic-initial.h"
#include "ds/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

/* A v1 Initial with `frames` (padded to 20 bytes) into out; its length,
 * or 0 if it does not fit or libcrypto fails. */
static size_t seal(uint8_t *out, size_t cap, const uint8_t *frames, size_t flen, uint32_t pn,
                   bool server)
{
    struct quic_keys k;
    size_t plen = flen < 20 ? 20 : flen, i = 0, length = 4 + plen + 16;
    if (length > 0x3fff || 18 + length > cap ||
        quic_initial_keys(QUIC_V1, dcid, sizeof(dcid), server, &k) != 0)
        return 0;
    const uint8_t head[] = { 0xc3, 0, 0, 0, 1, 8 };
    memcpy(out, head, sizeof(head));
    i = sizeof(head);
    memcpy(out + i, dcid, sizeof(dcid));
    i += sizeof(dcid);
    out[i++] = 0;
    out[i++] = 0;
    out[i++] = (uint8_t)(0x40u | (length >> 8));
    out[i++] = (uint8_t)length;
    size_t pn_off = i;
    for (unsigned j = 0; j < 4; j++)
        out[i++] = (uint8_t)(pn >> (24 - 8 * j));
    memset(out + i, 0, plen);
    if (flen > 0)
        memcpy(out + i, frames, flen);
    uint8_t nonce[12], mask[16];
    memcpy(nonce, k.iv, sizeof(nonce));
    for (unsigned j = 0; j < 4; j++)
        nonce[11 - j] ^= (uint8_t)(pn >> (8 * j));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ol = 0;
    int ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &ol, out, (int)i) == 1 &&
             EVP_EncryptUpdate(c, out + i, &ol, out + i, (int)plen) == 1 &&
             EVP_EncryptFinal_ex(c, out + i + plen, &ol) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + i + plen) == 1 &&
             EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) == 1 &&
             EVP_EncryptUpdate(c, mask, &ol, out + pn_off + 4, 16) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return 0;
    out[0] ^= (uint8_t)(mask[0] & 0x0fu);
    for (unsigned j = 0; j < 4; j++)
        out[pn_off + j] ^= mask[1 + j];
    return i + plen + 16;
}

static void check_hello(const struct tls_hello *h)
{
    if (memchr(h->sni, '\0', sizeof(h->sni)) == NULL || h->ja4[0] != 'q' ||
        memchr(h->ja4, '\0', sizeof(h->ja4)) == NULL)
        abort();
}

/* One datagram to the server side: a result of the three, a JA3S of 32
 * hex digits, and the DCID within its bound. */
static void server_datagram(struct quic_initial *q, struct quic_server_id *id, const uint8_t *d,
                            size_t len)
{
    char ja3s[TLS_JA3_LEN];
    memset(ja3s, 'x', sizeof(ja3s));
    enum quic_server_res res = quic_initial_server_ja3s(q, id, d, len, ja3s);
    if (res > QUIC_SERVER_FAIL || id->dcid_len > QUIC_CID_MAX)
        abort();
    if (res == QUIC_SERVER_JA3S &&
        (strspn(ja3s, "0123456789abcdef") != TLS_JA3_LEN - 1 || ja3s[TLS_JA3_LEN - 1] != '\0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct quic_initial *q;
    static struct quic_initial_flow f;
    static uint8_t sealed[0x4000 + 64];
    if (q == NULL)
        q = quic_initial_new();
    if (q == NULL || size == 0)
        return 0;
    bool do_seal = data[0] & 1u, server = data[0] & 2u;
    struct quic_server_id id = { .version = QUIC_V1, .dcid_len = sizeof(dcid) };
    memcpy(id.dcid, dcid, sizeof(dcid));
    quic_initial_flow_init(&f);
    size_t off = 1;
    bool done = false;
    for (uint32_t n = 0; off < size && n < 64; n++) {
        size_t len = size - off < 2 ? 0 : (size_t)data[off] << 8 | data[off + 1];
        off += size - off < 2 ? size - off : 2;
        if (len > size - off)
            len = size - off;
        const uint8_t *d = data + off;
        off += len;
        if (do_seal) {
            len = seal(sealed, sizeof(sealed), d, len, n, server);
            d = sealed;
        }
        if (server) {
            server_datagram(q, &id, d, len);
            continue;
        }
        struct tls_hello h;
        enum quic_initial_res res = quic_initial_datagram(q, &f, d, len, &h);
        if ((done && res != QUIC_INITIAL_IGNORED) || (!done && res == QUIC_INITIAL_IGNORED) ||
            f.prefix > QUIC_INITIAL_BUF)
            abort();
        if (res == QUIC_INITIAL_HELLO)
            check_hello(&h);
        done = res != QUIC_INITIAL_MORE;
    }
    return 0;
}
