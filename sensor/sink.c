/* The event sink (see sink.h): output specs, the interface over the kinds'
 * tables of operations (sink-file.c, sink-socket.c), the tee that hands a
 * line to several outputs, and the stats. */
#include "ds/sink.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/stats.h"
#include "ds/util.h"
#include "sink-int.h"

static const struct {
    const char *name;
    int code;
} facilities[] = {
    { "kern", 0 },     { "user", 1 },     { "mail", 2 },     { "daemon", 3 },
    { "auth", 4 },     { "syslog", 5 },   { "lpr", 6 },      { "news", 7 },
    { "uucp", 8 },     { "cron", 9 },     { "authpriv", 10 }, { "ftp", 11 },
    { "local0", 16 },  { "local1", 17 },  { "local2", 18 },  { "local3", 19 },
    { "local4", 20 },  { "local5", 21 },  { "local6", 22 },  { "local7", 23 },
};

const char *sink_kind_name(enum sink_kind kind)
{
    switch (kind) {
    case SINK_FILE: return "file";
    case SINK_STDOUT: return "stdout";
    case SINK_UNIX_STREAM: return "unix_stream";
    case SINK_UNIX_DGRAM: return "unix_dgram";
    case SINK_SYSLOG: return "syslog";
    case SINK_REDIS: return "redis";
    }
    return "?";
}

static int spec_error(char *err, size_t errlen, const char *spec, const char *why)
{
    snprintf(err, errlen, "%s: %s", spec, why);
    return -1;
}

/* The scheme of spec: the letters, digits and '-' before its first ':' if
 * no '/' comes before it; 0 (no scheme) otherwise. */
static size_t scheme_len(const char *spec)
{
    size_t i = 0;
    while (spec[i] && spec[i] != ':' && spec[i] != '/')
        i++;
    return spec[i] == ':' ? i : 0;
}

static int socket_path(const char *spec, const char *path, struct sink_spec *sp, char *err,
                       size_t errlen)
{
    if (path[0] == '\0')
        return spec_error(err, errlen, spec, "no socket path");
    if (strlen(path) >= SINK_PATH_MAX)
        return spec_error(err, errlen, spec, "socket path too long (107 bytes at most)");
    sp->path = path;
    return 0;
}

/* syslog[:FACILITY][@SOCKET]; rest is what follows "syslog". */
static int parse_syslog(const char *spec, const char *rest, struct sink_spec *sp, char *err,
                        size_t errlen)
{
    const char *at = strchr(rest, '@');
    sp->path = SINK_SYSLOG_SOCKET;
    if (at && socket_path(spec, at + 1, sp, err, errlen) != 0)
        return -1;
    if (rest[0] != ':') {
        if (rest[0] != '\0' && rest != at)
            return spec_error(err, errlen, spec, "unknown output scheme");
        return 0;
    }
    size_t n = (at ? (size_t)(at - rest) : strlen(rest)) - 1;
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strlen(facilities[i].name) == n && strncmp(rest + 1, facilities[i].name, n) == 0) {
            sp->facility = facilities[i].code;
            return 0;
        }
    }
    snprintf(err, errlen, "%s: unknown syslog facility '%.*s' (kern, user, mail, daemon, auth, "
             "syslog, lpr, news, uucp, cron, authpriv, ftp, local0..local7)", spec, (int)n,
             rest + 1);
    return -1;
}

/* redis://HOST:PORT/KEY[?mode=list|channel|stream] */
static int parse_redis(const char *spec, struct sink_spec *sp, char *err, size_t errlen)
{
    const char *p = spec + 6;
    if (strncmp(p, "//", 2) != 0)
        return spec_error(err, errlen, spec, "not redis://HOST:PORT/KEY");
    p += 2;
    const char *colon = strchr(p, ':');
    const char *slash = strchr(p, '/');
    if (colon == NULL || slash == NULL || colon > slash || colon == p ||
        (size_t)(colon - p) >= sizeof(sp->host))
        return spec_error(err, errlen, spec, "not redis://HOST:PORT/KEY");
    memcpy(sp->host, p, (size_t)(colon - p));
    char port[8];
    uint64_t v;
    size_t plen = (size_t)(slash - colon - 1);
    if (plen == 0 || plen >= sizeof(port))
        return spec_error(err, errlen, spec, "bad port");
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    if (ds_parse_u64(port, 1, 65535, &v) != 0)
        return spec_error(err, errlen, spec, "bad port");
    sp->port = (int)v;
    const char *q = strchr(slash, '?');
    size_t klen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
    if (klen == 0 || klen >= sizeof(sp->key))
        return spec_error(err, errlen, spec, "no key (or one over 255 bytes)");
    memcpy(sp->key, slash + 1, klen);
    sp->mode = SINK_REDIS_LIST;
    if (q == NULL || strcmp(q, "?mode=list") == 0)
        return 0;
    if (strcmp(q, "?mode=channel") == 0)
        sp->mode = SINK_REDIS_CHANNEL;
    else if (strcmp(q, "?mode=stream") == 0)
        sp->mode = SINK_REDIS_STREAM;
    else
        return spec_error(err, errlen, spec, "unknown option (?mode=list, channel or stream)");
    return 0;
}

