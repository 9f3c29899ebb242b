/* The `source` event (--source-events): one source's features over one
 * window; and the parts every event about a source has, which alerts share:
 * the addresses, tls/quic and ai objects of its latest AI flow, its features
 * and its geo. */
#ifndef DS_EVENT_SOURCE_H
#define DS_EVENT_SOURCE_H

#include <stdint.h>

#include "ds/eve.h"
#include "ds/features.h"
#include "ds/jsonw.h"
#include "ds/packet.h"
#include "ds/source.h"

/* Writes the features f of src over their window, at packet time ts_us;
 * last is its latest AI flow, or NULL; p the record they are of (NULL: the
 * address's). */
void event_source(struct eve *e, uint64_t ts_us, const struct ds_addr *src,
                  const struct features *f, const struct source_last_flow *last,
                  const struct source_profile *p);

/* src_ip, and from its latest AI flow (if any) vlan (before src_ip, as in
 * EVE; only if it was tagged), dest_ip, dest_port, proto, community_id (e's
 * seed), app_proto, flow_id, the tls (or quic) object with sni and ja4, and
 * ai. */
void event_source_last_flow(const struct eve *e, struct jsonw *w, const struct ds_addr *src,
                            const struct source_last_flow *l);
/* "profile": which record of the address: {"type": "address"} (p NULL), or
 * {"type": "family", "family": NAME, "address_families": N}. */
void event_source_profile(struct jsonw *w, const struct source_profile *p);
/* "features": {name: value}: numbers, and string sets as arrays. */
void event_source_features(struct jsonw *w, const struct features *f);
/* "geo": {country, asn, as_org}, from the geo features; nothing if none. */
void event_source_geo(struct jsonw *w, const struct features *f);

#endif
