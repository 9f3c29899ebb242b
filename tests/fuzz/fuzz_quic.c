/* Fuzz target for the QUIC header reader (quic-header.h): the input is one
 * UDP datagram, walked as coalesced packets the way the turn tracker walks
 * them: a header, then for a long header of a known version the token of
 * an Initial and the Length field, and the next packet after Length bytes;
 * a short header, an unknown version or a bad header ends the walk. Each
 * header is read twice (version only, then in full) and the two must agree;
 * whatever the reader returns must lie inside the datagram and follow
 * RFC 9000's limits. Any disagreement aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/quic-header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VARINT_MAX ((1ull << 62) - 1)

static void check_inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
    if (p == NULL || p < data || (size_t)(p - data) > size || n > size - (size_t)(p - data))
        abort();
}

static void check_agree(const struct quic_header *v, const struct quic_header *h,
                        enum quic_header_res rv, enum quic_header_res rh)
{
    if (rv == QUIC_HDR_TRUNCATED || rv == QUIC_HDR_SHORT) {
        if (rh != rv)
            abort();
    } else if (rv != QUIC_HDR_LONG || rh == QUIC_HDR_SHORT) {
        abort();
    }
    if (h->first != v->first || h->long_form != v->long_form || h->fixed_bit != v->fixed_bit)
        abort();
    if (rv != QUIC_HDR_TRUNCATED && (h->type != v->type || h->version != v->version))
        abort();
    if (quic_header_type_name(h->type) == NULL)
        abort();
}

/* One packet at r; false when the walk ends. */
static bool walk_one(const uint8_t *data, size_t size, struct rd *r)
{
    struct rd rv = *r;
    struct quic_header v, h;
    enum quic_header_res res_v = quic_header_read_version(&rv, &v);
    enum quic_header_res res = quic_header_read(r, &h);
    check_agree(&v, &h, res_v, res);
    if (res != QUIC_HDR_LONG)
        return false;
    if (!h.long_form || h.dcid_len > QUIC_CID_MAX || h.scid_len > QUIC_CID_MAX || r->bad)
        abort();
    check_inside(data, size, h.dcid, h.dcid_len);
    check_inside(data, size, h.scid, h.scid_len);
    if (h.scid != h.dcid + h.dcid_len + 1 || r->off != (size_t)(h.scid + h.scid_len - data))
        abort();
    if (!quic_version_known(h.version) || h.type == QUIC_PT_RETRY)
        return false;
    if (h.type == QUIC_PT_INITIAL) {
        uint64_t token = quic_varint_read(r);
        if (token > VARINT_MAX)
            abort();
        rd_skip(r, token > rd_left(r) ? rd_left(r) + 1 : (size_t)token);
    }
    uint64_t len = quic_varint_read(r);
    if (len > VARINT_MAX)
        abort();
    if (r->bad || len > rd_left(r))
        return false;
    rd_skip(r, (size_t)len);
    return !r->bad && rd_left(r) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = rd_init(data, size);
    for (unsigned n = 0; n < 64 && walk_one(data, size, &r); n++)
        if (r.off > size)
            abort();
    return 0;
}
