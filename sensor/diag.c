/* Diagnostics of the rule-file loaders: `file:line: why`, counted, capped,
 * to the log or to a function of the caller's (see ds/diag.h). */
#include "ds/diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ds/log.h"
#include "ds/util.h"

/* A path (up to PATH_MAX) and a reason. */
#define DIAG_MSG_MAX (4096 + 1024)
#define DIAG_WHY_MAX 1024

void diag_init(struct diag *d)
{
    memset(d, 0, sizeof(*d));
    d->cap = DIAG_CAP;
}

void diag_set_fn(struct diag *d, diag_fn fn, void *ctx)
{
    d->fn = fn;
    d->ctx = ctx;
}

void diag_set_cap(struct diag *d, unsigned cap)
{
    d->cap = cap;
}

static void emit(const struct diag *d, enum diag_level level, const char *msg)
{
    if (d != NULL && d->fn != NULL)
        d->fn(d->ctx, level, msg);
    else if (level == DIAG_ERROR)
        log_error("%s", msg);
    else
        log_warn("%s", msg);
}

void diag_vreport(struct diag *d, enum diag_level level, const char *file, unsigned line,
                  const char *fmt, va_list ap)
{
    if (d != NULL) {
        if (level == DIAG_ERROR)
            d->errors++;
        else
            d->warnings++;
        if (d->cap != 0 && d->shown >= d->cap)
            return;
        d->shown++;
    }
    char why[DIAG_WHY_MAX], msg[DIAG_MSG_MAX];
    vsnprintf(why, sizeof(why), fmt, ap);
    if (file == NULL)
        snprintf(msg, sizeof(msg), "%s", why);
    else if (line == 0)
        snprintf(msg, sizeof(msg), "%s: %s", file, why);
    else
        snprintf(msg, sizeof(msg), "%s:%u: %s", file, line, why);
    emit(d, level, msg);
}

void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(d, DIAG_ERROR, file, line, fmt, ap);
    va_end(ap);
}

void diag_warn(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(d, DIAG_WARNING, file, line, fmt, ap);
    va_end(ap);
}

unsigned diag_errors(const struct diag *d)
{
    return d ? d->errors : 0;
}

unsigned diag_warnings(const struct diag *d)
{
    return d ? d->warnings : 0;
}

unsigned diag_suppressed(const struct diag *d)
{
    return d ? d->errors + d->warnings - d->shown : 0;
}

void diag_finish(struct diag *d)
{
    unsigned hidden = diag_suppressed(d);
    if (hidden == 0)
        return;
    char msg[160];
    snprintf(msg, sizeof(msg), "%u more message%s not shown (%u error%s, %u warning%s in all)",
             hidden, hidden == 1 ? "" : "s", d->errors, d->errors == 1 ? "" : "s", d->warnings,
             d->warnings == 1 ? "" : "s");
    emit(d, d->errors > 0 ? DIAG_ERROR : DIAG_WARNING, msg);
}

static void collect(void *ctx, enum diag_level level, const char *msg)
{
    struct diag_text *t = ctx;
    (void)level;
    t->lines++;
    if (t->size == 0) {
        t->cut++;
        return;
    }
    size_t room = t->size - 1 - t->len;   /* len stays below size: room for the NUL */
    size_t n = strlen(msg);
    if (n + 1 > room) {
        t->cut++;
        n = room;
    }
    memcpy(t->buf + t->len, msg, n);
    t->len += n;
    if (t->len < t->size - 1)
        t->buf[t->len++] = '\n';
    t->buf[t->len] = '\0';
}

void diag_collect(struct diag *d, struct diag_text *t, char *buf, size_t size)
{
    memset(t, 0, sizeof(*t));
    t->buf = buf;
    t->size = size;
    if (size > 0)
        buf[0] = '\0';
    diag_set_fn(d, collect, t);
}

int diag_read_file(struct diag *d, const char *path, unsigned max, const char *what, char **buf,
                   size_t *len)
{
    if (ds_read_file(path, max, buf, len) == 0)
        return 0;
    if (errno == EFBIG)
        diag_error(d, path, 0, "larger than %u bytes, not %s", max, what);
    else
        diag_error(d, path, 0, "cannot read: %s", strerror(errno));
    return -1;
}
