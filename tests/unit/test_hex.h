/* Hex test vectors into bytes, for the unit tests (include after cmocka.h). */
#ifndef DS_TEST_HEX_H
#define DS_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline unsigned test_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    assert_true(c >= 'a' && c <= 'f');
    return (unsigned)(c - 'a' + 10);
}

/* The bytes of lower-case hex h (an even number of digits) into out, at
 * most cap; returns their number. */
static inline size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h);
    assert_int_equal(n % 2, 0);
    assert_true(n / 2 <= cap);
    for (size_t i = 0; i < n / 2; i++)
        out[i] = (uint8_t)(test_nibble(h[2 * i]) << 4 | test_nibble(h[2 * i + 1]));
    return n / 2;
}

#endif
