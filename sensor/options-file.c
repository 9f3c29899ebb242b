/* The configuration file (-c FILE): its YAML (config-yaml.c) applied onto
 * struct options, one key at a time, through the command line's own
 * take_option, so a value means and is checked the same in both places.
 * Keys are the long options' names (Suricata's files are YAML too, but
 * nested; ours is flat because our options are). The table below names
 * the option behind every key, and the options that stay on the command
 * line; a long option missing from it fails test_options_file, so a new
 * option cannot be forgotten here. Lists are YAML lists: read, outputs;
 * an output is a spec as -o takes, or a mapping whose `redis` entry is the
 * spec and whose `username` and `password` are its AUTH. */
#include "ds/options.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/config-yaml.h"
#include "ds/util.h"
#include "options-int.h"

enum key_kind {
    K_VALUE,     /* a scalar: the option's argument */
    K_FLAG,      /* true: the flag given; false: not */
    K_FLAG_NOT,  /* false: the flag given (vlan-key: false is --no-vlan-key) */
    K_COUNT,     /* 0..2: the flag given that many times (verbose) */
    K_LIST,      /* a list of scalars: the option once per item (read) */
    K_OUTPUTS,   /* outputs: specs or redis mappings */
    K_FILTER,    /* the BPF filter that follows the options */
    K_ARGV,      /* on the command line only */
};

static const struct {
    const char *key;
    const char *option;
    enum key_kind kind;
} keys[] = {
    { "read", "read", K_LIST },
    { "interface", "interface", K_VALUE },
    { "snaplen", "snaplen", K_VALUE },
    { "buffer-size", "buffer-size", K_VALUE },
    { "filter", NULL, K_FILTER },
    { "outputs", "output", K_OUTPUTS },
    { "output-queue", "output-queue", K_VALUE },
    { "sensor-name", "sensor-name", K_VALUE },
    { "community-id-seed", "community-id-seed", K_VALUE },
    { "all-tls", "all-tls", K_FLAG },
    { "stats-interval", "stats-interval", K_VALUE },
    { "metrics", "metrics", K_VALUE },
    { "rules", "rules", K_VALUE },
    { "windows", "windows", K_VALUE },
    { "max-sources", "max-sources", K_VALUE },
    { "source-events", "source-events", K_FLAG },
    { "geoip-db", "geoip-db", K_VALUE },
    { "asn-db", "asn-db", K_VALUE },
    { "max-flows", "max-flows", K_VALUE },
    { "memcap", "memcap", K_VALUE },
    { "seed", "seed", K_VALUE },
    { "vlan-key", "no-vlan-key", K_FLAG_NOT },
    { "user", "user", K_VALUE },
    { "chroot", "chroot", K_VALUE },
    { "quiet", "quiet", K_FLAG },
    { "verbose", "verbose", K_COUNT },
    /* Actions and the file itself: the command line's. */
    { NULL, "check-rules", K_ARGV },
    { NULL, "check-config", K_ARGV },
    { NULL, "config", K_ARGV },
    { NULL, "version", K_ARGV },
    { NULL, "help", K_ARGV },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int options_file_key(size_t i, const char **key, const char **option)
{
    if (i >= NKEYS)
        return -1;
    *key = keys[i].key;
    *option = keys[i].option;
    return 0;
}

/* Where the file is being read: its name, for `name:line: why`. */
struct place {
    const char *name;
};

static enum ds_err bad(const struct place *pl, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum ds_err bad(const struct place *pl, unsigned long line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "distill-sensor: %s:%lu: %s\n", pl->name, line, msg);
    return DS_ERR_CONFIG;
}

/* getopt_long's value for the long option name. */
static int option_val(const char *name)
{
    for (const struct option *opt = options_longopts(); opt->name; opt++)
        if (strcmp(opt->name, name) == 0)
            return opt->val;
    return -1;
}

/* YAML's null: an empty plain value, ~ or null. */
static bool is_null(const struct config_node *v)
{
    return v->kind == CONFIG_SCALAR && v->plain &&
           (v->text[0] == '\0' || strcmp(v->text, "~") == 0 || strcasecmp(v->text, "null") == 0);
}

/* The member's value as one scalar with text, or an error naming the key. */
static enum ds_err want_scalar(const struct place *pl, const struct config_node *m)
{
    if (m->kind != CONFIG_SCALAR)
        return bad(pl, m->line, "%s: a single value expected, not %s", m->key,
                   config_kind_name(m->kind));
    if (is_null(m))
        return bad(pl, m->line, "%s: no value", m->key);
    return DS_OK;
}

/* YAML 1.1's booleans: true/false, yes/no, on/off. */
static int parse_bool(const char *s, bool *b)
{
    static const char *const yes[] = { "true", "yes", "on" };
    static const char *const no[] = { "false", "no", "off" };
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *b = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *b = false;
            return 0;
        }
    }
    return -1;
}

