/* SHA-256 against the FIPS 180-4 / NIST example vectors, plus messages whose
 * lengths sit on the padding boundaries (55/56/63/64 bytes), fed whole and in
 * odd-sized pieces. Expected digests are from Python's hashlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/sha256.h"
#include "ds/util.h"

static void hex_of(const uint8_t d[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
    ds_hex(d, SHA256_LEN, out);
}

static void check_digest(const void *msg, size_t len, const char *want)
{
    uint8_t d[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256_digest(msg, len, d);
    hex_of(d, hex);
    assert_string_equal(hex, want);

    /* The same message in pieces of 1, 3, 7, 64 and 65 bytes. */
    static const size_t steps[] = { 1, 3, 7, 64, 65 };
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        struct sha256 s;
        sha256_init(&s);
        const uint8_t *p = msg;
        size_t left = len;
        while (left > 0) {
            size_t n = left < steps[k] ? left : steps[k];
            sha256_update(&s, p, n);
            p += n;
            left -= n;
        }
        sha256_final(&s, d);
        hex_of(d, hex);
        assert_string_equal(hex, want);
    }
}

static void test_nist_vectors(void **state)
{
    (void)state;
    check_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_digest(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_digest(m896, strlen(m896),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    static uint8_t a[1000000];
    memset(a, 'a', sizeof(a));
    uint8_t d[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256_digest(a, sizeof(a), d);
    hex_of(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Bytes 0, 1, 2, ... n-1: the lengths where padding needs one or two blocks. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *want;
    } v[] = {
        { 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
        { 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
        { 57, "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f" },
        { 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
        { 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
        { 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
        { 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
        { 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
        { 128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5" },
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
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
