/* Addresses: every address is 16 bytes, IPv4 stored IPv4-mapped. */
#include <arpa/inet.h>
#include <string.h>

#include "ds/packet.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool ds_addr_is_v4(const struct ds_addr *a)
{
    return memcmp(a->a, v4_mapped, sizeof(v4_mapped)) == 0;
}

void ds_addr_from_v4(struct ds_addr *a, const uint8_t v4[4])
{
    memcpy(a->a, v4_mapped, sizeof(v4_mapped));
    memcpy(a->a + 12, v4, 4);
}

void ds_addr_str(const struct ds_addr *a, char *buf, unsigned len)
{
    if (ds_addr_is_v4(a))
        inet_ntop(AF_INET, a->a + 12, buf, len);
    else
        inet_ntop(AF_INET6, a->a, buf, len);
}

int ds_addr_parse(const char *s, struct ds_addr *a)
{
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        ds_addr_from_v4(a, v4);
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->a) == 1)
        return 0;
    return -1;
}
