/* util and pool: number parsing, EVE timestamps, pools at their cap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/packet.h"
#include "ds/pool.h"
#include "ds/util.h"

static void test_parse_numbers(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(ds_parse_u64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ds_parse_u64("101", 0, 100, &v), -1);
    assert_int_equal(ds_parse_u64("-1", 0, 100, &v), -1);
    assert_int_equal(ds_parse_u64("4x", 0, 100, &v), -1);
    assert_int_equal(ds_parse_u64("", 0, 100, &v), -1);
    assert_int_equal(ds_parse_u64(" 4", 0, 100, &v), -1);
    assert_int_equal(ds_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -1);
    double d;
    assert_int_equal(ds_parse_double("0.15", &d), 0);
    assert_true(d > 0.149 && d < 0.151);
    assert_int_equal(ds_parse_double("1e3", &d), 0);
    assert_int_equal(ds_parse_double("nan", &d), -1);
    assert_int_equal(ds_parse_double("1.5x", &d), -1);
    assert_int_equal(ds_parse_duration("10m", &v), 0);
    assert_int_equal(v, 600);
    assert_int_equal(ds_parse_duration("2h", &v), 0);
    assert_int_equal(v, 7200);
    assert_int_equal(ds_parse_duration("90", &v), 0);
    assert_int_equal(v, 90);
    assert_int_equal(ds_parse_duration("1d", &v), 0);
    assert_int_equal(v, 86400);
    assert_int_equal(ds_parse_duration("5w", &v), -1);
    assert_int_equal(ds_parse_duration("m", &v), -1);
}

static void test_eve_timestamp(void **state)
{
    (void)state;
    char buf[40];
    /* 2026-02-23T10:05:00.123456 UTC */
    ds_format_ts(1771841100123456ull, buf, sizeof(buf));
    assert_string_equal(buf, "2026-02-23T10:05:00.123456+0000");
    ds_format_ts(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00.000000+0000");
}

static void test_strlcpy_hex_lower(void **state)
{
    (void)state;
    char small[4];
    assert_int_equal(ds_strlcpy(small, "abcdef", sizeof(small)), 6);
    assert_string_equal(small, "abc");
    char hex[7];
    ds_hex((const uint8_t *)"\x00\xab\xff", 3, hex);
    assert_string_equal(hex, "00abff");
    char s[] = "Api.OpenAI.COM";
    ds_ascii_lower(s);
    assert_string_equal(s, "api.openai.com");
}

static void test_addresses(void **state)
{
    (void)state;
    struct ds_addr a;
    char buf[64];
    assert_int_equal(ds_addr_parse("192.0.2.1", &a), 0);
    assert_true(ds_addr_is_v4(&a));
    ds_addr_str(&a, buf, sizeof(buf));
    assert_string_equal(buf, "192.0.2.1");
    assert_int_equal(ds_addr_parse("2001:db8::1", &a), 0);
    assert_false(ds_addr_is_v4(&a));
    ds_addr_str(&a, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8::1");
    assert_int_equal(ds_addr_parse("300.1.1.1", &a), -1);
}

static void test_pool_cap_and_reuse(void **state)
{
    (void)state;
    struct pool *pl = pool_new(100, 5, 2);
    void *objs[5];
    for (int i = 0; i < 5; i++) {
        objs[i] = pool_get(pl);
        assert_non_null(objs[i]);
        memset(objs[i], 0xaa, 100);
    }
    assert_null(pool_get(pl));
    assert_int_equal(pool_in_use(pl), 5);
    size_t bytes = pool_bytes(pl);
    pool_put(pl, objs[2]);
    pool_put(pl, NULL);
    uint8_t *again = pool_get(pl);
    assert_ptr_equal(again, objs[2]);
    assert_int_equal(again[50], 0); /* handed out zeroed */
    assert_int_equal(pool_bytes(pl), bytes);
    pool_free(pl);
    pool_free(NULL);
}

/* A whole file comes back byte for byte (it spans several buffer growths);
 * a file over the cap is EFBIG, a missing one ENOENT, and both leave no
 * buffer behind. */
static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-util-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = 70000;
    char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 7 + 3);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);

    char *buf = (char *)1;
    size_t len = 1;
    assert_int_equal(ds_read_file(path, n, &buf, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(buf, data, n);
    free(buf);

    assert_int_equal(ds_read_file(path, n - 1, &buf, &len), -1);
    assert_int_equal(errno, EFBIG);
    assert_null(buf);
    assert_int_equal(len, 0);

    unlink(path);
    assert_int_equal(ds_read_file(path, n, &buf, &len), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(buf);

    /* An empty file is a valid, empty read. */
    memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ds_read_file(path, n, &buf, &len), 0);
    assert_int_equal(len, 0);
    free(buf);
    unlink(path);
    free(data);
}

/* UTF-8 as RFC 3629 has it: what geo keeps and output writes as it is. */
static void test_utf8(void **state)
{
    (void)state;
    assert_true(ds_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    assert_true(ds_utf8_valid("", 0));
    assert_false(ds_utf8_valid("\xff", 1));               /* never a lead byte */
    assert_false(ds_utf8_valid("\xc0\xaf", 2));           /* overlong '/' */
    assert_false(ds_utf8_valid("\xed\xa0\x80", 3));       /* a surrogate */
    assert_false(ds_utf8_valid("\xf4\x90\x80\x80", 4));   /* above U+10FFFF */
    assert_false(ds_utf8_valid("\xe2\x82", 2));           /* cut short */
    assert_int_equal(ds_utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(ds_utf8_seq_len((const unsigned char *)"a", 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_eve_timestamp),
        cmocka_unit_test(test_strlcpy_hex_lower),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_pool_cap_and_reuse),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
