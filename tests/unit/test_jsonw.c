/* jsonw: the JSON writer alone. Separators and nesting, JSON's escapes,
 * wire bytes as \xNN, text kept when UTF-8, integers at their limits, reals
 * as jansson writes them (non-finite ones left out), the cap (a text that
 * does not fit is lost as a whole) and the depth limit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/jsonw.h"

static char buf[4096];

/* The text written so far, NUL-terminated (the writer does not terminate). */
static const char *text(const struct jsonw *w)
{
    size_t n = jsonw_len(w);
    assert_true(n < sizeof(buf));
    buf[n] = '\0';
    return buf;
}

static void test_nesting(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_object(&w, NULL);
    jsonw_u64(&w, "a", 1);
    jsonw_object(&w, "b");
    jsonw_close(&w);
    jsonw_array(&w, "c");
    jsonw_u64(&w, NULL, 2);
    jsonw_array(&w, NULL);
    jsonw_close(&w);
    jsonw_object(&w, NULL);
    jsonw_bool(&w, "t", true);
    jsonw_bool(&w, "f", false);
    jsonw_null(&w, "n");
    jsonw_close(&w);
    jsonw_close(&w);
    jsonw_str(&w, "d", "x");
    jsonw_close(&w);
    assert_string_equal(text(&w),
                        "{\"a\":1,\"b\":{},\"c\":[2,[],{\"t\":true,\"f\":false,\"n\":null}],\"d\":\"x\"}");
}

static void test_integers(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_array(&w, NULL);
    jsonw_u64(&w, NULL, 0);
    jsonw_u64(&w, NULL, UINT64_MAX);
    jsonw_int(&w, NULL, -1);
    jsonw_int(&w, NULL, INT64_MIN);
    jsonw_int(&w, NULL, INT64_MAX);
    jsonw_close(&w);
    assert_string_equal(text(&w), "[0,18446744073709551615,-1,-9223372036854775808,"
                                  "9223372036854775807]");
}

/* "%.6g", ".0" where that reads as an integer; inf and nan leave no trace. */
static void test_reals(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_object(&w, NULL);
    jsonw_real(&w, "one", 1.0);
    jsonw_real(&w, "size", exp(7.0));
    jsonw_real(&w, "inf", INFINITY);
    jsonw_real(&w, "small", 1e-7);
    jsonw_real(&w, "nan", NAN);
    jsonw_real(&w, "big", 1e20);
    jsonw_real(&w, "neg", -2.5);
    jsonw_close(&w);
    assert_string_equal(text(&w), "{\"one\":1.0,\"size\":1096.63,\"small\":1e-07,"
                                  "\"big\":1e+20,\"neg\":-2.5}");
    /* A real left out of an array leaves no stray comma either. */
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_array(&w, NULL);
    jsonw_real(&w, NULL, NAN);
    jsonw_real(&w, NULL, 0.5);
    jsonw_close(&w);
    assert_string_equal(text(&w), "[0.5]");
}

/* JSON's escapes for text; keys are escaped too. */
static void test_escapes(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_object(&w, NULL);
    jsonw_str(&w, "k\"ey", "q\" b\\ n\n r\r t\t b\b f\f c\x01 \x1f caf\xc3\xa9");
    jsonw_strn(&w, "nul", "a\0b", 3);
    jsonw_close(&w);
    assert_string_equal(text(&w), "{\"k\\\"ey\":\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f "
                                  "c\\u0001 \\u001f caf\xc3\xa9\",\"nul\":\"a\\u0000b\"}");
}

/* Wire bytes: printable ASCII as it is (a quote JSON-escaped), the rest and
 * the backslash as \xNN; text: as it is when UTF-8, else as wire bytes. */
