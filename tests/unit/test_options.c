/* The command line (options.c): defaults, every option, repeatable -r, the
 * filter after the options, durations and number ranges, and the usage
 * errors with the messages they print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/options.h"

#define MAX_ARGS 40

/* A command line split at spaces, and what parsing it wrote to stderr. */
struct cmd {
    char words[MAX_ARGS][128];
    char *argv[MAX_ARGS + 1];
    int argc;
    char err[2048];
};

/* Parses "distill-sensor " + line into *o, with stderr captured in c->err. */
static enum ds_err parse(struct cmd *c, struct options *o, const char *line)
{
    memset(c, 0, sizeof(*c));
    char buf[1024];
    snprintf(buf, sizeof(buf), "distill-sensor %s", line);
    for (char *p = buf; *p != '\0';) {
        size_t n = strcspn(p, " ");
        assert_true(c->argc < MAX_ARGS && n < sizeof(c->words[0]));
        if (n > 0) {
            memcpy(c->words[c->argc], p, n);
            c->argv[c->argc] = c->words[c->argc];
            c->argc++;
        }
        p += n;
        p += strspn(p, " ");
    }
    c->argv[c->argc] = NULL;

    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_true(saved >= 0 && tmp != NULL);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    enum ds_err e = options_parse(c->argc, c->argv, o);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(c->err, 1, sizeof(c->err) - 1, tmp);
    c->err[n] = '\0';
    fclose(tmp);
    return e;
}

/* The line parses, with nothing on stderr. */
static void parse_ok(struct cmd *c, struct options *o, const char *line)
{
    if (parse(c, o, line) != DS_OK)
        fail_msg("'%s' refused: %s", line, c->err);
    assert_string_equal(c->err, "");
}

/* The line is a usage error whose message contains `why`. */
static void parse_bad(const char *line, const char *why)
{
    struct cmd c;
    struct options o;
    if (parse(&c, &o, line) != DS_ERR_USAGE)
        fail_msg("'%s' accepted", line);
    if (strstr(c.err, why) == NULL)
        fail_msg("'%s': stderr '%s' does not say '%s'", line, c.err, why);
    options_free(&o);
}

static void test_defaults(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r a.pcap");
    assert_int_equal(o.action, OPTIONS_RUN);
    assert_int_equal(o.nreads, 1);
    assert_string_equal(o.reads[0], "a.pcap");
    assert_null(o.iface);
    assert_int_equal(o.noutputs, 1);
    assert_string_equal(o.outputs[0].spec, "-");
    assert_null(o.cfg.host);
    assert_null(o.filter);
    assert_int_equal(o.verbosity, LOG_WARN);
    assert_int_equal(o.live.snaplen, 65535);
    assert_int_equal(o.live.buffer_mib, CAPTURE_BUFFER_MIB_DEFAULT);
    assert_true(o.live.promisc);
    /* The sensor's own defaults, but the rules of this source tree. */
    struct sensor_config def;
    sensor_config_default(&def);
    assert_string_equal(o.cfg.rules_dir, DS_SOURCE_RULES);
    assert_int_equal(o.cfg.max_flows, def.max_flows);
    assert_int_equal(o.cfg.memcap, 512u << 20);
    assert_int_equal(def.memcap, 512u << 20);
    assert_int_equal(o.cfg.stats_interval_s, def.stats_interval_s);
    assert_false(o.cfg.all_tls);
    assert_true(o.cfg.vlan_key);
    assert_true(def.vlan_key);
    assert_int_equal(o.cfg.detect.src.max_sources, def.detect.src.max_sources);
    assert_int_equal(o.cfg.detect.src.n_windows, def.detect.src.n_windows);
    assert_false(o.cfg.detect.source_events);
    assert_null(o.cfg.detect.geoip_db);
    assert_null(o.cfg.detect.asn_db);
    assert_null(o.user);
    assert_null(o.chroot_dir);
    /* No --seed: chosen at run time (random live, the fixed set offline). */
    assert_int_equal(o.seed_mode, SEED_AUTO);
    assert_memory_equal(&o.cfg.detect.seeds, &def.detect.seeds, sizeof(def.detect.seeds));
    options_free(&o);
    options_free(&o); /* twice is harmless */
    options_free(NULL);
}

