/* Enrichment of a source address with its country, AS number and AS
 * organisation from MaxMind DB files (GeoLite2/GeoIP2 City or Country, and
 * GeoLite2 ASN or GeoIP2 ISP). geo.c is the only user of libmaxminddb. */
#ifndef DS_GEO_H
#define DS_GEO_H

#include <stdbool.h>
#include <stdint.h>

#include "ds/packet.h"

#define GEO_COUNTRY_LEN 3   /* ISO 3166-1 alpha-2 + NUL */
#define GEO_ORG_LEN 128     /* longer organisation names are cut at a UTF-8 boundary */

/* What one lookup found; each field is valid only when its has_ flag is set. */
struct geo_info {
    bool has_country;
    bool has_asn;
    bool has_as_org;
    char country[GEO_COUNTRY_LEN];  /* upper case, e.g. "DE" */
    uint32_t asn;
    char as_org[GEO_ORG_LEN];       /* valid UTF-8 without control characters */
};

struct geo;

/* Opens the databases: country_db is a City or Country database (its
 * metadata database_type names one, e.g. GeoLite2-City), asn_db an ASN or
 * ISP database; either may be NULL, not both. Returns 0 and a handle the
 * caller owns (geo_free), or -1 after logging `path: reason` for a file that
 * cannot be read, is not a MaxMind DB, is corrupt, or is of the wrong type. */
int geo_open(const char *country_db, const char *asn_db, struct geo **out);

/* Looks addr up (an IPv4-mapped address is looked up as IPv4). Fills *out
 * (cleared first); a miss leaves every has_ flag false and still returns 0.
 * Returns -1 only when a database is corrupt at this address (counted, see
 * geo_errors); *out then holds what the other database found. Allocates
 * nothing: callers look up once per source, not per packet. */
int geo_lookup(struct geo *g, const struct ds_addr *addr, struct geo_info *out);

/* Lookups that hit a corrupt record since geo_open. */
uint64_t geo_errors(const struct geo *g);

/* Closes the databases; geo_free(NULL) is a no-op. */
void geo_free(struct geo *g);


struct stats_node;
/* Our sensor.detect.geo_errors (0 without databases: g NULL). */
void geo_stats_write(const struct geo *g, struct stats_node *root);

#endif
