/* Checked allocation and bounded parsing of numbers and strings. */
#ifndef DS_UTIL_H
#define DS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that never returns NULL: on failure it reports and exits 1.
 * Only for start-up and per-flow/per-source pools, never per packet. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Copies at most dstsize - 1 bytes and always terminates; returns strlen(src). */
size_t ds_strlcpy(char *dst, const char *src, size_t dstsize);

/* Parses a whole decimal unsigned number in [min, max]; 0 or -1. */
int ds_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parses a decimal number (sign, fraction allowed); 0 or -1. */
int ds_parse_double(const char *s, double *out);
/* Parses a duration such as 90, 90s, 10m, 2h, 1d into seconds; 0 or -1. */
int ds_parse_duration(const char *s, uint64_t *seconds);

/* Reads a whole file of at most max bytes into a malloc'd buffer (*out, to be
 * freed by the caller; not NUL-terminated). 0, or -1 with errno set: EFBIG
 * when the file is larger than max, else why it could not be opened or read. */
int ds_read_file(const char *path, size_t max, char **out, size_t *len);

/* Length of the well-formed UTF-8 sequence at s[0..n) (n >= 1), 0 if it
 * is not one (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). */
size_t ds_utf8_seq_len(const unsigned char *s, size_t n);
/* True if s[0..n) is well-formed UTF-8 throughout. */
bool ds_utf8_valid(const char *s, size_t n);

/* Lower-cases ASCII in place. */
void ds_ascii_lower(char *s);

/* Formats a packet timestamp (microseconds since the epoch, UTC) the way
 * Suricata's EVE does: 2026-02-23T10:05:00.123456+0000. buf >= 32 bytes. */
void ds_format_ts(uint64_t ts_us, char *buf, size_t len);

/* Writes the lowercase hex of n bytes into out (>= 2n + 1 bytes). */
void ds_hex(const uint8_t *in, size_t n, char *out);

/* The least power of two >= n, and 16 at least (hash tables' bucket counts). */
static inline size_t ds_pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n)
        p <<= 1;
    return p;
}

#endif
