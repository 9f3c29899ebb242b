/* Fuzz target: the whole pipeline. The input is a sequence of frames, each
 * a 2-byte big-endian length and the frame (Ethernet); packet times advance
 * by the first byte of each frame in seconds, so timeouts fire too. The
 * first byte's bit 0 turns --all-tls on. Events go to /dev/null; what
 * matters is that nothing crashes or leaks.
 *
 * Two sensors (all-tls off and on) are built at the first input and kept:
 * building one costs about 90 ms (nDPI's set-up), so each input instead
 * runs on a sensor_reset one, which ends the last input's flows and drops
 * its sources, clusters, thresholds and clock. They are freed at exit. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ds/log.h"
#include "ds/sensor.h"
#include "ds/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sink *out;
static struct sensor *sensors[2];

static void free_sensors(void)
{
    for (int i = 0; i < 2; i++)
        sensor_free(sensors[i]);
    sink_close(out);
}

static struct sensor *sensor_for(int all_tls)
{
    char err[256];
    if (out == NULL) {
        log_set_level(LOG_ERROR);
        if (sink_open("/dev/null", &out, err, sizeof(err)) != 0) {
            fprintf(stderr, "fuzz_sensor: /dev/null: %s\n", err);
            abort();
        }
        atexit(free_sensors);
    }
    if (sensors[all_tls] != NULL)
        return sensors[all_tls];
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_SOURCE_RULES;
    cfg.all_tls = all_tls != 0;
    cfg.max_flows = 64;
    /* Tables sized to the flows, so that rebuilding detection is cheap. */
    cfg.detect.src.max_sources = 64;
    cfg.detect.max_clusters = 64;
    cfg.detect.max_thresholds = 64;
    cfg.stats_interval_s = 60;
    if (sensor_new(&cfg, out, &sensors[all_tls]) != 0) {
        fprintf(stderr, "fuzz_sensor: cannot build the sensor from %s\n", DS_SOURCE_RULES);
        abort();
    }
    return sensors[all_tls];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sensor *s = sensor_for(size > 0 && (data[0] & 1));
    uint64_t ts = 1700000000ull * 1000000u;
    size_t off = 1;
    while (off + 2 <= size) {
        size_t n = ((size_t)data[off] << 8) | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        if (n > 0)
            ts += (uint64_t)data[off] * 1000000u;
        sensor_packet(s, 1, data + off, (uint32_t)n, (uint32_t)n, ts);
        off += n;
    }
    sensor_finish(s);
    if (sensor_reset(s) != 0)
        abort();
    return 0;
}
