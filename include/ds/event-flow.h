/* The `flow` event: one per followed flow when it ends, EVE's flow event with
 * its community_id and tls/quic object, our `ai` object (the catalogue entry it matched) and
 * `exchanges` (its request/response turns). */
#ifndef DS_EVENT_FLOW_H
#define DS_EVENT_FLOW_H

#include "ds/catalog.h"
#include "ds/eve.h"
#include "ds/flow.h"

struct exchange_pool;
struct flow_app;
struct tls_facts;

/* Writes the event of flow f, which ended. app is its application state
 * (flow-app.h: the flow holds only its handle), or NULL; svc is its
 * catalogue entry, or NULL (a non-AI flow logged with --all-tls); facts
 * is the table its TLS fact set is in (tls-facts.h, flow-app.h); turns is
 * the exchange pool its listed turns are in (exchange.h, flow-app.h; NULL:
 * none listed). Over the line cap, the turn list goes and the event says
 * so. */
void event_flow(struct eve *e, const struct flow *f, const struct flow_app *app,
                const struct catalog_entry *svc, const struct tls_facts *facts,
                const struct exchange_pool *turns);

#endif
