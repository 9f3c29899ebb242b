/* MD5 against RFC 1321's test suite (A.5), plus a million 'a's and
 * messages whose lengths sit on the padding boundaries (55/56/63/64 bytes),
 * fed whole and in odd-sized pieces. Digests other than RFC 1321's are from
 * Python's hashlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/md5.h"
#include "ds/util.h"

static void check_digest(const void *msg, size_t len, const char *want)
{
    uint8_t d[MD5_LEN];
    char hex[2 * MD5_LEN + 1];
    md5_digest(msg, len, d);
    ds_hex(d, MD5_LEN, hex);
    assert_string_equal(hex, want);

    /* The same message in pieces of 1, 3, 7, 64 and 65 bytes. */
    static const size_t steps[] = { 1, 3, 7, 64, 65 };
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        struct md5 s;
        md5_init(&s);
        const uint8_t *p = msg;
        size_t left = len;
        while (left > 0) {
            size_t n = left < steps[k] ? left : steps[k];
            md5_update(&s, p, n);
            p += n;
            left -= n;
        }
        md5_final(&s, d);
        ds_hex(d, MD5_LEN, hex);
        assert_string_equal(hex, want);
    }
}

static void test_rfc1321_vectors(void **state)
{
    (void)state;
    check_digest("", 0, "d41d8cd98f00b204e9800998ecf8427e");
    check_digest("a", 1, "0cc175b9c0f1b6a831c399e269772661");
    check_digest("abc", 3, "900150983cd24fb0d6963f7d28e17f72");
    check_digest("message digest", 14, "f96b697d7cb7938d525a2f31aaf161d0");
    check_digest("abcdefghijklmnopqrstuvwxyz", 26, "c3fcd3d76192e4007dfb496cca67e13b");
    const char *alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    check_digest(alnum, strlen(alnum), "d174ab98d277d9f5a5611c2c9f419d9f");
    char m8[80 + 1];
    for (int i = 0; i < 8; i++)
        memcpy(m8 + 10 * i, "1234567890", 10);
    m8[80] = '\0';
    check_digest(m8, 80, "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_million_a(void **state)
{
    (void)state;
    static uint8_t a[1000000];
    memset(a, 'a', sizeof(a));
    uint8_t d[MD5_LEN];
    char hex[2 * MD5_LEN + 1];
    md5_digest(a, sizeof(a), d);
    ds_hex(d, MD5_LEN, hex);
    assert_string_equal(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

/* Bytes 0, 1, 2, ... n-1: the lengths where padding needs one or two blocks. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *want;
    } v[] = {
        { 55, "6912ee65fff2d9f9ce2508cddf8bcda0" },
        { 56, "51fdd1acda72405dfdfa03fcb85896d7" },
        { 57, "5320ef4c17ef34a0cf2db763338d25eb" },
        { 63, "48a6295221902e8e0938f773a7185e72" },
        { 64, "b2d3f56bc197fd985d5965079b5e7148" },
        { 65, "8bd7053801c768420faf816fadba971c" },
        { 119, "1c772251899a7ff007400b888d6b2042" },
        { 120, "b7ba1efc6022e9ed272f00b8831e26e6" },
        { 128, "37eff01866ba3f538421b30b7cbefcac" },
    };
    uint8_t msg[128];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        check_digest(msg, v[i].n, v[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1321_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
