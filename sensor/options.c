/* The command line: getopt_long over argv into a struct options, the --help
 * text, and usage errors (stderr, DS_ERR_USAGE: exit 2). */
#include "ds/options.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ds/metrics-http.h"
#include "ds/sink.h"
#include "ds/source.h"
#include "ds/util.h"

void options_usage(FILE *to)
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
"      --buffer-size MIB   live: kernel capture buffer in MiB (default 64)\n"
"  A BPF filter may follow the options, as in tcpdump: 'tcp port 443 or udp port 443'.\n"
"\n"
"Output:\n"
"  -o, --output OUT        NDJSON events to OUT; repeatable: every event goes to\n"
"                          each output, in order. OUT is one of:\n"
"                            PATH  a file, appended to, reopened on SIGHUP\n"
"                            -     stdout (the default)\n"
"                            unix-stream:PATH  a collector's unix stream socket\n"
"                            unix-dgram:PATH   a unix datagram socket, an event\n"
"                                              a datagram\n"
"                            syslog[:FACILITY][@SOCKET]  RFC 5424 messages to\n"
"                                  /dev/log (or SOCKET), ident distill-sensor,\n"
"                                  facility local5 unless given, severity info\n"
"                            redis://HOST:PORT/KEY[?mode=list|channel|stream]\n"
"                                  RPUSH (default), PUBLISH or XADD (MAXLEN ~\n"
"                                  100000) each event; no AUTH yet\n"
"                          (a file name with ':' before any '/' is given as ./NAME)\n"
"      --output-queue N    lines each socket or redis output holds while its reader is\n"
"                          slow or away (default 10000); beyond, events are\n"
"                          dropped and counted (stats: sensor.output.*.dropped)\n"
"      --sensor-name NAME  written as \"host\" in every event\n"
"      --community-id-seed N\n"
"                          seed of the Community ID (community_id) in flow\n"
"                          events and alerts: 0..65535, default 0\n"
"      --all-tls           flow events for non-AI TLS and QUIC flows too\n"
"      --stats-interval S  a stats event every S seconds of the sensor's clock\n"
"                          (default 0: only at exit)\n"
"      --metrics ADDR:PORT serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                          (127.0.0.1:9477, [::1]:9477, or :9477 for every\n"
"                          address), fresh to the second at each scrape\n"
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
"      --seed N|random     hash table seed: each table's seed is derived from N;\n"
"                          0 is the fixed seed; random asks getrandom() (default:\n"
"                          random with -i, 0 with -r, so replays are repeatable)\n"
"      --no-vlan-key       one flow per connection whatever its VLAN tags (a SPAN\n"
"                          that tags the two directions differently); by default\n"
"                          the 802.1Q/QinQ ids are part of the flow key\n"
"  SIGHUP reloads the rules (the old ones stay if the new ones are bad) and\n"
"  reopens the output files; SIGUSR1 writes a stats event now; SIGTERM and\n"
"  SIGINT end every open flow (its event), write the final stats and exit.\n"
"\n"
"Privileges:\n"
"  -Z, --user USER         as root: open the capture and the output, then run\n"
"                          as USER (its uid, gid and groups) with no capability;\n"
"                          not root: a warning, and nothing changes\n"
"      --chroot DIR        with -Z: chroot to DIR before dropping to USER\n"
"  After -Z, SIGHUP and later -r files are opened with USER's rights, and after\n"
"  --chroot by their paths inside DIR; a start-up warning names what SIGHUP\n"
"  will not be able to reopen.\n"
"\n"
"General:\n"
"  -q, --quiet             errors only on stderr\n"
"  -v, --verbose           more diagnostics on stderr (repeat for debug)\n"
"  -V, --version           print the version and exit\n"
"  -h, --help              print this help and exit\n"
"\n"
"Events go to the output only; diagnostics go to stderr. Timestamps are packet\n"
"time, so replaying a capture twice gives the same events. Live, while the link\n"
"is quiet, a timer moves the clock on (timeouts, stats, windows).\n"
"Exit status: 0 success, 1 runtime error (capture unreadable, write failed),\n"
"2 usage or configuration error.\n",
            DS_SOURCE_RULES, DS_INSTALL_RULES);
}

enum long_only {
    OPT_SNAPLEN = 256,
    OPT_BUFFER,
    OPT_RULES,
    OPT_ALL_TLS,
    OPT_MAX_FLOWS,
    OPT_NO_VLAN_KEY,
    OPT_STATS_INTERVAL,
    OPT_SENSOR_NAME,
    OPT_CHECK_RULES,
    OPT_WINDOWS,
    OPT_MAX_SOURCES,
    OPT_SOURCE_EVENTS,
    OPT_GEOIP_DB,
    OPT_ASN_DB,
    OPT_CHROOT,
    OPT_SEED,
    OPT_COMMUNITY_ID_SEED,
    OPT_OUTPUT_QUEUE,
    OPT_METRICS,
};

