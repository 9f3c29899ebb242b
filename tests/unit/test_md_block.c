/* md-block: blocks reach the compression function whole and in order
 * however the message is split, and the padding is FIPS 180-4's (0x80,
 * zeros, the 64-bit big-endian bit length) in one final block or two. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/md-block.h"

/* A stand-in compression function: remembers every block it was given. */
static uint8_t seen[8][MD_BLOCK_LEN];
static unsigned nseen;

static void record(uint32_t *h, const uint8_t *block)
{
    h[0]++;
    if (nseen < 8)
        memcpy(seen[nseen], block, MD_BLOCK_LEN);
    nseen++;
}

static void hash_in_pieces(const uint8_t *msg, size_t len, size_t piece, uint32_t *h)
{
    struct md_block m;
    md_block_init(&m);
    nseen = 0;
    h[0] = 0;
    for (size_t off = 0; off < len; off += piece)
        md_block_update(&m, h, record, msg + off, len - off < piece ? len - off : piece);
    md_block_final(&m, h, record);
}

static void test_splits_do_not_matter(void **state)
{
    (void)state;
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    uint32_t h;
    hash_in_pieces(msg, sizeof(msg), sizeof(msg), &h);
    uint8_t whole[4][MD_BLOCK_LEN];
    assert_int_equal(nseen, 4);   /* 200 bytes: 3 whole blocks and a padded one */
    memcpy(whole, seen, sizeof(whole));
    static const size_t pieces[] = { 1, 3, 63, 64, 65, 130 };
    for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
        hash_in_pieces(msg, sizeof(msg), pieces[k], &h);
        assert_int_equal(nseen, 4);
        assert_int_equal(h, 4);
        assert_memory_equal(seen, whole, sizeof(whole));
    }
    assert_memory_equal(whole[0], msg, MD_BLOCK_LEN);
    assert_memory_equal(whole[3], msg + 192, 8);
    assert_int_equal(whole[3][8], 0x80);
}

static void test_padding(void **state)
{
    (void)state;
    uint8_t msg[64] = { 0 };
    uint32_t h;
    /* 55 bytes: the 0x80 and the length fit in the same block. */
    hash_in_pieces(msg, 55, 55, &h);
    assert_int_equal(nseen, 1);
    assert_int_equal(seen[0][55], 0x80);
    assert_int_equal(seen[0][62], (55 * 8) >> 8);
    assert_int_equal(seen[0][63], (55 * 8) & 0xff);
    /* 56 bytes: the length needs a second block of zeros. */
    hash_in_pieces(msg, 56, 56, &h);
    assert_int_equal(nseen, 2);
    assert_int_equal(seen[0][56], 0x80);
    for (int i = 0; i < 56; i++)
        assert_int_equal(seen[1][i], 0);
    assert_int_equal(seen[1][62], (56 * 8) >> 8);
    assert_int_equal(seen[1][63], (56 * 8) & 0xff);
    /* Nothing at all: one block, 0x80 then zeros, length 0. */
    hash_in_pieces(msg, 0, 1, &h);
    assert_int_equal(nseen, 1);
    assert_int_equal(seen[0][0], 0x80);
    for (int i = 1; i < 64; i++)
        assert_int_equal(seen[0][i], 0);
}

static void test_digest_is_big_endian(void **state)
{
    (void)state;
    const uint32_t h[2] = { 0x01020304, 0xa1b2c3d4 };
    uint8_t out[8];
    md_block_digest(h, 2, out);
    static const uint8_t want[8] = { 1, 2, 3, 4, 0xa1, 0xb2, 0xc3, 0xd4 };
    assert_memory_equal(out, want, sizeof(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits_do_not_matter),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_digest_is_big_endian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
