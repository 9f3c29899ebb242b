/* The metrics renderer and exchange: the exact Prometheus text of a small
 * stats tree (a family's HELP and TYPE once, labels from the tree's keys,
 * a figure less its subset, families left out when the tree lacks them);
 * label values escaped; a text over its cap cut at a line; every name valid,
 * counters and only counters ending in _total, every name of the table in a
 * real sensor's rendering; the exchange's wanted flag, publish and latest;
 * --metrics addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/log.h"
#include "ds/metrics-http.h"
#include "ds/metrics.h"
#include "ds/sensor.h"
#include "ds/sink.h"
#include "ds/stats.h"

static struct stats_node *small_tree(void)
{
    struct stats_node *root = stats_new();
    struct stats_node *dec = stats_child(stats_child(root, "stats"), "decoder");
    stats_u64(dec, "pkts", 10);
    stats_u64(dec, "bytes", 1000);
    stats_u64(dec, "ipv4", 10);
    struct stats_node *me = stats_child(root, "sensor");
    stats_u64(stats_child(me, "decode_errors"), "not_ip", 2);
    struct stats_node *fl = stats_child(me, "flows");
    stats_u64(fl, "evicted", 5);
    stats_u64(fl, "chain_evicted", 2);
    stats_u64(stats_child(me, "ai_flows_by_provider"), "open\"ai\\x\ny", 3);
    struct stats_node *by = stats_child(stats_child(me, "detect"), "alerts_by_rule");
    stats_u64(stats_child(by, "9000001"), "1", 4);
    stats_u64(stats_child(by, "9000009"), "3", 0);
    struct stats_node *out = stats_child(me, "output");
    stats_u64(out, "events", 7);                 /* not an output: left out */
    stats_u64(stats_child(out, "redis_1"), "events", 7);
    stats_u64(stats_child(out, "redis_1"), "dropped", 1);
    stats_u64(stats_child(me, "memory"), "flows", 4096);
    return root;
}

static const char small_text[] =
    "# HELP distill_sensor_packets_total Packets read from the capture.\n"
    "# TYPE distill_sensor_packets_total counter\n"
    "distill_sensor_packets_total 10\n"
    "# HELP distill_sensor_bytes_total Bytes on the wire of the packets read.\n"
    "# TYPE distill_sensor_bytes_total counter\n"
    "distill_sensor_bytes_total 1000\n"
    "# HELP distill_sensor_decoded_packets_total Packets decoded, by protocol.\n"
    "# TYPE distill_sensor_decoded_packets_total counter\n"
    "distill_sensor_decoded_packets_total{proto=\"ipv4\"} 10\n"
    "# HELP distill_sensor_decode_errors_total Packets not decoded (or cut by the snap length), "
    "by kind.\n"
    "# TYPE distill_sensor_decode_errors_total counter\n"
    "distill_sensor_decode_errors_total{kind=\"not_ip\"} 2\n"
    "# HELP distill_sensor_flows_evicted_total Flows evicted: at the table's cap (the oldest "
    "idle), or to keep a hash chain short.\n"
    "# TYPE distill_sensor_flows_evicted_total counter\n"
    "distill_sensor_flows_evicted_total{kind=\"cap\"} 3\n"
    "distill_sensor_flows_evicted_total{kind=\"chain\"} 2\n"
    "# HELP distill_sensor_provider_flows_total Flows to AI services, by provider (restarts "
    "when the catalogue is reloaded).\n"
    "# TYPE distill_sensor_provider_flows_total counter\n"
    "distill_sensor_provider_flows_total{provider=\"open\\\"ai\\\\x\\ny\"} 3\n"
    "# HELP distill_sensor_alerts_total Alerts, by signature and its severity (1 high .. 3 "
    "low).\n"
    "# TYPE distill_sensor_alerts_total counter\n"
    "distill_sensor_alerts_total{sid=\"9000001\",severity=\"1\"} 4\n"
    "distill_sensor_alerts_total{sid=\"9000009\",severity=\"3\"} 0\n"
    "# HELP distill_sensor_sink_events_total Events written, by output.\n"
    "# TYPE distill_sensor_sink_events_total counter\n"
    "distill_sensor_sink_events_total{sink=\"redis_1\"} 7\n"
    "# HELP distill_sensor_sink_dropped_total Events dropped, by output (its queue was full, "
    "or it was down at exit).\n"
    "# TYPE distill_sensor_sink_dropped_total counter\n"
    "distill_sensor_sink_dropped_total{sink=\"redis_1\"} 1\n"
    "# HELP distill_sensor_memory_bytes Memory held, by pool.\n"
    "# TYPE distill_sensor_memory_bytes gauge\n"
    "distill_sensor_memory_bytes{pool=\"flows\"} 4096\n";

