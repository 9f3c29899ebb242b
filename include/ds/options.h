/* The command line: argv into a struct options (getopt_long, a long option
 * for every short one), the --help text, and usage errors. */
#ifndef DS_OPTIONS_H
#define DS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ds/capture.h"
#include "ds/err.h"
#include "ds/log.h"
#include "ds/seed.h"
#include "ds/sensor.h"

/* What the command line asks for. */
enum options_action {
    OPTIONS_RUN = 0,       /* capture: from reads, or live on iface (exactly one) */
    OPTIONS_CHECK_RULES,   /* --check-rules: load the rules, then exit */
    OPTIONS_HELP,          /* -h: options_usage to stdout, exit 0 */
    OPTIONS_VERSION,       /* -V: the version to stdout, exit 0 */
};

struct options {
    enum options_action action;
    struct sensor_config cfg;       /* sensor and detection settings */
    struct capture_live_opts live;  /* -i: snaplen, kernel buffer, promiscuous */
    const char **reads;             /* -r arguments in order (into argv) */
    int nreads;
    const char *iface;              /* -i, or NULL */
    const char **outputs;           /* -o specs in order (into argv); "-" if none */
    int noutputs;
    size_t output_queue;            /* --output-queue: lines a socket output holds */
    const char *metrics;            /* --metrics ADDR:PORT (checked), or NULL */
    char *filter;                   /* arguments after the options joined, or NULL */
    const char *user;               /* -Z: drop to this user once open, or NULL */
    const char *chroot_dir;         /* --chroot (needs -Z), or NULL */
    enum log_level verbosity;       /* LOG_WARN, -q LOG_ERROR, each -v one more */
    enum seed_mode seed_mode;       /* --seed: SEED_AUTO unless given */
    uint64_t seed;                  /* --seed N */
};

/* Parses argv into *o (defaults first: sensor_config_default, snaplen 65535,
 * the rules directory of the source tree if it exists, else the installed
 * one). Parsing stops at -h or -V. Returns DS_OK, or DS_ERR_USAGE after
 * saying why on stderr (an unknown option, a bad value, not exactly one of
 * -r and -i when capturing, --chroot without -Z, an -o
 * whose scheme or syslog facility is unknown: the message names it). Either way the caller calls options_free; the
 * strings in *o point into argv. Starts a new getopt scan, so it may be
 * called again. */
enum ds_err options_parse(int argc, char **argv, struct options *o);

/* Frees what options_parse allocated. NULL-safe, and safe after a failed parse. */
void options_free(struct options *o);

/* Writes the --help text. */
void options_usage(FILE *to);

#endif
