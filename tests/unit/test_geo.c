/* geo: lookups in small MaxMind databases built from the tests/data/geo text files by
 * tools/mkmmdb, and the start-up errors for missing, corrupt and wrong-type
 * databases. The databases are built at test time by tests/geo/geo.test.sh,
 * which runs this program with DS_GEO_DIR set; run alone (the plain unit
 * ctest) it skips, since there is nothing to look up in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/geo.h"
#include "ds/packet.h"
#include "ds/util.h"

static char dir[1024];

/* Every test but geo_free(NULL) needs the databases; called first in each
 * (a skip() inside a cmocka setup function would count as an error). */
static void need_dbs(void)
{
    const char *d = getenv("DS_GEO_DIR");
    if (d == NULL || d[0] == '\0') {
        print_message("DS_GEO_DIR is not set: tests/geo/geo.test.sh builds the databases "
                      "and runs these tests for real\n");
        skip();
    }
    ds_strlcpy(dir, d, sizeof(dir));
}

static void db_path(const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

static struct geo *open_ok(const char *country, const char *asn)
{
    char cp[1200], ap[1200];
    struct geo *g = NULL;
    if (country != NULL)
        db_path(country, cp, sizeof(cp));
    if (asn != NULL)
        db_path(asn, ap, sizeof(ap));
    assert_int_equal(geo_open(country ? cp : NULL, asn ? ap : NULL, &g), 0);
    assert_non_null(g);
    return g;
}

static void lookup(struct geo *g, const char *ip, struct geo_info *info)
{
    struct ds_addr a;
    assert_int_equal(ds_addr_parse(ip, &a), 0);
    assert_int_equal(geo_lookup(g, &a, info), 0);
}

static void expect(struct geo *g, const char *ip, const char *country, long asn, const char *org)
{
    struct geo_info info;
    lookup(g, ip, &info);
    if (country != NULL) {
        assert_true(info.has_country);
        assert_string_equal(info.country, country);
    } else {
        assert_false(info.has_country);
    }
    if (asn >= 0) {
        assert_true(info.has_asn);
        assert_int_equal(info.asn, (uint32_t)asn);
    } else {
        assert_false(info.has_asn);
    }
    if (org != NULL) {
        assert_true(info.has_as_org);
        assert_string_equal(info.as_org, org);
    } else {
        assert_false(info.has_as_org);
    }
}

static void test_ipv4(void **state)
{
    (void)state;
    need_dbs();
    struct geo *g = open_ok("city.mmdb", "asn.mmdb");
    expect(g, "192.0.2.10", "US", 64496, "Example Residential Broadband");
    expect(g, "198.51.100.7", "DE", 64500, "Example Hosting");
    expect(g, "203.0.113.5", "JP", 65551, "Example Transit 4-Byte");
    /* Only registered_country in the record: that is the answer. */
    expect(g, "203.0.113.200", "SG", 65551, "Example Transit 4-Byte");
    /* A /32 inside the /15 overrides it; its neighbours keep the /15's data. */
    expect(g, "198.18.7.7", "BR", 64500, "Example Hosting");
    expect(g, "198.18.7.8", "NL", 64500, "Example Hosting");
    expect(g, "198.19.255.255", "NL", 64500, "Example Hosting");
    /* A FIRST-LAST range; an AS number without organisation and the reverse. */
    expect(g, "100.64.0.255", "CA", 64511, NULL);
    expect(g, "100.64.1.1", NULL, -1, "Orphan Organisation");
    /* The same IPv4 address written IPv4-mapped is the same address. */
    expect(g, "::ffff:192.0.2.10", "US", 64496, "Example Residential Broadband");
    /* 6to4 (2002:c000:20a:: carries 192.0.2.10) is aliased to IPv4 by the database. */
    expect(g, "2002:c000:20a::1", "US", 64496, "Example Residential Broadband");
    assert_int_equal(geo_errors(g), 0);
    geo_free(g);
}

static void test_ipv6(void **state)
{
    (void)state;
    need_dbs();
    struct geo *g = open_ok("city.mmdb", "asn.mmdb");
    expect(g, "2001:db8::1", "FR", 64501, "Example Cloud v6");
    expect(g, "2001:db8:ffff::1", "FR", 64501, "Example Cloud v6");
    expect(g, "2001:db8:1::5", "GB", 64500, "Example Hosting");
    expect(g, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "GB", 64500, "Example Hosting");
    assert_int_equal(geo_errors(g), 0);
    geo_free(g);
}

static void test_miss(void **state)
{
    (void)state;
    need_dbs();
    struct geo *g = open_ok("city.mmdb", "asn.mmdb");
    expect(g, "10.1.2.3", NULL, -1, NULL);
    expect(g, "8.8.8.8", NULL, -1, NULL);
    expect(g, "192.0.3.0", NULL, -1, NULL);
    expect(g, "0.0.0.0", NULL, -1, NULL);
    expect(g, "255.255.255.255", NULL, -1, NULL);
    expect(g, "2001:db9::1", NULL, -1, NULL);
    expect(g, "2001:db7:ffff::1", NULL, -1, NULL);
    expect(g, "::1", NULL, -1, NULL);
    /* 100.64.1.x is in the ASN database only. */
    expect(g, "100.64.1.200", NULL, -1, "Orphan Organisation");
    assert_int_equal(geo_errors(g), 0);
    geo_free(g);
}

static void test_one_db(void **state)
{
    (void)state;
    need_dbs();
    struct geo *g = open_ok(NULL, "asn.mmdb");
    expect(g, "198.51.100.7", NULL, 64500, "Example Hosting");
    geo_free(g);
    g = open_ok("city.mmdb", NULL);
    expect(g, "198.51.100.7", "DE", -1, NULL);
    geo_free(g);
    /* A Country database (same layout, other type) is accepted too. */
    g = open_ok("country.mmdb", NULL);
    expect(g, "2001:db8:1::5", "GB", -1, NULL);
    geo_free(g);
}

static void test_no_alias_db(void **state)
{
    (void)state;
    need_dbs();
    /* Without the ::ffff:0:0/96 alias only a lookup of the IPv4 address as
     * IPv4 finds it: struct ds_addr keeps IPv4 mapped, geo must unmap it. */
    struct geo *g = open_ok("city-noalias.mmdb", NULL);
    expect(g, "192.0.2.10", "US", -1, NULL);
    expect(g, "2001:db8::1", "FR", -1, NULL);
    geo_free(g);
}

static void test_ipv4_only_db(void **state)
{
    (void)state;
    need_dbs();
    /* An IPv6 address in an IPv4 database is a plain miss, not an error. */
    struct geo *g = open_ok("city4.mmdb", NULL);
    expect(g, "198.51.100.7", "DE", -1, NULL);
    expect(g, "2001:db8::1", NULL, -1, NULL);
    assert_int_equal(geo_errors(g), 0);
    geo_free(g);
}

static void test_hostile_text(void **state)
{
    (void)state;
    need_dbs();
    struct geo *g = open_ok(NULL, "asn.mmdb");
    expect(g, "100.64.2.9", NULL, 64502, "Bad?Name?With?Controls");

    /* 124 one-byte characters fit; the 4-byte emoji after them would end at
     * byte 128 with no room for the NUL, so the copy stops before it. */
    struct geo_info info;
    char want[GEO_ORG_LEN];
    memset(want, 'A', sizeof(want));
    memcpy(want, "Long Name ", 10);
    want[124] = '\0';
    lookup(g, "100.64.3.1", &info);
    assert_true(info.has_as_org);
    assert_int_equal(strlen(info.as_org), 124);
    assert_string_equal(info.as_org, want);
    geo_free(g);
}

/* Runs geo_open expecting failure and returns what it logged. */
static void open_fails(const char *country, const char *asn, char *log, size_t len)
{
    char tmpl[] = "/tmp/test_geo_log.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);

    struct geo *g = (struct geo *)&g; /* must be reset to NULL */
    int rc = geo_open(country, asn, &g);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, log, len - 1, 0);
    close(fd);
    unlink(tmpl);
    log[n > 0 ? n : 0] = '\0';
    fprintf(stderr, "logged: %s", log);
    assert_int_equal(rc, -1);
    assert_null(g);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *path, uint8_t **out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    *out = xmalloc((size_t)n);
    assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return (size_t)n;
}

