/* Community ID v1 against the spec's own baseline
 * (corelight/community-id-spec baseline_deflt.json and baseline_seed1.json):
 * its TCP, UDP and SCTP tuples, IPv4 and IPv6, each in both directions, for
 * seed 0 and seed 1. Then what the baseline has no case for, from the spec's
 * rule as Python computes it: equal addresses (the ports decide) and the
 * largest seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/community-id.h"
#include "ds/packet.h"

static void check(uint16_t seed, uint8_t proto, const char *sa, uint16_t sp, const char *da,
                  uint16_t dp, const char *want)
{
    struct ds_addr a, b;
    assert_int_equal(ds_addr_parse(sa, &a), 0);
    assert_int_equal(ds_addr_parse(da, &b), 0);
    char id[COMMUNITY_ID_SIZE];
    community_id(id, seed, proto, &a, sp, &b, dp);
    assert_string_equal(id, want);
    /* Either direction gives the same ID. */
    community_id(id, seed, proto, &b, dp, &a, sp);
    assert_string_equal(id, want);
}

static const struct {
    uint8_t proto;
    const char *saddr;
    uint16_t sport;
    const char *daddr;
    uint16_t dport;
    const char *seed0, *seed1;
} baseline[] = {
    { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 6, "2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 132, "192.168.170.8", 7, "192.168.170.56", 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
      "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
    { 132, "192.168.170.56", 7, "192.168.170.8", 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
      "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
    { 6, "128.232.110.120", 34855, "66.35.250.204", 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
    { 6, "66.35.250.204", 80, "128.232.110.120", 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
    { 17, "192.168.1.52", 54585, "8.8.8.8", 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
      "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
    { 17, "8.8.8.8", 53, "192.168.1.52", 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
      "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
};

static void test_spec_baseline(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(baseline) / sizeof(baseline[0]); i++) {
        check(0, baseline[i].proto, baseline[i].saddr, baseline[i].sport, baseline[i].daddr,
              baseline[i].dport, baseline[i].seed0);
        check(1, baseline[i].proto, baseline[i].saddr, baseline[i].sport, baseline[i].daddr,
              baseline[i].dport, baseline[i].seed1);
    }
}

static void test_equal_addresses_and_max_seed(void **state)
{
    (void)state;
    check(0, 6, "10.0.0.1", 1234, "10.0.0.1", 80, "1:WaobEo3Uyp/JjlL9QX3lvrl1Oag=");
    check(65535, 17, "::1", 443, "::1", 50000, "1:pg+QlJN856xmU9NjHrVSy8fkak0=");
}

static void test_seed_changes_the_id(void **state)
{
    (void)state;
    struct ds_addr a, b;
    assert_int_equal(ds_addr_parse("10.0.0.1", &a), 0);
    assert_int_equal(ds_addr_parse("10.0.0.2", &b), 0);
    char x[COMMUNITY_ID_SIZE], y[COMMUNITY_ID_SIZE];
    community_id(x, 0, 6, &a, 1, &b, 2);
    community_id(y, 2, 6, &a, 1, &b, 2);
    assert_string_not_equal(x, y);
    assert_int_equal(strlen(x), COMMUNITY_ID_SIZE - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_baseline),
        cmocka_unit_test(test_equal_addresses_and_max_seed),
        cmocka_unit_test(test_seed_changes_the_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
