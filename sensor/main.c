/* distill-sensor: command line, signals and exit codes. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds/capture.h"
#include "ds/err.h"
#include "ds/log.h"
#include "ds/output.h"
#include "ds/sensor.h"
#include "ds/util.h"

#define MAX_FILES 4096

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_hup;
static struct capture *volatile current_capture;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;   /* the loop is broken to reload, then resumed */
    else
        got_stop = 1;
    if (current_capture)
        capture_break(current_capture);
}

static void usage(FILE *to)
{
    fprintf(to,
"Usage: distill-sensor [options] (-r FILE|DIR ... | -i IFACE) [BPF filter]\n"
"\n"
"Finds automated harvesting (\"distillation\") of AI model APIs in network\n"
"traffic: classifies TLS and QUIC flows to AI API hosts, fingerprints clients\n"
"(JA3, JA4), splits encrypted connections into request/response turns, and\n"
"writes one JSON event a line, shaped like Suricata's EVE JSON.\n"
"\n"
"Input (one of):\n"
"  -r, --read FILE|DIR     read a pcap or pcapng file; repeatable; a directory\n"
"                          means its capture files in name order\n"
"  -i, --interface IFACE   capture live on IFACE (promiscuous), e.g. a SPAN port\n"
"      --snaplen N         live: bytes kept per packet (default 65535)\n"
"      --buffer-size MIB   live: kernel capture buffer in MiB (default: libpcap's)\n"
"  A BPF filter may follow the options, as in tcpdump: 'tcp port 443 or udp port 443'.\n"
"\n"
"Output:\n"
"  -o, --output PATH       NDJSON events to PATH ('-' = stdout, the default);\n"
"                          a file is appended to and reopened on SIGHUP (rotation)\n"
"      --sensor-name NAME  written as \"host\" in every event\n"
"      --all-tls           flow events for non-AI TLS and QUIC flows too\n"
"      --stats-interval S  a stats event every S seconds of packet time\n"
"                          (default 0: only at exit)\n"
"\n"
"Detection:\n"
"      --rules DIR         rules directory: ai-services.conf (AI hosts),\n"
"                          fingerprints.conf (JA4 families), *.rules (signatures)\n"
"                          (default: %s if present, else %s)\n"
"      --check-rules       load and check the rules directory, then exit:\n"
"                          0 if good, 2 with file:line: why for each error\n"
"      --windows LIST      per-source windows (default 1m,10m,1h)\n"
"      --max-sources N     per-source state cap; the least recently seen source\n"
"                          is evicted and counted (default 65536)\n"
"      --source-events     a `source` event per window per active source\n"
"      --geoip-db FILE     MaxMind City or Country database: geo.country\n"
"      --asn-db FILE       MaxMind ASN database: geo.asn and geo.as_org\n"
"      --max-flows N       flow table cap; at the cap the oldest idle flow is\n"
"                          evicted and counted (default 262144)\n"
"  SIGHUP reloads the rules (the old ones stay if the new ones are bad) and\n"
"  reopens the output file.\n"
"\n"
"General:\n"
"  -q, --quiet             errors only on stderr\n"
"  -v, --verbose           more diagnostics on stderr (repeat for debug)\n"
"  -V, --version           print the version and exit\n"
"  -h, --help              print this help and exit\n"
"\n"
"Events go to the output only; diagnostics go to stderr. Timestamps are packet\n"
"time, so replaying a capture twice gives the same events.\n"
"Exit status: 0 success, 1 runtime error (capture unreadable, write failed),\n"
"2 usage or configuration error.\n",
            DS_SOURCE_RULES, DS_INSTALL_RULES);
}

static int dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands -r arguments: a directory gives its capture files in name order. */
static int expand_inputs(char **args, int nargs, char ***files, int *nfiles)
{
    char **out = xcalloc(MAX_FILES, sizeof(*out));
    int n = 0;
    for (int i = 0; i < nargs; i++) {
        if (!dir_exists(args[i])) {
            if (n == MAX_FILES)
                goto too_many;
            out[n++] = xstrdup(args[i]);
            continue;
        }
        DIR *d = opendir(args[i]);
        if (d == NULL) {
            log_error("%s: cannot read directory: %s", args[i], strerror(errno));
            goto fail;
        }
        int first = n;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            size_t len = strlen(args[i]) + strlen(e->d_name) + 2;
            char *path = xmalloc(len);
            snprintf(path, len, "%s/%s", args[i], e->d_name);
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
                !capture_file_looks_like_capture(path)) {
                log_info("%s: skipped: not a capture file", path);
                free(path);
                continue;
            }
            if (n == MAX_FILES) {
                free(path);
                closedir(d);
                goto too_many;
            }
            out[n++] = path;
        }
        closedir(d);
        qsort(out + first, (size_t)(n - first), sizeof(*out), by_name);
        if (n == first)
            log_warn("%s: directory holds no capture files", args[i]);
    }
    *files = out;
    *nfiles = n;
    return 0;
