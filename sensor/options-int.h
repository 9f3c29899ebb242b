/* Inside the options module: what options.c (the command line) and
 * options-file.c (the -c file) share, so a value from the file is taken by
 * the same code as the same option on the command line. */
#ifndef DS_OPTIONS_INT_H
#define DS_OPTIONS_INT_H

#include <getopt.h>
#include <stdbool.h>

#include "ds/err.h"
#include "ds/options.h"
#include "ds/sink.h"

/* getopt_long's table (the last entry all zero). */
const struct option *options_longopts(void);

/* Takes option c (its getopt_long value) with argument arg (NULL for a
 * flag) into *o, as if it came on the command line. name is how a message
 * calls the option: NULL for "--LONG", else the file's key. DS_OK, or
 * DS_ERR_USAGE with the reason in options_why(). */
enum ds_err options_take(struct options *o, int c, const char *arg, const char *name);

/* The reason of the last refusal (no "distill-sensor: " and no place). */
const char *options_why(void);

/* Appends a -r path. */
void options_add_read(struct options *o, const char *path);

/* Appends an output after checking its spec (a password is for redis
 * alone): DS_OK, or DS_ERR_USAGE with the reason in options_why() (which
 * starts "-o " if argv: it came from the command line). */
enum ds_err options_add_output(struct options *o, const struct sink_output *out, bool argv);

/* -c: reads the file at path and applies it (options-file.c): DS_OK, or
 * DS_ERR_CONFIG after `path:line: why` on stderr. */
enum ds_err options_file_apply(struct options *o, const char *path);

#endif
