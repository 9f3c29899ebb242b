/* QUIC packet headers as far as the sensor reads them: the first byte, the
 * version and the connection IDs of a long header (RFC 8999 section 5,
 * RFC 9000 section 17.2), with version 2's packet type numbering mapped onto
 * version 1's (RFC 9369 section 3.2), and the version numbers the sensor
 * knows. One reader for every module that looks at QUIC: the sensor's "is
 * this QUIC" test, classification's "is this an Initial", the exchange
 * walk over coalesced packets.
 *
 * Every byte is hostile: all reads go through ds/bytes.h, connection ID
 * lengths above 20 are refused, and nothing here reads past the SCID (the
 * token and Length fields are the caller's: quic_varint_read reads them). */
#ifndef DS_QUIC_HEADER_H
#define DS_QUIC_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "ds/bytes.h"

#define QUIC_VERSION_NEGOTIATION 0x00000000u /* RFC 9000 17.2.1 */
#define QUIC_V1 0x00000001u                  /* RFC 9000 */
#define QUIC_V2 0x6b3343cfu                  /* RFC 9369 */

#define QUIC_FORM_LONG 0x80u    /* first byte: header form, 1 = long header */
#define QUIC_FIXED_BIT 0x40u    /* first byte: 1 in every v1/v2 packet but VN */
#define QUIC_CID_MAX 20         /* RFC 9000 17.2: a longer CID is dropped */

/* Packet types, in version 1's numbering for the four long-header types
 * (RFC 9000 table 5); version 2's are mapped onto these. */
enum quic_ptype {
    QUIC_PT_INITIAL = 0,
    QUIC_PT_0RTT = 1,
    QUIC_PT_HANDSHAKE = 2,
    QUIC_PT_RETRY = 3,
    QUIC_PT_VERSION_NEGOTIATION, /* long header with version 0 */
    QUIC_PT_1RTT,                /* short header */
};

/* IETF drafts: 0xff0000xx (xx the draft number). */
static inline bool quic_version_is_draft(uint32_t v)
{
    return (v & 0xffffff00u) == 0xff000000u;
}

/* Facebook's mvfst drafts: 0xfaceb00x. */
static inline bool quic_version_is_mvfst(uint32_t v)
{
    return (v & 0xfffffff0u) == 0xfaceb000u;
}

/* 0x?a?a?a?a: versions reserved to force version negotiation (RFC 9000
 * section 15); a client that sends one expects to be told the real ones. */
static inline bool quic_version_is_reserved(uint32_t v)
{
    return (v & 0x0f0f0f0fu) == 0x0a0a0a0au;
}

/* Versions whose long headers are laid out as version 1's (a token in the
 * Initial, then a Length field), so that coalesced packets can be walked:
 * v1, v2, IETF drafts and mvfst drafts. */
static inline bool quic_version_known(uint32_t v)
{
    return v == QUIC_V1 || v == QUIC_V2 || quic_version_is_draft(v) || quic_version_is_mvfst(v);
}

/* The type of a long-header packet with first byte `first` and version v:
 * VERSION_NEGOTIATION for version 0; for version 2 its numbering mapped to
 * version 1's (v2 sends Retry 0, Initial 1, 0-RTT 2, Handshake 3); for every
 * other version the bits as version 1 reads them, whatever that version
 * means by them. */
static inline enum quic_ptype quic_long_type(uint8_t first, uint32_t v)
{
    if (v == QUIC_VERSION_NEGOTIATION)
        return QUIC_PT_VERSION_NEGOTIATION;
    unsigned t = (first >> 4) & 3u;
    if (v == QUIC_V2)
        t = (t + 3u) & 3u;
    return (enum quic_ptype)t;
}

/* A header as read. */
struct quic_header {
    uint8_t first;           /* the first byte as sent */
    bool long_form;          /* QUIC_FORM_LONG set */
    bool fixed_bit;          /* QUIC_FIXED_BIT set (RFC 9287 lets it be 0) */
    enum quic_ptype type;    /* QUIC_PT_1RTT for a short header */
    uint32_t version;        /* long header; 0 for a short header */
    uint8_t dcid_len, scid_len;
    const uint8_t *dcid;     /* into the packet, long header after */
    const uint8_t *scid;     /* quic_header_read only; else NULL */
};

enum quic_header_res {
    QUIC_HDR_LONG = 0,       /* a long header, read as far as asked */
    QUIC_HDR_SHORT,          /* a short header: only its first byte read */
    QUIC_HDR_TRUNCATED,      /* the bytes end inside the header */
    QUIC_HDR_BAD_CID,        /* a connection ID length above QUIC_CID_MAX */
};

/* Reads the first byte and, for a long header, the version from r into *h
 * (5 bytes: the part every version shares, RFC 8999). On SHORT r has moved
 * past the first byte; on TRUNCATED r is bad and h says nothing more than
 * its first byte, if there was one. */
static inline enum quic_header_res quic_header_read_version(struct rd *r, struct quic_header *h)
{
    *h = (struct quic_header){ 0 };
    h->first = rd_u8(r);
    if (r->bad)
        return QUIC_HDR_TRUNCATED;
    h->long_form = (h->first & QUIC_FORM_LONG) != 0;
    h->fixed_bit = (h->first & QUIC_FIXED_BIT) != 0;
    if (!h->long_form) {
        h->type = QUIC_PT_1RTT;
        return QUIC_HDR_SHORT;
    }
    uint32_t v = rd_be32(r);
    if (r->bad)
        return QUIC_HDR_TRUNCATED;
    h->version = v;
    h->type = quic_long_type(h->first, v);
    return QUIC_HDR_LONG;
}

/* As quic_header_read_version, then for a long header its DCID and SCID
 * too; on LONG r stands just after the SCID (at the token of an Initial,
 * the Length of 0-RTT and Handshake packets). A CID length above 20 is
 * BAD_CID in any version: RFC 9000 drops it in v1, and the sensor reads no
 * version that allows more (RFC 8999 lets future ones use up to 255). */
static inline enum quic_header_res quic_header_read(struct rd *r, struct quic_header *h)
{
    enum quic_header_res res = quic_header_read_version(r, h);
    if (res != QUIC_HDR_LONG)
        return res;
    h->dcid_len = rd_u8(r);
    if (h->dcid_len > QUIC_CID_MAX)
        return QUIC_HDR_BAD_CID;
    h->dcid = rd_bytes(r, h->dcid_len);
    h->scid_len = rd_u8(r);
    if (h->scid_len > QUIC_CID_MAX)
        return QUIC_HDR_BAD_CID;
    h->scid = rd_bytes(r, h->scid_len);
    return r->bad ? QUIC_HDR_TRUNCATED : QUIC_HDR_LONG;
}

/* A variable-length integer (RFC 9000 section 16): 1, 2, 4 or 8 bytes, the
 * top two bits of the first saying which. 0 and r bad if cut short. */
static inline uint64_t quic_varint_read(struct rd *r)
{
    uint8_t b = rd_u8(r);
    unsigned extra = (1u << (b >> 6)) - 1u;
    uint64_t v = b & 0x3fu;
    for (unsigned i = 0; i < extra; i++)
        v = (v << 8) | rd_u8(r);
    return r->bad ? 0 : v;
}

/* "Initial", "0-RTT", "Handshake", "Retry", "Version Negotiation", "1-RTT";
 * "unknown" for anything else. A static string. */
const char *quic_header_type_name(enum quic_ptype t);

#endif
