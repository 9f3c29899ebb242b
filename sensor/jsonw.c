/* The JSON writer (see jsonw.h): bytes appended to a capped buffer, with
 * the separators a JSON text needs tracked per depth. */
#include "ds/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ds/util.h"

static const char hex[] = "0123456789abcdef";

/* Appends n bytes, or marks the text lost: once over, always over. */
static void put(struct jsonw *w, const char *s, size_t n)
{
    if (w->over || n > w->cap - w->len) {
        w->over = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void put_char(struct jsonw *w, char c)
{
    put(w, &c, 1);
}

/* A JSON string of n bytes known to be UTF-8: only JSON's mandatory
 * escapes, in runs between them. */
static void put_string(struct jsonw *w, const char *s, size_t n)
{
    put_char(w, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        default: put(w, esc, sizeof(esc)); break;
        }
    }
    put(w, s + run, n - run);
    put_char(w, '"');
}

/* The separator before a member, and its key in an object. */
static void put_key(struct jsonw *w, const char *key)
{
    if (!w->first[w->depth])
        put_char(w, ',');
    w->first[w->depth] = false;
    if (key) {
        put_string(w, key, strlen(key));
        put_char(w, ':');
    }
}

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->first[0] = true;
}

size_t jsonw_len(const struct jsonw *w)
{
    return w->over ? 0 : w->len;
}

static void open_container(struct jsonw *w, const char *key, char open, char close)
{
    put_key(w, key);
    put_char(w, open);
    if (w->depth >= JSONW_MAX_DEPTH) {
        w->over = true;
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
    w->close[w->depth] = close;
}

void jsonw_object(struct jsonw *w, const char *key)
{
    open_container(w, key, '{', '}');
}

void jsonw_array(struct jsonw *w, const char *key)
{
    open_container(w, key, '[', ']');
}

void jsonw_close(struct jsonw *w)
{
    if (w->depth == 0) {   /* nothing open: a caller's mistake, and the text is not JSON */
        w->over = true;
        return;
    }
    put_char(w, w->close[w->depth]);
    w->depth--;
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_key(w, key);
    put(w, tmp + i, sizeof(tmp) - i);
}

void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
    if (v >= 0) {
        jsonw_u64(w, key, (uint64_t)v);
        return;
    }
    char tmp[24];
    size_t i = sizeof(tmp);
    uint64_t u = 0u - (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    tmp[--i] = '-';
    put_key(w, key);
    put(w, tmp + i, sizeof(tmp) - i);
}

void jsonw_real(struct jsonw *w, const char *key, double v)
{
    if (!isfinite(v))
        return;
    char tmp[40];
    int n = snprintf(tmp, sizeof(tmp), "%.6g", v);
    put_key(w, key);
    if (n <= 0 || (size_t)n >= sizeof(tmp)) {   /* cannot happen for a finite %.6g */
        put(w, "null", 4);
        return;
    }
    put(w, tmp, (size_t)n);
    if (strpbrk(tmp, ".eE") == NULL)
        put(w, ".0", 2);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
    put_key(w, key);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jsonw_null(struct jsonw *w, const char *key)
{
    put_key(w, key);
    put(w, "null", 4);
}

void jsonw_str(struct jsonw *w, const char *key, const char *s)
{
    jsonw_strn(w, key, s, strlen(s));
}

void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
    put_key(w, key);
    put_string(w, s, n);
}

void jsonw_wire(struct jsonw *w, const char *key, const uint8_t *s, size_t n)
{
    char buf[JSONW_WIRE_MAX + 1];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    jsonw_strn(w, key, buf, o);
}

void jsonw_text(struct jsonw *w, const char *key, const char *s)
{
    size_t n = strlen(s);
    if (ds_utf8_valid(s, n))
        jsonw_strn(w, key, s, n);
    else
        jsonw_wire(w, key, (const uint8_t *)s, n);
}

void jsonw_ts(struct jsonw *w, const char *key, uint64_t ts_us)
{
    char buf[40];
    ds_format_ts(ts_us, buf, sizeof(buf));
    jsonw_str(w, key, buf);
}

void jsonw_addr(struct jsonw *w, const char *key, const struct ds_addr *a)
{
    char buf[64];
    ds_addr_str(a, buf, sizeof(buf));
    jsonw_str(w, key, buf);
}
