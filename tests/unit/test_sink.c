/* sink: lines out, one a line; counters for lines written, lost and
 * shortened; reopen after rotation, keeping the old file when the new one
 * cannot be had; close says whether anything was lost. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/sink-queue.h"
#include "ds/sink.h"
#include "ds/stats.h"

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

/* Output specs: the kinds, syslog's facility and socket, and the errors. */
static void test_spec_parse(void **state)
{
    (void)state;
    struct sink_spec sp;
    char err[512];
    assert_int_equal(sink_spec_parse("-", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_STDOUT);
    assert_int_equal(sink_spec_parse("ev.json", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_FILE);
    assert_string_equal(sp.path, "ev.json");
    assert_int_equal(sink_spec_parse("./a:b.json", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_FILE);
    assert_int_equal(sink_spec_parse("/var/log/x:y", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_FILE);
    assert_int_equal(sink_spec_parse("unix-stream:/run/v.sock", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_UNIX_STREAM);
    assert_string_equal(sp.path, "/run/v.sock");
    assert_int_equal(sink_spec_parse("unix-dgram:rel.sock", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_UNIX_DGRAM);
    assert_string_equal(sp.path, "rel.sock");
    assert_int_equal(sink_spec_parse("syslog", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_SYSLOG);
    assert_int_equal(sp.facility, 21);
    assert_string_equal(sp.path, "/dev/log");
    assert_int_equal(sink_spec_parse("syslog:daemon", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.facility, 3);
    assert_int_equal(sink_spec_parse("syslog:local0@/tmp/l.sock", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.facility, 16);
    assert_string_equal(sp.path, "/tmp/l.sock");
    assert_int_equal(sink_spec_parse("syslog@/tmp/l.sock", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.facility, 21);
    assert_string_equal(sp.path, "/tmp/l.sock");

    assert_int_equal(sink_spec_parse("syslog:local8", &sp, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "syslog:local8: unknown syslog facility 'local8'"));
    assert_int_equal(sink_spec_parse("syslog:", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("syslog:local5@", &sp, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no socket path"));
    assert_int_equal(sink_spec_parse("kafka:events", &sp, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "kafka:events: unknown output scheme"));
    assert_int_equal(sink_spec_parse("unix:/x", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("redis://127.0.0.1:6379/ev", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.kind, SINK_REDIS);
    assert_string_equal(sp.host, "127.0.0.1");
    assert_int_equal(sp.port, 6379);
    assert_string_equal(sp.key, "ev");
    assert_int_equal(sp.mode, SINK_REDIS_LIST);
    assert_int_equal(sink_spec_parse("redis://r:1/a/b?mode=stream", &sp, err, sizeof(err)), 0);
    assert_string_equal(sp.key, "a/b");
    assert_int_equal(sp.mode, SINK_REDIS_STREAM);
    assert_int_equal(sink_spec_parse("redis://r:1/k?mode=channel", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.mode, SINK_REDIS_CHANNEL);
    assert_int_equal(sink_spec_parse("redis://r:1/k?mode=list", &sp, err, sizeof(err)), 0);
    assert_int_equal(sp.mode, SINK_REDIS_LIST);
    assert_int_equal(sink_spec_parse("redis://r:1/k?mode=set", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("redis://r:65536/k", &sp, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad port"));
    assert_int_equal(sink_spec_parse("redis://:1/k", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("redis:r:1/k", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("redis://r:1/", &sp, err, sizeof(err)), -1);
    assert_int_equal(sink_spec_parse("unix-stream:", &sp, err, sizeof(err)), -1);
    char longp[200];
    memset(longp, 'a', sizeof(longp));
    memcpy(longp, "unix-dgram:/", 12);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(sink_spec_parse(longp, &sp, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(sink_spec_parse("", &sp, err, sizeof(err)), -1);
}

static void expect_head(struct sink_queue *q, const char *want)
{
    const char *p;
    size_t n;
    assert_true(sink_queue_head(q, &p, &n));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* The queue: both caps, order, a head sent in pieces, a dropped head, and
 * a line placed after the front's space is reused. */
static void test_queue(void **state)
{
    (void)state;
    struct sink_queue *q = sink_queue_new(16, 3);
    const char *p;
    size_t n;
    assert_false(sink_queue_head(q, &p, &n));
    assert_false(sink_queue_push(q, "", 0, NULL, 0));
    assert_true(sink_queue_push(q, "ab", 2, "\n", 1));
    assert_true(sink_queue_push(q, "cd", 2, NULL, 0));
    assert_true(sink_queue_push(q, "ef", 2, NULL, 0));
    assert_false(sink_queue_push(q, "gh", 2, NULL, 0));      /* 3 lines */
    assert_true(sink_queue_peek(q, 2, &p, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(p, "ef", 2);
    assert_false(sink_queue_peek(q, 3, &p, &n));
    assert_int_equal(sink_queue_lines(q), 3);
    assert_int_equal(sink_queue_bytes(q), 7);
    expect_head(q, "ab\n");
    assert_false(sink_queue_advance(q, 1));
    assert_true(sink_queue_started(q));
    expect_head(q, "b\n");
    assert_true(sink_queue_advance(q, 2));
    expect_head(q, "cd");
    assert_true(sink_queue_push(q, "0123456789", 10, NULL, 0)); /* 14 of 16 */
    assert_false(sink_queue_push(q, "xyz", 3, NULL, 0));        /* bytes */
    assert_false(sink_queue_advance(q, 1));
    assert_true(sink_queue_drop_head(q));                       /* "cd", half sent */
    assert_false(sink_queue_drop_head(q));                      /* "ef", untouched */
    assert_true(sink_queue_push(q, "wxyz", 4, NULL, 0));        /* wraps: moved down */
    expect_head(q, "0123456789");
    assert_true(sink_queue_advance(q, 10));
    expect_head(q, "wxyz");
    assert_true(sink_queue_advance(q, 4));
    assert_int_equal(sink_queue_lines(q), 0);
    assert_int_equal(sink_queue_bytes(q), 0);
    assert_true(sink_queue_push(q, "0123456789abcdef", 16, NULL, 0));
    sink_queue_free(q);
    sink_queue_free(NULL);
}

/* A full disk, by a file size limit: what the buffer held is dropped and
 * counted, the cut line is ended, and writing resumes when there is room. */
static void test_full_then_room(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", path[64];
    temp_file(dir, path, sizeof(path));
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    struct sink *k = NULL;
    char err[128];
    assert_int_equal(sink_open(path, &k, err, sizeof(err)), 0);
    small = old;
    small.rlim_cur = 10;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    for (int i = 0; i < 5; i++)
        sink_write(k, "abc", 3);                 /* 4 bytes each */
    sink_flush(k);                               /* 10 bytes fit: 2 lines and "ab" */
    assert_int_equal(sink_counters(k)->events, 2);
    assert_int_equal(sink_counters(k)->write_errors, 3);
    sink_write(k, "lost", 4);
    sink_flush(k);                               /* no room at all */
    assert_int_equal(sink_counters(k)->write_errors, 4);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    sink_write(k, "back", 4);
    assert_int_equal(sink_close(k), -1);         /* lines were lost */
    signal(SIGXFSZ, SIG_DFL);
    assert_string_equal(slurp(path), "abc\nabc\nab\nback\n");
    unlink(path);
    rmdir(dir);
}

static int bind_dgram(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(bind(fd, (const struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void expect_dgram(int fd, const char *want)
{
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* unix-dgram with no reader: the queue holds 3 lines, the rest is dropped;
 * once a reader binds and the backoff is over, the 3 arrive in order. */
static void test_dgram_late_reader(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", sock[64], spec[80];
    temp_file(dir, sock, sizeof(sock));
    snprintf(spec, sizeof(spec), "unix-dgram:%s", sock);
    const char *specs[] = { spec };
    struct sink *k = NULL;
    char err[256];
    assert_int_equal(sink_open_all(specs, 1, 3, &k, err, sizeof(err)), 0);
    const char *lines[] = { "one", "two", "three", "four", "five" };
    for (int i = 0; i < 5; i++)
        sink_write(k, lines[i], strlen(lines[i]));
    assert_int_equal(sink_counters(k)->dropped, 2);
    assert_int_equal(sink_counters(k)->events, 0);
    int fd = bind_dgram(sock);
    struct timespec pause = { 0, 300 * 1000 * 1000 };  /* past the 0.1 s backoff */
    nanosleep(&pause, NULL);
    sink_flush(k);
    expect_dgram(fd, "one");
    expect_dgram(fd, "two");
    expect_dgram(fd, "three");
    assert_int_equal(sink_counters(k)->events, 3);
    assert_int_equal(sink_close(k), 0);                 /* drops do not fail */
    close(fd);
    unlink(sock);
    rmdir(dir);
}

/* syslog: RFC 5424 with local3/info (19 * 8 + 6), our identity, the event. */
static void test_syslog_format(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", sock[64], spec[80];
    temp_file(dir, sock, sizeof(sock));
    snprintf(spec, sizeof(spec), "syslog:local3@%s", sock);
    int fd = bind_dgram(sock);
    struct sink *k = NULL;
    char err[256];
    assert_int_equal(sink_open(spec, &k, err, sizeof(err)), 0);
    sink_write(k, "{\"a\":1}", 7);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_memory_equal(buf, "<158>1 ", 7);
    assert_non_null(strstr(buf, " distill-sensor "));
    assert_non_null(strstr(buf, " - - {\"a\":1}"));
    assert_int_equal(buf[n - 1], '}');
    assert_int_equal(sink_close(k), 0);
    close(fd);
    unlink(sock);
    rmdir(dir);
}

/* Two files: every line in both; the stats keep sensor.output's keys (the
 * first's) and add one object per output. */
static void test_tee(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", a[64], b[80];
    temp_file(dir, a, sizeof(a));
    snprintf(b, sizeof(b), "%s/second.json", dir);
    const char *specs[] = { a, b };
    struct sink *k = NULL;
    char err[256];
    assert_int_equal(sink_open_all(specs, 2, 10, &k, err, sizeof(err)), 0);
    sink_write(k, "x", 1);
    sink_write(k, "", 0);
    sink_write(k, "y", 1);
    assert_int_equal(sink_counters(k)->events, 2);
    assert_int_equal(sink_counters(k)->write_errors, 1);
    struct stats_node *root = stats_new();
    sink_stats_write(k, root);
    stats_free(root);
    assert_int_equal(sink_reopen(k, err, sizeof(err)), 0);
    assert_int_equal(sink_close(k), -1);
    assert_string_equal(slurp(a), "x\ny\n");
    assert_string_equal(slurp(b), "x\ny\n");
    unlink(a);
    unlink(b);
    rmdir(dir);

    const char *bad[] = { "-", "/proc/nonexistent/x.json" };
    assert_int_equal(sink_open_all(bad, 2, 10, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/proc/nonexistent/x.json: cannot open for writing"));
}

/* Outputs with credentials: a password is for redis alone, a username
 * needs one; sink_swap moves outputs and counters under a held pointer. */
static void test_outputs_and_swap(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-sink-XXXXXX", a[64], b[80];
    temp_file(dir, a, sizeof(a));
    snprintf(b, sizeof(b), "%s/second.json", dir);
    struct sink *k = NULL, *fresh = NULL;
    char err[256];
    const struct sink_output pw_file = { .spec = a, .password = "pw" };
    assert_int_equal(sink_open_outputs(&pw_file, 1, 10, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ": a password is for a redis output only"));
    const struct sink_output user_only = { .spec = "redis://127.0.0.1:1/k", .username = "u" };
    assert_int_equal(sink_open_outputs(&user_only, 1, 10, &k, err, sizeof(err)), -1);
    assert_string_equal(err, "redis://127.0.0.1:1/k: a username needs a password");

    const struct sink_output first = { .spec = a }, second = { .spec = b };
    assert_int_equal(sink_open_outputs(&first, 1, 10, &k, err, sizeof(err)), 0);
    sink_write(k, "x", 1);
    assert_int_equal(sink_open_outputs(&second, 1, 10, &fresh, err, sizeof(err)), 0);
    struct sink *held = k;
    sink_swap(k, fresh);
    assert_ptr_equal(held, k);
    assert_int_equal(sink_counters(k)->events, 0);
    assert_int_equal(sink_counters(fresh)->events, 1);
    assert_int_equal(sink_close(fresh), 0);
    sink_write(k, "y", 1);
    assert_int_equal(sink_close(k), 0);
    assert_string_equal(slurp(a), "x\n");
    assert_string_equal(slurp(b), "y\n");
    unlink(a);
    unlink(b);
    rmdir(dir);
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
        cmocka_unit_test(test_spec_parse),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_full_then_room),
        cmocka_unit_test(test_dgram_late_reader),
        cmocka_unit_test(test_syslog_format),
        cmocka_unit_test(test_tee),
        cmocka_unit_test(test_outputs_and_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
