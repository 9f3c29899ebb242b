/* The configuration file (-c): config-yaml.c's tree and lines, and
 * options-file.c's keys applied onto struct options: the key table covers
 * every long option, every key sets what its option sets, the command line
 * overrides the file, lists, and every refusal as `file:line: why`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/config-yaml.h"
#include "ds/options.h"

#define MAX_ARGS 24

static char dir[64];
static char path[128];   /* dir/c.yaml: the file each test writes */

/* A command line split at spaces, and what parsing it wrote to stderr. */
struct cmd {
    char words[MAX_ARGS][160];
    char *argv[MAX_ARGS + 1];
    int argc;
    char err[2048];
};

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Writes text as the file, then parses "distill-sensor -c FILE " + line. */
static enum ds_err parse(struct cmd *c, struct options *o, const char *text, const char *line)
{
    write_file(text);
    memset(c, 0, sizeof(*c));
    char buf[1024];
    snprintf(buf, sizeof(buf), "distill-sensor -c %s %s", path, line);
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

static void parse_ok(struct cmd *c, struct options *o, const char *text, const char *line)
{
    if (parse(c, o, text, line) != DS_OK)
        fail_msg("'%s' with '%s' refused: %s", text, line, c->err);
    assert_string_equal(c->err, "");
}

/* The file is refused (exit 2) with exactly "distill-sensor: FILE:" + why. */
static void file_bad(const char *text, const char *why)
{
    struct cmd c;
    struct options o;
    enum ds_err e = parse(&c, &o, text, "-r x.pcap");
    char want[1024];
    snprintf(want, sizeof(want), "distill-sensor: %s:%s\n", path, why);
    if (e != DS_ERR_CONFIG)
        fail_msg("'%s' accepted (%d): %s", text, e, c.err);
    if (strcmp(c.err, want) != 0)
        fail_msg("'%s': stderr\n  '%s'\nwanted\n  '%s'", text, c.err, want);
    options_free(&o);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ds-config-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/c.yaml", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Every long option is in the key table (a key, or marked as the command
 * line's), every option the table names exists, and no key is there twice:
 * a new option without a key fails here. */
static void test_table_covers_every_option(void **state)
{
    (void)state;
    for (size_t i = 0; options_long_name(i) != NULL; i++) {
        const char *name = options_long_name(i), *key, *opt;
        bool found = false;
        for (size_t k = 0; options_file_key(k, &key, &opt) == 0; k++)
            found |= opt != NULL && strcmp(opt, name) == 0;
        if (!found)
            fail_msg("--%s has no key in the configuration file's table (options-file.c)", name);
    }
    const char *key, *opt, *key2, *opt2;
    for (size_t k = 0; options_file_key(k, &key, &opt) == 0; k++) {
        bool exists = opt == NULL;
        for (size_t i = 0; opt != NULL && options_long_name(i) != NULL; i++)
            exists |= strcmp(options_long_name(i), opt) == 0;
        if (!exists)
            fail_msg("key %s names --%s, which is no option", key ? key : "(none)", opt);
        for (size_t j = k + 1; key && options_file_key(j, &key2, &opt2) == 0; j++)
            if (key2 && strcmp(key, key2) == 0)
                fail_msg("key %s twice", key);
    }
}

/* One line a key, each away from its default; the test below fails if a
 * key of the table is missing here. */
static const char *const every_key[][2] = {
    { "read", "[a.pcap, dir]" },
    { "interface", "eth1" },
    { "snaplen", "128" },
    { "buffer-size", "32" },
    { "filter", "\"tcp port 443\"" },
    { "outputs", "[ev.json, \"unix-dgram:/run/v.sock\"]" },
    { "output-queue", "77" },
    { "sensor-name", "s1" },
    { "community-id-seed", "9" },
    { "all-tls", "true" },
    { "stats-interval", "2m" },
    { "metrics", "127.0.0.1:9477" },
    { "rules", "/r" },
    { "windows", "1m,5m" },
    { "max-sources", "99" },
    { "source-events", "yes" },
    { "geoip-db", "g.mmdb" },
    { "asn-db", "a.mmdb" },
    { "max-flows", "1000" },
    { "memcap", "64MiB" },
    { "seed", "42" },
    { "vlan-key", "false" },
    { "user", "nobody" },
    { "chroot", "/var/empty" },
    { "quiet", "off" },
    { "verbose", "2" },
};

static void test_every_key(void **state)
{
    (void)state;
    const char *key, *opt;
    char text[2048] = "";
    size_t n = sizeof(every_key) / sizeof(every_key[0]);
    for (size_t k = 0; options_file_key(k, &key, &opt) == 0; k++) {
        bool found = key == NULL;
        for (size_t i = 0; i < n; i++)
            found |= key != NULL && strcmp(every_key[i][0], key) == 0;
        if (!found)
            fail_msg("key %s is not tested in every_key", key);
    }
    for (size_t i = 1; i < n; i++) { /* read with interface is refused: alone below */
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, "%s: %s\n", every_key[i][0], every_key[i][1]);
    }
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, text, "--check-config");
    assert_int_equal(o.action, OPTIONS_CHECK_CONFIG);
    assert_string_equal(o.iface, "eth1");
    assert_int_equal(o.live.snaplen, 128);
    assert_int_equal(o.cfg.memcap, 64u << 20);
    assert_int_equal(o.live.buffer_mib, 32);
    assert_string_equal(o.filter, "tcp port 443");
    assert_int_equal(o.noutputs, 2);
    assert_string_equal(o.outputs[0].spec, "ev.json");
    assert_string_equal(o.outputs[1].spec, "unix-dgram:/run/v.sock");
    assert_null(o.outputs[0].password);
    assert_int_equal(o.output_queue, 77);
    assert_string_equal(o.cfg.host, "s1");
    assert_int_equal(o.cfg.community_id_seed, 9);
    assert_true(o.cfg.all_tls);
    assert_int_equal(o.cfg.stats_interval_s, 120);
    assert_string_equal(o.cfg.rules_dir, "/r");
    assert_int_equal(o.cfg.detect.src.n_windows, 2);
    assert_int_equal(o.cfg.detect.src.windows_s[1], 300);
    assert_int_equal(o.cfg.detect.src.max_sources, 99);
    assert_true(o.cfg.detect.source_events);
    assert_string_equal(o.cfg.detect.geoip_db, "g.mmdb");
    assert_string_equal(o.cfg.detect.asn_db, "a.mmdb");
    assert_int_equal(o.cfg.max_flows, 1000);
    assert_int_equal(o.seed_mode, SEED_VALUE);
    assert_int_equal(o.seed, 42);
    assert_false(o.cfg.vlan_key);
    assert_string_equal(o.user, "nobody");
    assert_string_equal(o.chroot_dir, "/var/empty");
    assert_int_equal(o.verbosity, LOG_DEBUG);
    assert_string_equal(o.config_path, path);
    options_free(&o);

