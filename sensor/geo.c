/* Country / ASN / organisation enrichment from MaxMind DB files. The only
 * module that includes maxminddb.h, so swapping the library touches one file.
 * The database files are user input: their type is checked at open, a few
 * probe lookups catch a garbled search tree at start-up rather than at the
 * first alert, and every string taken from them is copied bounded and made
 * valid UTF-8, so events can carry it as text. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "ds/geo.h"
#include "ds/log.h"
#include "ds/stats.h"
#include "ds/util.h"

struct geo {
    MMDB_s country;
    MMDB_s asn;
    bool has_country_db;
    bool has_asn_db;
    uint64_t errors;
};

enum geo_role { GEO_ROLE_COUNTRY, GEO_ROLE_ASN };

/* Lookup paths as NULL-terminated arrays: MMDB_aget_value walks them without
 * allocating, unlike the varargs MMDB_get_value, which callocs a copy. */
static const char *const path_country[] = { "country", "iso_code", NULL };
/* Some networks (anycast, satellite) carry only the country that registered
 * them; that is still the best answer the database has. */
static const char *const path_registered[] = { "registered_country", "iso_code", NULL };
static const char *const path_asn[] = { "autonomous_system_number", NULL };
static const char *const path_as_org[] = { "autonomous_system_organization", NULL };

/* Whether database_type names a database that carries what the role needs.
 * MaxMind and DB-IP spell these GeoLite2-City, GeoIP2-City-Europe,
 * GeoIP2-Country, DBIP-Country-Lite, GeoIP2-Enterprise (City/Country);
 * GeoLite2-ASN, DBIP-ASN-Lite, GeoIP2-ISP (ASN, organisation). */
static bool type_fits(const char *type, enum geo_role role)
{
    if (type == NULL)
        return false;
    if (role == GEO_ROLE_COUNTRY)
        return strstr(type, "City") != NULL || strstr(type, "Country") != NULL ||
               strstr(type, "Enterprise") != NULL;
    return strstr(type, "ASN") != NULL || strstr(type, "ISP") != NULL;
}

/* Addresses whose lookup walks the tree from the root down both the IPv4 and
 * the IPv6 halves; a damaged tree usually fails on one of them. */
static const char *const probe_addrs[] = {
    "0.0.0.0", "8.8.8.8", "128.0.0.1", "192.0.2.1", "255.255.255.255",
    "::1", "2001:db8::1", "2a00::1", "fe80::1", "ffff:ffff::1",
};

static void addr_to_sockaddr(const struct ds_addr *addr, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (ds_addr_is_v4(addr)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr->a + 12, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr->a, 16);
    }
}

/* One lookup in one database: 1 found (in res->entry), 0 not there, or minus
 * libmaxminddb's error code when the database is corrupt at this address. An
 * IPv6 address in an IPv4-only database is a miss. */
static int db_lookup(const MMDB_s *db, const struct ds_addr *addr, MMDB_lookup_result_s *res)
{
    struct sockaddr_storage ss;
    int mmdb_error = MMDB_SUCCESS;

    addr_to_sockaddr(addr, &ss);
    *res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&ss, &mmdb_error);
    if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        return 0;
    if (mmdb_error != MMDB_SUCCESS)
        return -mmdb_error;
    return res->found_entry ? 1 : 0;
}

/* Reads the value at path: 1 found (in *data), 0 absent or of another shape,
 * minus libmaxminddb's error code when the data section is corrupt. */
static int entry_value(MMDB_entry_s *entry, const char *const *path, MMDB_entry_data_s *data)
{
    int rc = MMDB_aget_value(entry, data, path);
    if (rc == MMDB_SUCCESS)
        return data->has_data ? 1 : 0;
    if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || rc == MMDB_INVALID_LOOKUP_PATH_ERROR)
        return 0;
    return -rc;
}