static const struct option longopts[] = {
    { "read", required_argument, NULL, 'r' },
    { "interface", required_argument, NULL, 'i' },
    { "output", required_argument, NULL, 'o' },
    { "output-queue", required_argument, NULL, OPT_OUTPUT_QUEUE },
    { "snaplen", required_argument, NULL, OPT_SNAPLEN },
    { "buffer-size", required_argument, NULL, OPT_BUFFER },
    { "rules", required_argument, NULL, OPT_RULES },
    { "all-tls", no_argument, NULL, OPT_ALL_TLS },
    { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
    { "seed", required_argument, NULL, OPT_SEED },
    { "no-vlan-key", no_argument, NULL, OPT_NO_VLAN_KEY },
    { "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
    { "metrics", required_argument, NULL, OPT_METRICS },
    { "sensor-name", required_argument, NULL, OPT_SENSOR_NAME },
    { "community-id-seed", required_argument, NULL, OPT_COMMUNITY_ID_SEED },
    { "check-rules", no_argument, NULL, OPT_CHECK_RULES },
    { "windows", required_argument, NULL, OPT_WINDOWS },
    { "max-sources", required_argument, NULL, OPT_MAX_SOURCES },
    { "source-events", no_argument, NULL, OPT_SOURCE_EVENTS },
    { "geoip-db", required_argument, NULL, OPT_GEOIP_DB },
    { "asn-db", required_argument, NULL, OPT_ASN_DB },
    { "user", required_argument, NULL, 'Z' },
    { "chroot", required_argument, NULL, OPT_CHROOT },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static const char *opt_name(int val)
{
    for (const struct option *opt = longopts; opt->name; opt++)
        if (opt->val == val)
            return opt->name;
    return "?";
}

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void set_defaults(struct options *o, int argc)
{
    memset(o, 0, sizeof(*o));
    o->action = OPTIONS_RUN;
    sensor_config_default(&o->cfg);
    o->cfg.rules_dir = dir_exists(DS_SOURCE_RULES) ? DS_SOURCE_RULES : DS_INSTALL_RULES;
    o->live.snaplen = 65535;
    o->live.buffer_mib = CAPTURE_BUFFER_MIB_DEFAULT;
    o->live.promisc = true;
    o->reads = xcalloc((size_t)argc + 1, sizeof(*o->reads));
    o->outputs = xcalloc((size_t)argc + 1, sizeof(*o->outputs));
    o->output_queue = SINK_QUEUE_LINES_DEFAULT;
    o->verbosity = LOG_WARN;
}

static enum ds_err bad_value(int c, const char *arg)
{
    fprintf(stderr, "distill-sensor: invalid value '%s' for --%s\n", arg, opt_name(c));
    return DS_ERR_USAGE;
}

/* An option that takes a number, a duration or a list: DS_OK, or
 * DS_ERR_USAGE after saying why. Any other c is getopt_long's '?' (an
 * unknown option or a missing argument, which it has reported). */
static enum ds_err take_value(struct options *o, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case OPT_SNAPLEN:
        if (ds_parse_u64(arg, 64, 262144, &v) != 0)
            return bad_value(c, arg);
        o->live.snaplen = (int)v;
        return DS_OK;
    case OPT_BUFFER:
        if (ds_parse_u64(arg, 1, 65536, &v) != 0)
            return bad_value(c, arg);
        o->live.buffer_mib = (int)v;
        return DS_OK;
    case OPT_OUTPUT_QUEUE:
        if (ds_parse_u64(arg, 1, 1u << 24, &v) != 0)
            return bad_value(c, arg);
        o->output_queue = (size_t)v;
        return DS_OK;
    case OPT_MAX_FLOWS:
        if (ds_parse_u64(arg, 1, 1u << 26, &v) != 0)
            return bad_value(c, arg);
        o->cfg.max_flows = (size_t)v;
        return DS_OK;
    case OPT_SEED:
        if (strcmp(arg, "random") == 0) {
            o->seed_mode = SEED_RANDOM;
            return DS_OK;
        }
        if (ds_parse_u64(arg, 0, UINT64_MAX, &v) != 0)
            return bad_value(c, arg);
        o->seed_mode = SEED_VALUE;
        o->seed = v;
        return DS_OK;
    case OPT_COMMUNITY_ID_SEED:
        if (ds_parse_u64(arg, 0, UINT16_MAX, &v) != 0)
            return bad_value(c, arg);
        o->cfg.community_id_seed = (uint16_t)v;
        return DS_OK;
    case OPT_STATS_INTERVAL:
        if (ds_parse_duration(arg, &v) != 0)
            return bad_value(c, arg);
        o->cfg.stats_interval_s = v;
        return DS_OK;
    case OPT_MAX_SOURCES:
        if (ds_parse_u64(arg, 1, 1u << 24, &v) != 0)
            return bad_value(c, arg);
        o->cfg.detect.src.max_sources = (size_t)v;
        return DS_OK;
    case OPT_WINDOWS: {
        char werr[256];
        if (source_config_windows(&o->cfg.detect.src, arg, werr, sizeof(werr)) != 0) {
            fprintf(stderr, "distill-sensor: --windows %s: %s\n", arg, werr);
            return DS_ERR_USAGE;
        }
        return DS_OK;
    }
    case OPT_METRICS: {
        struct metrics_addr a;
        char merr[256];
        if (metrics_addr_parse(arg, &a, merr, sizeof(merr)) != 0) {
            fprintf(stderr, "distill-sensor: --metrics %s\n", merr);
            return DS_ERR_USAGE;
        }
        o->metrics = arg;
        return DS_OK;
    }
    default: /* '?' */
        fprintf(stderr, "Try 'distill-sensor --help'.\n");
        return DS_ERR_USAGE;
    }
}

/* -o: a spec sink.h can open, else a usage error naming it. */
static enum ds_err take_output(struct options *o, const char *arg)
{
    struct sink_spec sp;
    char err[512];
    if (sink_spec_parse(arg, &sp, err, sizeof(err)) != 0) {
        fprintf(stderr, "distill-sensor: -o %s\n", err);
        return DS_ERR_USAGE;
    }
    o->outputs[o->noutputs++] = arg;
    return DS_OK;
}

/* One option as getopt_long returned it (c, with its argument arg). */
static enum ds_err take_option(struct options *o, int c, const char *arg)
{
    switch (c) {
    case 'r':
        o->reads[o->nreads++] = arg;
        break;
    case 'i':
        o->iface = arg;
        break;
    case 'o':
        return take_output(o, arg);
    case OPT_RULES:
        o->cfg.rules_dir = arg;
        break;
    case OPT_ALL_TLS:
        o->cfg.all_tls = true;
        break;
    case OPT_NO_VLAN_KEY:
        o->cfg.vlan_key = false;
        break;
    case OPT_SENSOR_NAME:
        o->cfg.host = arg;
        break;
    case OPT_CHECK_RULES:
        o->action = OPTIONS_CHECK_RULES;
        break;
    case OPT_SOURCE_EVENTS:
        o->cfg.detect.source_events = true;
        break;
    case OPT_GEOIP_DB:
        o->cfg.detect.geoip_db = arg;
        break;
    case OPT_ASN_DB:
        o->cfg.detect.asn_db = arg;
        break;
    case 'Z':
        o->user = arg;
        break;
    case OPT_CHROOT:
        o->chroot_dir = arg;
        break;
    case 'q':
        o->verbosity = LOG_ERROR;
        break;
    case 'v':
        if (o->verbosity < LOG_DEBUG)
            o->verbosity = (enum log_level)(o->verbosity + 1);
        break;
    case 'V':
        o->action = OPTIONS_VERSION;
        break;
    case 'h':
        o->action = OPTIONS_HELP;
        break;
    default:
        return take_value(o, c, arg);
    }
    return DS_OK;
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

enum ds_err options_parse(int argc, char **argv, struct options *o)
{
    set_defaults(o, argc);
    optind = 0; /* glibc and musl: a new scan, not the rest of the last one */
    for (;;) {
        int c = getopt_long(argc, argv, "+r:i:o:Z:qvVh", longopts, NULL);
        if (c == -1)
            break;
        if (take_option(o, c, optarg) != DS_OK)
            return DS_ERR_USAGE;
        if (o->action == OPTIONS_HELP || o->action == OPTIONS_VERSION)
            return DS_OK;
    }
    if (o->action == OPTIONS_CHECK_RULES)
        return DS_OK; /* no input needed */
    if ((o->nreads == 0) == (o->iface == NULL)) {
        fprintf(stderr, "distill-sensor: give either -r FILE or -i IFACE\n"
                        "Try 'distill-sensor --help'.\n");
        return DS_ERR_USAGE;
    }
    if (o->chroot_dir != NULL && o->user == NULL) {
        fprintf(stderr, "distill-sensor: --chroot needs -Z USER (root can leave a chroot)\n"
                        "Try 'distill-sensor --help'.\n");
        return DS_ERR_USAGE;
    }
    if (o->noutputs == 0)
        o->outputs[o->noutputs++] = "-";
    o->filter = join_filter(argc - optind, argv + optind);
    return DS_OK;
}

void options_free(struct options *o)
{
    if (o == NULL)
        return;
    free(o->reads);
    free(o->outputs);
    free(o->filter);
    o->reads = NULL;
    o->outputs = NULL;
    o->filter = NULL;
}
