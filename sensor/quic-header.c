/* QUIC headers (see quic-header.h): the one part that is not inline, the
 * names of the packet types, for diagnostics and tests. */
#include "ds/quic-header.h"

const char *quic_header_type_name(enum quic_ptype t)
{
    switch (t) {
    case QUIC_PT_INITIAL: return "Initial";
    case QUIC_PT_0RTT: return "0-RTT";
    case QUIC_PT_HANDSHAKE: return "Handshake";
    case QUIC_PT_RETRY: return "Retry";
    case QUIC_PT_VERSION_NEGOTIATION: return "Version Negotiation";
    case QUIC_PT_1RTT: return "1-RTT";
    }
    return "unknown";
}
