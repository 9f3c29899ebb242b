/* QUIC client Initials, decrypted: the ClientHello that a client sends in
 * the CRYPTO frames of its Initial packets (RFC 9000 17.2.2, RFC 9001 5),
 * for versions 1 (RFC 9001), 2 (RFC 9369) and IETF drafts 27 to 34. The
 * one module that uses libcrypto.
 *
 * For each Initial in a datagram (coalesced packets are walked by their
 * Length): the keys from the version's salt and the packet's DCID
 * (HKDF-SHA256), header protection removed (AES-128-ECB mask over a
 * sample), the payload opened (AES-128-GCM), its frames read (PADDING,
 * PING, ACK skipped by its rules, CRYPTO; any other frame ends the packet
 * as a protocol violation), and the CRYPTO bytes put back in place by
 * offset, across packets and in any order, into the flow's buffer. Once
 * the handshake message at offset 0 is whole it goes to
 * tls_parse_client_hello with quic=true (JA4 with FoxIO's 'q').
 *
 * Keys follow the DCID: the first Initial's keys are kept, and a packet
 * they do not open whose DCID differs gets keys of its own DCID, which is
 * what a client does after a Retry (RFC 9001 5.2), so the Retry itself
 * need not be seen. Every byte is hostile; no allocation per packet (the
 * scratch space is the parser's, the reassembly buffer the flow's); the
 * work per datagram is bounded by its length and QUIC_INITIAL_PKTS_MAX.
 *
 * The server's Initials open with keys from the same DCID and the server's
 * labels (RFC 9001 5.2): quic_initial_server_ja3s reads the ServerHello
 * from them, one datagram at a time, for its JA3S. */
#ifndef DS_QUIC_INITIAL_H
#define DS_QUIC_INITIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/quic-header.h"
#include "ds/tls.h"

#define QUIC_INITIAL_BUF TLS_HELLO_MAX /* CRYPTO bytes kept a flow: the hello */
#define QUIC_INITIAL_PKTS_MAX 16       /* Initials a flow before it gives up */
#define QUIC_INITIAL_COALESCED_MAX 8   /* packets walked in one datagram */

/* Initial packet protection keys for one direction (AES-128-GCM). */
struct quic_keys {
    uint8_t key[16];
    uint8_t iv[12];
    uint8_t hp[16];
};

/* A flow's reassembly state: a plain struct (about 18 KiB) that the caller
 * keeps for as long as the flow's hello is wanted. */
struct quic_initial_flow {
    uint32_t version;         /* of the first Initial read */
    uint8_t dcid[QUIC_CID_MAX];
    uint8_t dcid_len;
    bool have_keys;
    struct quic_keys keys;    /* client keys for dcid */
    int64_t largest_pn;       /* -1 before any packet opened */
    uint16_t packets;         /* Initials opened */
    uint32_t prefix;          /* CRYPTO bytes in place from offset 0 */
    bool done;                /* hello parsed, or given up */
    uint8_t have[QUIC_INITIAL_BUF / 8]; /* one bit a CRYPTO byte */
    uint8_t buf[QUIC_INITIAL_BUF];
};

/* What opens a flow's server Initials: the version and DCID of the client
 * Initials that carried its hello (after a Retry, the new DCID). version 0:
 * none. */
struct quic_server_id {
    uint32_t version;
    uint8_t dcid_len;
    uint8_t tries;            /* server datagrams read for the ServerHello */
    uint8_t dcid[QUIC_CID_MAX];
};

enum quic_initial_res {
    QUIC_INITIAL_MORE = 0, /* no whole hello yet: more Initials wanted */
    QUIC_INITIAL_HELLO,    /* *out is the ClientHello; the flow is done */
    QUIC_INITIAL_FAIL,     /* no hello can come of this flow; it is done */
    QUIC_INITIAL_IGNORED,  /* the flow was done before this datagram */
};

