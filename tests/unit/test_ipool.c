/* ipool: handles from 1, objects zeroed and rounded to the alignment
 * asked, slabs made on demand up to the cap (0 beyond), a freed handle
 * the next one out, objects that never move as slabs are added, and the
 * bytes held (slabs and directory), which ipool_full_bytes tells ahead;
 * ipool_get_dirty leaves an object's bytes as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds/ipool.h"

static void test_handles_and_cap(void **state)
{
    (void)state;
    struct ipool ip;
    ipool_init(&ip, 20, 8, 10, 2);   /* 24-byte objects, slabs of 4, 3 slabs at most */
    assert_int_equal(ip.size, 24);
    assert_int_equal(ip.bytes, 3 * sizeof(void *));   /* the directory alone */
    uint8_t *obj[10];
    for (uint32_t i = 0; i < 10; i++) {
        uint32_t h = ipool_get(&ip);
        assert_int_equal(h, i + 1);   /* the lowest first */
        obj[i] = ipool_at(&ip, h);
        for (size_t k = 0; k < ip.size; k++)
            assert_int_equal(obj[i][k], 0);
        memset(obj[i], 0xa5, ip.size);
    }
    assert_int_equal(ipool_get(&ip), 0);   /* at the cap */
    assert_int_equal(ip.in_use, 10);
    assert_int_equal(ip.made, 10);
    /* Slabs of 4, 4 and 2: the last cut at the cap. */
    assert_int_equal(ip.bytes, 3 * sizeof(void *) + 10 * 24);
    assert_int_equal(ipool_full_bytes(20, 8, 10, 2), ip.bytes);
    for (uint32_t i = 0; i < 10; i++)
        assert_ptr_equal(ipool_at(&ip, i + 1), obj[i]);   /* never moved */
    ipool_put(&ip, 7);
    ipool_put(&ip, 0);   /* nothing */
    assert_int_equal(ip.in_use, 9);
    assert_int_equal(ipool_get(&ip), 7);
    assert_int_equal(obj[6][0], 0);   /* zeroed again */
    assert_int_equal(obj[6][23], 0);
    assert_int_equal(obj[5][0], 0xa5);   /* its neighbours untouched */
    assert_int_equal(obj[7][0], 0xa5);
    memset(obj[6], 0x5a, ip.size);
    ipool_put(&ip, 7);
    assert_int_equal(ipool_get_dirty(&ip), 7);
    assert_int_equal(obj[6][4], 0x5a);   /* past the free chain's handle: as left */
    assert_int_equal(obj[6][23], 0x5a);
    assert_int_equal(ipool_get_dirty(&ip), 0);   /* at the cap */
    ipool_free(&ip);
}

static void test_rounding(void **state)
{
    (void)state;
    struct ipool ip;
    ipool_init(&ip, 152, 8, 1, 10);
    assert_int_equal(ip.size, 152);
    ipool_free(&ip);
    ipool_init(&ip, 152, 16, 1, 10);
    assert_int_equal(ip.size, 160);
    ipool_free(&ip);
    ipool_init(&ip, 1, 1, 1, 10);   /* room for the free chain's handle */
    assert_int_equal(ip.size, 4);
    assert_int_equal(ipool_full_bytes(1, 1, 1, 10), sizeof(void *) + 4);
    assert_int_equal(ipool_get(&ip), 1);
    assert_int_equal(ipool_get(&ip), 0);
    ipool_free(&ip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handles_and_cap),
        cmocka_unit_test(test_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
