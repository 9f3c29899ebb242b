/* Signals: the handler only sets a flag and breaks the capture loop
 * (tcpdump); the input loop reads the flags between reads. */
#include "ds/signals.h"

#include <signal.h>
#include <string.h>

#include "ds/capture.h"

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_hup;
static volatile sig_atomic_t got_usr1;
static struct capture *volatile current_capture;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;   /* the loop is broken to reload, then resumed */
    else if (sig == SIGUSR1)
        got_usr1 = 1;  /* the same, to write a stats event */
    else
        got_stop = 1;
    if (current_capture)
        capture_break(current_capture);
}

/* SIGHUP and SIGUSR1 restart an interrupted read (SA_RESTART): a capture
 * read from a pipe goes on whole and the loop breaks after the packet in
 * hand. SIGINT and SIGTERM interrupt it, so a stop is not held up by a quiet
 * pipe; the capture counts that read error as the stop (capture_run). A
 * live capture's wait (poll) ends at any of them. */
void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void signals_set_capture(struct capture *c)
{
    current_capture = c;
    /* A signal that came before this capture was set (while the rules
     * loaded, between two files) breaks its first read at once, rather than
     * waiting for the capture's end. */
    if (c && (got_stop || got_hup || got_usr1))
        capture_break(c);
}

bool signals_stop_requested(void)
{
    return got_stop != 0;
}

bool signals_take_hup(void)
{
    if (!got_hup)
        return false;
    got_hup = 0;
    return true;
}

bool signals_take_usr1(void)
{
    if (!got_usr1)
        return false;
    got_usr1 = 0;
    return true;
}
