/* One error vocabulary: what a failure means to whoever decides what to do
 * next, and the exit status it gives the process (after tcpdump's
 * status-exit-codes.h). Diagnostics say why on stderr; the code says which
 * kind of failure it was, so no caller reads an error message to decide. */
#ifndef DS_ERR_H
#define DS_ERR_H

/* 0 or negative, as the project's return codes are. */
enum ds_err {
    DS_OK = 0,
    DS_ERR_USAGE = -1,  /* bad command line: unknown option, bad value, -r and -i */
    DS_ERR_CONFIG = -2, /* bad configuration: rules, a BPF filter */
    DS_ERR_IO = -3,     /* an input or output could not be opened, read or written */
};

/* Exit codes, one place. */
enum ds_exit {
    DS_EXIT_OK = 0,
    DS_EXIT_RUNTIME = 1, /* a capture could not be opened or read, output failed */
    DS_EXIT_USAGE = 2,   /* bad command line or configuration (rules, filter) */
};

/* The exit status for an outcome: 0 success, 1 runtime error, 2 usage or
 * configuration error. */
static inline int ds_exit_status(enum ds_err e)
{
    switch (e) {
    case DS_OK: return DS_EXIT_OK;
    case DS_ERR_USAGE:
    case DS_ERR_CONFIG: return DS_EXIT_USAGE;
    case DS_ERR_IO: return DS_EXIT_RUNTIME;
    }
    return DS_EXIT_RUNTIME;
}

#endif
