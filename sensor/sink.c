/* The event sink (see sink.h): the counters and the interface here, each
 * kind of destination behind a table of its operations. */
#include "ds/sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/stats.h"
#include "ds/util.h"

/* What a kind of sink does, on k->impl; each returns 0 or -1. */
struct sink_ops {
    int (*write)(struct sink *k, const char *line, size_t n);
    int (*flush)(struct sink *k);
    /* -1: the old destination is kept, err says why. */
    int (*reopen)(struct sink *k, char *err, size_t errlen);
    /* Flushes, closes and frees impl. */
    int (*close)(struct sink *k);
};

struct sink {
    const struct sink_ops *ops;
    void *impl;                 /* the kind's own state */
    struct sink_counters n;
};

/* A file, or stdout (path NULL). */
struct file_sink {
    FILE *fp;
    char *path;
};

static FILE *file_open(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "a");
    if (fp == NULL)
        snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
    return fp;
}

static int file_write(struct sink *k, const char *line, size_t n)
{
    struct file_sink *fs = k->impl;
    if (fwrite(line, 1, n, fs->fp) != n || putc('\n', fs->fp) == EOF)
        return -1;
    return 0;
}

static int file_flush(struct sink *k)
{
    struct file_sink *fs = k->impl;
    return fflush(fs->fp) == 0 ? 0 : -1;
}

/* The new file first: if it cannot be had, the old one stays. */
static int file_reopen(struct sink *k, char *err, size_t errlen)
{
    struct file_sink *fs = k->impl;
    if (fs->path == NULL)
        return 0;
    FILE *fp = file_open(fs->path, err, errlen);
    if (fp == NULL)
        return -1;
    if (fclose(fs->fp) != 0)   /* what it still held is lost */
        k->n.write_errors++;
    fs->fp = fp;
    return 0;
}

static int file_close(struct sink *k)
{
    struct file_sink *fs = k->impl;
    int rc = 0;
    if (fflush(fs->fp) != 0 || ferror(fs->fp))
        rc = -1;
    if (fs->path && fclose(fs->fp) != 0)
        rc = -1;
    free(fs->path);
    free(fs);
    return rc;
}

static const struct sink_ops file_ops = {
    .write = file_write,
    .flush = file_flush,
    .reopen = file_reopen,
    .close = file_close,
};

int sink_open(const char *path, struct sink **out, char *err, size_t errlen)
{
    struct file_sink *fs = xcalloc(1, sizeof(*fs));
    if (strcmp(path, "-") == 0) {
        fs->fp = stdout;
    } else {
        fs->fp = file_open(path, err, errlen);
        if (fs->fp == NULL) {
            free(fs);
            return -1;
        }
        fs->path = xstrdup(path);
    }
    struct sink *k = xcalloc(1, sizeof(*k));
    k->ops = &file_ops;
    k->impl = fs;
    *out = k;
    return 0;
}

int sink_reopen(struct sink *k, char *err, size_t errlen)
{
    return k->ops->reopen(k, err, errlen);
}

void sink_write(struct sink *k, const char *line, size_t n)
{
    if (n == 0 || k->ops->write(k, line, n) != 0) {
        k->n.write_errors++;
        return;
    }
    k->n.events++;
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
    if (k->n.write_errors)
        rc = -1;
    free(k);
    return rc;
}

const struct sink_counters *sink_counters(const struct sink *k)
{
    return &k->n;
}

void sink_stats_write(const struct sink *k, struct stats_node *root)
{
    struct stats_node *o = stats_child(stats_child(root, "sensor"), "output");
    stats_u64(o, "events", k->n.events);
    stats_u64(o, "write_errors", k->n.write_errors);
}