static void test_missing_file(void **state)
{
    (void)state;
    need_dbs();
    char p[1200], log[4096];
    db_path("no-such.mmdb", p, sizeof(p));
    open_fails(p, NULL, log, sizeof(log));
    assert_non_null(strstr(log, p));
    assert_non_null(strstr(log, "No such file"));

    /* A bad second database fails the whole open (and frees the first). */
    char cp[1200];
    db_path("city.mmdb", cp, sizeof(cp));
    open_fails(cp, p, log, sizeof(log));
    assert_non_null(strstr(log, p));

    open_fails(NULL, NULL, log, sizeof(log));
}

static void test_corrupt_file(void **state)
{
    (void)state;
    need_dbs();
    char p[1200], log[4096];
    uint8_t junk[4096];
    uint32_t x = 2463534242u;

    /* Garbage: no metadata marker anywhere. */
    for (size_t i = 0; i < sizeof(junk); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    db_path("garbage.mmdb", p, sizeof(p));
    write_file(p, junk, sizeof(junk));
    open_fails(p, NULL, log, sizeof(log));
    assert_non_null(strstr(log, p));
    assert_non_null(strstr(log, "metadata"));

    /* An empty file, and a directory. */
    db_path("empty.mmdb", p, sizeof(p));
    write_file(p, "", 0);
    open_fails(NULL, p, log, sizeof(log));
    assert_non_null(strstr(log, p));
    assert_non_null(strstr(log, "empty"));
    open_fails(dir, NULL, log, sizeof(log));
    assert_non_null(strstr(log, "directory"));

    /* A real database cut in half: the metadata at its end is gone. */
    char cp[1200];
    uint8_t *db;
    db_path("city.mmdb", cp, sizeof(cp));
    size_t n = read_file(cp, &db);
    db_path("truncated.mmdb", p, sizeof(p));
    write_file(p, db, n / 2);
    open_fails(p, NULL, log, sizeof(log));
    assert_non_null(strstr(log, p));

    /* Intact metadata over a garbled search tree: every record of the
     * first nodes points far outside the file. */
    memset(db, 0xff, 64);
    db_path("badtree.mmdb", p, sizeof(p));
    write_file(p, db, n);
    open_fails(p, NULL, log, sizeof(log));
    assert_non_null(strstr(log, p));
    assert_non_null(strstr(log, "corrupt"));
    free(db);
}

/* A database that opens (the probes pass) but one record's data is broken:
 * that lookup reports -1 and is counted, the other database still answers,
 * and other records are unaffected. */
static void test_corrupt_record(void **state)
{
    (void)state;
    need_dbs();
    char ap[1200], p[1200];
    uint8_t *db;
    db_path("asn.mmdb", ap, sizeof(ap));
    size_t n = read_file(ap, &db);

    /* "Example Hosting" is stored once, after its control byte: type 2
     * (UTF-8 string) << 5 | length 15 = 0x4f. Made a pointer (type 1 << 5)
     * of size class 3, it points at offset "Exam" = 0x4578616d, far past
     * the end of the data section. */
    static const char needle[] = "\x4f" "Example Hosting";
    uint8_t *hit = NULL;
    for (size_t i = 0; i + sizeof(needle) - 1 <= n; i++) {
        if (memcmp(db + i, needle, sizeof(needle) - 1) == 0) {
            assert_null(hit); /* stored once */
            hit = db + i;
        }
    }
    assert_non_null(hit);
    hit[0] = 0x38;
    db_path("badrecord.mmdb", p, sizeof(p));
    write_file(p, db, n);
    free(db);

    struct geo *g = open_ok("city.mmdb", "badrecord.mmdb");
    struct ds_addr a;
    struct geo_info info;
    assert_int_equal(ds_addr_parse("198.51.100.7", &a), 0);
    assert_int_equal(geo_lookup(g, &a, &info), -1);
    assert_false(info.has_asn);
    assert_false(info.has_as_org);
    assert_true(info.has_country);
    assert_string_equal(info.country, "DE");
    assert_int_equal(geo_errors(g), 1);
    expect(g, "192.0.2.10", "US", 64496, "Example Residential Broadband");
    assert_int_equal(geo_errors(g), 1);
    geo_free(g);
}

static void test_wrong_type(void **state)
{
    (void)state;
    need_dbs();
    char cp[1200], ap[1200], log[4096];
    db_path("city.mmdb", cp, sizeof(cp));
    db_path("asn.mmdb", ap, sizeof(ap));

    /* The two swapped. */
    open_fails(ap, NULL, log, sizeof(log));
    assert_non_null(strstr(log, ap));
    assert_non_null(strstr(log, "GeoLite2-ASN"));
    open_fails(NULL, cp, log, sizeof(log));
    assert_non_null(strstr(log, cp));
    assert_non_null(strstr(log, "GeoLite2-City"));

    /* A database of some other kind altogether. */
    char op[1200];
    db_path("other.mmdb", op, sizeof(op));
    open_fails(op, NULL, log, sizeof(log));
    assert_non_null(strstr(log, "My-IP-Data"));
    open_fails(NULL, op, log, sizeof(log));
    assert_non_null(strstr(log, "My-IP-Data"));
}

static void test_free_null(void **state)
{
    (void)state;
    geo_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_miss),
        cmocka_unit_test(test_one_db),
        cmocka_unit_test(test_no_alias_db),
        cmocka_unit_test(test_ipv4_only_db),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_corrupt_file),
        cmocka_unit_test(test_corrupt_record),
        cmocka_unit_test(test_wrong_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