/* Every option, short and long. */
static void test_every_option(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "--read a --output ev.json --rules /r --all-tls --max-flows 1000 --memcap 1GiB "
                     "--no-vlan-key --stats-interval 30 --sensor-name s1 --community-id-seed 7 --windows 1m,5m --max-sources 99 "
                     "--source-events --geoip-db g.mmdb --asn-db a.mmdb --verbose");
    assert_string_equal(o.reads[0], "a");
    assert_string_equal(o.outputs[0].spec, "ev.json");
    assert_string_equal(o.cfg.rules_dir, "/r");
    assert_true(o.cfg.all_tls);
    assert_int_equal(o.cfg.max_flows, 1000);
    assert_int_equal(o.cfg.memcap, 1u << 30);
    assert_false(o.cfg.vlan_key);
    assert_int_equal(o.cfg.stats_interval_s, 30);
    assert_string_equal(o.cfg.host, "s1");
    assert_int_equal(o.cfg.community_id_seed, 7);
    assert_int_equal(o.cfg.detect.src.n_windows, 2);
    assert_int_equal(o.cfg.detect.src.windows_s[0], 60);
    assert_int_equal(o.cfg.detect.src.windows_s[1], 300);
    assert_int_equal(o.cfg.detect.src.max_sources, 99);
    assert_true(o.cfg.detect.source_events);
    assert_string_equal(o.cfg.detect.geoip_db, "g.mmdb");
    assert_string_equal(o.cfg.detect.asn_db, "a.mmdb");
    assert_int_equal(o.verbosity, LOG_INFO);
    options_free(&o);

    parse_ok(&c, &o, "--interface eth0 --snaplen 128 --buffer-size 64 -o - -q");
    assert_string_equal(o.iface, "eth0");
    assert_int_equal(o.nreads, 0);
    assert_int_equal(o.live.snaplen, 128);
    assert_int_equal(o.live.buffer_mib, 64);
    assert_int_equal(o.verbosity, LOG_ERROR);
    options_free(&o);

    parse_ok(&c, &o, "-i eth0 -o out");
    assert_string_equal(o.iface, "eth0");
    assert_string_equal(o.outputs[0].spec, "out");
    options_free(&o);
}

/* -r and --read repeat, in order, and mix with directories. */
static void test_repeated_reads(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r one.pcap --read dir -r three.pcapng -r one.pcap");
    assert_int_equal(o.nreads, 4);
    assert_string_equal(o.reads[0], "one.pcap");
    assert_string_equal(o.reads[1], "dir");
    assert_string_equal(o.reads[2], "three.pcapng");
    assert_string_equal(o.reads[3], "one.pcap");
    options_free(&o);
}

/* -o repeats, in order; a bad scheme or facility is a usage error that
 * names the output; --output-queue is a count. */
static void test_outputs(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r a -o ev.json -o unix-stream:/run/v.sock --output syslog:local3 -o -");
    assert_int_equal(o.noutputs, 4);
    assert_string_equal(o.outputs[0].spec, "ev.json");
    assert_string_equal(o.outputs[1].spec, "unix-stream:/run/v.sock");
    assert_string_equal(o.outputs[2].spec, "syslog:local3");
    assert_string_equal(o.outputs[3].spec, "-");
    assert_int_equal(o.output_queue, 10000);
    options_free(&o);
    parse_ok(&c, &o, "-r a --output-queue 5");
    assert_int_equal(o.output_queue, 5);
    assert_int_equal(o.noutputs, 1);
    options_free(&o);
    parse_bad("-r a -o kafka:events", "-o kafka:events: unknown output scheme");
    parse_bad("-r a -o ev.json -o syslog:local9", "-o syslog:local9: unknown syslog facility");
    parse_bad("-r a -o redis://h/k", "-o redis://h/k: not redis://HOST:PORT/KEY");
    parse_bad("-r a -o unix-dgram:", "no socket path");
    parse_bad("-r a --output-queue 0", "--output-queue");
}

