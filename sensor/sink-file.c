/* A file or stdout (see sink.h), written through a buffer of our own with
 * write(2) rather than stdio, so that a failed write (a full disk, a file
 * size limit) has a known outcome: the lines the buffer held are dropped
 * and counted as write errors (moved out of the events count), the next
 * write tries again, and a line the failure cut in two is ended with a
 * newline before anything else goes out. stdout on a terminal is written
 * a line at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds/log.h"
#include "ds/util.h"
#include "sink-int.h"

#define FILE_BUF (64 * 1024)

struct file_sink {
    int fd;
    char *path;               /* NULL: stdout */
    bool line_at_a_time;      /* stdout on a terminal */
    bool torn;                /* the file ends inside a line */
    bool failing;             /* the last write failed (said once) */
    size_t used, lines;       /* bytes and lines in buf */
    char buf[FILE_BUF];
};

static int file_open_fd(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
    return fd;
}

/* Writes all of p[0..n); the bytes written before a failure in *done. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = write(fd, p + *done, n - *done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        *done += (size_t)w;
    }
    return 0;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] == '\n';
    return c;
}

static void note_failure(struct sink *k, struct file_sink *fs, size_t done)
{
    size_t whole = count_lines(fs->buf, done);
    size_t lost = fs->lines - whole;
    k->n.events -= lost;
    k->n.write_errors += lost;
    if (done > 0 && fs->buf[done - 1] != '\n')
        fs->torn = true;
    if (!fs->failing)
        log_error("%s: write failed: %s; events are dropped (counted) until it can write again",
                  k->name, strerror(errno));
    fs->failing = true;
}

/* Writes the buffer out: 0, or -1 with its lines counted lost. */
static int drain(struct sink *k, struct file_sink *fs)
{
    size_t done = 0;
    int rc = 0;
    if (fs->used == 0)
        return 0;
    if (fs->torn && write_all(fs->fd, "\n", 1, &done) != 0) {
        done = 0;
        rc = -1;
    } else {
        fs->torn = false;
        rc = write_all(fs->fd, fs->buf, fs->used, &done);
    }
    if (rc != 0) {
        note_failure(k, fs, done);
    } else if (fs->failing) {
        log_warn("%s: writing again", k->name);
        fs->failing = false;
    }
    fs->used = fs->lines = 0;
    return rc;
}

static void file_write(struct sink *k, const char *line, size_t n)
{
    struct file_sink *fs = k->impl;
    if (n + 1 > FILE_BUF - fs->used)
        drain(k, fs);
    if (n + 1 > FILE_BUF) {            /* longer than any event line */
        k->n.write_errors++;
        return;
    }
    memcpy(fs->buf + fs->used, line, n);
    fs->buf[fs->used + n] = '\n';
    fs->used += n + 1;
    fs->lines++;
    k->n.events++;
    if (fs->line_at_a_time)
        drain(k, fs);
}

static int file_flush(struct sink *k)
{
    return drain(k, k->impl);
}

/* The new file first: if it cannot be had, the old one stays. */
static int file_reopen(struct sink *k, char *err, size_t errlen)
{
    struct file_sink *fs = k->impl;
    if (fs->path == NULL)
        return 0;
    int fd = file_open_fd(fs->path, err, errlen);
    if (fd < 0)
        return -1;
    drain(k, fs);
    close(fs->fd);
    fs->fd = fd;
    fs->torn = false;
    return 0;
}

static int file_close(struct sink *k)
{
    struct file_sink *fs = k->impl;
    int rc = drain(k, fs);
    if (fs->path && close(fs->fd) != 0)
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

int sink_file_open(struct sink *k, const struct sink_spec *sp, char *err, size_t errlen)
{
    struct file_sink *fs = xmalloc(sizeof(*fs));
    memset(fs, 0, offsetof(struct file_sink, buf));
    if (sp->kind == SINK_STDOUT) {
        fs->fd = STDOUT_FILENO;
        fs->line_at_a_time = isatty(STDOUT_FILENO) == 1;
    } else {
        fs->fd = file_open_fd(sp->path, err, errlen);
        if (fs->fd < 0) {
            free(fs);
            return -1;
        }
        fs->path = xstrdup(sp->path);
    }
    k->ops = &file_ops;
    k->impl = fs;
    return 0;
}
