/* A JSON writer: appends one JSON text to a caller's buffer of fixed size,
 * key by key, in the order it is told, with no allocation. It is how every
 * event is written.
 *
 * Why not jansson on the hot path: a jansson tree costs a malloc (and a
 * free) per field, and json_dumpb formats every integer through snprintf;
 * building and dumping the flow event that way was the sensor's largest
 * single cost, more than all the flow and TLS work of the flow. Suricata left
 * jansson for its own JSON builder for the same reason. jansson stays where a
 * tree serves: the low-rate, nested stats event (event-stats.c builds its
 * tree with jansson and writes it out through this writer) and reading JSON.
 *
 * The buffer has a cap (the line cap of events): what does not fit sets
 * `over`, and everything written after is dropped, so a caller checks once
 * at the end (jsonw_len) and writes the event again shorter, or not at all.
 * Nesting is bounded by JSONW_MAX_DEPTH; opening deeper sets `over` too.
 *
 * Strings come in three kinds:
 *   jsonw_str   text known to be UTF-8 (our own names, formatted numbers):
 *               only JSON's mandatory escapes;
 *   jsonw_wire  bytes off the wire (SNI, ALPN, ...): anything outside
 *               printable ASCII, and the backslash, is written as \xNN, so
 *               hostile bytes never reach the JSON as they are;
 *   jsonw_text  text from rule files and databases: as it is when it is
 *               valid UTF-8, else escaped like a wire string.
 * Reals are written as jansson writes them ("%.6g", with ".0" added when
 * that looks like an integer); a non-finite real is left out, key and all,
 * as a jansson tree (json_real refuses them) would have left it out. */
#ifndef DS_JSONW_H
#define DS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/packet.h"

#define JSONW_MAX_DEPTH 7   /* containers open at once; our events are a few levels deep */
#define JSONW_WIRE_MAX 1024 /* a wire string is cut where its escaped form would
                               reach this (255 bytes fit, every one escaped) */

struct jsonw {
    char *buf;
    size_t len, cap;
    bool over;                            /* out of room or too deep: the text is lost */
    int depth;                            /* containers open */
    bool first[JSONW_MAX_DEPTH + 1];      /* no member written yet at this depth */
    char close[JSONW_MAX_DEPTH + 1];      /* the bracket that closes this depth */
};

/* Starts an empty text in buf[0..cap). */
void jsonw_init(struct jsonw *w, char *buf, size_t cap);

/* The text's length, or 0 if it did not fit (or went too deep). Check
 * after the last container is closed. */
size_t jsonw_len(const struct jsonw *w);

/* Every value below takes the key it is written under; NULL for an array
 * element or the outermost value. */

/* Opens an object or an array; jsonw_close closes the innermost one. */
void jsonw_object(struct jsonw *w, const char *key);
void jsonw_array(struct jsonw *w, const char *key);
void jsonw_close(struct jsonw *w);

void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t v);
/* Left out (with its key) when v is not finite. */
void jsonw_real(struct jsonw *w, const char *key, double v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);

/* A NUL-terminated string known to be UTF-8. */
void jsonw_str(struct jsonw *w, const char *key, const char *s);
/* n bytes known to be UTF-8 (may hold NULs, written as \u0000). */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
/* Bytes from the wire, \xNN-escaped, cut as JSONW_WIRE_MAX says. */
void jsonw_wire(struct jsonw *w, const char *key, const uint8_t *s, size_t n);
/* A NUL-terminated string that should be UTF-8: as it is if so, else as wire bytes. */
void jsonw_text(struct jsonw *w, const char *key, const char *s);

/* A packet time in EVE's form: "2026-02-23T10:05:00.123456+0000". */
void jsonw_ts(struct jsonw *w, const char *key, uint64_t ts_us);
/* An address: "192.0.2.1", "2001:db8::1". */
void jsonw_addr(struct jsonw *w, const char *key, const struct ds_addr *a);

#endif