/* --metrics ADDR:PORT: checked when parsed, a bad one a usage error naming it. */
static void test_metrics(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r a");
    assert_null(o.metrics);
    options_free(&o);
    parse_ok(&c, &o, "-r a --metrics 127.0.0.1:9477");
    assert_string_equal(o.metrics, "127.0.0.1:9477");
    options_free(&o);
    parse_ok(&c, &o, "-r a --metrics [::1]:9477");
    options_free(&o);
    parse_bad("-r a --metrics 9477", "--metrics 9477: no port");
    parse_bad("-r a --metrics localhost:9477", "--metrics localhost:9477: not an IP address");
    parse_bad("-r a --metrics 127.0.0.1:0", "1..65535");
}

/* The arguments after the options are one BPF filter, as in tcpdump; the
 * first argument that is not an option ends them. */
static void test_filter(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r a tcp port 443 or udp port 443");
    assert_string_equal(o.filter, "tcp port 443 or udp port 443");
    options_free(&o);
    parse_ok(&c, &o, "-r a tcp -q");
    assert_string_equal(o.filter, "tcp -q");
    assert_int_equal(o.verbosity, LOG_WARN);
    options_free(&o);
    parse_ok(&c, &o, "-r a -- -r x");
    assert_int_equal(o.nreads, 1);
    assert_string_equal(o.filter, "-r x");
    options_free(&o);
}

/* Durations: seconds, or with s, m, h, d; nothing else. */
static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        uint64_t s;
    } good[] = { { "0", 0 }, { "90", 90 }, { "90s", 90 }, { "10m", 600 }, { "2h", 7200 },
                 { "1d", 86400 } };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct cmd c;
        struct options o;
        char line[64];
        snprintf(line, sizeof(line), "-r a --stats-interval %s", good[i].arg);
        parse_ok(&c, &o, line);
        assert_int_equal(o.cfg.stats_interval_s, good[i].s);
        options_free(&o);
    }
    static const char *bad[] = { "soon", "-1", "10x", "1.5m", "m", "10mm",
                                 "99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[64], why[80];
        snprintf(line, sizeof(line), "-r a --stats-interval %s", bad[i]);
        snprintf(why, sizeof(why), "distill-sensor: invalid value '%s' for --stats-interval\n",
                 bad[i]);
        parse_bad(line, why);
    }
}

/* Numbers: each option's range, its ends included. */
static void test_number_ranges(void **state)
{
    (void)state;
    static const char *good[] = {
        "--snaplen 64", "--snaplen 262144", "--buffer-size 1", "--buffer-size 65536",
        "--max-flows 1", "--max-flows 67108864", "--max-sources 1", "--max-sources 16777216",
        "--community-id-seed 0", "--community-id-seed 65535",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct cmd c;
        struct options o;
        char line[80];
        snprintf(line, sizeof(line), "-r a %s", good[i]);
        parse_ok(&c, &o, line);
        options_free(&o);
    }
    parse_bad("-r a --snaplen 63", "invalid value '63' for --snaplen");
    parse_bad("-r a --snaplen 262145", "invalid value '262145' for --snaplen");
    parse_bad("-r a --buffer-size 0", "invalid value '0' for --buffer-size");
    parse_bad("-r a --buffer-size 65537", "invalid value '65537' for --buffer-size");
    parse_bad("-r a --max-flows 0", "invalid value '0' for --max-flows");
    parse_bad("-r a --max-flows 67108865", "invalid value '67108865' for --max-flows");
    parse_bad("-r a --max-sources 0", "invalid value '0' for --max-sources");
    parse_bad("-r a --max-sources 16777217", "invalid value '16777217' for --max-sources");
    parse_bad("-r a --community-id-seed 65536", "invalid value '65536' for --community-id-seed");
    parse_bad("-r a --community-id-seed -1", "invalid value '-1' for --community-id-seed");
    parse_bad("-r a --max-flows lots", "invalid value 'lots' for --max-flows");
    parse_bad("-r a --memcap 0", "--memcap: '0' is out of range");
    parse_bad("-r a --memcap 47M", "--memcap: '47M' is out of range");
    parse_bad("-r a --memcap 2048G", "--memcap: '2048G' is out of range");
    parse_bad("-r a --memcap lots", "--memcap: 'lots' is not a size");
    parse_bad("-r a --memcap 64X", "--memcap: '64X' is not a size");
    parse_bad("-r a --memcap -64M", "--memcap: '-64M' is not a size");
    parse_bad("-r a --max-flows -5", "invalid value '-5' for --max-flows");
}

