/* Fuzz target: the whole pipeline. The input is a sequence of frames, each
 * a 2-byte big-endian length and the frame (Ethernet); packet times advance
 * by the first byte of each frame in seconds, so timeouts fire too. Events
 * go to /dev/null; what matters is that nothing crashes or leaks. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ds/log.h"
#include "ds/sensor.h"
#include "ds/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sink *out;
    char err[256];
    log_set_level(LOG_ERROR);
    if (out == NULL && sink_open("/dev/null", &out, err, sizeof(err)) != 0)
        return 0;
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = DS_SOURCE_RULES;
    cfg.all_tls = size > 0 && (data[0] & 1);
    cfg.max_flows = 64;
    cfg.stats_interval_s = 60;
    struct sensor *s = NULL;
    if (sensor_new(&cfg, out, &s) != 0)
        return 0;
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
    sensor_free(s);
    return 0;
}
