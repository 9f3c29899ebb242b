/* One capture's pipeline: owns and wires decode, flows, the ClientHello
 * parser, classification, the catalogue, turns, detection and the event
 * writers, and composes the stats event. */
#ifndef DS_SENSOR_H
#define DS_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/detect.h"

struct capture;
struct metrics;
struct sink;
struct stats_node;

struct sensor_config {
    const char *rules_dir;       /* holds ai-services.conf */
    const char *host;            /* --sensor-name: EVE's "host" in every event (NULL: none) */
    uint16_t community_id_seed;  /* --community-id-seed (default 0) */
    bool all_tls;                /* flow events for non-AI TLS/QUIC flows too */
    size_t max_flows;
    uint64_t memcap;             /* --memcap: bytes for everything allocated after
                                    start-up (memcap.h); 0: MEMCAP_DEFAULT */
    bool vlan_key;               /* VLAN ids in the flow key (--no-vlan-key: off) */
    uint64_t stats_interval_s;   /* 0: stats only at exit */
    struct detect_config detect; /* per-source detection (its rules_dir is ours) */
};

void sensor_config_default(struct sensor_config *cfg);

struct sensor;

/* Loads the rules and builds the pipeline; events go to sink, which stays
 * the caller's and must outlive the sensor. Returns 0, or -1 after logging
 * each configuration error (`file:line: why`). */
int sensor_new(const struct sensor_config *cfg, struct sink *sink, struct sensor **s);
/* NULL-safe. Does not flush: call sensor_finish first. */
void sensor_free(struct sensor *s);

/* The capture_fn: one frame. */
void sensor_packet(void *sensor, int linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen, uint64_t ts_us);

/* Live capture's clock while the link is quiet: moves the sensor's clock
 * to now_us (packet time; the caller maps its timer onto it) and does what
 * a packet at that time would set off (idle flows end, detection's tick,
 * the stats event every --stats-interval). A now_us at or before the clock
 * changes nothing: the clock never goes back. Before any packet it starts
 * the clock. Events keep their packet timestamps. */
void sensor_tick(struct sensor *s, uint64_t now_us);

/* The sensor's clock: the latest packet time (or tick), 0 before any. */
uint64_t sensor_now(const struct sensor *s);

/* A stats event now (SIGUSR1), and the sink flushed. */
void sensor_stats_now(struct sensor *s);

/* --metrics: the sensor renders its counters into m (the caller's, which
 * must outlive the sensor; NULL: none) now, at each stats event, and when
 * a scrape asks for them (metrics.h). */
void sensor_set_metrics(struct sensor *s, struct metrics *m);

/* The capture in use, for kernel counters in stats (NULL between files). */
void sensor_set_capture(struct sensor *s, struct capture *c);

/* The counters of a stats event: every module's, in the event's order (see
 * sensor.c); sensor_packet writes the event every --stats-interval. */
void sensor_stats_write(const struct sensor *s, struct stats_node *root);

/* End of input: ends every flow (their events) and writes the final stats. */
void sensor_finish(struct sensor *s);

/* Back to a new sensor's state, keeping the rules loaded and the memory
 * allocated (a fuzz target builds one sensor for all its inputs): ends every
 * flow (their events, no stats event), drops every source, cluster and
 * threshold, empties nDPI's own caches (what it guessed of addresses seen
 * before), and forgets the clock and the sensor's and decoder's counters.
 * Left as they were: the flow table's, the memcap's, the string table's,
 * the exchange pool's and the sink's counters (each module's own, which
 * only count), and flow ids. 0, or
 * -1 if detection could not be rebuilt from the rules directory (logged;
 * the flows are ended, detection keeps its state). */
int sensor_reset(struct sensor *s);

/* Reloads the rules directory (catalogue, fingerprints, signatures); on any
 * error keeps the old rules, logs why and returns -1. */
int sensor_reload(struct sensor *s);

/* Loads and checks everything in cfg->rules_dir without capturing
 * (--check-rules): 0 if all is well, -1 after logging every error. */
int sensor_check_rules(const struct sensor_config *cfg);

#endif
