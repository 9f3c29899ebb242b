/* Leveled diagnostics to stderr, so that stdout can carry events. */
#include "ds/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current = LOG_WARN;

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("distill-sensor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
