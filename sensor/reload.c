/* SIGHUP with -c (see reload.h). The new configuration is parsed whole,
 * command line and file, exactly as at start-up, and nothing changes until
 * it has parsed and its outputs have opened: a bad file or an output that
 * will not open leaves the sensor as it was. The sensor keeps pointing at
 * the start-up options' strings (its rules directory, names, databases), so
 * those options live as long as the run; the latest configuration taken is
 * kept here only to compare the next one's outputs with. */
#include "ds/reload.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ds/log.h"
#include "ds/sensor.h"
#include "ds/sink.h"
#include "ds/util.h"

struct reload {
    int argc;
    char **argv;
    const struct options *start;  /* the caller's: what the run started with */
    struct options cur;           /* the latest taken, if have_cur */
    bool have_cur;
};

struct reload *reload_new(int argc, char **argv, const struct options *start)
{
    struct reload *r = xcalloc(1, sizeof(*r));
    r->argc = argc;
    r->argv = argv;
    r->start = start;
    return r;
}

void reload_free(struct reload *r)
{
    if (r == NULL)
        return;
    if (r->have_cur)
        options_free(&r->cur);
    free(r);
}

static const struct options *in_use(const struct reload *r)
{
    return r->have_cur ? &r->cur : r->start;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_outputs(const struct options *a, const struct options *b)
{
    if (a->noutputs != b->noutputs || a->output_queue != b->output_queue)
        return false;
    for (int i = 0; i < a->noutputs; i++) {
        const struct sink_output *x = &a->outputs[i], *y = &b->outputs[i];
        if (!same_str(x->spec, y->spec) || !same_str(x->username, y->username) ||
            !same_str(x->password, y->password))
            return false;
    }
    return true;
}

/* The new outputs opened and swapped into out (the old ones closed), or
 * out reopened if they are the same; -1 if they would not open (logged,
 * the old ones kept and reopened). */
static int switch_outputs(const struct options *old, const struct options *next,
                          struct sink *out)
{
    char err[512];
    if (same_outputs(old, next)) {
        if (sink_reopen(out, err, sizeof(err)) != 0)
            log_error("%s", err);
        return 0;
    }
    struct sink *fresh = NULL;
    if (sink_open_outputs(next->outputs, (size_t)next->noutputs, next->output_queue, &fresh,
                          err, sizeof(err)) != 0) {
        log_error("%s: the new outputs do not open: keeping the outputs in use", err);
        if (sink_reopen(out, err, sizeof(err)) != 0)
            log_error("%s", err);
        return -1;
    }
    sink_flush(out);
    sink_swap(out, fresh);
    if (sink_close(fresh) != 0)
        log_error("the outputs replaced lost events on closing");
    log_info("outputs switched: %d now, the first %s", next->noutputs, next->outputs[0].spec);
    return 0;
}

/* What the sensor read at start-up and does not read again. */
static bool same_windows(const struct source_config *a, const struct source_config *b)
{
    return a->n_windows == b->n_windows &&
           memcmp(a->windows_s, b->windows_s, a->n_windows * sizeof(a->windows_s[0])) == 0;
}

/* Says each setting that differs from the start's and is read at start-up
 * only (the capture, the tables' sizes and seeds, the privileges): an
 * operator who edits memcap and sends SIGHUP must not believe it applied. */
static void say_restart(const struct options *old, const struct options *next)
{
    if (!same_str(old->cfg.rules_dir, next->cfg.rules_dir))
        log_warn("rules: a new directory (%s) is taken at restart; reloading %s",
                 next->cfg.rules_dir, old->cfg.rules_dir);
    const struct sensor_config *a = &old->cfg, *b = &next->cfg;
    const struct {
        bool same;
        const char *key;
    } keys[] = {
        { same_str(old->iface, next->iface), "interface" },
        { old->live.snaplen == next->live.snaplen, "snaplen" },
        { old->live.buffer_mib == next->live.buffer_mib, "buffer-size" },
        { same_str(old->filter, next->filter), "filter" },
        { same_str(a->host, b->host), "sensor-name" },
        { a->community_id_seed == b->community_id_seed, "community-id-seed" },
        { a->all_tls == b->all_tls, "all-tls" },
        { a->stats_interval_s == b->stats_interval_s, "stats-interval" },
        { same_str(old->metrics, next->metrics), "metrics" },
        { same_windows(&a->detect.src, &b->detect.src), "windows" },
        { a->detect.src.max_sources == b->detect.src.max_sources, "max-sources" },
        { a->detect.source_events == b->detect.source_events, "source-events" },
        { same_str(a->detect.geoip_db, b->detect.geoip_db), "geoip-db" },
        { same_str(a->detect.asn_db, b->detect.asn_db), "asn-db" },
        { a->max_flows == b->max_flows, "max-flows" },
        { a->memcap == b->memcap, "memcap" },
        { old->seed_mode == next->seed_mode && old->seed == next->seed, "seed" },
        { a->vlan_key == b->vlan_key, "vlan-key" },
        { same_str(old->user, next->user), "user" },
        { same_str(old->chroot_dir, next->chroot_dir), "chroot" },
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!keys[i].same)
            log_warn("%s: %s changed: it takes effect at restart (SIGHUP reloads the outputs "
                     "and the rules)", next->config_path ? next->config_path : "SIGHUP",
                     keys[i].key);
}

int reload_hup(struct reload *r, struct sensor *s, struct sink *out)
{
    const struct options *old = in_use(r);
    struct options next;
    int rc = -1;
    if (options_parse(r->argc, r->argv, &next) != DS_OK) {
        log_error("%s: not reloaded: keeping the configuration in use", old->config_path);
        char err[512];
        if (sink_reopen(out, err, sizeof(err)) != 0)
            log_error("%s", err);
        options_free(&next);
    } else {
        say_restart(r->start, &next);
        rc = switch_outputs(old, &next, out);
        if (rc == 0) {
            if (r->have_cur)
                options_free(&r->cur);
            r->cur = next;
            r->have_cur = true;
            log_info("%s: configuration reloaded", next.config_path);
        } else {
            options_free(&next);
        }
    }
    if (sensor_reload(s) != 0)
        rc = -1;
    return rc;
}
