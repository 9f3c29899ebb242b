/* The loaders' diagnostics sink: messages read `file:line: why` (or `file:
 * why`, or just why), errors and warnings are counted, shown up to the cap
 * and then only counted, with one closing line saying how many were not
 * shown; they go to stderr through the log by default (and with a NULL
 * diag), or are collected in memory, cut rather than overrun. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/diag.h"
#include "ds/log.h"

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_format_and_counts(void **state)
{
    (void)state;
    struct diag dg;
    struct diag_text t;
    char buf[1024];
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    diag_error(&dg, "rules/a.rules", 12, "unknown keyword '%s'", "frob");
    diag_warn(&dg, "rules/fingerprints.conf", 3, "line %u wins", 2u);
    diag_error(&dg, "rules/missing.rules", 0, "cannot read: %s", "No such file or directory");
    diag_error(&dg, NULL, 7, "no file to name");
    assert_string_equal(buf, "rules/a.rules:12: unknown keyword 'frob'\n"
                             "rules/fingerprints.conf:3: line 2 wins\n"
                             "rules/missing.rules: cannot read: No such file or directory\n"
                             "no file to name\n");
    assert_int_equal(diag_errors(&dg), 3);
    assert_int_equal(diag_warnings(&dg), 1);
    assert_int_equal(diag_suppressed(&dg), 0);
    assert_int_equal(t.lines, 4);
    diag_finish(&dg); /* nothing was held back: nothing to say */
    assert_int_equal(t.lines, 4);
}

/* Past the cap messages are counted, not shown; the closing line counts them. */
static void test_cap(void **state)
{
    (void)state;
    struct diag dg;
    struct diag_text t;
    char buf[8192];
    diag_init(&dg);
    assert_int_equal(dg.cap, DIAG_CAP);
    diag_collect(&dg, &t, buf, sizeof(buf));
    for (unsigned i = 1; i <= 25; i++)
        diag_error(&dg, "big.conf", i, "bad line");
    for (unsigned i = 26; i <= 28; i++)
        diag_warn(&dg, "big.conf", i, "odd line");
    assert_int_equal(diag_errors(&dg), 25);
    assert_int_equal(diag_warnings(&dg), 3);
    assert_int_equal(diag_suppressed(&dg), 8);
    assert_int_equal(count_lines(buf), DIAG_CAP);
    assert_non_null(strstr(buf, "big.conf:20: bad line\n"));
    assert_null(strstr(buf, "big.conf:21:"));
    diag_finish(&dg);
    assert_int_equal(count_lines(buf), DIAG_CAP + 1);
    assert_non_null(strstr(buf, "\n8 more messages not shown (25 errors, 3 warnings in all)\n"));

    /* cap 0: every message shown, nothing to close */
    diag_init(&dg);
    diag_set_cap(&dg, 0);
    diag_collect(&dg, &t, buf, sizeof(buf));
    for (unsigned i = 1; i <= 100; i++)
        diag_error(&dg, "big.conf", i, "bad line");
    diag_finish(&dg);
    assert_int_equal(count_lines(buf), 100);
    assert_int_equal(diag_suppressed(&dg), 0);
}

struct levels {
    unsigned n;
    enum diag_level level[8];
    char last[256];
};

static void record(void *ctx, enum diag_level level, const char *msg)
{
    struct levels *l = ctx;
    if (l->n < 8)
        l->level[l->n] = level;
    l->n++;
    snprintf(l->last, sizeof(l->last), "%s", msg);
}

/* A function of the caller's sees each message with its level; the closing
 * line is a warning when only warnings were held back. */
