/* distill-sensor: reads the command line, then checks the rules or runs the
 * sensor over its inputs; the exit status comes from the outcome (err.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds/err.h"
#include "ds/input.h"
#include "ds/log.h"
#include "ds/metrics-http.h"
#include "ds/metrics.h"
#include "ds/options.h"
#include "ds/privdrop.h"
#include "ds/reload.h"
#include "ds/seed.h"
#include "ds/sink.h"
#include "ds/sensor.h"
#include "ds/signals.h"

/* --check-config (or --check-rules with -c): the command line and the file
 * have parsed (options_parse); the -Z user must exist, and the rules load. */
static enum ds_err check_config(const struct options *opt)
{
    char err[512];
    struct privdrop *pd = NULL;
    if (opt->user != NULL && privdrop_new(opt->user, opt->chroot_dir, &pd, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return DS_ERR_CONFIG;
    }
    privdrop_free(pd);
    if (sensor_check_rules(&opt->cfg) != 0)
        return DS_ERR_CONFIG;
    printf("%s: configuration OK (rules from %s)\n",
           opt->config_path ? opt->config_path : "command line", opt->cfg.rules_dir);
    return DS_OK;
}

/* --check-rules: loads and checks the rules directory without capturing. */
static enum ds_err check_rules(const struct options *opt)
{
    if (sensor_check_rules(&opt->cfg) != 0)
        return DS_ERR_CONFIG;
    printf("%s: rules OK\n", opt->cfg.rules_dir);
    return DS_OK;
}

/* -Z: looks the user up now, while /etc/passwd is in reach (an unknown
 * user is a usage error), and names what SIGHUP opens again as that user. */
static enum ds_err prepare_drop(const struct options *opt, struct privdrop **pd)
{
    char err[512];
    *pd = NULL;
    if (opt->user == NULL)
        return DS_OK;
    if (privdrop_new(opt->user, opt->chroot_dir, pd, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return DS_ERR_USAGE;
    }
    privdrop_watch(*pd, opt->cfg.rules_dir, R_OK | X_OK, "SIGHUP cannot reload the rules from");
    if (opt->config_path != NULL)
        privdrop_watch(*pd, opt->config_path, R_OK, "SIGHUP cannot read the configuration from");
    for (int i = 0; i < opt->noutputs; i++) {
        struct sink_spec sp;
        if (sink_spec_parse(opt->outputs[i].spec, &sp, err, sizeof(err)) != 0)
            continue;
        /* A file is opened again on SIGHUP; a socket whenever its
         * connection is lost (connecting needs write permission on it). */
        if (sp.kind == SINK_FILE)
            privdrop_watch(*pd, sp.path, W_OK, "SIGHUP cannot reopen");
        else if (sp.kind == SINK_UNIX_STREAM || sp.kind == SINK_UNIX_DGRAM ||
                 sp.kind == SINK_SYSLOG)
            privdrop_watch(*pd, sp.path, W_OK, "a lost connection cannot be made again to");
    }
    return DS_OK;
}

/* --metrics once the capture is open and privileges dropped (input's
 * started callback): the server's thread. */
struct metrics_run {
    struct metrics_http *h;
    struct metrics *m;
    const char *addr;
};

static int run_metrics(void *ctx)
{
    struct metrics_run *mr = ctx;
    char err[512];
    if (metrics_http_run(mr->h, mr->m, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return -1;
    }
    log_info("metrics at http://%s/metrics", mr->addr);
    return 0;
}

/* --metrics at start-up: listening from now on (an address that cannot be
 * listened on is a runtime failure, as an output that cannot be opened),
 * the sensor rendering into mr->m, the server to start with the input.
 * Nothing without --metrics. */
static enum ds_err start_metrics(const struct options *opt, struct sensor *s, struct input *in,
                                 struct metrics_run *mr)
{
    struct metrics_addr a;
    char err[512];
    if (opt->metrics == NULL)
        return DS_OK;
    if (metrics_addr_parse(opt->metrics, &a, err, sizeof(err)) != 0) {
        log_error("--metrics %s", err);
        return DS_ERR_USAGE;
    }
    if (metrics_http_listen(&a, &mr->h, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return DS_ERR_IO;
    }
    mr->m = metrics_new();
    mr->addr = opt->metrics;
    sensor_set_metrics(s, mr->m);
    in->started = run_metrics;
    in->started_ctx = mr;
    return DS_OK;
}

/* Expands the inputs, opens the output, builds the sensor on it, listens
 * for --metrics, and reads every input into it (dropping to -Z's user and
 * starting the metrics server once the capture is open); then frees the
 * sensor and closes the output (events that could not be written make a
 * successful run a failed one). */
static enum ds_err run(const struct options *opt, int argc, char **argv)
{
    struct input in = { .iface = opt->iface, .live = &opt->live, .filter = opt->filter };
    struct sink *out = NULL;
    struct sensor *s = NULL;
    struct metrics_run mr = { NULL, NULL, NULL };
    char err[512];
    struct sensor_config cfg = opt->cfg;

    if (seeds_choose(&cfg.detect.seeds, opt->seed_mode, opt->seed, opt->iface != NULL, err,
                     sizeof(err)) != 0) {
        log_error("%s", err);
        return DS_ERR_IO;
    }
    log_debug("hash seed %llu", (unsigned long long)cfg.detect.seeds.run);
    enum ds_err status = prepare_drop(opt, &in.drop);
    if (status != DS_OK)
        goto done;
    /* Before anything is opened: a SIGTERM from here on still ends the run
     * the orderly way (no input read, final stats), and an early SIGUSR1
     * does not kill the process. */
    signals_install();
    if (opt->nreads > 0 && input_expand(opt->reads, opt->nreads, &in) != DS_OK) {
        status = DS_ERR_IO;
        goto done;
    }
    if (opt->config_path != NULL)
        in.reload = reload_new(argc, argv, opt);
    if (sink_open_outputs(opt->outputs, (size_t)opt->noutputs, opt->output_queue, &out, err,
                          sizeof(err)) != 0) {
        log_error("%s", err);
        status = DS_ERR_IO;
        goto done;
    }
    if (sensor_new(&cfg, out, &s) != 0) {
        status = DS_ERR_CONFIG;
        goto done;
    }
    status = start_metrics(opt, s, &in, &mr);
    if (status == DS_OK)
        status = input_run(&in, s, out);

done:
    metrics_http_stop(mr.h);
    sensor_free(s);
    metrics_free(mr.m);
    if (sink_close(out) != 0) {
        log_error("%s: writing events failed",
                  opt->noutputs == 1 ? opt->outputs[0].spec : "output");
        if (status == DS_OK)
            status = DS_ERR_IO;
    }
    input_free(&in);
    reload_free(in.reload);
    privdrop_free(in.drop);
    return status;
}

int main(int argc, char **argv)
{
    struct options opt;
    enum ds_err status = options_parse(argc, argv, &opt);
    if (status == DS_OK) {
        log_set_level(opt.verbosity);
        switch (opt.action) {
        case OPTIONS_HELP:
            options_usage(stdout);
            break;
        case OPTIONS_VERSION:
            printf("distill-sensor %s\n", DS_VERSION);
            break;
        case OPTIONS_CHECK_RULES:
            status = check_rules(&opt);
            break;
        case OPTIONS_CHECK_CONFIG:
            status = check_config(&opt);
            break;
        case OPTIONS_RUN:
            status = run(&opt, argc, argv);
            break;
        }
    }
    options_free(&opt);
    return ds_exit_status(status);
}