int sink_spec_parse(const char *spec, struct sink_spec *sp, char *err, size_t errlen)
{
    memset(sp, 0, sizeof(*sp));
    sp->facility = SINK_SYSLOG_FACILITY;
    if (spec[0] == '\0')
        return spec_error(err, errlen, "''", "empty output");
    if (strcmp(spec, "-") == 0) {
        sp->kind = SINK_STDOUT;
        return 0;
    }
    if (strncmp(spec, "syslog", 6) == 0 &&
        (spec[6] == ':' || spec[6] == '@' || spec[6] == '\0')) {
        sp->kind = SINK_SYSLOG;
        return parse_syslog(spec, spec + 6, sp, err, errlen);
    }
    size_t n = scheme_len(spec);
    if (n == 0) {
        sp->kind = SINK_FILE;
        sp->path = spec;
        return 0;
    }
    if (n == 11 && strncmp(spec, "unix-stream", n) == 0) {
        sp->kind = SINK_UNIX_STREAM;
        return socket_path(spec, spec + n + 1, sp, err, errlen);
    }
    if (n == 10 && strncmp(spec, "unix-dgram", n) == 0) {
        sp->kind = SINK_UNIX_DGRAM;
        return socket_path(spec, spec + n + 1, sp, err, errlen);
    }
    if (n == 5 && strncmp(spec, "redis", n) == 0) {
        sp->kind = SINK_REDIS;
        return parse_redis(spec, sp, err, errlen);
    }
    return spec_error(err, errlen, spec,
                      "unknown output scheme (PATH, -, unix-stream:PATH, unix-dgram:PATH, "
                      "syslog[:FACILITY], redis://HOST:PORT/KEY; a file name with ':' before any '/' is ./NAME)");
}

static int open_one(const struct sink_output *o, size_t queue_lines, struct sink **out,
                    char *err, size_t errlen)
{
    struct sink_spec sp;
    if (sink_spec_parse(o->spec, &sp, err, errlen) != 0)
        return -1;
    if ((o->password != NULL || o->username != NULL) && sp.kind != SINK_REDIS)
        return spec_error(err, errlen, o->spec, "a password is for a redis output only");
    if (o->username != NULL && o->password == NULL)
        return spec_error(err, errlen, o->spec, "a username needs a password");
    sp.username = o->username;
    sp.password = o->password;
    struct sink *k = xcalloc(1, sizeof(*k));
    k->kind = sp.kind;
    k->name = xstrdup(o->spec);
    int rc;
    if (sp.kind == SINK_FILE || sp.kind == SINK_STDOUT)
        rc = sink_file_open(k, &sp, err, errlen);
    else if (sp.kind == SINK_REDIS)
        rc = sink_redis_open(k, &sp, queue_lines, err, errlen);
    else
        rc = sink_socket_open(k, &sp, queue_lines, err, errlen);
    if (rc != 0) {
        free(k->name);
        free(k);
        return -1;
    }
    *out = k;
    return 0;
}

int sink_open(const char *spec, struct sink **out, char *err, size_t errlen)
{
    const struct sink_output o = { .spec = spec };
    return open_one(&o, SINK_QUEUE_LINES_DEFAULT, out, err, errlen);
}

/* Several outputs: the tee's impl. */
struct tee {
    struct sink **out;
    size_t n;
};

/* The tee's counters are the first output's (truncated its own). */
static void tee_sync(struct sink *k, const struct tee *t)
{
    uint64_t truncated = k->n.truncated;
    k->n = t->out[0]->n;
    k->n.truncated = truncated;
}

static void tee_write(struct sink *k, const char *line, size_t n)
{
    struct tee *t = k->impl;
    for (size_t i = 0; i < t->n; i++)
        sink_write(t->out[i], line, n);
    tee_sync(k, t);
}

static int tee_flush(struct sink *k)
{
    struct tee *t = k->impl;
    for (size_t i = 0; i < t->n; i++)
        sink_flush(t->out[i]);
    tee_sync(k, t);
    return 0;
}

/* Every file is tried; the first failure's reason is kept. */
static int tee_reopen(struct sink *k, char *err, size_t errlen)
{
    struct tee *t = k->impl;
    int rc = 0;
    char why[512];
    for (size_t i = 0; i < t->n; i++) {
        if (sink_reopen(t->out[i], why, sizeof(why)) != 0 && rc == 0) {
            snprintf(err, errlen, "%s", why);
            rc = -1;
        }
    }
    return rc;
}