    snprintf(text, sizeof(text), "%s: %s\n", every_key[0][0], every_key[0][1]);
    parse_ok(&c, &o, text, "");
    assert_int_equal(o.nreads, 2);
    assert_string_equal(o.reads[0], "a.pcap");
    assert_string_equal(o.reads[1], "dir");
    assert_null(o.iface);
    options_free(&o);
    parse(&c, &o, "read: [a]\ninterface: eth0\n", "");
    assert_non_null(strstr(c.err, "give either -r FILE or -i IFACE"));
    options_free(&o);

    /* The flags' other values leave the defaults; quiet: true is -q. */
    parse_ok(&c, &o, "all-tls: no\nsource-events: False\nvlan-key: on\nquiet: true\n"
                     "verbose: 0\n", "-r a");
    assert_false(o.cfg.all_tls);
    assert_false(o.cfg.detect.source_events);
    assert_true(o.cfg.vlan_key);
    assert_int_equal(o.verbosity, LOG_ERROR);
    options_free(&o);
}

/* The command line overrides the file: a value, the outputs (all of them),
 * the input (-r for interface, -i for read), the filter; what it does not
 * give stays the file's. */
static void test_command_line_overrides(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    const char *file = "interface: eth1\nmax-flows: 1000\nsensor-name: s1\n"
                       "outputs: [a.json, b.json]\nfilter: udp\n";
    parse_ok(&c, &o, file, "--max-flows 5 -o c.json -r x.pcap tcp port 443");
    assert_int_equal(o.cfg.max_flows, 5);
    assert_string_equal(o.cfg.host, "s1");
    assert_int_equal(o.noutputs, 1);
    assert_string_equal(o.outputs[0].spec, "c.json");
    assert_null(o.iface);
    assert_int_equal(o.nreads, 1);
    assert_string_equal(o.filter, "tcp port 443");
    options_free(&o);

    parse_ok(&c, &o, file, "");
    assert_string_equal(o.iface, "eth1");
    assert_int_equal(o.noutputs, 2);
    assert_string_equal(o.outputs[1].spec, "b.json");
    assert_string_equal(o.filter, "udp");
    options_free(&o);

    parse_ok(&c, &o, "read: [a.pcap, b.pcap]\n", "-i lo");
    assert_string_equal(o.iface, "lo");
    assert_int_equal(o.nreads, 0);
    options_free(&o);

    /* --check-rules with -c checks the file too. */
    parse_ok(&c, &o, "max-flows: 7\n", "--check-rules");
    assert_int_equal(o.action, OPTIONS_CHECK_CONFIG);
    options_free(&o);

    /* -h and -V work whatever the file holds. */
    parse_ok(&c, &o, "max-flows: lots\n", "-h");
    assert_int_equal(o.action, OPTIONS_HELP);
    options_free(&o);
    parse_ok(&c, &o, "max-flows: lots\n", "--version");
    assert_int_equal(o.action, OPTIONS_VERSION);
    options_free(&o);
}

