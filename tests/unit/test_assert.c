/* DS_ASSERT (include/ds/assert.h): a true condition passes, evaluated once
 * where assertions are on; where NDEBUG turns them off the condition is not
 * evaluated. Both modes are tested whatever the build type, by including
 * the header again after changing NDEBUG, as with <assert.h>. A false
 * condition aborts; that is not tested here (no death tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#undef NDEBUG
#include "ds/assert.h"

static void on_passes_and_evaluates_once(void **state)
{
    (void)state;
    int n = 0;
    const char *p = "x";
    DS_ASSERT(1);
    DS_ASSERT(p != NULL);
    DS_ASSERT(++n == 1);
    assert_int_equal(n, 1);
}

#define NDEBUG
#include "ds/assert.h"

static void off_does_not_evaluate(void **state)
{
    (void)state;
    int n = 0;
    DS_ASSERT(++n == 1);
    DS_ASSERT(++n == 0); /* false, but off: no abort */
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(on_passes_and_evaluates_once),
        cmocka_unit_test(off_does_not_evaluate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