/* --seed N (any 64-bit N, 0 the fixed set) or random. */
static void test_seed(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-i eth0 --seed 42");
    assert_int_equal(o.seed_mode, SEED_VALUE);
    assert_true(o.seed == 42);
    options_free(&o);
    parse_ok(&c, &o, "-r a --seed 0");
    assert_int_equal(o.seed_mode, SEED_VALUE);
    assert_true(o.seed == 0);
    options_free(&o);
    parse_ok(&c, &o, "-r a --seed 18446744073709551615");
    assert_true(o.seed == UINT64_MAX);
    options_free(&o);
    parse_ok(&c, &o, "-r a --seed random");
    assert_int_equal(o.seed_mode, SEED_RANDOM);
    options_free(&o);
    parse_bad("-r a --seed -1", "invalid value '-1' for --seed");
    parse_bad("-r a --seed 18446744073709551616", "invalid value '18446744073709551616' for --seed");
    parse_bad("-r a --seed Random", "invalid value 'Random' for --seed");
    parse_bad("-r a --seed", "seed");
}

static void test_windows(void **state)
{
    (void)state;
    parse_bad("-r a --windows 1m,1m", "distill-sensor: --windows 1m,1m: ");
    parse_bad("-r a --windows 30s", "distill-sensor: --windows 30s: ");
    parse_bad("-r a --windows soon", "distill-sensor: --windows soon: ");
}

/* -q sets errors only; each -v one level more, up to debug. */
static void test_verbosity(void **state)
{
    (void)state;
    static const struct {
        const char *flags;
        enum log_level want;
    } t[] = {
        { "-v", LOG_INFO }, { "-vv", LOG_DEBUG }, { "-v -v -v -v", LOG_DEBUG },
        { "-q", LOG_ERROR }, { "--quiet", LOG_ERROR }, { "-q -v", LOG_WARN },
        { "-vv -q", LOG_ERROR },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct cmd c;
        struct options o;
        char line[64];
        snprintf(line, sizeof(line), "-r a %s", t[i].flags);
        parse_ok(&c, &o, line);
        if (o.verbosity != t[i].want)
            fail_msg("%s: level %d, want %d", t[i].flags, o.verbosity, t[i].want);
        options_free(&o);
    }
}

/* -h and -V end parsing there: what follows is not looked at, what came
 * before was. --check-rules needs no input. */
