/* One decoded packet: what every later stage reads. Pointers point into the
 * capture buffer and are valid only while the packet is being handled. */
#ifndef DS_PACKET_H
#define DS_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "ds/hash.h"

#define DS_IPPROTO_TCP 6
#define DS_IPPROTO_UDP 17

#define DS_TCP_FIN 0x01
#define DS_TCP_SYN 0x02
#define DS_TCP_RST 0x04
#define DS_TCP_PSH 0x08
#define DS_TCP_ACK 0x10

/* An IPv4 address is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * so every address is 16 bytes and compares with memcmp. */
struct ds_addr {
    uint8_t a[16];
};

bool ds_addr_is_v4(const struct ds_addr *a);
void ds_addr_from_v4(struct ds_addr *a, const uint8_t v4[4]);
/* Text form (inet_ntop); buf >= 46 bytes. */
void ds_addr_str(const struct ds_addr *a, char *buf, unsigned len);
/* A seeded 64-bit hash of an address in which every address bit moves
 * every output bit (ds_hash_key16: splitmix64's finaliser on both halves):
 * IPv4 addresses differ only in the top bytes of the second half, which a
 * bare multiply never carries down into the bucket bits. */
static inline uint64_t ds_addr_hash(const struct ds_addr *a, uint64_t seed)
{
    return ds_hash_key16(a->a, seed);
}
/* Parses an IPv4 or IPv6 text address; 0 or -1. */
int ds_addr_parse(const char *s, struct ds_addr *a);

/* The 802.1Q / 802.1ad (QinQ) tags of a frame, outermost first: their
 * 12-bit VLAN ids and how many there are (0: untagged). decode.c walks up to
 * DS_VLAN_MAX tags and keeps them all, so two tag stacks that differ only in
 * an inner tag never share a flow. Unused ids are 0, so two id arrays
 * compare with memcmp. */
#define DS_VLAN_MAX 4
struct ds_vlan {
    uint16_t id[DS_VLAN_MAX];
    uint8_t n;
};

/* struct ds_vlan in 8 bytes instead of 10, for what is kept a flow
 * (struct flow): one word of the ids, 12 bits each (all a tag holds:
 * 802.1Q's VID), outermost in the low bits, and the count above them; 0
 * when untagged. Unused ids are 0, so two stacks are the same when their
 * words are. Made and read only through ds_vlan_pack and ds_vlan_unpack. */
struct ds_vlan_packed {
    uint64_t w;
};
#define DS_VLAN_ID_BITS 12
#define DS_VLAN_ID_MASK 0x0fffu
#define DS_VLAN_COUNT_SHIFT (DS_VLAN_ID_BITS * DS_VLAN_MAX)
#define DS_VLAN_COUNT_MASK 0x7u
_Static_assert(DS_VLAN_MAX <= DS_VLAN_COUNT_MASK && DS_VLAN_COUNT_SHIFT + 3 <= 64,
               "the VLAN ids and their count must fit one 64-bit word");

/* v packed: its first v->n ids (at most DS_VLAN_MAX), each cut to 12 bits
 * (decode.c keeps no more). */
static inline struct ds_vlan_packed ds_vlan_pack(const struct ds_vlan *v)
{
    unsigned n = v->n < DS_VLAN_MAX ? v->n : DS_VLAN_MAX;
    struct ds_vlan_packed p = { (uint64_t)n << DS_VLAN_COUNT_SHIFT };
    for (unsigned i = 0; i < n; i++)
        p.w |= (uint64_t)(v->id[i] & DS_VLAN_ID_MASK) << (DS_VLAN_ID_BITS * i);
    return p;
}

/* The tags packed in p, unused ids 0. */
static inline struct ds_vlan ds_vlan_unpack(struct ds_vlan_packed p)
{
    struct ds_vlan v = { { 0 }, 0 };
    unsigned n = (unsigned)(p.w >> DS_VLAN_COUNT_SHIFT) & DS_VLAN_COUNT_MASK;
    if (n > DS_VLAN_MAX)
        n = DS_VLAN_MAX;   /* never made by ds_vlan_pack */
    v.n = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
        v.id[i] = (uint16_t)((p.w >> (DS_VLAN_ID_BITS * i)) & DS_VLAN_ID_MASK);
    return v;
}

struct packet {
    uint64_t ts_us;         /* packet time, microseconds since the epoch */
    uint32_t caplen;        /* bytes captured */
    uint32_t wirelen;       /* bytes on the wire */
    const uint8_t *l3;      /* IP header */
    uint32_t l3_len;        /* captured bytes from the IP header on */
    struct ds_addr src, dst;
    struct ds_vlan vlan;    /* the frame's VLAN tags (n == 0: none) */
    uint16_t sport, dport;
    uint8_t ipver;          /* 4 or 6 */
    uint8_t proto;          /* DS_IPPROTO_TCP or DS_IPPROTO_UDP */
    uint8_t tcp_flags;
    uint8_t ttl;
    uint32_t seq, ack;
    uint16_t win;
    const uint8_t *payload; /* L4 payload (captured part) */
    uint32_t payload_len;   /* captured payload bytes */
    uint32_t payload_wire;  /* payload bytes per the IP length (>= payload_len) */
};

#endif