static void test_function_and_levels(void **state)
{
    (void)state;
    struct diag dg;
    struct levels l;
    memset(&l, 0, sizeof(l));
    diag_init(&dg);
    diag_set_cap(&dg, 1);
    diag_set_fn(&dg, record, &l);
    diag_warn(&dg, "f", 1, "one");
    diag_warn(&dg, "f", 2, "two");
    diag_finish(&dg);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.level[0], DIAG_WARNING);
    assert_int_equal(l.level[1], DIAG_WARNING);
    assert_string_equal(l.last, "1 more message not shown (0 errors, 2 warnings in all)");

    memset(&l, 0, sizeof(l));
    diag_init(&dg);
    diag_set_cap(&dg, 1);
    diag_set_fn(&dg, record, &l);
    diag_warn(&dg, "f", 1, "one");
    diag_error(&dg, "f", 2, "two");
    diag_finish(&dg);
    assert_int_equal(l.level[1], DIAG_ERROR);
    assert_string_equal(l.last, "1 more message not shown (1 error, 1 warning in all)");
}

/* Runs fn with stderr going to a temporary file; returns what was written. */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/ds_test_diag_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    fn();
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    buf[n] = '\0';
    close(fd);
    unlink(path);
    return buf;
}

static void to_the_log(void)
{
    struct diag dg;
    diag_init(&dg);
    diag_set_cap(&dg, 2);
    diag_error(&dg, "a.conf", 1, "first");
    diag_warn(&dg, "a.conf", 2, "second");
    diag_error(&dg, "a.conf", 3, "third");
    diag_finish(&dg);
}

static void without_a_diag(void)
{
    for (unsigned i = 1; i <= DIAG_CAP + 5; i++)
        diag_error(NULL, "b.conf", i, "bad");
    diag_warn(NULL, "b.conf", 99, "odd");
    diag_finish(NULL);
}

/* By default messages go to stderr through the log; a NULL diag writes
 * every one, counting nothing. */
static void test_log(void **state)
{
    (void)state;
    char *err = capture_stderr(to_the_log);
    assert_string_equal(err, "distill-sensor: a.conf:1: first\n"
                             "distill-sensor: a.conf:2: second\n"
                             "distill-sensor: 1 more message not shown (2 errors, 1 warning in all)\n");
    free(err);
    err = capture_stderr(without_a_diag);
    assert_int_equal(count_lines(err), DIAG_CAP + 6);
    assert_non_null(strstr(err, "distill-sensor: b.conf:25: bad\n"));
    assert_non_null(strstr(err, "distill-sensor: b.conf:99: odd\n"));
    free(err);
    assert_int_equal(diag_errors(NULL), 0);
    assert_int_equal(diag_suppressed(NULL), 0);
}

/* A buffer too small for what comes is filled, cut, terminated, counted. */
static void test_collect_cut(void **state)
{
    (void)state;
    struct diag dg;
    struct diag_text t;
    char buf[24];
    memset(buf, 'x', sizeof(buf));
    diag_init(&dg);
    diag_collect(&dg, &t, buf, 16);
    diag_error(&dg, "f", 1, "abc");        /* "f:1: abc\n": 9 bytes */
    diag_error(&dg, "f", 2, "abcdefgh");   /* only 6 bytes of it fit */
    diag_error(&dg, "f", 3, "more");       /* nothing fits */
    assert_string_equal(buf, "f:1: abc\nf:2: a");
    assert_int_equal(t.len, 15);
    assert_int_equal(t.lines, 3);
    assert_int_equal(t.cut, 2);
    assert_int_equal(buf[16], 'x');
    assert_int_equal(diag_errors(&dg), 3);

    diag_init(&dg);
    diag_collect(&dg, &t, NULL, 0);
    diag_error(&dg, "f", 1, "nowhere");
    assert_int_equal(t.cut, 1);
}

/* A path as long as a path may be is not cut off the message. */
static void test_long_path(void **state)
{
    (void)state;
    static char path[4096], buf[8192];
    memset(path, 'p', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    struct diag dg;
    struct diag_text t;
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    diag_error(&dg, path, 4, "why");
    assert_int_equal(strlen(buf), sizeof(path) - 1 + strlen(":4: why\n"));
    assert_non_null(strstr(buf, "p:4: why\n"));
}

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_counts),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_function_and_levels),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_collect_cut),
        cmocka_unit_test(test_long_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
