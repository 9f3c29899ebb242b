/* Frame to struct packet: link layers, IPv4/IPv6 and TCP/UDP headers.
 *
 * Every length is checked against what was captured before it is used; a
 * packet we cannot decode is counted by kind and skipped, never fatal. A
 * payload cut by the snap length is decoded and counted as such, so later
 * stages see payload_len < payload_wire and know bytes are missing. */
#include "ds/decode.h"

#include <string.h>

#include "ds/bytes.h"
#include "ds/stats.h"

/* Link types as libpcap's pcap_datalink() reports them. */
#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_LINUX 12
#define DLT_RAW_BSD 14
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define LINKTYPE_RAW_ 101
#define DLT_IPV4_ 228
#define DLT_IPV6_ 229
#define DLT_LINUX_SLL2_ 276

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100

#define MAX_IPV6_EXT 8

static const char *const err_names[DECODE_ERR_MAX] = {
    [DECODE_OK] = "ok",
    [DECODE_ERR_LINK_TRUNCATED] = "link_truncated",
    [DECODE_ERR_LINKTYPE] = "unsupported_linktype",
    [DECODE_ERR_NOT_IP] = "not_ip",
    [DECODE_ERR_IPV4_TRUNCATED] = "ipv4_truncated",
    [DECODE_ERR_IPV4_BAD] = "ipv4_invalid",
    [DECODE_ERR_IPV6_TRUNCATED] = "ipv6_truncated",
    [DECODE_ERR_IPV6_BAD] = "ipv6_invalid",
    [DECODE_ERR_IP_FRAGMENT] = "ip_fragment",
    [DECODE_ERR_TCP_TRUNCATED] = "tcp_truncated",
    [DECODE_ERR_TCP_BAD] = "tcp_invalid",
    [DECODE_ERR_UDP_TRUNCATED] = "udp_truncated",
    [DECODE_ERR_UDP_BAD] = "udp_invalid",
    [DECODE_ERR_OTHER_L4] = "other_l4",
    [DECODE_ERR_SNAPLEN] = "snaplen_truncated",
    [DECODE_ERR_WIRELEN] = "wirelen_short",
};

const char *decode_err_name(enum decode_err e)
{
    if ((unsigned)e >= DECODE_ERR_MAX)
        return "unknown";
    return err_names[e];
}

/* L4 header at data[0..caplen); `wire` is its length per the IP header. */
static enum decode_err decode_l4(struct decode_stats *st, uint8_t proto, const uint8_t *data,
                                 uint32_t caplen, uint32_t wire, struct packet *out)
{
    struct rd r = rd_init(data, caplen);
    out->proto = proto;
    if (proto == DS_IPPROTO_TCP) {
        if (caplen < 20)
            return DECODE_ERR_TCP_TRUNCATED;
        out->sport = rd_be16(&r);
        out->dport = rd_be16(&r);
        out->seq = rd_be32(&r);
        out->ack = rd_be32(&r);
        uint8_t off = rd_u8(&r) >> 4;
        out->tcp_flags = rd_u8(&r) & 0x3f;
        out->win = rd_be16(&r);
        uint32_t hlen = (uint32_t)off * 4;
        if (hlen < 20 || hlen > wire)
            return DECODE_ERR_TCP_BAD;
        if (hlen > caplen)
            return DECODE_ERR_TCP_TRUNCATED;
        out->payload = data + hlen;
        out->payload_len = caplen - hlen;
        out->payload_wire = wire - hlen;
        st->tcp++;
        return DECODE_OK;
    }
    if (proto == DS_IPPROTO_UDP) {
        if (caplen < 8)
            return DECODE_ERR_UDP_TRUNCATED;
        out->sport = rd_be16(&r);
        out->dport = rd_be16(&r);
        uint16_t ulen = rd_be16(&r);
        if (ulen < 8 || ulen > wire)
            return DECODE_ERR_UDP_BAD;
        out->payload = data + 8;
        out->payload_wire = ulen - 8u;
        out->payload_len = caplen - 8 < out->payload_wire ? caplen - 8 : out->payload_wire;
        st->udp++;
        return DECODE_OK;
    }
    return DECODE_ERR_OTHER_L4;
}

static enum decode_err decode_ipv4(struct decode_stats *st, const uint8_t *data, uint32_t caplen,
                                   uint32_t wireleft, struct packet *out)
{
    if (caplen < 20)
        return DECODE_ERR_IPV4_TRUNCATED;
    uint8_t vhl = data[0];
    uint32_t hlen = (uint32_t)(vhl & 0x0f) * 4;
    uint32_t total = be16(data + 2);
    if ((vhl >> 4) != 4 || hlen < 20 || total < hlen || total > wireleft)
        return DECODE_ERR_IPV4_BAD;
    if (hlen > caplen)
        return DECODE_ERR_IPV4_TRUNCATED;
    out->ipver = 4;
    out->l3 = data;
    out->l3_len = caplen < total ? caplen : total;
    out->ttl = data[8];
    ds_addr_from_v4(&out->src, data + 12);
    ds_addr_from_v4(&out->dst, data + 16);
    st->ipv4++;
    uint16_t frag = be16(data + 6);
    if ((frag & 0x2000) || (frag & 0x1fff))
        return DECODE_ERR_IP_FRAGMENT;
    return decode_l4(st, data[9], data + hlen, out->l3_len - hlen, total - hlen, out);
}

