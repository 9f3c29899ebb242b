/* SHA-1 against the FIPS 180-4 / RFC 3174 test vectors (the fourth is RFC
 * 3174's TEST4: "01234567" x 8, ten times), plus messages whose lengths sit
 * on the padding boundaries (55/56/63/64 bytes), fed whole and in odd-sized
 * pieces. Boundary digests are from Python's hashlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/sha1.h"
#include "ds/util.h"

static void check_digest(const void *msg, size_t len, const char *want)
{
    uint8_t d[SHA1_LEN];
    char hex[2 * SHA1_LEN + 1];
    sha1_digest(msg, len, d);
    ds_hex(d, SHA1_LEN, hex);
    assert_string_equal(hex, want);

    /* The same message in pieces of 1, 3, 7, 64 and 65 bytes. */
    static const size_t steps[] = { 1, 3, 7, 64, 65 };
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        struct sha1 s;
        sha1_init(&s);
        const uint8_t *p = msg;
        size_t left = len;
        while (left > 0) {
            size_t n = left < steps[k] ? left : steps[k];
            sha1_update(&s, p, n);
            p += n;
            left -= n;
        }
        sha1_final(&s, d);
        ds_hex(d, SHA1_LEN, hex);
        assert_string_equal(hex, want);
    }
}

static void test_rfc3174_vectors(void **state)
{
    (void)state;
    check_digest("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    check_digest("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_digest(m448, strlen(m448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    char m4[640 + 1];
    for (int i = 0; i < 80; i++)
        memcpy(m4 + 8 * i, "01234567", 8);
    m4[640] = '\0';
    check_digest(m4, 640, "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

static void test_million_a(void **state)
{
    (void)state;
    static uint8_t a[1000000];
    memset(a, 'a', sizeof(a));
    uint8_t d[SHA1_LEN];
    char hex[2 * SHA1_LEN + 1];
    sha1_digest(a, sizeof(a), d);
    ds_hex(d, SHA1_LEN, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* Bytes 0, 1, 2, ... n-1: the lengths where padding needs one or two blocks. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *want;
    } v[] = {
        { 55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2" },
        { 56, "636e2ec698dac903498e648bd2f3af641d3c88cb" },
        { 57, "7cb1330f35244b57437539253304ea78a6b7c443" },
        { 63, "6d942da0c4392b123528f2905c713a3ce28364bd" },
        { 64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7" },
        { 65, "69bd728ad6e13cd76ff19751fde427b00e395746" },
        { 119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08" },
        { 120, "d3dbd653bd8597b7475321b60a36891278e6a04a" },
        { 128, "e6434bc401f98603d7eda504790c98c67385d535" },
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
        cmocka_unit_test(test_rfc3174_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
