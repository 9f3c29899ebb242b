/* The command line: getopt_long over argv into a struct options, the --help
 * text, and usage errors (stderr, DS_ERR_USAGE: exit 2). With -c the
 * configuration file (options-file.c) is applied first, through the same
 * take_option, so the command line overrides it and a value is checked
 * the same way wherever it comes from. */
#include "ds/options.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ds/config-yaml.h"
#include "ds/memcap.h"
#include "ds/metrics-http.h"
#include "ds/sink.h"
#include "ds/source.h"
#include "ds/util.h"
#include "options-int.h"

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
"                          means its capture files in name order; - is\n"
"                          standard input (tcpdump -w - | distill-sensor -r -)\n"
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
"                                  100000) each event; AUTH (a password)\n"
"                                  only from the -c file\n"
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
"      --max-sources N     per-source state cap, address and client-family\n"
"                          profile records together; the least recently seen\n"
"                          is evicted and counted (default 65536)\n"
"      --source-events     a `source` event per window per active source\n"
"      --geoip-db FILE     MaxMind City or Country database: geo.country\n"
"      --asn-db FILE       MaxMind ASN database: geo.asn and geo.as_org\n"
"      --max-flows N       flow table cap; at the cap the least useful idle flow\n"
"                          is evicted and counted (default 262144)\n"
"      --memcap SIZE       memory for everything held after start-up: flows,\n"
"                          their state, hello buffers, nDPI, sources, clusters\n"
"                          (K, M, G, KiB, MiB, GiB; 48M to 1024G; default\n"
"                          512MiB); each store gets a share, and at its share\n"
"                          the least useful state is evicted and counted\n"
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
"Configuration file:\n"
"  -c, --config FILE       the options from FILE (YAML, KEY: VALUE; the keys are\n"
"                          the long options' names, outputs a list); the\n"
"                          command line overrides it. SIGHUP reads it again:\n"
"                          new outputs and the rules are taken, the rest at\n"
"                          restart; a bad file is said (file:line: why) and\n"
"                          the configuration in use kept\n"
"      --check-config      check the options, the -c file and the rules, then\n"
"                          exit: 0 if good, 2 with file:line: why (as does\n"
"                          --check-rules with -c)\n"
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

#define OPTSTRING "+r:i:o:c:Z:qvVh"

enum long_only {
    OPT_SNAPLEN = 256,
    OPT_BUFFER,
    OPT_RULES,
    OPT_ALL_TLS,
    OPT_MAX_FLOWS,
    OPT_MEMCAP,
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
    OPT_CHECK_CONFIG,
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
    { "memcap", required_argument, NULL, OPT_MEMCAP },
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
    { "config", required_argument, NULL, 'c' },
    { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The reason the last take_option refused its value, and what the option
 * is called in it: "--name" on the command line, the key in the file. */
static char why[640];
static const char *label;

const struct option *options_longopts(void)
{
    return longopts;
}

const char *options_long_name(size_t i)
{
    for (size_t k = 0; k <= i; k++)
        if (longopts[k].name == NULL)
            return NULL;
    return longopts[i].name;
}

const char *options_why(void)
{
    return why;
}

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

static void set_defaults(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->action = OPTIONS_RUN;
    sensor_config_default(&o->cfg);
    o->cfg.rules_dir = dir_exists(DS_SOURCE_RULES) ? DS_SOURCE_RULES : DS_INSTALL_RULES;
    o->live.snaplen = 65535;
    o->live.buffer_mib = CAPTURE_BUFFER_MIB_DEFAULT;
    o->live.promisc = true;
    o->output_queue = SINK_QUEUE_LINES_DEFAULT;
    o->verbosity = LOG_WARN;
}

static enum ds_err bad_value(int c, const char *arg)
{
    if (label != NULL)
        snprintf(why, sizeof(why), "invalid value '%s' for %s", arg, label);
    else
        snprintf(why, sizeof(why), "invalid value '%s' for --%s", arg, opt_name(c));
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
    case OPT_MEMCAP: {
        char merr[200];
        if (memcap_parse_size(arg, &v, merr, sizeof(merr)) != 0) {
            snprintf(why, sizeof(why), "%s: %s", label ? label : "--memcap", merr);
            return DS_ERR_USAGE;
        }
        o->cfg.memcap = v;
        return DS_OK;
    }
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
            snprintf(why, sizeof(why), "%s %s: %s", label ? label : "--windows", arg, werr);
            return DS_ERR_USAGE;
        }
        return DS_OK;
    }
    case OPT_METRICS: {
        struct metrics_addr a;
        char merr[256];
        if (metrics_addr_parse(arg, &a, merr, sizeof(merr)) != 0) {
            snprintf(why, sizeof(why), "%s %s", label ? label : "--metrics", merr);
            return DS_ERR_USAGE;
        }
        o->metrics = arg;
        return DS_OK;
    }
    default: /* '?' */
        snprintf(why, sizeof(why), "Try 'distill-sensor --help'.");
        return DS_ERR_USAGE;
    }
}

/* A list grown by one: *v of *n, capacity doubling from 4. */
static void *grow(void *v, int n, size_t size)
{
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
        return xrealloc(v, (size_t)(n ? n * 2 : 4) * size);
    return v;
}

void options_add_read(struct options *o, const char *path)
{
    o->reads = grow(o->reads, o->nreads, sizeof(*o->reads));
    o->reads[o->nreads++] = path;
}

