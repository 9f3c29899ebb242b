/* DS_ASSERT(cond): states what cannot happen, and checks it in debug and
 * sanitizer builds.
 *
 * When NDEBUG is not defined (the Debug and sanitizer builds), a false
 * condition prints `file:line: assertion failed: cond` to stderr and aborts.
 * When it is (release builds), the condition is neither evaluated nor
 * compiled into code, but it is still type-checked. It is for invariants of
 * the code, never for input: hostile bytes are counted and skipped. Where a
 * release build must survive the impossible, keep the graceful path after it.
 *
 * Like <assert.h>, including it again after defining or undefining NDEBUG
 * switches DS_ASSERT for the rest of the file. */
#ifndef DS_ASSERT_H
#define DS_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

/* Reports the failed condition as `file:line: assertion failed: cond` on
 * stderr and aborts; DS_ASSERT's slow path. */
_Noreturn __attribute__((cold)) static inline void ds_assert_fail(const char *file, int line,
                                                                  const char *cond)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, cond);
    abort();
}

#endif

#undef DS_ASSERT
#ifdef NDEBUG
#define DS_ASSERT(cond) ((void)sizeof(!(cond)))
#else
#define DS_ASSERT(cond) ((cond) ? (void)0 : ds_assert_fail(__FILE__, __LINE__, #cond))
#endif
