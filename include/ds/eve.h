/* What every event writer shares: events are NDJSON shaped like Suricata's
 * EVE. Fields EVE defines keep EVE's names and types (its schema is strict);
 * our own data lives in our own top-level objects (`ai`, `exchanges`,
 * `sensor`). Each line is kept under EVE_LINE_MAX so that log shippers
 * (Fluent Bit stops at 32 KiB by default) never choke on one: an event that
 * would be longer is written again without its longest optional list, and
 * says so ("truncated": true).
 *
 * struct eve holds the sink the lines go to, the sensor's name (EVE's
 * "host"), the Community ID seed and the one line buffer the writers take
 * turns with. Here too are the event's prologue, EVE's `tls` / `quic` object
 * and its `community_id`, which flow events and alerts both write. The event writers are event-flow.c, event-alert.c,
 * event-source.c and event-stats.c. */
#ifndef DS_EVE_H
#define DS_EVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/jsonw.h"

#define EVE_LINE_MAX (24 * 1024)   /* bytes in a line, its newline included */

struct eve;
struct sink;

/* Event writing onto sink (which stays the caller's and must outlive it);
 * host is copied (NULL: events carry no "host"). */
struct eve *eve_new(struct sink *sink, const char *host);
/* NULL-safe. */
void eve_free(struct eve *e);

/* Starts an event on e's line: opens the object and writes timestamp (ts_us,
 * packet time), event_type and host. */
void eve_begin(struct eve *e, struct jsonw *w, uint64_t ts_us, const char *type);
/* Closes the event's object; its length, or 0 if it is over the line cap. */
size_t eve_end(struct jsonw *w);
/* Hands the line of n bytes written since eve_begin to the sink (n == 0: the
 * event is lost, and counted so). */
void eve_write_line(struct eve *e, size_t n);
/* Counts an event shortened to fit the line cap. */
void eve_note_truncated(struct eve *e);

/* The Community ID seed of e's events (--community-id-seed; 0 until set). */
void eve_set_community_id_seed(struct eve *e, uint16_t seed);
struct ds_addr;
/* EVE's "community_id" (community-id.h) of the flow (proto, a:aport,
 * b:bport) with e's seed; Suricata writes it after the 5-tuple. */
void eve_community_id(const struct eve *e, struct jsonw *w, uint8_t proto,
                      const struct ds_addr *a, uint16_t aport, const struct ds_addr *b,
                      uint16_t bport);

struct ds_vlan;
/* EVE's "vlan": the ids outermost first ([10], or [10,20] for QinQ), as
 * Suricata writes it before src_ip; nothing for an untagged flow. */
void eve_vlan(struct jsonw *w, const struct ds_vlan *v);

/* What EVE's tls (or, for QUIC, quic) object says of a client's handshake.
 * Empty strings and zeros are left out. */
struct eve_tls {
    bool quic;
    const char *sni;           /* as on the wire (escaped) */
    uint8_t ech;               /* enum tls_ech: "ech" when GREASE or real */
    uint8_t ech_public;        /* real ECH's outer SNI: "ech_outer_sni" */
    uint16_t version;          /* TLS: the negotiated version, else 0 */
    uint16_t hello_version;    /* TLS: the highest the client offered, else 0 */
    uint32_t quic_version;     /* QUIC: the version, else 0 */
    const uint8_t *alpn_wire;  /* TLS: the client's ALPN list as on the wire */
    size_t alpn_wire_len;
    const char *ja3, *ja3s;    /* hashes (may be NULL) */
    const char *ja4;
};
/* The object, under "tls" or "quic": sni, version, client_alpns (TLS:
 * EVE's quic object has none), ja3, ja3s, ja4. */
void eve_tls(struct jsonw *w, const struct eve_tls *t);

/* An ALPN list as on the wire (length-prefixed entries) as an array of wire
 * strings; a malformed tail is left out. */
void eve_alpns(struct jsonw *w, const char *key, const uint8_t *wire, size_t len);

#endif