static void test_small_tree(void **state)
{
    (void)state;
    struct stats_node *root = small_tree();
    size_t len;
    bool cut;
    char *text = metrics_render(root, METRICS_TEXT_MAX, &len, &cut);
    assert_string_equal(text, small_text);
    assert_int_equal(len, strlen(small_text));
    assert_false(cut);
    free(text);
    stats_free(root);
}

static void test_empty_tree(void **state)
{
    (void)state;
    struct stats_node *root = stats_new();
    size_t len;
    bool cut;
    char *text = metrics_render(root, METRICS_TEXT_MAX, &len, &cut);
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    assert_false(cut);
    free(text);
    stats_free(root);
}

/* Over the cap: whole lines up to it, none cut in the middle. */
static void test_cut_at_a_line(void **state)
{
    (void)state;
    struct stats_node *root = small_tree();
    size_t len;
    bool cut;
    char *text = metrics_render(root, 200, &len, &cut);
    assert_true(cut);
    assert_true(len > 0 && len < 200);
    assert_int_equal(text[len - 1], '\n');
    assert_memory_equal(text, small_text, len);
    free(text);
    stats_free(root);
}

static void test_escape(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(metrics_escape_label("a\"b\\c\nd", 7, out, sizeof(out)), 10);
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    /* Valid UTF-8 stays as it is; bytes of invalid UTF-8 become '?'. */
    assert_int_equal(metrics_escape_label("caf\xc3\xa9", 5, out, sizeof(out)), 5);
    assert_string_equal(out, "caf\xc3\xa9");
    assert_int_equal(metrics_escape_label("x\xff\x01y", 4, out, sizeof(out)), 4);
    assert_string_equal(out, "x??y");
    /* Too small for the escaped text (and its NUL). */
    assert_int_equal(metrics_escape_label("abc", 3, out, 3), (size_t)-1);
    assert_int_equal(metrics_escape_label("a\"", 2, out, 3), (size_t)-1);
    assert_int_equal(metrics_escape_label("ab", 2, out, 3), 2);
}

static void test_names_valid(void **state)
{
    (void)state;
    assert_true(metrics_name_valid("a_b:c9"));
    assert_false(metrics_name_valid("9a"));
    assert_false(metrics_name_valid("a-b"));
    assert_false(metrics_name_valid(""));
    size_t n;
    const char *const *names = metrics_names(&n);
    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        assert_true(metrics_name_valid(names[i]));
        assert_int_equal(strncmp(names[i], "distill_sensor_", 15), 0);
        /* A family's rows are consecutive: a name never comes back later. */
        for (size_t j = i + 2; j < n; j++)
            if (strcmp(names[i], names[j]) == 0)
                assert_string_equal(names[j - 1], names[i]);
    }
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
    size_t t = strlen(tail);
    return len >= t && memcmp(s + len - t, tail, t) == 0;
}

/* A real sensor's rendering through the exchange: every family's TYPE is
 * right for its name, and every name of the table is there but the live
 * capture's kernel counters. */
