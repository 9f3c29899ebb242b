/* Link layer to L4: Ethernet, 802.1Q/QinQ (up to 4 tags, their ids kept in
 * packet.vlan), Linux SLL/SLL2, raw IP, BSD loopback; IPv4 (options), IPv6
 * (extension headers); TCP, UDP. A packet that cannot be decoded is counted
 * by kind and skipped, never fatal. */
#ifndef DS_DECODE_H
#define DS_DECODE_H

#include <stdint.h>

#include "ds/packet.h"

/* Why a packet was not handed on. Order is the order of the stats output. */
enum decode_err {
    DECODE_OK = 0,
    DECODE_ERR_LINK_TRUNCATED,   /* frame shorter than its link header */
    DECODE_ERR_LINKTYPE,         /* link type we do not decode */
    DECODE_ERR_NOT_IP,           /* ARP, LLDP, ... (not an error, just not ours) */
    DECODE_ERR_IPV4_TRUNCATED,
    DECODE_ERR_IPV4_BAD,         /* bad version, header length or total length */
    DECODE_ERR_IPV6_TRUNCATED,
    DECODE_ERR_IPV6_BAD,
    DECODE_ERR_IP_FRAGMENT,      /* fragments are counted and skipped */
    DECODE_ERR_TCP_TRUNCATED,
    DECODE_ERR_TCP_BAD,          /* bad data offset */
    DECODE_ERR_UDP_TRUNCATED,
    DECODE_ERR_UDP_BAD,
    DECODE_ERR_OTHER_L4,         /* ICMP, SCTP, ... */
    DECODE_ERR_SNAPLEN,          /* payload cut by the snap length (still decoded) */
    DECODE_ERR_WIRELEN,          /* a record with fewer bytes on the wire than captured:
                                    the captured length is taken (still decoded) */
    DECODE_ERR_MAX
};

struct decode_stats {
    uint64_t pkts;               /* frames seen */
    uint64_t bytes;              /* wire bytes seen */
    uint64_t ipv4, ipv6, tcp, udp;
    uint64_t err[DECODE_ERR_MAX];
};

/* Short stable names for enum decode_err ("ipv4_truncated", ...). */
const char *decode_err_name(enum decode_err e);

/* Decodes one frame of the given pcap link type (DLT_*). Fills *out and
 * returns DECODE_OK, or returns why the packet is skipped. Counts into *st.
 * DECODE_ERR_SNAPLEN and DECODE_ERR_WIRELEN are counted but the packet is
 * returned as DECODE_OK. */
enum decode_err decode_frame(struct decode_stats *st, int linktype, const uint8_t *data,
                             uint32_t caplen, uint32_t wirelen, uint64_t ts_us,
                             struct packet *out);


struct stats_node;
/* EVE's stats.decoder and our sensor.decode_errors, by kind. */
void decode_stats_write(const struct decode_stats *d, struct stats_node *root);

#endif
