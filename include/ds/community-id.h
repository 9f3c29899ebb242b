/* Community ID v1 (corelight/community-id-spec): the flow identifier Zeek
 * and Suricata write as `community_id`, so a SIEM joins their records of a
 * flow with ours by comparing one string.
 *
 * "1:" + base64(SHA-1(seed . addr . addr . proto . 0 . port . port)), every
 * part in network byte order, the endpoint with the smaller address (on a
 * tie, the smaller port) first, so both directions of a flow give one ID.
 * Only TCP and UDP flows reach it: ICMP's type/code mapping is not needed. */
#ifndef DS_COMMUNITY_ID_H
#define DS_COMMUNITY_ID_H

#include <stdint.h>

#include "ds/packet.h"

/* "1:" + 28 base64 characters + NUL. */
#define COMMUNITY_ID_SIZE 31

/* Writes the ID of the flow (proto, a:aport, b:bport) with seed into out.
 * The order of the endpoints does not matter. IPv4 addresses (stored
 * IPv4-mapped, packet.h) are hashed as their 4 bytes when both are IPv4,
 * as the spec's reference does; otherwise the 16 bytes. */
void community_id(char out[COMMUNITY_ID_SIZE], uint16_t seed, uint8_t proto,
                  const struct ds_addr *a, uint16_t aport, const struct ds_addr *b,
                  uint16_t bport);

#endif
