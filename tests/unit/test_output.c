/* output: stats carry decode errors by kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/output.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* An output on a new temporary file, named in path (a mkstemp template). */
static struct output *open_temp(char *path, const char *host)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct output *o = NULL;
    char err[128];
    assert_int_equal(output_open(path, host, &o, err, sizeof(err)), 0);
    return o;
}

static void test_stats_event(void **state)
{
    (void)state;
    char path[] = "/tmp/ds-test-output-XXXXXX";
    struct output *o = open_temp(path, NULL);
    struct decode_stats d = { .pkts = 5, .bytes = 500 };
    d.err[DECODE_ERR_IP_FRAGMENT] = 2;
    struct flow_stats fs = { .created = 3, .active = 1, .evicted = 1 };
    const char *names[] = { "openai" };
    uint64_t by[] = { 2 };
    struct sensor_stats st = { .decode = &d, .flow = &fs, .nproviders = 1,
                               .provider_names = names, .ai_flows_by_provider = by,
                               .live = true, .kernel_packets = 9, .kernel_drops = 1 };
    output_stats(o, 1771841100000000ull, &st);
    assert_int_equal(output_close(o), 0);
    char *line = slurp(path);
    unlink(path);
    assert_non_null(strstr(line, "\"event_type\":\"stats\""));
    assert_non_null(strstr(line, "\"capture\":{\"kernel_packets\":9,\"kernel_drops\":1"));
    assert_non_null(strstr(line, "\"ip_fragment\":2"));
    assert_non_null(strstr(line, "\"evicted\":1"));
    assert_non_null(strstr(line, "\"ai_flows_by_provider\":{\"openai\":2}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