/* Copies a two-letter ISO code, upper-cased; anything else is not a country. */
static bool copy_country(const MMDB_entry_data_s *d, char out[GEO_COUNTRY_LEN])
{
    if (d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size != 2)
        return false;
    for (int i = 0; i < 2; i++) {
        char c = d->utf8_string[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        out[i] = c;
    }
    out[2] = '\0';
    return true;
}

/* Copies a database string into out (cap bytes with the NUL): invalid UTF-8
 * and control characters (C0, DEL, C1) become '?', and a long string is cut
 * before a whole character, never inside one. Returns false for an empty or
 * non-string value. */
static bool copy_text(const MMDB_entry_data_s *d, char *out, size_t cap)
{
    if (d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size == 0)
        return false;
    const unsigned char *s = (const unsigned char *)d->utf8_string;
    size_t n = d->data_size, i = 0, o = 0;
    while (i < n) {
        size_t len = ds_utf8_seq_len(s + i, n - i);
        bool control = (len == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
                       (len == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0);
        if (len == 0 || control) {
            if (o + 1 >= cap)
                break;
            out[o++] = '?';
            i += len == 0 ? 1 : len;
            continue;
        }
        if (o + len >= cap)
            break;
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
    return o > 0;
}

static int asn_of(const MMDB_entry_data_s *d, uint32_t *asn)
{
    switch (d->type) {
    case MMDB_DATA_TYPE_UINT16:
        *asn = d->uint16;
        return 0;
    case MMDB_DATA_TYPE_UINT32:
        *asn = d->uint32;
        return 0;
    case MMDB_DATA_TYPE_INT32:
        if (d->int32 < 0)
            return -1;
        *asn = (uint32_t)d->int32;
        return 0;
    case MMDB_DATA_TYPE_UINT64:
        if (d->uint64 > UINT32_MAX)
            return -1;
        *asn = (uint32_t)d->uint64;
        return 0;
    default:
        return -1;
    }
}

/* Country from a City/Country database: 0, or minus an MMDB error (corrupt). */
static int lookup_country(const MMDB_s *db, const struct ds_addr *addr, struct geo_info *out)
{
    MMDB_lookup_result_s res;
    MMDB_entry_data_s d;
    int rc = db_lookup(db, addr, &res);
    if (rc <= 0)
        return rc;
    rc = entry_value(&res.entry, path_country, &d);
    if (rc < 0)
        return rc;
    if (rc > 0)
        out->has_country = copy_country(&d, out->country);
    if (!out->has_country) {
        rc = entry_value(&res.entry, path_registered, &d);
        if (rc < 0)
            return rc;
        if (rc > 0)
            out->has_country = copy_country(&d, out->country);
    }
    return 0;
}

/* AS number and organisation from an ASN/ISP database: 0, or minus an MMDB
 * error (corrupt). */
static int lookup_asn(const MMDB_s *db, const struct ds_addr *addr, struct geo_info *out)
{
    MMDB_lookup_result_s res;
    MMDB_entry_data_s d;
    int rc = db_lookup(db, addr, &res);
    if (rc <= 0)
        return rc;
    rc = entry_value(&res.entry, path_asn, &d);
    if (rc < 0)
        return rc;
    if (rc > 0)
        out->has_asn = asn_of(&d, &out->asn) == 0;
    rc = entry_value(&res.entry, path_as_org, &d);
    if (rc < 0)
        return rc;
    if (rc > 0)
        out->has_as_org = copy_text(&d, out->as_org, sizeof(out->as_org));
    return 0;
}

/* Opens one database and checks its type and its search tree. */
static int open_db(const char *path, enum geo_role role, MMDB_s *db)
{
    const char *want = role == GEO_ROLE_COUNTRY ? "a City or Country" : "an ASN or ISP";
    bool opened = false;

    /* libmaxminddb's errors for these are vague ("An attempt to read data
     * from the MaxMind DB file failed"); say what is wrong with the file. */
    struct stat st;
    if (stat(path, &st) < 0) {
        log_error("%s: cannot read the MaxMind database: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        log_error("%s: is a directory, not a MaxMind database", path);
        goto fail;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        log_error("%s: empty file, not a MaxMind database", path);
        goto fail;
    }
    errno = 0;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (rc != MMDB_SUCCESS) {
        int err = errno;
        if (rc == MMDB_FILE_OPEN_ERROR && err != 0)
            log_error("%s: cannot read the MaxMind database: %s", path, strerror(err));
        else
            log_error("%s: not a usable MaxMind database: %s", path, MMDB_strerror(rc));
        goto fail;
    }
    opened = true;
    if (!type_fits(db->metadata.database_type, role)) {
        log_error("%s: database type '%s' is not %s database", path,
                  db->metadata.database_type ? db->metadata.database_type : "(none)", want);
        goto fail;
    }
    for (size_t i = 0; i < DS_ARRAY_LEN(probe_addrs); i++) {
        struct ds_addr a;
        struct geo_info info;
        int probe;
        if (ds_addr_parse(probe_addrs[i], &a) < 0)
            continue;
        memset(&info, 0, sizeof(info));
        probe = role == GEO_ROLE_COUNTRY ? lookup_country(db, &a, &info)
                                         : lookup_asn(db, &a, &info);
        if (probe < 0) {
            log_error("%s: corrupt MaxMind database: looking up %s: %s", path, probe_addrs[i],
                      MMDB_strerror(-probe));
            goto fail;
        }
    }
    return 0;
fail:
    if (opened)
        MMDB_close(db);
    return -1;
}

int geo_open(const char *country_db, const char *asn_db, struct geo **out)
{
    struct geo *g = NULL;

    *out = NULL;
    if (country_db == NULL && asn_db == NULL) {
        log_error("geo: neither a country nor an ASN database given");
        goto fail;
    }
    g = xcalloc(1, sizeof(*g));
    if (country_db != NULL) {
        if (open_db(country_db, GEO_ROLE_COUNTRY, &g->country) < 0)
            goto fail;
        g->has_country_db = true;
    }
    if (asn_db != NULL) {
        if (open_db(asn_db, GEO_ROLE_ASN, &g->asn) < 0)
            goto fail;
        g->has_asn_db = true;
    }
    *out = g;
    return 0;
fail:
    geo_free(g);
    return -1;
}

int geo_lookup(struct geo *g, const struct ds_addr *addr, struct geo_info *out)
{
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (g->has_country_db && lookup_country(&g->country, addr, out) < 0) {
        out->has_country = false;
        rc = -1;
    }
    if (g->has_asn_db && lookup_asn(&g->asn, addr, out) < 0) {
        out->has_asn = false;
        out->has_as_org = false;
        rc = -1;
    }
    if (rc < 0)
        g->errors++;
    return rc;
}

uint64_t geo_errors(const struct geo *g)
{
    return g->errors;
}

void geo_free(struct geo *g)
{
    if (g == NULL)
        return;
    if (g->has_country_db)
        MMDB_close(&g->country);
    if (g->has_asn_db)
        MMDB_close(&g->asn);
    free(g);
}

void geo_stats_write(const struct geo *g, struct stats_node *root)
{
    struct stats_node *de = stats_child(stats_child(root, "sensor"), "detect");
    stats_u64(de, "geo_errors", g ? g->errors : 0);
}
