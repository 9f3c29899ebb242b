/* SIGHUP with a configuration file (-c): the command line and the file
 * read again; a good new configuration's outputs are opened and swapped in
 * when they differ from those in use (else the files are reopened, for
 * rotation), and the rules are reloaded; a bad one is said (`file:line:
 * why`) and everything in use is kept, the files reopened and the rules
 * reloaded as without -c. What else the file sets is read at start-up
 * only: a change to it is said and waits for a restart. */
#ifndef DS_RELOAD_H
#define DS_RELOAD_H

#include "ds/options.h"

struct reload;
struct sensor;
struct sink;

/* A reloader for the run started with argv (kept: it must outlive the
 * reloader) and its parsed options start (the caller's, kept as well). */
struct reload *reload_new(int argc, char **argv, const struct options *start);

/* NULL-safe. */
void reload_free(struct reload *r);

/* Acts on one SIGHUP for sensor s writing to out (above). 0 if the new
 * configuration was taken (its outputs too), -1 if anything was kept. */
int reload_hup(struct reload *r, struct sensor *s, struct sink *out);

#endif
