/* The feature table (ids, unique names, types) and struct features
 * accessors: present bits, string sets, text forms. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/features.h"

static void test_table_consistent(void **state)
{
    (void)state;
    size_t n = 0;
    const struct feature_info *t = features_table(&n);
    assert_int_equal(n, FEAT_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].id, (int)i);
        assert_non_null(t[i].name);
        assert_non_null(t[i].desc);
        assert_non_null(t[i].unit);
        assert_true(strlen(t[i].desc) > 10);
        /* numeric ids first, then strings */
        assert_int_equal(t[i].type, i < FEAT_FIRST_STR ? FEATURE_NUM : FEATURE_STR);
        /* rule names: lower snake case */
        for (const char *c = t[i].name; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        assert_int_equal(features_lookup(t[i].name), (int)i);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t[i].name, t[j].name);
        assert_ptr_equal(features_info((int)i), &t[i]);
    }
    assert_null(features_info(-1));
    assert_null(features_info(FEAT_COUNT));
    assert_int_equal(features_lookup("no_such_feature"), -1);
    assert_int_equal(features_lookup("Requests"), -1); /* names are exact */
    assert_int_equal(features_lookup(NULL), -1);

    /* the names the shipped rules and the brief rely on */
    static const char *const names[] = {
        "requests", "new_connections", "requests_per_minute", "distinct_hosts",
        "distinct_providers", "cadence_regularity", "size_regularity", "request_size_mean",
        "request_size_cv", "response_size_mean", "response_size_cv", "response_request_ratio",
        "ttfb_mean_ms", "response_duration_mean_ms", "max_concurrency", "duty_cycle",
        "longest_idle_s", "distinct_ja4", "fingerprint_family", "provider", "service", "country",
        "asn", "as_org", "quic_share",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_true(features_lookup(names[i]) >= 0);
    assert_int_equal(features_info(FEAT_PROVIDER)->type, FEATURE_STR);
    assert_int_equal(features_info(FEAT_DUTY_CYCLE)->type, FEATURE_NUM);
}

static void test_numeric(void **state)
{
    (void)state;
    struct features f;
    features_clear(&f);
    assert_false(features_has(&f, FEAT_REQUESTS));
    assert_true(features_num(&f, FEAT_REQUESTS) == 0.0);
    features_set_num(&f, FEAT_REQUESTS, 75);
    assert_true(features_has(&f, FEAT_REQUESTS));
    assert_true(features_num(&f, FEAT_REQUESTS) == 75.0);
    /* not finite: ignored */
    features_set_num(&f, FEAT_GAP_CV, NAN);
    features_set_num(&f, FEAT_GAP_MEAN_S, INFINITY);
    assert_false(features_has(&f, FEAT_GAP_CV));
    assert_false(features_has(&f, FEAT_GAP_MEAN_S));
    /* a string id takes no number */
    features_set_num(&f, FEAT_PROVIDER, 1);
    assert_false(features_has(&f, FEAT_PROVIDER));
    features_set_num(&f, -1, 1);
    features_set_num(&f, FEAT_COUNT, 1);
    assert_false(features_has(&f, -1));
    assert_false(features_has(&f, FEAT_COUNT));
    /* zero is a value, present */
    features_set_num(&f, FEAT_QUIC_SHARE, 0);
    assert_true(features_has(&f, FEAT_QUIC_SHARE));
}

static void test_strings(void **state)
{
    (void)state;
    struct features f;
    features_clear(&f);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "openai"), 0);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "OpenAI"), 0); /* same, ignored */
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, ""), 0);       /* skipped */
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, NULL), 0);
    assert_int_equal(features_str_count(&f, FEAT_PROVIDER), 1);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "anthropic"), 0);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "google"), 0);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "mistral"), 0);
    assert_int_equal(features_add_str(&f, FEAT_PROVIDER, "deepseek"), -1); /* full */
    assert_int_equal(features_str_count(&f, FEAT_PROVIDER), FEATURE_STR_VALUES);
    assert_string_equal(features_str(&f, FEAT_PROVIDER, 0), "openai");
    assert_string_equal(features_str(&f, FEAT_PROVIDER, 3), "mistral");
    assert_null(features_str(&f, FEAT_PROVIDER, 4));
    assert_true(features_str_has(&f, FEAT_PROVIDER, "ANTHROPIC"));
    assert_false(features_str_has(&f, FEAT_PROVIDER, "deepseek"));
    assert_false(features_str_has(&f, FEAT_SERVICE, "api"));
    /* a numeric id takes no string */
    assert_int_equal(features_add_str(&f, FEAT_REQUESTS, "x"), -1);
    assert_false(features_has(&f, FEAT_REQUESTS));

    /* long values are cut, never overflow */
    char longv[200];
    memset(longv, 'a', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    assert_int_equal(features_add_str(&f, FEAT_AS_ORG, longv), 0);
    assert_int_equal(strlen(features_str(&f, FEAT_AS_ORG, 0)), FEATURE_STR_LEN - 1);
}

static void test_format(void **state)
{
    (void)state;
    struct features f;
    features_clear(&f);
    char buf[64];
    assert_int_equal(features_format(&f, FEAT_REQUESTS, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    features_set_num(&f, FEAT_REQUESTS, 60);
    features_format(&f, FEAT_REQUESTS, buf, sizeof(buf));
    assert_string_equal(buf, "60");
    features_set_num(&f, FEAT_CADENCE_REGULARITY, 0.8);
    features_format(&f, FEAT_CADENCE_REGULARITY, buf, sizeof(buf));
    assert_string_equal(buf, "0.8");
    features_set_num(&f, FEAT_GAP_CV, 1.0 / 3.0);
    features_format(&f, FEAT_GAP_CV, buf, sizeof(buf));
    assert_string_equal(buf, "0.333");
    features_set_num(&f, FEAT_GAP_SKEW, -0.0001);
    features_format(&f, FEAT_GAP_SKEW, buf, sizeof(buf));
    assert_string_equal(buf, "0");
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "python");
    features_add_str(&f, FEAT_FINGERPRINT_FAMILY, "go");
    assert_int_equal(features_format(&f, FEAT_FINGERPRINT_FAMILY, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "python,go");
    /* truncation keeps the string terminated and reports the full length */
    char small[5];
    assert_int_equal(features_format(&f, FEAT_FINGERPRINT_FAMILY, small, sizeof(small)), 9);
    assert_string_equal(small, "pyth");
    assert_int_equal(features_format(&f, FEAT_FINGERPRINT_FAMILY, NULL, 0), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_consistent),
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