/* outputs: specs and redis mappings with AUTH, in order. */
static void test_lists(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o,
             "read:\n  - a.pcap\n  - b.pcap\n"
             "outputs:\n"
             "  - /var/log/eve.json\n"
             "  - redis: redis://127.0.0.1:6379/ev?mode=stream\n"
             "    username: sensor\n"
             "    password: \"s3cret: with # and spaces\"\n"
             "  - redis: redis://10.0.0.1:6379/ev\n"
             "    password: pw\n"
             "  - syslog:local3\n",
             "");
    assert_int_equal(o.nreads, 2);
    assert_string_equal(o.reads[1], "b.pcap");
    assert_int_equal(o.noutputs, 4);
    assert_string_equal(o.outputs[0].spec, "/var/log/eve.json");
    assert_null(o.outputs[0].username);
    assert_string_equal(o.outputs[1].spec, "redis://127.0.0.1:6379/ev?mode=stream");
    assert_string_equal(o.outputs[1].username, "sensor");
    assert_string_equal(o.outputs[1].password, "s3cret: with # and spaces");
    assert_null(o.outputs[2].username);
    assert_string_equal(o.outputs[2].password, "pw");
    assert_string_equal(o.outputs[3].spec, "syslog:local3");
    options_free(&o);

    /* Many items: the lists grow. */
    char text[8192] = "outputs:\n";
    for (int i = 0; i < 40; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, "  - f%d.json\n", i);
    }
    parse_ok(&c, &o, text, "-r a");
    assert_int_equal(o.noutputs, 40);
    assert_string_equal(o.outputs[39].spec, "f39.json");
    options_free(&o);
}

/* Bad values, unknown keys and wrong types: `file:line: why`, exit 2. */
static void test_refusals(void **state)
{
    (void)state;
    file_bad("# comment\nmax-flows: lots\n", "2: invalid value 'lots' for max-flows");
    file_bad("snaplen: 10\n", "1: invalid value '10' for snaplen");
    file_bad("community-id-seed: 70000\n", "1: invalid value '70000' for community-id-seed");
    file_bad("seed: -1\n", "1: invalid value '-1' for seed");
    file_bad("stats-interval: soon\n", "1: invalid value 'soon' for stats-interval");
    file_bad("windows: 1m,zz\n",
             "1: windows 1m,zz: bad window 'zz' (whole minutes from 1m to 24h)");
    file_bad("all-tls: 1\n", "1: all-tls: true or false expected, not '1'");
    file_bad("verbose: 3\n", "1: verbose: 0, 1 or 2 expected, not '3'");
    file_bad("rules: /r\nmax-flow: 3\n", "2: unknown key 'max-flow'");
    file_bad("no-vlan-key: true\n", "1: unknown key 'no-vlan-key' (the file's key is vlan-key)");
    file_bad("output: [a]\n", "1: unknown key 'output' (the file's key is outputs)");
    file_bad("check-rules: true\n", "1: check-rules: for the command line only");
    file_bad("config: other.yaml\n", "1: config: for the command line only");
    file_bad("max-flows: [1, 2]\n", "1: max-flows: a single value expected, not a list");
    file_bad("sensor-name:\n  a: b\n", "2: sensor-name: a single value expected, not a mapping");
    file_bad("sensor-name:\n", "1: sensor-name: no value");
    file_bad("rules: ~\n", "1: rules: no value");
    file_bad("outputs: eve.json\n",
             "1: outputs: a list expected ([a, b] or lines of '- a'), not a single value");
    file_bad("read: {a: b}\n",
             "1: read: a list expected ([a, b] or lines of '- a'), not a mapping");
    file_bad("read:\n  - a\n  - [b]\n", "3: read: each item a file or directory, not a list");
    file_bad("outputs: []\n", "1: outputs: an empty list (leave the key out for stdout)");
    file_bad("outputs:\n  - a.json\n  - kafka:ev\n",
             "3: outputs: kafka:ev: unknown output scheme (PATH, -, unix-stream:PATH, "
             "unix-dgram:PATH, syslog[:FACILITY], redis://HOST:PORT/KEY; a file name with ':' "
             "before any '/' is ./NAME)");
    file_bad("outputs:\n  - redis: redis://h:1/k\n    pasword: x\n",
             "3: outputs: unknown key 'pasword' in an output (redis, username, password)");
    file_bad("outputs:\n  - redis: /var/log/eve.json\n    password: x\n",
             "2: outputs: redis: /var/log/eve.json: not a redis:// output");
    file_bad("outputs:\n  - password: x\n",
             "2: outputs: a mapping needs redis: redis://HOST:PORT/KEY");
    file_bad("outputs:\n  - redis: redis://h:1/k\n    username: u\n",
             "2: outputs: a username needs a password");
    file_bad("outputs:\n  - redis: redis://h/k\n",
             "2: outputs: redis://h/k: not redis://HOST:PORT/KEY");
    file_bad("outputs:\n  -\n", "2: outputs: each item an output (as -o takes) or a redis "
                                "mapping, not an empty one");
}

