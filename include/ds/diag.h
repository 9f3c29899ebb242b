/* Diagnostics of the rule-file loaders (the .rules files, ai-services.conf,
 * fingerprints.conf): one sink for all three, so that every bad line is
 * reported the same way. Each message reads `file:line: why` (`file: why`
 * when it is about the whole file, such as an unreadable one) and is counted
 * as an error or a warning. The first `cap` messages (DIAG_CAP unless set)
 * are shown; later ones are only counted, and diag_finish writes one line
 * saying how many were not shown, so a wrong file is not a flood. Messages
 * go to stderr through the log module, or to a function given with
 * diag_set_fn; diag_collect keeps them in memory (for tests).
 *
 *   struct diag dg;
 *   diag_init(&dg);
 *   int rc = catalog_load(path, &dg, &cat);
 *   diag_finish(&dg);
 *
 * A loader given NULL for its diag writes each message straight to the log,
 * uncounted and uncapped. A struct diag is plain data that allocates
 * nothing: keep it on the stack for one load (or one set of loads). Not
 * thread-safe. */
#ifndef DS_DIAG_H
#define DS_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#define DIAG_CAP 20   /* messages shown by default; then counted only */

enum diag_level { DIAG_ERROR = 0, DIAG_WARNING = 1 };

/* Receives each message shown, "file:line: why" without a line end. */
typedef void (*diag_fn)(void *ctx, enum diag_level level, const char *msg);

struct diag {
    diag_fn fn;            /* NULL: log_error / log_warn */
    void *ctx;
    unsigned cap;          /* messages shown at most; 0: every one */
    unsigned errors;       /* counted, shown or not */
    unsigned warnings;
    unsigned shown;
};

/* Messages to the log, at most DIAG_CAP of them shown, nothing counted yet. */
void diag_init(struct diag *d);
/* Messages to fn(ctx, ...) instead of the log (fn NULL: the log again). */
void diag_set_fn(struct diag *d, diag_fn fn, void *ctx);
/* How many messages are shown at most (0: all). */
void diag_set_cap(struct diag *d, unsigned cap);

/* Counts and, under the cap, shows an error or a warning about line `line`
 * of `file` (line 0: the file as a whole; file NULL: no location). d NULL:
 * straight to the log. */
__attribute__((format(printf, 4, 5)))
void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void diag_warn(struct diag *d, const char *file, unsigned line, const char *fmt, ...);
__attribute__((format(printf, 5, 0)))
void diag_vreport(struct diag *d, enum diag_level level, const char *file, unsigned line,
                  const char *fmt, va_list ap);

/* Reads the whole file `path` of at most `max` bytes into a malloc'd buffer
 * (*buf, the caller frees it; *len bytes, not NUL-terminated) for a loader.
 * 0, or -1 after reporting why as an error about the file: "larger than MAX
 * bytes, not WHAT" (`what`: "a catalogue", ...) or "cannot read: why". */
int diag_read_file(struct diag *d, const char *path, unsigned max, const char *what, char **buf,
                   size_t *len);

/* Errors and warnings counted so far, shown or not (0 for NULL). */
unsigned diag_errors(const struct diag *d);
unsigned diag_warnings(const struct diag *d);
/* Messages counted but not shown (over the cap). */
unsigned diag_suppressed(const struct diag *d);

/* Ends a load: when messages were not shown, writes one line saying how
 * many (as an error if any error was among all the messages). Counts stay
 * readable; call it once. NULL is a no-op. */
void diag_finish(struct diag *d);

/* In-memory collection: each message shown (and diag_finish's line) is
 * appended to buf with a '\n', buf kept NUL-terminated; what does not fit
 * is cut and counted in `cut`. */
struct diag_text {
    char *buf;
    size_t size;
    size_t len;
    unsigned lines;        /* messages received */
    unsigned cut;          /* messages that did not fit whole */
};
/* Points d's messages at t, which collects them into buf (size bytes). */
void diag_collect(struct diag *d, struct diag_text *t, char *buf, size_t size);

#endif
