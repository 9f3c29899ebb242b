/* sensor_reset: a capture replayed through a sensor, reset, and replayed
 * again gives the same events as the first time (flow ids aside, which go
 * on counting, and the stats event, whose flow table counters do too), so
 * nothing of one input leaks into the next: sources, clusters, alert
 * thresholds, the clock. hydra.pcap has all of them: source events,
 * alerts with thresholds and cluster events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/capture.h"
#include "ds/log.h"
#include "ds/sensor.h"
#include "ds/sink.h"

#define CAPTURE DS_TEST_SOURCE_DIR "/pcaps/scenarios/hydra.pcap"

/* Replays the capture into s and ends the input, as -r does. */
static void replay(struct sensor *s)
{
    char err[256];
    struct capture *c = NULL;
    assert_int_equal(capture_open_file(CAPTURE, NULL, &c, err, sizeof(err)), DS_OK);
    assert_int_equal(capture_run(c, sensor_packet, s, err, sizeof(err)), DS_OK);
    capture_close(c);
    sensor_finish(s);
}

/* Removes `"flow_id":N,` from a line, in place. */
static void strip_flow_id(char *line)
{
    char *p = strstr(line, "\"flow_id\":");
    if (p == NULL)
        return;
    char *q = p + strlen("\"flow_id\":");
    while (*q >= '0' && *q <= '9')
        q++;
    if (*q == ',')
        q++;
    memmove(p, q, strlen(q) + 1);
}

/* The events of the file from byte `from`, stats events left out and flow
 * ids stripped, as one string; *n_out the events kept. */
static char *events_from(const char *path, long from, size_t *n_out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, from, SEEK_SET), 0);
    size_t cap = 1 << 20, len = 0, n = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    all[0] = '\0';
    static char line[1 << 16];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "\"event_type\":\"stats\"") != NULL)
            continue;
        strip_flow_id(line);
        size_t l = strlen(line);
        while (len + l + 1 > cap) {
            cap *= 2;
            all = realloc(all, cap);
            assert_non_null(all);
        }
        memcpy(all + len, line, l + 1);
        len += l;
        n++;
    }
    fclose(f);
    *n_out = n;
    return all;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void test_reset_replays_identically(void **state)
{
    (void)state;
    char path[] = "/tmp/test_sensor_reset.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char err[256];
    struct sink *out = NULL;
    assert_int_equal(sink_open(path, &out, err, sizeof(err)), 0);
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_TEST_SOURCE_DIR "/rules";
    cfg.detect.source_events = true;
    struct sensor *s = NULL;
    assert_int_equal(sensor_new(&cfg, out, &s), 0);

    replay(s);
    sink_flush(out);
    long first_end = file_size(path);
    assert_int_equal(sensor_reset(s), 0);
    replay(s);
    assert_int_equal(sensor_reset(s), 0); /* twice in a row, and with nothing to undo */
    assert_int_equal(sensor_reset(s), 0);
    sensor_free(s);
    assert_int_equal(sink_close(out), 0);

    size_t n1 = 0, n2 = 0;
    char *all = events_from(path, 0, &n1);
    char *second = events_from(path, first_end, &n2);
    assert_true(n2 > 0 && n1 == 2 * n2);
    size_t l2 = strlen(second);
    assert_int_equal(strlen(all), 2 * l2);
    /* The first replay's events are the first half of all of them. */
    assert_memory_equal(all, second, l2);
    assert_non_null(strstr(second, "\"event_type\":\"alert\""));
    assert_non_null(strstr(second, "\"event_type\":\"source\""));
    assert_non_null(strstr(second, "\"event_type\":\"cluster\""));
    free(all);
    free(second);
    close(fd);
    unlink(path);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_replays_identically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
