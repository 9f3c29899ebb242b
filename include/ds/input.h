/* The input loop: capture files and directories (-r) in name order, or a
 * live interface (-i), read into the sensor; SIGHUP reloads the rules and
 * reopens the output between reads (with -c, re-reads the configuration:
 * reload.h), SIGINT and SIGTERM stop. */
#ifndef DS_INPUT_H
#define DS_INPUT_H

#include "ds/capture.h"
#include "ds/err.h"

struct privdrop;
struct reload;
struct sink;
struct sensor;

/* Most capture files one run reads. */
#define INPUT_MAX_FILES 4096

/* What to read: files, or one interface. */
struct input {
    const char *iface;                   /* live capture on this, or NULL */
    const struct capture_live_opts *live;
    char **files;                        /* capture files in reading order */
    int nfiles;
    const char *filter;                  /* BPF filter, or NULL */
    struct privdrop *drop;               /* -Z: applied once the first capture is open, or NULL */
    struct reload *reload;               /* -c: SIGHUP re-reads the configuration, or NULL */
    /* Called once, when the first capture is open and in->drop applied,
     * before its first packet: a thread started there (the metrics
     * server's) has the dropped rights. Nonzero ends the run (DS_ERR_IO,
     * after the callee said why). NULL: nothing. */
    int (*started)(void *ctx);
    void *started_ctx;
};

/* Expands -r arguments into in->files: a file stays as given, a directory
 * gives its capture files (capture_file_looks_like_capture) in name order;
 * other entries are skipped with a note, a directory with none is warned
 * about. Returns DS_OK, or DS_ERR_IO after logging why (a directory that
 * cannot be read, more than INPUT_MAX_FILES files). */
enum ds_err input_expand(const char *const *args, int nargs, struct input *in);

/* Frees in->files. NULL-safe. */
void input_free(struct input *in);

/* Reads the live capture, or every file in order, into s, then ends the
 * input (sensor_finish; for a live capture while it is still open, so the
 * final stats carry its kernel counters). Stops early at SIGINT/SIGTERM.
 * Installs no signal handler (signals_install). Returns DS_OK;
 * DS_ERR_CONFIG for a bad filter (the files after it are not read); or
 * DS_ERR_IO when an input could not be opened or read (the other files
 * still are), or when in->drop fails (nothing more is read). Each failure
 * is logged as `input: why`. in->drop is applied after the live capture or
 * the first file that opens, before its first packet: later files are
 * opened with the dropped rights. */
enum ds_err input_run(const struct input *in, struct sensor *s, struct sink *out);

#endif