static enum ds_err take(struct options *o, const struct place *pl, const struct config_node *m,
                        const char *option, const char *arg)
{
    if (options_take(o, option_val(option), arg, m->key) != DS_OK)
        return bad(pl, m->line, "%s", options_why());
    return DS_OK;
}

static enum ds_err take_flag(struct options *o, const struct place *pl,
                             const struct config_node *m, const char *option, bool negate)
{
    bool b;
    if (want_scalar(pl, m) != DS_OK)
        return DS_ERR_CONFIG;
    if (parse_bool(m->text, &b) != 0)
        return bad(pl, m->line, "%s: true or false expected, not '%s'", m->key, m->text);
    return b != negate ? take(o, pl, m, option, NULL) : DS_OK;
}

static enum ds_err take_count(struct options *o, const struct place *pl,
                              const struct config_node *m, const char *option)
{
    uint64_t n;
    if (want_scalar(pl, m) != DS_OK)
        return DS_ERR_CONFIG;
    if (ds_parse_u64(m->text, 0, 2, &n) != 0)
        return bad(pl, m->line, "%s: 0, 1 or 2 expected, not '%s'", m->key, m->text);
    for (uint64_t i = 0; i < n; i++)
        if (take(o, pl, m, option, NULL) != DS_OK)
            return DS_ERR_CONFIG;
    return DS_OK;
}

static enum ds_err want_list(const struct place *pl, const struct config_node *m)
{
    if (m->kind != CONFIG_LIST)
        return bad(pl, m->line, "%s: a list expected ([a, b] or lines of '- a'), not %s",
                   m->key, config_kind_name(m->kind));
    return DS_OK;
}

static enum ds_err take_reads(struct options *o, const struct place *pl,
                              const struct config_node *m)
{
    if (want_list(pl, m) != DS_OK)
        return DS_ERR_CONFIG;
    for (size_t i = 0; i < m->nkids; i++) {
        const struct config_node *v = &m->kids[i];
        if (v->kind != CONFIG_SCALAR || is_null(v))
            return bad(pl, v->line, "%s: each item a file or directory, not %s", m->key,
                       is_null(v) ? "an empty one" : config_kind_name(v->kind));
        options_add_read(o, v->text);
    }
    return DS_OK;
}

/* One output given as a mapping: redis: SPEC, with username and password. */
static enum ds_err output_map(const struct place *pl, const struct config_node *v,
                              struct sink_output *out)
{
    for (size_t i = 0; i < v->nkids; i++) {
        const struct config_node *f = &v->kids[i];
        const char **slot = strcmp(f->key, "redis") == 0      ? &out->spec
                            : strcmp(f->key, "username") == 0 ? &out->username
                            : strcmp(f->key, "password") == 0 ? &out->password
                                                              : NULL;
        if (slot == NULL)
            return bad(pl, f->key_line,
                       "outputs: unknown key '%s' in an output (redis, username, password)",
                       f->key);
        if (f->kind != CONFIG_SCALAR || is_null(f))
            return bad(pl, f->line, "outputs: %s: a single value expected", f->key);
        *slot = f->text;
    }
    if (out->spec == NULL)
        return bad(pl, v->line, "outputs: a mapping needs redis: redis://HOST:PORT/KEY");
    if (strncmp(out->spec, "redis:", 6) != 0)
        return bad(pl, v->line, "outputs: redis: %s: not a redis:// output", out->spec);
    if (out->username != NULL && out->password == NULL)
        return bad(pl, v->line, "outputs: a username needs a password");
    return DS_OK;
}

