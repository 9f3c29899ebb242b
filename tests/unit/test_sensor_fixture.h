/* A sensor writing its events to a file in a fresh directory under /tmp,
 * for the unit tests that drive a whole sensor (include after cmocka.h). */
#ifndef DS_TEST_SENSOR_FIXTURE_H
#define DS_TEST_SENSOR_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds/sensor.h"
#include "ds/sink.h"

struct fixture {
    char dir[48];
    char path[64];
    struct sink *sink;
    struct sensor *s;
};

/* A fixture for a sensor made with cfg, its directory named from tmpl
 * ("/tmp/ds-test-NAME-XXXXXX"). */
static inline struct fixture *fixture_open(const char *tmpl, const struct sensor_config *cfg)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s", tmpl);
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof(fx->path), "%s/events.json", fx->dir);
    char err[128];
    assert_int_equal(sink_open(fx->path, &fx->sink, err, sizeof(err)), 0);
    assert_int_equal(sensor_new(cfg, fx->sink, &fx->s), 0);
    return fx;
}

static inline void fixture_close(struct fixture *fx)
{
    sensor_free(fx->s);
    sink_close(fx->sink);
    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
}

/* cmocka's teardown for a fixture in *state. */
static inline int fixture_teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

#endif
