/* time-units: the factors, their width, and the conversions (exact where
 * the code they replace was). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ds/time-units.h"

_Static_assert(sizeof(DS_US_PER_S) == 8, "a product with seconds must not wrap at 32 bits");

static void test_factors(void **state)
{
    (void)state;
    assert_true(DS_US_PER_S == 1000000u);
    assert_true(DS_US_PER_MS * DS_MS_PER_S == DS_US_PER_S);
    assert_true(DS_US_PER_MIN == 60000000u);
    assert_true(DS_S_PER_HOUR == 60 * DS_S_PER_MIN);
    assert_true(DS_S_PER_DAY == 24 * DS_S_PER_HOUR);
}

static void test_conversions(void **state)
{
    (void)state;
    assert_true(ds_s_to_us(0) == 0);
    assert_true(ds_s_to_us(60) == 60000000u);
    /* past 32 bits: 4295 s of microseconds */
    uint32_t window_s = 4295;
    assert_true(ds_s_to_us(window_s) == 4295000000ull);
    assert_true(ds_us_to_s(1999999) == 1);
    assert_true(ds_us_to_s(2000000) == 2);
    /* 2026-02-23T10:05:00.123456Z */
    assert_true(ds_us_to_s(1771841100123456ull) == 1771841100ull);
    assert_true(1771841100123456ull % DS_US_PER_S == 123456);
    /* the same doubles as dividing by 1e6 and 1000.0 */
    static const uint64_t us[] = { 0, 1, 999, 1500, 123456789, 1771841100123456ull };
    for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
        assert_true(ds_us_to_s_f(us[i]) == (double)us[i] / 1e6);
        assert_true(ds_us_to_ms_f(us[i]) == (double)us[i] / 1000.0);
    }
    assert_true(ds_us_to_ms_f(1500) == 1.5);
    assert_true(ds_us_to_s_f(2500000) == 2.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factors),
        cmocka_unit_test(test_conversions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