/* YAML itself: syntax errors at their line, and what a configuration does
 * not use. */
static void test_yaml_refusals(void **state)
{
    (void)state;
    file_bad("rules: /r\n  max-flows: 3\n", "2: mapping values are not allowed in this context");
    file_bad("outputs: [a, b\n", "2: did not find expected ',' or ']' while parsing a flow sequence");
    file_bad("max-flows: 1\nmax-flows: 2\n", "2: max-flows: given twice (first at line 1)");
    file_bad("a: &x 1\nb: *x\n", "1: anchors and aliases are not supported");
    file_bad("max-flows: !!int 3\n", "1: tags are not supported");
    file_bad("- a\n- b\n", "1: the file must be a mapping of keys (key: value)");
    file_bad("max-flows: 1\n---\nmax-flows: 2\n", "2: more than one document");
    file_bad("[a]: b\n", "1: a key must be a single value");
    file_bad("a: [[[[[[[[[[1]]]]]]]]]]\n", "1: nested too deep (8 levels at most)");
}

/* An empty file, or one of comments, sets nothing; a missing file is its
 * name and the reason. */
static void test_empty_and_missing(void **state)
{
    (void)state;
    struct cmd c;
    struct options o;
    parse_ok(&c, &o, "", "-r a");
    assert_int_equal(o.noutputs, 1);
    assert_string_equal(o.outputs[0].spec, "-");
    options_free(&o);
    parse_ok(&c, &o, "# nothing\n---\n", "-r a");
    options_free(&o);
    unlink(path);
    char *argv[] = { "distill-sensor", "-c", "/nonexistent/ds.yaml", "-r", "a", NULL };
    assert_int_equal(options_parse(5, argv, &o), DS_ERR_CONFIG);
    options_free(&o);
}

/* The tree: kinds, keys, lines, scalars' text and style. */
static void test_tree(void **state)
{
    (void)state;
    const char *text = "# head\n"
                       "a: 1\n"
                       "b:\n"
                       "  - x\n"
                       "  - 'y z'\n"
                       "c: {d: e}\n";
    struct config_node *root = NULL;
    char err[256];
    assert_int_equal(config_yaml_parse("t.yaml", text, strlen(text), &root, err, sizeof(err)), 0);
    assert_int_equal(root->kind, CONFIG_MAP);
    assert_int_equal(root->nkids, 3);
    assert_string_equal(root->kids[0].key, "a");
    assert_int_equal(root->kids[0].key_line, 2);
    assert_string_equal(root->kids[0].text, "1");
    assert_true(root->kids[0].plain);
    assert_int_equal(root->kids[1].kind, CONFIG_LIST);
    assert_int_equal(root->kids[1].nkids, 2);
    assert_int_equal(root->kids[1].kids[1].line, 5);
    assert_string_equal(root->kids[1].kids[1].text, "y z");
    assert_false(root->kids[1].kids[1].plain);
    assert_int_equal(root->kids[2].kind, CONFIG_MAP);
    assert_string_equal(root->kids[2].kids[0].key, "d");
    config_node_free(root);
    config_node_free(NULL);

    const char nul[] = "a: b\0c\n";
    assert_int_equal(config_yaml_parse("t.yaml", nul, sizeof(nul) - 1, &root, err, sizeof(err)),
                     -1);
    assert_null(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_covers_every_option),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_command_line_overrides),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_yaml_refusals),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_tree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