static enum decode_err decode_ipv6(struct decode_stats *st, const uint8_t *data, uint32_t caplen,
                                   uint32_t wireleft, struct packet *out)
{
    if (caplen < 40)
        return DECODE_ERR_IPV6_TRUNCATED;
    if ((data[0] >> 4) != 6)
        return DECODE_ERR_IPV6_BAD;
    uint32_t total = 40u + be16(data + 4);
    if (total > wireleft)
        return DECODE_ERR_IPV6_BAD;
    out->ipver = 6;
    out->l3 = data;
    out->l3_len = caplen < total ? caplen : total;
    out->ttl = data[7];
    memcpy(out->src.a, data + 8, 16);
    memcpy(out->dst.a, data + 24, 16);
    st->ipv6++;

    uint8_t next = data[6];
    uint32_t off = 40;
    for (int i = 0; i < MAX_IPV6_EXT; i++) {
        uint32_t have = out->l3_len;
        switch (next) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
            if (off + 8 > have)
                return off + 8 > total ? DECODE_ERR_IPV6_BAD : DECODE_ERR_IPV6_TRUNCATED;
            next = data[off];
            off += 8u + 8u * data[off + 1];
            break;
        case 51:  /* authentication header: length in 4-byte units, minus 2 */
            if (off + 8 > have)
                return off + 8 > total ? DECODE_ERR_IPV6_BAD : DECODE_ERR_IPV6_TRUNCATED;
            next = data[off];
            off += 4u * (data[off + 1] + 2u);
            break;
        case 44: { /* fragment: only an atomic fragment (offset 0, no M bit) is whole */
            if (off + 8 > have)
                return off + 8 > total ? DECODE_ERR_IPV6_BAD : DECODE_ERR_IPV6_TRUNCATED;
            uint16_t fo = be16(data + off + 2);
            if ((fo & 0xfff8) || (fo & 1))
                return DECODE_ERR_IP_FRAGMENT;
            next = data[off];
            off += 8;
            break;
        }
        default:
            if (off > total)
                return DECODE_ERR_IPV6_BAD;
            if (off > have)
                return DECODE_ERR_IPV6_TRUNCATED;
            return decode_l4(st, next, data + off, have - off, total - off, out);
        }
    }
    return DECODE_ERR_IPV6_BAD;
}

static enum decode_err decode_ip(struct decode_stats *st, const uint8_t *data, uint32_t caplen,
                                 uint32_t wireleft, struct packet *out)
{
    if (caplen < 1)
        return DECODE_ERR_LINK_TRUNCATED;
    switch (data[0] >> 4) {
    case 4:
        return decode_ipv4(st, data, caplen, wireleft, out);
    case 6:
        return decode_ipv6(st, data, caplen, wireleft, out);
    default:
        return DECODE_ERR_NOT_IP;
    }
}

static enum decode_err decode_ethertype(struct decode_stats *st, uint16_t type,
                                        const uint8_t *data, uint32_t caplen,
                                        uint32_t wireleft, struct packet *out)
{
    if (type == ETH_IPV4) {
        if (caplen < 1 || (data[0] >> 4) != 4)
            return caplen < 1 ? DECODE_ERR_IPV4_TRUNCATED : DECODE_ERR_IPV4_BAD;
        return decode_ipv4(st, data, caplen, wireleft, out);
    }
    if (type == ETH_IPV6) {
        if (caplen < 1 || (data[0] >> 4) != 6)
            return caplen < 1 ? DECODE_ERR_IPV6_TRUNCATED : DECODE_ERR_IPV6_BAD;
        return decode_ipv6(st, data, caplen, wireleft, out);
    }
    return DECODE_ERR_NOT_IP;
}

/* The 802.1Q / QinQ tags announced by the ethertype *type, the first at
 * data[*off]: keeps every id in out->vlan (more than DS_VLAN_MAX tags is not
 * ours), and leaves *off and *type at the encapsulated protocol. */
static enum decode_err decode_vlan_tags(const uint8_t *data, uint32_t caplen, uint32_t *off,
                                        uint16_t *type, struct packet *out)
{
    while (*type == ETH_VLAN || *type == ETH_QINQ || *type == ETH_QINQ_OLD) {
        if (out->vlan.n == DS_VLAN_MAX)
            return DECODE_ERR_NOT_IP;
        if (*off + 4 > caplen)
            return DECODE_ERR_LINK_TRUNCATED;
        /* TCI: 3 bits of priority, the drop-eligible bit, the 12-bit id. */
        out->vlan.id[out->vlan.n++] = (uint16_t)(be16(data + *off) & 0x0fffu);
        *type = be16(data + *off + 2);
        *off += 4;
    }
    return DECODE_OK;
}