too_many:
    log_error("more than %d capture files", MAX_FILES);
fail:
    for (int i = 0; i < n; i++)
        free(out[i]);
    free(out);
    return -1;
}

/* Joins the trailing arguments into one BPF expression, as tcpdump does. */
static char *join_filter(int argc, char **argv)
{
    if (argc <= 0)
        return NULL;
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *f = xmalloc(len);
    f[0] = '\0';
    size_t off = 0;
    for (int i = 0; i < argc; i++)
        off += (size_t)snprintf(f + off, len - off, "%s%s", i ? " " : "", argv[i]);
    return f;
}

static void handle_hup(struct sensor *s, struct output *out)
{
    got_hup = 0;
    char err[512];
    if (output_reopen(out, err, sizeof(err)) != 0)
        log_error("%s", err);
    sensor_reload(s);
}

/* Runs one opened capture to its end; returns 0 or -1 on a read error. */
static int run_capture(struct sensor *s, struct capture *cap, const char *name,
                       struct output *out)
{
    char err[512];
    int rc = 0;
    current_capture = cap;
    sensor_set_capture(s, cap);
    for (;;) {
        if (capture_run(cap, sensor_packet, s, err, sizeof(err)) != DS_OK) {
            log_error("%s: %s", name, err);
            rc = -1;
            break;
        }
        if (got_hup && !got_stop) {
            handle_hup(s, out);
            continue;
        }
        break;
    }
    current_capture = NULL;
    return rc;
}

static const char *opt_name(const struct option *opts, int val)
{
    for (; opts->name; opts++)
        if (opts->val == val)
            return opts->name;
    return "?";
}

