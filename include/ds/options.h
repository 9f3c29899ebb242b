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
#include "ds/sink.h"

struct config_node;

/* What the command line asks for. */
enum options_action {
    OPTIONS_RUN = 0,       /* capture: from reads, or live on iface (exactly one) */
    OPTIONS_CHECK_RULES,   /* --check-rules: load the rules, then exit */
    OPTIONS_CHECK_CONFIG,  /* --check-config (or --check-rules with -c): the
                              options, the file and the rules, then exit */
    OPTIONS_HELP,          /* -h: options_usage to stdout, exit 0 */
    OPTIONS_VERSION,       /* -V: the version to stdout, exit 0 */
};

struct options {
    enum options_action action;
    struct sensor_config cfg;       /* sensor and detection settings */
    struct capture_live_opts live;  /* -i: snaplen, kernel buffer, promiscuous */
    const char **reads;             /* -r arguments in order (into argv or the file) */
    int nreads;
    const char *iface;              /* -i, or NULL */
    struct sink_output *outputs;    /* -o specs in order (into argv; or the file's
                                       outputs, with redis AUTH); "-" if none */
    int noutputs;
    const char *config_path;        /* -c, or NULL */
    struct config_node *file;       /* -c's tree: the file's strings live here */
    bool argv_outputs, argv_input;  /* the command line replaced the file's lists */
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
 * one; then the -c file, if any; then the rest of argv, which overrides
 * the file: a scalar replaces the file's, -o replaces its outputs, -r or -i
 * its input, a filter after the options its filter). Parsing stops at -h or
 * -V. Returns DS_OK; DS_ERR_USAGE after saying why on stderr (an unknown
 * option, a bad value, not exactly one of -r and -i when capturing,
 * --chroot without -Z, an -o whose scheme or syslog facility is unknown:
 * the message names it); or DS_ERR_CONFIG after saying `file:line: why` of
 * the -c file (it cannot be read, is not YAML, an unknown key, a value of
 * the wrong type or a bad value). Either way the caller calls options_free;
 * the strings in *o point into argv or into o->file. Starts a new getopt
 * scan, so it may be called again (SIGHUP re-reads the file this way). */
enum ds_err options_parse(int argc, char **argv, struct options *o);

/* The configuration file's keys (options-file.c): the i-th (0-based) key
 * in *key, standing for the long option *option, whose argument its value
 * is. *key NULL marks an option of the command line alone (an action such
 * as --help, or -c itself); *option NULL a key with no option (filter: the
 * BPF filter that follows the options). The table covers every long option
 * (a unit test checks it). 0, or -1 past the last. */
int options_file_key(size_t i, const char **key, const char **option);

/* The i-th long option's name (0-based), NULL past the last. */
const char *options_long_name(size_t i);

/* Applies a configuration file held in buf[0..len) (name for messages) onto
 * *o, as -c does; DS_OK, or DS_ERR_CONFIG after `name:line: why` on stderr.
 * The tree is kept in o->file (an earlier one is freed). For the unit
 * tests and the fuzz target; options_parse reads the file itself. */
enum ds_err options_file_apply_buffer(struct options *o, const char *name, const char *buf,
                                      size_t len);

/* Frees what options_parse allocated. NULL-safe, and safe after a failed parse. */
void options_free(struct options *o);

/* Writes the --help text. */
void options_usage(FILE *to);

#endif