static int tee_close(struct sink *k)
{
    struct tee *t = k->impl;
    int rc = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (sink_close(t->out[i]) != 0)
            rc = -1;
    }
    free(t->out);
    free(t);
    return rc;
}

static const struct sink_ops tee_ops = {
    .write = tee_write,
    .flush = tee_flush,
    .reopen = tee_reopen,
    .close = tee_close,
};

int sink_open_outputs(const struct sink_output *outs, size_t n, size_t queue_lines,
                      struct sink **out, char *err, size_t errlen)
{
    if (n == 1)
        return open_one(&outs[0], queue_lines, out, err, errlen);
    struct tee *t = xcalloc(1, sizeof(*t));
    t->out = xcalloc(n, sizeof(*t->out));
    for (; t->n < n; t->n++) {
        if (open_one(&outs[t->n], queue_lines, &t->out[t->n], err, errlen) != 0) {
            struct sink tmp = { .impl = t };
            tee_close(&tmp);
            return -1;
        }
    }
    struct sink *k = xcalloc(1, sizeof(*k));
    k->ops = &tee_ops;
    k->impl = t;
    k->kind = t->out[0]->kind;
    *out = k;
    return 0;
}

int sink_open_all(const char *const *specs, size_t n, size_t queue_lines, struct sink **out,
                  char *err, size_t errlen)
{
    struct sink_output *outs = xcalloc(n, sizeof(*outs));
    for (size_t i = 0; i < n; i++)
        outs[i].spec = specs[i];
    int rc = sink_open_outputs(outs, n, queue_lines, out, err, errlen);
    free(outs);
    return rc;
}

void sink_swap(struct sink *a, struct sink *b)
{
    struct sink t = *a;
    *a = *b;
    *b = t;
}

int sink_reopen(struct sink *k, char *err, size_t errlen)
{
    int rc = k->ops->reopen ? k->ops->reopen(k, err, errlen) : 0;
    if (k->ops == &tee_ops)
        tee_sync(k, k->impl);
    return rc;
}

void sink_write(struct sink *k, const char *line, size_t n)
{
    if (k->ops == &tee_ops) {
        tee_write(k, line, n);
        return;
    }
    if (n == 0) {
        k->n.write_errors++;
        return;
    }
    k->ops->write(k, line, n);
}

void sink_note_truncated(struct sink *k)
{
    k->n.truncated++;
}

void sink_flush(struct sink *k)
{
    k->ops->flush(k);
}

int sink_close(struct sink *k)
{
    if (k == NULL)
        return 0;
    int rc = k->ops->close(k);
    if (k->n.write_errors && k->ops != &tee_ops)
        rc = -1;
    free(k->name);
    free(k);
    return rc;
}

static const struct sink *first(const struct sink *k)
{
    return k->ops == &tee_ops ? ((const struct tee *)k->impl)->out[0] : k;
}

const struct sink_counters *sink_counters(const struct sink *k)
{
    return &k->n;
}

static void one_stats(const struct sink *k, size_t pos, struct stats_node *o)
{
    char name[48];
    snprintf(name, sizeof(name), "%s_%zu", sink_kind_name(k->kind), pos);
    struct stats_node *s = stats_child(o, name);
    stats_u64(s, "events", k->n.events);
    stats_u64(s, "write_errors", k->n.write_errors);
    stats_u64(s, "dropped", k->n.dropped);
    stats_u64(s, "queued", k->ops->held ? k->ops->held(k) : 0);
    stats_u64(s, "reconnects", k->n.reconnects);
    if (k->kind == SINK_REDIS)
        stats_u64(s, "auth_failures", k->n.auth_failures);
}

void sink_stats_write(const struct sink *k, struct stats_node *root)
{
    struct stats_node *o = stats_child(stats_child(root, "sensor"), "output");
    const struct sink *f = first(k);
    stats_u64(o, "events", f->n.events);
    stats_u64(o, "write_errors", f->n.write_errors);
    if (k->ops == &tee_ops) {
        const struct tee *t = k->impl;
        for (size_t i = 0; i < t->n; i++)
            one_stats(t->out[i], i + 1, o);
    } else if (k->kind != SINK_FILE && k->kind != SINK_STDOUT) {
        one_stats(k, 1, o);
    }
}

void sink_metrics_write(const struct sink *k, struct stats_node *root)
{
    if (k->ops != &tee_ops && (k->kind == SINK_FILE || k->kind == SINK_STDOUT))
        one_stats(k, 1, stats_child(stats_child(root, "sensor"), "output"));
}