static void test_sensor_rendering(void **state)
{
    (void)state;
    char dir[] = "/tmp/ds-test-metrics-XXXXXX", path[64], err[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/events.json", dir);
    struct sink *sink = NULL;
    assert_int_equal(sink_open(path, &sink, err, sizeof(err)), 0);
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_TEST_SOURCE_DIR "/rules";
    struct sensor *s = NULL;
    assert_int_equal(sensor_new(&cfg, sink, &s), 0);
    struct metrics *m = metrics_new();
    assert_false(metrics_wanted(m));
    sensor_set_metrics(s, m);   /* renders at once */
    size_t len;
    char *text = metrics_latest(m, 0, &len);
    assert_false(metrics_wanted(m));   /* the text is fresh: nothing asked */

    for (char *line = strstr(text, "# TYPE "); line; line = strstr(line + 1, "# TYPE ")) {
        char name[128], type[16];
        const char *sp = strchr(line + 7, ' ');
        size_t nl = (size_t)(sp - (line + 7));
        assert_true(nl < sizeof(name));
        memcpy(name, line + 7, nl);
        name[nl] = '\0';
        size_t tl = strcspn(sp + 1, "\n");
        memcpy(type, sp + 1, tl);
        type[tl] = '\0';
        bool total = ends_with(name, nl, "_total");
        assert_true(strcmp(type, total ? "counter" : "gauge") == 0);
    }
    size_t n;
    const char *const *names = metrics_names(&n);
    for (size_t i = 0; i < n; i++) {
        char want[160];
        snprintf(want, sizeof(want), "\n%s", names[i]);
        if (strncmp(names[i], "distill_sensor_kernel_", 22) == 0)
            assert_null(strstr(text, want));
        else if (strstr(text, want) == NULL)
            fail_msg("%s is not in a sensor's rendering", names[i]);
    }
    assert_non_null(strstr(text, "distill_sensor_sink_events_total{sink=\"file_1\"} 0\n"));
    assert_non_null(strstr(text, "distill_sensor_alerts_total{sid=\"9000001\",severity=\"1\"} 0\n"));
    assert_non_null(strstr(text, "distill_sensor_rule_reloads_total 0\n"));
    assert_non_null(strstr(text, "distill_sensor_memcap_cap_objects{store=\"sources\"} "));
    assert_non_null(strstr(text, "distill_sensor_ech_flows_total{kind=\"real\"} 0\n"));
    assert_non_null(strstr(text, "distill_sensor_ech_flows_total{kind=\"malformed\"} 0\n"));
    assert_non_null(strstr(text, "distill_sensor_ech_provider_flows_total{provider=\"openai\"} 0\n"));
    free(text);

    assert_int_equal(sensor_reload(s), 0);
    sensor_tick(s, 2000000);   /* the clock starts: nothing asked yet */
    text = metrics_latest(m, 0, &len);
    assert_null(strstr(text, "distill_sensor_rule_reloads_total 1\n"));   /* not yet published */
    free(text);

    sensor_free(s);
    sink_close(sink);
    metrics_free(m);
    unlink(path);
    rmdir(dir);
}

/* The exchange: an old text makes a scrape ask; the next publish answers. */
static void test_exchange(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    size_t len;
    char *text = metrics_latest(m, 0, &len);   /* never published: old, so it asks */
    assert_string_equal(text, "");
    free(text);
    assert_true(metrics_wanted(m));
    struct stats_node *root = small_tree();
    metrics_publish(m, root);
    assert_false(metrics_wanted(m));
    text = metrics_latest(m, 0, &len);
    assert_string_equal(text, small_text);
    assert_int_equal(len, strlen(small_text));
    assert_false(metrics_wanted(m));   /* fresh: not asked again */
    free(text);
    stats_free(root);
    metrics_free(m);
    metrics_free(NULL);
    assert_false(metrics_wanted(NULL));
}

static void test_addr(void **state)
{
    (void)state;
    struct metrics_addr a;
    char err[256];
    assert_int_equal(metrics_addr_parse("127.0.0.1:9477", &a, err, sizeof(err)), 0);
    assert_int_equal(a.sa.ss_family, AF_INET);
    assert_int_equal(metrics_addr_parse("[::1]:9477", &a, err, sizeof(err)), 0);
    assert_int_equal(a.sa.ss_family, AF_INET6);
    assert_int_equal(metrics_addr_parse(":9477", &a, err, sizeof(err)), 0);
    assert_int_equal(a.sa.ss_family, AF_INET6);
    const char *bad[] = { "9477", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:94x", "::1:9477", "[::1:9477", "[127.0.0.1]:9477",
                          "localhost:9477", "[]:9477" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (metrics_addr_parse(bad[i], &a, err, sizeof(err)) == 0)
            fail_msg("%s was taken", bad[i]);
        assert_non_null(strstr(err, bad[i]));
    }
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_tree),
        cmocka_unit_test(test_empty_tree),
        cmocka_unit_test(test_cut_at_a_line),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_names_valid),
        cmocka_unit_test(test_sensor_rendering),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