/* An ethertype at data[type_off], the rest of the frame from type_off + 2:
 * VLAN tags, then IP. Ethernet and Linux SLL (where libpcap puts back the
 * tag the kernel took off) alike. */
static enum decode_err decode_tagged(struct decode_stats *st, const uint8_t *data,
                                     uint32_t caplen, uint32_t wirelen, uint32_t type_off,
                                     struct packet *out)
{
    uint16_t type = be16(data + type_off);
    uint32_t off = type_off + 2;
    enum decode_err e = decode_vlan_tags(data, caplen, &off, &type, out);
    if (e != DECODE_OK)
        return e;
    return decode_ethertype(st, type, data + off, caplen - off, wirelen - off, out);
}

static enum decode_err decode_link(struct decode_stats *st, int linktype, const uint8_t *data,
                                   uint32_t caplen, uint32_t wirelen, struct packet *out)
{
    switch (linktype) {
    case DLT_EN10MB_:
        if (caplen < 14)
            return DECODE_ERR_LINK_TRUNCATED;
        return decode_tagged(st, data, caplen, wirelen, 12, out);
    case DLT_RAW_LINUX:
    case DLT_RAW_BSD:
    case LINKTYPE_RAW_:
    case DLT_IPV4_:
    case DLT_IPV6_:
        return decode_ip(st, data, caplen, wirelen, out);
    case DLT_NULL_:
    case DLT_LOOP_: {
        /* 4-byte address family: host order for NULL, network order for LOOP;
         * the capturing host is unknown, so accept either order. AF_INET is 2
         * everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD. */
        if (caplen < 4)
            return DECODE_ERR_LINK_TRUNCATED;
        uint32_t le = (uint32_t)data[0] | ((uint32_t)data[1] << 8) |
                      ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 24);
        uint32_t fam = be32(data) < le ? be32(data) : le;
        if (fam == 2)
            return decode_ethertype(st, ETH_IPV4, data + 4, caplen - 4, wirelen - 4, out);
        if (fam == 24 || fam == 28 || fam == 30 || fam == 10)
            return decode_ethertype(st, ETH_IPV6, data + 4, caplen - 4, wirelen - 4, out);
        return DECODE_ERR_NOT_IP;
    }
    case DLT_LINUX_SLL_:
        if (caplen < 16)
            return DECODE_ERR_LINK_TRUNCATED;
        return decode_tagged(st, data, caplen, wirelen, 14, out);
    case DLT_LINUX_SLL2_:
        if (caplen < 20)
            return DECODE_ERR_LINK_TRUNCATED;
        return decode_ethertype(st, be16(data), data + 20, caplen - 20, wirelen - 20, out);
    default:
        return DECODE_ERR_LINKTYPE;
    }
}

enum decode_err decode_frame(struct decode_stats *st, int linktype, const uint8_t *data,
                             uint32_t caplen, uint32_t wirelen, uint64_t ts_us,
                             struct packet *out)
{
    memset(out, 0, sizeof(*out));
    st->pkts++;
    st->bytes += wirelen;
    /* A record claiming fewer bytes on the wire than captured is malformed;
     * trust the captured length as the upper bound of both. */
    if (wirelen < caplen) {
        st->err[DECODE_ERR_WIRELEN]++;
        wirelen = caplen;
    }
    out->ts_us = ts_us;
    out->caplen = caplen;
    out->wirelen = wirelen;
    enum decode_err e = decode_link(st, linktype, data, caplen, wirelen, out);
    if (e == DECODE_OK && out->payload_len < out->payload_wire)
        st->err[DECODE_ERR_SNAPLEN]++;
    else if (e != DECODE_OK)
        st->err[e]++;
    return e;
}

void decode_stats_write(const struct decode_stats *d, struct stats_node *root)
{
    struct stats_node *dec = stats_child(stats_child(root, "stats"), "decoder");
    stats_u64(dec, "pkts", d->pkts);
    stats_u64(dec, "bytes", d->bytes);
    stats_u64(dec, "ipv4", d->ipv4);
    stats_u64(dec, "ipv6", d->ipv6);
    stats_u64(dec, "tcp", d->tcp);
    stats_u64(dec, "udp", d->udp);
    stats_u64(dec, "avg_pkt_size", d->pkts ? d->bytes / d->pkts : 0);
    struct stats_node *errs = stats_child(stats_child(root, "sensor"), "decode_errors");
    for (int e = 1; e < DECODE_ERR_MAX; e++)
        stats_u64(errs, decode_err_name((enum decode_err)e), d->err[e]);
}
