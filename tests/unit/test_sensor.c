/* sensor: the clock without packets (sensor_tick, live capture's timer):
 * it starts the clock, moves it on, never back, and runs what a packet
 * would (interval stats, idle flows ending); sensor_stats_now writes a
 * stats event that is at once in the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/sensor.h"
#include "ds/sink.h"
#include "ds/time-units.h"
#include "test_sensor_fixture.h"

#define T0 (ds_s_to_us(1767225600)) /* 2026-01-01 00:00:00 UTC */
#define STATS "\"event_type\":\"stats\""
#define ACTIVE_1 "\"flow\":{\"total\":1,\"active\":1,"
#define ACTIVE_0 "\"flow\":{\"total\":1,\"active\":0,"

static int setup(void **state)
{
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_TEST_SOURCE_DIR "/rules";
    cfg.stats_interval_s = 2;
    *state = fixture_open("/tmp/ds-test-sensor-XXXXXX", &cfg);
    return 0;
}

/* The events file, after a flush. */
static const char *slurp(struct fixture *fx)
{
    sink_flush(fx->sink);
    FILE *f = fopen(fx->path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* How many times `what` occurs in the events file. */
static int count(struct fixture *fx, const char *what)
{
    int c = 0;
    for (const char *p = strstr(slurp(fx), what); p != NULL; p = strstr(p + 1, what))
        c++;
    return c;
}

/* True if the last event in the file holds `what`. */
static bool last_has(struct fixture *fx, const char *what)
{
    const char *buf = slurp(fx);
    size_t n = strlen(buf);
    assert_true(n > 1);
    const char *p = buf + n - 2;      /* before the last newline */
    while (p > buf && p[-1] != '\n')
        p--;
    return strstr(p, what) != NULL;
}

/* An Ethernet frame holding a TCP SYN from 10.0.0.1:40000 to 10.0.0.2:443. */
static size_t syn_frame(uint8_t *f)
{
    static const uint8_t frame[] = {
        /* Ethernet: dst, src, IPv4 */
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
        /* IPv4: 20 bytes, total 40, TTL 64, TCP, no checksum check */
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        /* TCP: 40000 -> 443, seq 1, data offset 5, SYN, window */
        0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    };
    memcpy(f, frame, sizeof(frame));
    return sizeof(frame);
}

static void packet_at(struct fixture *fx, uint64_t ts_us)
{
    uint8_t f[64];
    size_t n = syn_frame(f);
    sensor_packet(fx->s, 1 /* DLT_EN10MB */, f, (uint32_t)n, (uint32_t)n, ts_us);
}

static void test_tick_starts_and_moves_clock(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(sensor_now(fx->s), 0);
    sensor_tick(fx->s, T0);
    assert_int_equal(sensor_now(fx->s), T0);
    sensor_tick(fx->s, T0 + ds_s_to_us(1));
    assert_int_equal(count(fx, STATS), 0);
    sensor_tick(fx->s, T0 + ds_s_to_us(2));
    assert_int_equal(count(fx, STATS), 1);          /* the interval, with no packet */
    sensor_tick(fx->s, T0 + ds_s_to_us(1));         /* back: nothing */
    assert_int_equal(sensor_now(fx->s), T0 + ds_s_to_us(2));
    assert_int_equal(count(fx, STATS), 1);
    sensor_tick(fx->s, T0 + ds_s_to_us(11));        /* a long gap: one event, not five */
    assert_int_equal(count(fx, STATS), 2);
    sensor_tick(fx->s, T0 + ds_s_to_us(11) + 1);
    assert_int_equal(count(fx, STATS), 2);
    sensor_tick(fx->s, T0 + ds_s_to_us(12));         /* the intervals keep their step */
    assert_int_equal(count(fx, STATS), 3);
}

static void test_tick_ends_idle_flow(void **state)
{
    struct fixture *fx = *state;
    packet_at(fx, T0);
    sensor_stats_now(fx->s);
    assert_true(last_has(fx, ACTIVE_1));
    sensor_tick(fx->s, T0 + ds_s_to_us(59));        /* a one-sided flow lives 60 s */
    sensor_stats_now(fx->s);
    assert_true(last_has(fx, ACTIVE_1));
    sensor_tick(fx->s, T0 + ds_s_to_us(61));
    sensor_stats_now(fx->s);
    assert_true(last_has(fx, ACTIVE_0));
}

static void test_packet_behind_ticked_clock(void **state)
{
    struct fixture *fx = *state;
    packet_at(fx, T0);
    sensor_tick(fx->s, T0 + ds_s_to_us(5));
    packet_at(fx, T0 + ds_s_to_us(4));               /* late, not a new clock */
    assert_int_equal(sensor_now(fx->s), T0 + ds_s_to_us(5));
    sensor_stats_now(fx->s);
    assert_true(last_has(fx, ACTIVE_1));            /* the same flow, still open */
}

static void test_stats_now_is_in_the_file(void **state)
{
    struct fixture *fx = *state;
    sensor_tick(fx->s, T0);
    sensor_stats_now(fx->s);
    FILE *f = fopen(fx->path, "rb");                 /* no flush of ours */
    assert_non_null(f);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_non_null(strstr(line, STATS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tick_starts_and_moves_clock, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tick_ends_idle_flow, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_packet_behind_ticked_clock, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stats_now_is_in_the_file, setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