static void test_wire_and_text(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_object(&w, NULL);
    jsonw_wire(&w, "sni", (const uint8_t *)"a\"b\\c\x01\xff", 7);
    jsonw_wire(&w, "utf8", (const uint8_t *)"caf\xc3\xa9", 5);
    jsonw_text(&w, "ok", "caf\xc3\xa9");
    jsonw_text(&w, "bad", "pool \xff\"x\"");
    jsonw_close(&w);
    assert_string_equal(text(&w), "{\"sni\":\"a\\\"b\\\\x5cc\\\\x01\\\\xff\","
                                  "\"utf8\":\"caf\\\\xc3\\\\xa9\",\"ok\":\"caf\xc3\xa9\","
                                  "\"bad\":\"pool \\\\xff\\\"x\\\"\"}");
}

/* A wire string is cut where its escaped form reaches JSONW_WIRE_MAX: 255
 * bytes that all need escaping fit, the 256th does not. */
static void test_wire_cut(void **state)
{
    (void)state;
    uint8_t in[300];
    memset(in, 0x01, sizeof(in));
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_wire(&w, NULL, in, 255);
    assert_int_equal(jsonw_len(&w), 2 + 255 * 5);   /* \\x01: five bytes in JSON */
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_wire(&w, NULL, in, sizeof(in));
    assert_int_equal(jsonw_len(&w), 2 + 255 * 5);
}

static void test_time_and_address(void **state)
{
    (void)state;
    struct ds_addr v4, v6;
    ds_addr_from_v4(&v4, (uint8_t[]){ 192, 0, 2, 1 });
    assert_int_equal(ds_addr_parse("2001:db8::1", &v6), 0);
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_object(&w, NULL);
    jsonw_ts(&w, "ts", 1771841100123456ull);
    jsonw_addr(&w, "a", &v4);
    jsonw_addr(&w, "b", &v6);
    jsonw_close(&w);
    assert_string_equal(text(&w), "{\"ts\":\"2026-02-23T10:05:00.123456+0000\","
                                  "\"a\":\"192.0.2.1\",\"b\":\"2001:db8::1\"}");
}

/* Exactly the cap fits; one byte more and the whole text is lost, and
 * stays lost whatever comes after. */
static void test_cap(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, 9);
    jsonw_object(&w, NULL);
    jsonw_str(&w, "a", "b");
    jsonw_close(&w);
    assert_string_equal(text(&w), "{\"a\":\"b\"}");
    jsonw_init(&w, buf, 8);
    jsonw_object(&w, NULL);
    jsonw_str(&w, "a", "b");
    jsonw_close(&w);
    assert_int_equal(jsonw_len(&w), 0);
    jsonw_init(&w, buf, 3);
    jsonw_array(&w, NULL);
    jsonw_str(&w, NULL, "long enough not to fit");
    jsonw_u64(&w, NULL, 1);   /* would fit on its own: still lost */
    jsonw_close(&w);
    assert_true(w.over);
    assert_int_equal(jsonw_len(&w), 0);
}

/* JSONW_MAX_DEPTH containers open at once; one more loses the text; a
 * close with nothing open too. */
static void test_depth(void **state)
{
    (void)state;
    struct jsonw w;
    jsonw_init(&w, buf, sizeof(buf) - 1);
    for (int i = 0; i < JSONW_MAX_DEPTH; i++)
        jsonw_array(&w, NULL);
    for (int i = 0; i < JSONW_MAX_DEPTH; i++)
        jsonw_close(&w);
    assert_string_equal(text(&w), "[[[[[[[]]]]]]]");
    jsonw_init(&w, buf, sizeof(buf) - 1);
    for (int i = 0; i < JSONW_MAX_DEPTH + 1; i++)
        jsonw_array(&w, NULL);
    assert_int_equal(jsonw_len(&w), 0);
    jsonw_init(&w, buf, sizeof(buf) - 1);
    jsonw_array(&w, NULL);
    jsonw_close(&w);
    jsonw_close(&w);
    assert_int_equal(jsonw_len(&w), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_wire_and_text),
        cmocka_unit_test(test_wire_cut),
        cmocka_unit_test(test_time_and_address),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