/* What went wrong, counted by the parser over all flows. */
struct quic_initial_stats {
    uint64_t datagrams;       /* handed to quic_initial_datagram */
    uint64_t initials;        /* client Initials opened */
    uint64_t not_initial;     /* datagrams with no Initial of a known version */
    uint64_t truncated;       /* headers or lengths past the datagram */
    uint64_t auth_failed;     /* Initials that the keys did not open */
    uint64_t bad_frames;      /* frames not allowed or cut short */
    uint64_t crypto_overflow; /* CRYPTO bytes beyond QUIC_INITIAL_BUF */
    uint64_t not_hello;       /* the CRYPTO stream did not start a ClientHello */
    uint64_t bad_hello;       /* tls_parse_client_hello refused it */
    uint64_t gave_up;         /* flows at QUIC_INITIAL_PKTS_MAX with no hello */
    uint64_t hellos;          /* ClientHellos parsed */
    uint64_t server_hellos;   /* ServerHellos read from server Initials */
};

struct quic_initial;

/* A parser with its cipher contexts and packet scratch space (about 64
 * KiB): one a thread. NULL if out of memory. Free with quic_initial_free
 * (NULL is a no-op). */
struct quic_initial *quic_initial_new(void);
void quic_initial_free(struct quic_initial *q);

/* Makes *f ready for a new flow. */
void quic_initial_flow_init(struct quic_initial_flow *f);

/* Reads one client-to-server UDP payload into flow f. Returns HELLO (and
 * *out filled) when the flow's ClientHello became whole and parsed, FAIL
 * when the flow can give none (the CRYPTO stream is not a ClientHello,
 * the hello is over QUIC_INITIAL_BUF or malformed, or
 * QUIC_INITIAL_PKTS_MAX Initials brought none), MORE otherwise (a datagram
 * that is not QUIC or not an Initial included), IGNORED once f is done. */
enum quic_initial_res quic_initial_datagram(struct quic_initial *q, struct quic_initial_flow *f,
                                            const uint8_t *d, size_t len, struct tls_hello *out);

/* The server id of a flow whose hello quic_initial_datagram returned. */
void quic_initial_server_id(const struct quic_initial_flow *f, struct quic_server_id *out);

enum quic_server_res {
    QUIC_SERVER_MORE = 0,  /* no whole ServerHello at offset 0 in this datagram */
    QUIC_SERVER_JA3S,      /* ja3s written */
    QUIC_SERVER_FAIL,      /* the server's CRYPTO stream is no readable ServerHello */
};

/* Reads one server-to-client UDP payload of a flow with server id *id:
 * every Initial in it is opened with the server's Initial keys of id's
 * DCID (in the packet's own version: after a version negotiation the
 * server answers in the client's next choice), and the CRYPTO bytes of
 * this datagram alone are put in place (a ServerHello, about 90 to 130
 * bytes, comes whole in the server's first Initial). Writes the
 * ServerHello's JA3S into ja3s (tls-ja3.h). A Retry updates id's DCID to
 * its SCID, which the client's next Initials and so the server's keys use
 * (MORE). */
enum quic_server_res quic_initial_server_ja3s(struct quic_initial *q, struct quic_server_id *id,
                                              const uint8_t *d, size_t len,
                                              char ja3s[TLS_JA3_LEN]);

/* The parser's counters. */
const struct quic_initial_stats *quic_initial_stats(const struct quic_initial *q);

/* The Initial salt of version v, 20 bytes, or NULL if the version's
 * Initials cannot be opened here: v1 and drafts 33-34 share RFC 9001's,
 * drafts 29-32 draft-29's, drafts 27-28 draft-23's; v2 has RFC 9369's. */
const uint8_t *quic_initial_salt(uint32_t v);

/* Derives the Initial keys of version v for the DCID of the client's first
 * Initial (RFC 9001 5.2; RFC 9369 3.3 for v2's salt and labels), the
 * client's or the server's (HMAC-SHA256 over ds/sha256.h: no libcrypto,
 * no allocation). Returns 0, or -1 for a version with no salt. */
int quic_initial_keys(uint32_t v, const uint8_t *dcid, size_t dcid_len, bool server,
                      struct quic_keys *k);

#endif