enum long_only {
    OPT_SNAPLEN = 256,
    OPT_BUFFER,
    OPT_RULES,
    OPT_ALL_TLS,
    OPT_MAX_FLOWS,
    OPT_STATS_INTERVAL,
    OPT_SENSOR_NAME,
    OPT_CHECK_RULES,
    OPT_WINDOWS,
    OPT_MAX_SOURCES,
    OPT_SOURCE_EVENTS,
    OPT_GEOIP_DB,
    OPT_ASN_DB,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "read", required_argument, NULL, 'r' },
        { "interface", required_argument, NULL, 'i' },
        { "output", required_argument, NULL, 'o' },
        { "snaplen", required_argument, NULL, OPT_SNAPLEN },
        { "buffer-size", required_argument, NULL, OPT_BUFFER },
        { "rules", required_argument, NULL, OPT_RULES },
        { "all-tls", no_argument, NULL, OPT_ALL_TLS },
        { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
        { "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
        { "sensor-name", required_argument, NULL, OPT_SENSOR_NAME },
        { "check-rules", no_argument, NULL, OPT_CHECK_RULES },
        { "windows", required_argument, NULL, OPT_WINDOWS },
        { "max-sources", required_argument, NULL, OPT_MAX_SOURCES },
        { "source-events", no_argument, NULL, OPT_SOURCE_EVENTS },
        { "geoip-db", required_argument, NULL, OPT_GEOIP_DB },
        { "asn-db", required_argument, NULL, OPT_ASN_DB },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sensor_config cfg;
    sensor_config_default(&cfg);
    cfg.rules_dir = dir_exists(DS_SOURCE_RULES) ? DS_SOURCE_RULES : DS_INSTALL_RULES;
    struct capture_live_opts live = { .snaplen = 65535, .buffer_mib = 0, .promisc = true };
    const char *iface = NULL, *outpath = "-", *host = NULL;
    char **reads = xcalloc((size_t)argc + 1, sizeof(*reads));
    int nreads = 0, verbosity = LOG_WARN;
    bool check_rules = false;
    uint64_t v;
    int c;

    while ((c = getopt_long(argc, argv, "+r:i:o:qvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            reads[nreads++] = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case 'o':
            outpath = optarg;
            break;
        case OPT_SNAPLEN:
            if (ds_parse_u64(optarg, 64, 262144, &v) != 0)
                goto bad_value;
            live.snaplen = (int)v;
            break;
        case OPT_BUFFER:
            if (ds_parse_u64(optarg, 1, 65536, &v) != 0)
                goto bad_value;
            live.buffer_mib = (int)v;
            break;
        case OPT_RULES:
            cfg.rules_dir = optarg;
            break;
        case OPT_ALL_TLS:
            cfg.all_tls = true;
            break;
        case OPT_MAX_FLOWS:
            if (ds_parse_u64(optarg, 1, 1u << 26, &v) != 0)
                goto bad_value;
            cfg.max_flows = (size_t)v;
            break;
        case OPT_STATS_INTERVAL:
            if (ds_parse_duration(optarg, &v) != 0)
                goto bad_value;
            cfg.stats_interval_s = v;
            break;
        case OPT_SENSOR_NAME:
            host = optarg;
            break;
        case OPT_CHECK_RULES:
            check_rules = true;
            break;
        case OPT_WINDOWS: {
            char werr[256];
            if (source_config_windows(&cfg.detect.src, optarg, werr, sizeof(werr)) != 0) {
                fprintf(stderr, "distill-sensor: --windows %s: %s\n", optarg, werr);
                free(reads);
                return ds_exit_status(DS_ERR_USAGE);
            }
            break;
        }
        case OPT_MAX_SOURCES:
            if (ds_parse_u64(optarg, 1, 1u << 24, &v) != 0)
                goto bad_value;
            cfg.detect.src.max_sources = (size_t)v;
            break;
        case OPT_SOURCE_EVENTS:
            cfg.detect.source_events = true;
            break;
        case OPT_GEOIP_DB:
            cfg.detect.geoip_db = optarg;
            break;
        case OPT_ASN_DB:
            cfg.detect.asn_db = optarg;
            break;
        case 'q':
            verbosity = LOG_ERROR;
            break;
        case 'v':
            if (verbosity < LOG_DEBUG)
                verbosity++;
            break;
        case 'V':
            printf("distill-sensor %s\n", DS_VERSION);
            free(reads);
            return ds_exit_status(DS_OK);
        case 'h':
            usage(stdout);
            free(reads);
            return ds_exit_status(DS_OK);
        default:
            fprintf(stderr, "Try 'distill-sensor --help'.\n");
            free(reads);
            return ds_exit_status(DS_ERR_USAGE);
        }
        continue;
    bad_value:
        fprintf(stderr, "distill-sensor: invalid value '%s' for --%s\n", optarg,
                opt_name(longopts, c));
        free(reads);
        return ds_exit_status(DS_ERR_USAGE);
    }
    log_set_level((enum log_level)verbosity);
    if (check_rules) {
        free(reads);
        if (sensor_check_rules(&cfg) != 0)
            return ds_exit_status(DS_ERR_CONFIG);
        printf("%s: rules OK\n", cfg.rules_dir);
        return ds_exit_status(DS_OK);
    }

    if ((nreads == 0) == (iface == NULL)) {
        fprintf(stderr, "distill-sensor: give either -r FILE or -i IFACE\n"
                        "Try 'distill-sensor --help'.\n");
        free(reads);
        return ds_exit_status(DS_ERR_USAGE);
    }
    char *filter = join_filter(argc - optind, argv + optind);
    char **files = NULL;
    int nfiles = 0;
    enum ds_err status = DS_OK;
    bool finished = false;
    struct output *out = NULL;
    struct sensor *s = NULL;
    char err[512];

    if (nreads && expand_inputs(reads, nreads, &files, &nfiles) != 0) {
        status = DS_ERR_IO;
        goto done;
    }
    if (output_open(outpath, host, &out, err, sizeof(err)) != 0) {
        log_error("%s", err);
        status = DS_ERR_IO;
        goto done;
    }
    if (sensor_new(&cfg, out, &s) != 0) {
        status = DS_ERR_CONFIG;
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (iface) {
        struct capture *cap = NULL;
        enum ds_err e = capture_open_live(iface, &live, filter, &cap, err, sizeof(err));
        if (e != DS_OK) {
            log_error("%s: %s", iface, err);
            status = e;
        } else {
            log_info("listening on %s", iface);
            if (run_capture(s, cap, iface, out) != 0)
                status = DS_ERR_IO;
            /* Final stats while the capture is open: they carry its kernel counters. */
            sensor_finish(s);
            finished = true;
            sensor_set_capture(s, NULL);
            capture_close(cap);
        }
    }
    for (int i = 0; i < nfiles && !got_stop; i++) {
        struct capture *cap = NULL;
        enum ds_err e = capture_open_file(files[i], filter, &cap, err, sizeof(err));
        if (e != DS_OK) {
            log_error("%s: %s", files[i], err);
            status = e;
            if (status == DS_ERR_CONFIG)
                break;
            continue;
        }
        if (run_capture(s, cap, files[i], out) != 0)
            status = DS_ERR_IO;
        sensor_set_capture(s, NULL);
        capture_close(cap);
    }
    if (!finished)
        sensor_finish(s);

done:
    sensor_free(s);
    if (output_close(out) != 0) {
        log_error("%s: writing events failed", outpath);
        if (status == DS_OK)
            status = DS_ERR_IO;
    }
    for (int i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    free(filter);
    free(reads);
    return ds_exit_status(status);
}