static void test_actions(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-h");
    assert_int_equal(o.action, OPTIONS_HELP);
    options_free(&o);
    parse_ok(&c, &o, "--help --frobnicate");
    assert_int_equal(o.action, OPTIONS_HELP);
    options_free(&o);
    parse_ok(&c, &o, "--check-rules -V");
    assert_int_equal(o.action, OPTIONS_VERSION);
    options_free(&o);
    parse_ok(&c, &o, "--version");
    assert_int_equal(o.action, OPTIONS_VERSION);
    options_free(&o);
    parse_ok(&c, &o, "--check-rules --rules /r");
    assert_int_equal(o.action, OPTIONS_CHECK_RULES);
    assert_string_equal(o.cfg.rules_dir, "/r");
    options_free(&o);
    parse_ok(&c, &o, "--check-rules -r a -i b");
    assert_int_equal(o.action, OPTIONS_CHECK_RULES);
    options_free(&o);
    parse_bad("--frobnicate -h", "Try 'distill-sensor --help'.\n");
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const char either[] =
        "distill-sensor: give either -r FILE or -i IFACE\nTry 'distill-sensor --help'.\n";
    parse_bad("", either);
    parse_bad("-r a -i eth0", either);
    parse_bad("-o out tcp", either);
    parse_bad("--frobnicate", "unrecognized option '--frobnicate'");
    parse_bad("-x", "invalid option -- 'x'");
    parse_bad("-r", "option requires an argument -- 'r'");
    parse_bad("-r a --windows", "option '--windows' requires an argument");
    parse_bad("-r a --all-tls=3", "option '--all-tls' doesn't allow an argument");
    /* Every usage error ends with the hint. */
    struct cmd c;
    struct options o;
    assert_int_equal(parse(&c, &o, "--frobnicate"), DS_ERR_USAGE);
    size_t n = strlen(c.err);
    static const char hint[] = "Try 'distill-sensor --help'.\n";
    assert_true(n >= sizeof(hint) - 1);
    assert_string_equal(c.err + n - (sizeof(hint) - 1), hint);
    options_free(&o);
}

/* -Z and --user name the user (looked up later, by privdrop_new); --chroot
 * takes a directory and needs -Z. */
static void test_privileges(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-i eth0 -Z nobody");
    assert_string_equal(o.user, "nobody");
    assert_null(o.chroot_dir);
    options_free(&o);
    parse_ok(&c, &o, "-r a --user sensor --chroot /var/empty tcp");
    assert_string_equal(o.user, "sensor");
    assert_string_equal(o.chroot_dir, "/var/empty");
    assert_string_equal(o.filter, "tcp");
    options_free(&o);
    parse_bad("-i eth0 --chroot /var/empty",
              "distill-sensor: --chroot needs -Z USER (root can leave a chroot)\n"
              "Try 'distill-sensor --help'.\n");
    parse_bad("-i eth0 -Z", "option requires an argument -- 'Z'");
    parse_bad("-i eth0 --user", "option '--user' requires an argument");
    parse_bad("-i eth0 -Z nobody --chroot", "option '--chroot' requires an argument");
}

/* The help text names every long option. */
static void test_usage_text(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    options_usage(f);
    fclose(f);
    static const char *names[] = {
        "--read", "--interface", "--snaplen", "--buffer-size", "--output", "--sensor-name",
        "--community-id-seed",
        "--all-tls", "--stats-interval", "--rules", "--check-rules", "--windows",
        "--max-sources", "--source-events", "--geoip-db", "--asn-db", "--max-flows",
        "--memcap", "--no-vlan-key", "--user", "-Z,", "--chroot", "--seed", "--quiet", "--verbose",
        "--version", "--help", "--metrics", DS_SOURCE_RULES,
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strstr(text, names[i]) == NULL)
            fail_msg("--help does not mention %s", names[i]);
    assert_memory_equal(text, "Usage: distill-sensor ", 22);
    free(text);
}

/* Parsing again starts afresh (the getopt scan is reset). */
static void test_parse_again(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "-r a -r b -v tcp");
    options_free(&o);
    parse_ok(&c, &o, "-r c");
    assert_int_equal(o.nreads, 1);
    assert_string_equal(o.reads[0], "c");
    assert_int_equal(o.verbosity, LOG_WARN);
    assert_null(o.filter);
    options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_repeated_reads),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_number_ranges),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_verbosity),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_privileges),
        cmocka_unit_test(test_usage_text),
        cmocka_unit_test(test_parse_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