static enum ds_err take_outputs(struct options *o, const struct place *pl,
                                const struct config_node *m)
{
    if (want_list(pl, m) != DS_OK)
        return DS_ERR_CONFIG;
    if (m->nkids == 0)
        return bad(pl, m->line, "outputs: an empty list (leave the key out for stdout)");
    for (size_t i = 0; i < m->nkids; i++) {
        const struct config_node *v = &m->kids[i];
        struct sink_output out = { 0 };
        if (v->kind == CONFIG_MAP) {
            if (output_map(pl, v, &out) != DS_OK)
                return DS_ERR_CONFIG;
        } else if (v->kind == CONFIG_SCALAR && !is_null(v)) {
            out.spec = v->text;
        } else {
            return bad(pl, v->line, "outputs: each item an output (as -o takes) or a redis "
                                    "mapping, not %s",
                       is_null(v) ? "an empty one" : config_kind_name(v->kind));
        }
        if (options_add_output(o, &out, false) != DS_OK)
            return bad(pl, v->line, "outputs: %s", options_why());
    }
    return DS_OK;
}

static enum ds_err take_filter(struct options *o, const struct place *pl,
                               const struct config_node *m)
{
    if (want_scalar(pl, m) != DS_OK)
        return DS_ERR_CONFIG;
    free(o->filter);
    o->filter = xstrdup(m->text);
    return DS_OK;
}

/* A key that is not in the table; if it is an option's name, the key
 * that stands for it. */
static enum ds_err unknown_key(const struct place *pl, const struct config_node *m)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].option == NULL || strcmp(keys[i].option, m->key) != 0)
            continue;
        if (keys[i].key == NULL)
            return bad(pl, m->key_line, "%s: for the command line only", m->key);
        return bad(pl, m->key_line, "unknown key '%s' (the file's key is %s)", m->key,
                   keys[i].key);
    }
    return bad(pl, m->key_line, "unknown key '%s'", m->key);
}

/* One key of the file and its value. */
static enum ds_err take_member(struct options *o, const struct place *pl,
                               const struct config_node *m)
{
    size_t i = 0;
    while (i < NKEYS && (keys[i].key == NULL || strcmp(keys[i].key, m->key) != 0))
        i++;
    if (i == NKEYS)
        return unknown_key(pl, m);
    const char *option = keys[i].option;
    switch (keys[i].kind) {
    case K_VALUE:
        if (want_scalar(pl, m) != DS_OK)
            return DS_ERR_CONFIG;
        return take(o, pl, m, option, m->text);
    case K_FLAG:
        return take_flag(o, pl, m, option, false);
    case K_FLAG_NOT:
        return take_flag(o, pl, m, option, true);
    case K_COUNT:
        return take_count(o, pl, m, option);
    case K_LIST:
        return take_reads(o, pl, m);
    case K_OUTPUTS:
        return take_outputs(o, pl, m);
    case K_FILTER:
        return take_filter(o, pl, m);
    case K_ARGV:
        break;
    }
    return bad(pl, m->key_line, "%s: for the command line only", m->key);
}

static enum ds_err apply_tree(struct options *o, const char *name, struct config_node *root)
{
    const struct place pl = { name };
    config_node_free(o->file);
    o->file = root;
    for (size_t i = 0; i < root->nkids; i++)
        if (take_member(o, &pl, &root->kids[i]) != DS_OK)
            return DS_ERR_CONFIG;
    return DS_OK;
}

enum ds_err options_file_apply(struct options *o, const char *path)
{
    struct config_node *root = NULL;
    char err[1024];
    if (config_yaml_load(path, &root, err, sizeof(err)) != 0) {
        fprintf(stderr, "distill-sensor: %s\n", err);
        return DS_ERR_CONFIG;
    }
    return apply_tree(o, path, root);
}

enum ds_err options_file_apply_buffer(struct options *o, const char *name, const char *buf,
                                      size_t len)
{
    struct config_node *root = NULL;
    char err[1024];
    if (config_yaml_parse(name, buf, len, &root, err, sizeof(err)) != 0) {
        fprintf(stderr, "distill-sensor: %s\n", err);
        return DS_ERR_CONFIG;
    }
    return apply_tree(o, name, root);
}
