/* Checked allocation and bounded parsing shared by every module. */
#include "ds/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds/time-units.h"

static void oom(size_t n)
{
    fprintf(stderr, "distill-sensor: out of memory allocating %zu bytes\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

size_t ds_strlcpy(char *dst, const char *src, size_t dstsize)
{
    size_t n = strlen(src);
    if (dstsize > 0) {
        size_t c = n < dstsize - 1 ? n : dstsize - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int ds_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ds_parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || v != v)
        return -1;
    *out = v;
    return 0;
}

int ds_parse_duration(const char *s, uint64_t *seconds)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    uint64_t mult = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mult = DS_S_PER_MIN, end++;
    else if (*end == 'h')
        mult = DS_S_PER_HOUR, end++;
    else if (*end == 'd')
        mult = DS_S_PER_DAY, end++;
    if (*end != '\0' || v > UINT64_MAX / mult / DS_US_PER_S)
        return -1;
    *seconds = v * mult;
    return 0;
}

void ds_ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

void ds_format_ts(uint64_t ts_us, char *buf, size_t len)
{
    /* Events and turns come in bursts within one second: the date part is
     * formatted once per second (gmtime and strftime are the slow part). */
    static time_t cached_sec = (time_t)-1;
    static char cached_day[24];
    time_t secs = (time_t)ds_us_to_s(ts_us);
    if (secs != cached_sec) {
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(cached_day, sizeof(cached_day), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = secs;
    }
    if (len < 32) {
        if (len)
            buf[0] = '\0';
        return;
    }
    size_t n = strlen(cached_day);
    memcpy(buf, cached_day, n);
    uint32_t us = (uint32_t)(ts_us % DS_US_PER_S);
    buf[n++] = '.';
    for (int i = 5; i >= 0; i--) {
        buf[n + (size_t)i] = (char)('0' + us % 10);
        us /= 10;
    }
    n += 6;
    memcpy(buf + n, "+0000", 6);
}

void ds_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int ds_read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                err = EFBIG;
                break;
            }
            cap = cap ? cap * 2 : 16384;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (err == 0 && ferror(f))
        err = errno ? errno : EIO;
    if (err == 0 && n > max)
        err = EFBIG;
    fclose(f);
    if (err != 0) {
        free(buf);
        errno = err;
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

size_t ds_utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

bool ds_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = ds_utf8_seq_len(p + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}