enum ds_err options_add_output(struct options *o, const struct sink_output *out, bool argv)
{
    struct sink_spec sp;
    char err[512];
    if (sink_spec_parse(out->spec, &sp, err, sizeof(err)) != 0) {
        snprintf(why, sizeof(why), "%s%s", argv ? "-o " : "", err);
        return DS_ERR_USAGE;
    }
    if (out->password != NULL && sp.kind != SINK_REDIS) {
        snprintf(why, sizeof(why), "%s: a password is for a redis output only", out->spec);
        return DS_ERR_USAGE;
    }
    o->outputs = grow(o->outputs, o->noutputs, sizeof(*o->outputs));
    o->outputs[o->noutputs++] = *out;
    return DS_OK;
}

/* -o: a spec sink.h can open, else a usage error naming it. */
static enum ds_err take_output(struct options *o, const char *arg)
{
    const struct sink_output out = { .spec = arg };
    return options_add_output(o, &out, true);
}

/* One option as getopt_long returned it (c, with its argument arg). */
static enum ds_err take_option(struct options *o, int c, const char *arg)
{
    switch (c) {
    case 'r':
        options_add_read(o, arg);
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
    case OPT_CHECK_CONFIG:
        o->action = OPTIONS_CHECK_CONFIG;
        break;
    case 'c':
        o->config_path = arg;
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

enum ds_err options_take(struct options *o, int c, const char *arg, const char *name)
{
    why[0] = '\0';
    label = name;
    enum ds_err e = take_option(o, c, arg);
    label = NULL;
    return e;
}

/* The -c FILE of argv, or NULL: a first scan that looks at nothing else
 * (the real one, after the file, reports what is wrong). NULL too with -h
 * or -V, which a bad file must not prevent. */
static const char *find_config(int argc, char **argv)
{
    const char *path = NULL;
    int saved = opterr;
    opterr = 0;
    optind = 0;
    for (;;) {
        int c = getopt_long(argc, argv, OPTSTRING, longopts, NULL);
        if (c == -1)
            break;
        if (c == 'c')
            path = optarg;
        if (c == 'h' || c == 'V') {
            path = NULL;
            break;
        }
    }
    opterr = saved;
    optind = 0;
    return path;
}

/* On the command line -r and -i replace the file's input, -o its outputs
 * (the first one given drops the file's list). */
static void override_file(struct options *o, int c)
{
    if (o->file == NULL)
        return;
    if (c == 'o' && !o->argv_outputs) {
        o->noutputs = 0;
        o->argv_outputs = true;
    }
    if ((c == 'r' || c == 'i') && !o->argv_input) {
        o->nreads = 0;
        o->iface = NULL;
        o->argv_input = true;
    }
}

static enum ds_err parse_argv(int argc, char **argv, struct options *o)
{
    for (;;) {
        int c = getopt_long(argc, argv, OPTSTRING, longopts, NULL);
        if (c == -1)
            break;
        override_file(o, c);
        if (options_take(o, c, optarg, NULL) != DS_OK) {
            if (c == '?')
                fprintf(stderr, "%s\n", why);
            else
                fprintf(stderr, "distill-sensor: %s\n", why);
            return DS_ERR_USAGE;
        }
        if (o->action == OPTIONS_HELP || o->action == OPTIONS_VERSION)
            return DS_OK;
    }
    if (argc > optind) {
        free(o->filter);
        o->filter = join_filter(argc - optind, argv + optind);
    }
    return DS_OK;
}

/* What only a capture needs: exactly one input, --chroot with -Z. */
static enum ds_err check_run(const struct options *o)
{
    if ((o->nreads == 0) == (o->iface == NULL)) {
        fprintf(stderr, "distill-sensor: give either -r FILE or -i IFACE%s\n"
                        "Try 'distill-sensor --help'.\n",
                o->file ? " (on the command line or as read or interface in the file)" : "");
        return DS_ERR_USAGE;
    }
    if (o->chroot_dir != NULL && o->user == NULL) {
        fprintf(stderr, "distill-sensor: --chroot needs -Z USER (root can leave a chroot)\n"
                        "Try 'distill-sensor --help'.\n");
        return DS_ERR_USAGE;
    }
    return DS_OK;
}

enum ds_err options_parse(int argc, char **argv, struct options *o)
{
    set_defaults(o);
    const char *config = find_config(argc, argv);
    if (config != NULL && options_file_apply(o, config) != DS_OK)
        return DS_ERR_CONFIG;
    enum ds_err e = parse_argv(argc, argv, o);
    if (e != DS_OK || o->action == OPTIONS_HELP || o->action == OPTIONS_VERSION)
        return e;
    if (o->action == OPTIONS_CHECK_RULES && o->config_path != NULL)
        o->action = OPTIONS_CHECK_CONFIG; /* --check-rules -c FILE: the file too */
    if (o->action == OPTIONS_CHECK_RULES)
        return DS_OK; /* no input needed */
    if (o->action != OPTIONS_CHECK_CONFIG || o->nreads > 0 || o->iface != NULL) {
        e = check_run(o);
        if (e != DS_OK)
            return e;
    }
    if (o->noutputs == 0) {
        const struct sink_output std = { .spec = "-" };
        options_add_output(o, &std, true);
    }
    return DS_OK;
}

void options_free(struct options *o)
{
    if (o == NULL)
        return;
    free(o->reads);
    free(o->outputs);
    free(o->filter);
    config_node_free(o->file);
    o->reads = NULL;
    o->outputs = NULL;
    o->filter = NULL;
    o->file = NULL;
    o->nreads = o->noutputs = 0;
}
