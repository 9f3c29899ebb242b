/* sink: lines out, one a line; counters for lines written, lost and
 * shortened; reopen after rotation, keeping the old file when the new one
 * cannot be had; close says whether anything was lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/sink.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A new temporary directory (a mkdtemp template) and a file path in it. */
static void temp_file(char *dir, char *path, size_t len)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, len, "%s/events.json", dir);
}

static void test_lines_and_counters(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", path[64];
    temp_file(dir, path, sizeof(path));
    struct sink *k = NULL;
    char err[128];
    assert_int_equal(sink_open(path, &k, err, sizeof(err)), 0);
    sink_write(k, "{\"a\":1}", 7);
    sink_write(k, "{\"b\":2} and more", 7);   /* only n bytes */
    sink_write(k, "", 0);                     /* did not fit: lost */
    sink_note_truncated(k);
    const struct sink_counters *n = sink_counters(k);
    assert_int_equal(n->events, 2);
    assert_int_equal(n->write_errors, 1);
    assert_int_equal(n->truncated, 1);
    assert_int_equal(sink_close(k), -1);      /* a line was lost */
    assert_string_equal(slurp(path), "{\"a\":1}\n{\"b\":2}\n");
    unlink(path);
    rmdir(dir);
}

/* A file is appended to, never truncated. */
static void test_appends(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", path[64];
    temp_file(dir, path, sizeof(path));
    for (int i = 0; i < 2; i++) {
        struct sink *k = NULL;
        char err[128];
        assert_int_equal(sink_open(path, &k, err, sizeof(err)), 0);
        sink_write(k, "x", 1);
        assert_int_equal(sink_close(k), 0);
    }
    assert_string_equal(slurp(path), "x\nx\n");
    unlink(path);
    rmdir(dir);
}

/* Rotation: the file is renamed away, SIGHUP reopens the path; then the
 * directory goes, and a reopen fails but the old stream goes on. */
static void test_reopen(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", path[64], rotated[80];
    temp_file(dir, path, sizeof(path));
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    struct sink *k = NULL;
    char err[256];
    assert_int_equal(sink_open(path, &k, err, sizeof(err)), 0);
    sink_write(k, "old", 3);
    assert_int_equal(rename(path, rotated), 0);
    assert_int_equal(sink_reopen(k, err, sizeof(err)), 0);
    sink_write(k, "new", 3);
    sink_flush(k);
    assert_string_equal(slurp(rotated), "old\n");
    assert_string_equal(slurp(path), "new\n");

    assert_int_equal(rename(path, rotated), 0);
    assert_int_equal(unlink(rotated), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(sink_reopen(k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "events.json: cannot open for writing"));
    sink_write(k, "kept", 4);                 /* into the old (now unlinked) file */
    assert_int_equal(sink_counters(k)->events, 3);
    assert_int_equal(sink_counters(k)->write_errors, 0);
    assert_int_equal(sink_close(k), 0);
}

/* stdout is a sink too; reopening it does nothing. */
static void test_stdout(void **state)
{
    (void)state;
    struct sink *k = NULL;
    char err[128];
    assert_int_equal(sink_open("-", &k, err, sizeof(err)), 0);
    assert_int_equal(sink_reopen(k, err, sizeof(err)), 0);
    assert_int_equal(sink_counters(k)->events, 0);
    assert_int_equal(sink_close(k), 0);
}

/* A device that refuses every byte: the loss shows at flush and close. */
static void test_write_failure(void **state)
{
    (void)state;
    struct sink *k = NULL;
    char err[128];
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(sink_open("/dev/full", &k, err, sizeof(err)), 0);
    sink_write(k, "lost", 4);
    assert_int_equal(sink_close(k), -1);
}

static void test_unwritable(void **state)
{
    (void)state;
    struct sink *k = NULL;
    char err[256];
    assert_int_equal(sink_open("/proc/nonexistent/x.json", &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/proc/nonexistent/x.json: cannot open for writing"));
    assert_int_equal(sink_close(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_counters),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_stdout),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
