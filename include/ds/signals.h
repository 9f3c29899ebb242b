/* Signals: SIGINT and SIGTERM ask the sensor to stop, SIGHUP to reload its
 * rules and reopen its output, SIGUSR1 for a stats event. The handler only sets a flag and breaks the
 * capture loop (tcpdump); the input loop reads the flags. */
#ifndef DS_SIGNALS_H
#define DS_SIGNALS_H

#include <stdbool.h>

struct capture;

/* Installs the handlers for SIGINT, SIGTERM, SIGHUP and SIGUSR1, and ignores SIGPIPE
 * (a closed output is reported by the write, not by a signal). */
void signals_install(void);

/* The capture a signal breaks out of (capture_break), or NULL for none. A
 * signal already pending when a capture is set breaks its first read. */
void signals_set_capture(struct capture *c);

/* True once SIGINT or SIGTERM has come. */
bool signals_stop_requested(void);

/* True if a SIGHUP has come since the last call, which clears it. */
bool signals_take_hup(void);

/* True if a SIGUSR1 has come since the last call, which clears it. */
bool signals_take_usr1(void);

#endif
