/* The per-source feature table (names, types, units, meaning) and the
 * accessors of `struct features`. One table so that the rule parser, the
 * source module, events and docs all agree on what a feature is called. */
#include "ds/features.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ds/util.h"

_Static_assert(FEAT_COUNT <= 64, "present is a 64-bit mask");

#define NUM(id_, name_, unit_, desc_) [id_] = { id_, name_, FEATURE_NUM, unit_, desc_ }
#define STR(id_, name_, desc_) [id_] = { id_, name_, FEATURE_STR, "", desc_ }

static const struct feature_info table[FEAT_COUNT] = {
    NUM(FEAT_REQUESTS, "requests", "count",
        "request/response turns started in the window"),
    NUM(FEAT_NEW_CONNECTIONS, "new_connections", "count",
        "AI connections (TLS or QUIC flows) opened in the window"),
    NUM(FEAT_REQUESTS_PER_MINUTE, "requests_per_minute", "1/min",
        "requests over the window, or over the source's age when younger (at least 1 minute)"),
    NUM(FEAT_REQUESTS_PER_CONNECTION, "requests_per_connection", "ratio",
        "requests / new connections in the window (present when a connection opened in it)"),
    NUM(FEAT_DISTINCT_HOSTS, "distinct_hosts", "count",
        "distinct AI host names (SNI) used in the window"),
    NUM(FEAT_DISTINCT_PROVIDERS, "distinct_providers", "count",
        "distinct AI providers used in the window"),
    NUM(FEAT_DISTINCT_SERVICES, "distinct_services", "count",
        "distinct service kinds (api, web, ...) used in the window"),
    NUM(FEAT_DISTINCT_JA4, "distinct_ja4", "count",
        "distinct client TLS/QUIC fingerprints (JA4) in the window"),
    NUM(FEAT_DISTINCT_FAMILIES, "distinct_families", "count",
        "distinct fingerprint families (browser, python, ...) in the window"),
    NUM(FEAT_CADENCE_REGULARITY, "cadence_regularity", "score",
        "RITA score (Bowley skew + MAD) of the gaps between request starts, 0..1; "
        "1 is machine-regular (needs 4 requests and 3 non-zero gaps)"),
    NUM(FEAT_CONN_CADENCE_REGULARITY, "conn_cadence_regularity", "score",
        "the same score over the gaps between requests on the same connection, pooled "
        "(parallel workers each on a steady loop score high here)"),
    NUM(FEAT_GAP_MEAN_S, "gap_mean_s", "s",
        "mean gap between request starts"),
    NUM(FEAT_GAP_CV, "gap_cv", "ratio",
        "coefficient of variation of the gaps between request starts"),
    NUM(FEAT_GAP_SKEW, "gap_skew", "ratio",
        "Bowley skewness of the gaps (0 when the spread is under 10 ms)"),
    NUM(FEAT_GAP_MAD_S, "gap_mad_s", "s",
        "median absolute deviation of the gaps"),
    NUM(FEAT_SIZE_REGULARITY, "size_regularity", "score",
        "RITA score of the request sizes, 0..1; 1 is templated (needs 3 requests)"),
    NUM(FEAT_REQUEST_SIZE_MEAN, "request_size_mean", "bytes",
        "mean request (prompt) bytes per turn"),
    NUM(FEAT_REQUEST_SIZE_CV, "request_size_cv", "ratio",
        "coefficient of variation of request bytes (templated prompts: low; needs 2 requests)"),
    NUM(FEAT_RESPONSE_SIZE_MEAN, "response_size_mean", "bytes",
        "mean response bytes per turn"),
    NUM(FEAT_RESPONSE_SIZE_CV, "response_size_cv", "ratio",
        "coefficient of variation of response bytes"),
    NUM(FEAT_RESPONSE_REQUEST_RATIO, "response_request_ratio", "ratio",
        "response bytes / request bytes over the window's turns"),
    NUM(FEAT_TTFB_MEAN_MS, "ttfb_mean_ms", "ms",
        "mean time from request start to the first response byte"),
    NUM(FEAT_RESPONSE_DURATION_MEAN_MS, "response_duration_mean_ms", "ms",
        "mean time from first to last response byte (streaming time)"),
    NUM(FEAT_RESPONSE_DURATION_MAX_MS, "response_duration_max_ms", "ms",
        "longest streaming time of a response"),
    NUM(FEAT_MAX_CONCURRENCY, "max_concurrency", "count",
        "most requests in flight at once (a request is in flight from its start to the last "
        "byte of its answer), over the window's turns in the ring; 0 without a turn"),
    NUM(FEAT_DUTY_CYCLE, "duty_cycle", "ratio",
        "share of the window's minutes with activity (a request or a new connection)"),
    NUM(FEAT_RATE_FLATNESS, "rate_flatness", "score",
        "1 - coefficient of variation of requests per minute over the window (RITA histogram "
        "score at minute scale), 0..1; 1 is an even load"),
    NUM(FEAT_LONGEST_IDLE_S, "longest_idle_s", "s",
        "longest time without a request start in the window (from the window start or the "
        "source's first packet, whichever is later, to now)"),
    NUM(FEAT_QUIC_SHARE, "quic_share", "ratio",
        "share of the window's requests carried over QUIC"),
    NUM(FEAT_INFLIGHT_MEAN, "inflight_mean", "count",
        "mean number of requests in flight at each request start, that request included "
        "(needs 5 requests)"),
    NUM(FEAT_INFLIGHT_CV, "inflight_cv", "ratio",
        "coefficient of variation of those in-flight counts: closed-loop workers keep it near "
        "0, people do not (needs 5 requests)"),
    NUM(FEAT_ANSWER_GAP_MEDIAN_S, "answer_gap_median_s", "s",
        "median pause from the end of an answer to the next request start on the same "
        "connection while it is idle; for the first request on a connection, the pause since "
        "the source's previous answer when no other request was in flight (needs 3 pauses)"),
    NUM(FEAT_CLOSED_LOOP_SHARE, "closed_loop_share", "ratio",
        "share of those pauses of at most 1 s: scripts send the next request at once, "
        "people read first (needs 3 pauses)"),
    NUM(FEAT_REQUEST_GROWTH, "request_growth", "-1..1",
        "(increases - decreases) / pairs over consecutive requests on a connection (and from "
        "the source's previous request to a connection's first when they do not overlap), "
        "a change counting when over 3%: resent conversations grow (~1), independent "
        "prompts do not (~0) (needs 4 pairs)"),
    NUM(FEAT_LONG_ANSWER_SHARE, "long_answer_share", "ratio",
        "share of turns with a long answer: sent at once (under 1 s) and >= 4000 bytes "
        "(~800 tokens of JSON), or streamed for >= 10 s or >= 150000 bytes (~600+ tokens "
        "of SSE deltas)"),
    NUM(FEAT_SCRIPT_FAMILIES, "script_families", "count",
        "fingerprint families in the window other than browser and unknown (python, go, "
        "node, curl, ...); at most 4 are tracked"),
    NUM(FEAT_HOURLY_LOAD_CV, "hourly_load_cv", "ratio",
        "coefficient of variation of requests per hour over the last 24 whole hours of the "
        "source's record (hours counted from its first packet), whatever the window (needs "
        "3 whole hours)"),
    NUM(FEAT_LOAD_HOURS, "load_hours", "count",
        "whole hours hourly_load_cv and load_shape cover, 3..24: a few even hours are no "
        "round-the-clock evidence"),
    STR(FEAT_FINGERPRINT_FAMILY, "fingerprint_family",
        "client families of the JA4s used: browser, python, go, node, curl, sdk, unknown"),
    STR(FEAT_PROVIDER, "provider", "AI providers used (openai, anthropic, ...)"),
    STR(FEAT_SERVICE, "service", "service kinds used (api, web, ...)"),
    STR(FEAT_JA4, "ja4", "client JA4 fingerprints used"),
    STR(FEAT_COUNTRY, "country", "the source's country (ISO 3166 code; needs --geoip-db)"),
    STR(FEAT_ASN, "asn", "the source's autonomous system number (needs --asn-db)"),
    STR(FEAT_AS_ORG, "as_org", "the organisation of the source's AS (needs --asn-db)"),
    STR(FEAT_LOAD_SHAPE, "load_shape",
        "the hourly load (as hourly_load_cv): flat = no quiet hour and CV <= 0.35; bursty = "
        "not flat and two or more runs of busy hours split by quiet ones; diurnal = the rest "
        "(one stretch of varying load); a quiet hour has under 10% of the busiest hour's "
        "requests"),
    STR(FEAT_ECH, "ech",
        "Encrypted Client Hello in the source's hellos: grease (the extension with the "
        "service's own SNI, as Chrome sends when it has no ECH config) or real (the outer SNI "
        "a known ECH public name such as cloudflare-ech.com, or none: the service's name is "
        "hidden and its provider comes from address ranges)"),
};

const struct feature_info *features_table(size_t *n)
{
    if (n)
        *n = FEAT_COUNT;
    return table;
}

const struct feature_info *features_info(int id)
{
    if (id < 0 || id >= FEAT_COUNT)
        return NULL;
    return &table[id];
}

int features_lookup(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < FEAT_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

/* Every value is read through its bit in `present`, so clearing the bits
 * (and the string counts) is enough: clearing the whole struct, 2 KB of
 * string room, cost more than computing most features. */
void features_clear(struct features *f)
{
    f->present = 0;
    f->window_s = 0;
    f->ts_us = 0;
    for (int i = 0; i < FEAT_STR_COUNT; i++)
        f->str[i].n = 0;
}

bool features_has(const struct features *f, int id)
{
    if (id < 0 || id >= FEAT_COUNT)
        return false;
    return (f->present >> id) & 1u;
}

void features_set_num(struct features *f, int id, double v)
{
    if (id < 0 || id >= FEAT_FIRST_STR || !isfinite(v))
        return;
    f->num[id] = v;
    f->present |= UINT64_C(1) << id;
}

double features_num(const struct features *f, int id)
{
    if (id < 0 || id >= FEAT_FIRST_STR || !features_has(f, id))
        return 0.0;
    return f->num[id];
}

int features_add_str(struct features *f, int id, const char *v)
{
    if (id < FEAT_FIRST_STR || id >= FEAT_COUNT)
        return -1;
    if (v == NULL || *v == '\0')
        return 0;
    struct feature_strs *s = &f->str[id - FEAT_FIRST_STR];
    for (unsigned i = 0; i < s->n; i++)
        if (strncasecmp(s->v[i], v, FEATURE_STR_LEN - 1) == 0)
            return 0;
    if (s->n >= FEATURE_STR_VALUES)
        return -1;
    ds_strlcpy(s->v[s->n], v, FEATURE_STR_LEN);
    s->n++;
    f->present |= UINT64_C(1) << id;
    return 0;
}

size_t features_str_count(const struct features *f, int id)
{
    if (id < FEAT_FIRST_STR || id >= FEAT_COUNT || !features_has(f, id))
        return 0;
    return f->str[id - FEAT_FIRST_STR].n;
}

const char *features_str(const struct features *f, int id, size_t i)
{
    if (i >= features_str_count(f, id))
        return NULL;
    return f->str[id - FEAT_FIRST_STR].v[i];
}

bool features_str_has(const struct features *f, int id, const char *s)
{
    size_t n = features_str_count(f, id);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(f->str[id - FEAT_FIRST_STR].v[i], s) == 0)
            return true;
    return false;
}

int features_format(const struct features *f, int id, char *buf, size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    if (!features_has(f, id))
        return 0;
    if (id < FEAT_FIRST_STR) {
        double v = f->num[id];
        /* Counts print as integers; measures with 3 decimals, trailing
         * zeros trimmed, so "0.8" and "60" read as written in rules. */
        char tmp[64];
        int n = snprintf(tmp, sizeof(tmp), "%.3f", v);
        if (n > 0 && (size_t)n < sizeof(tmp) && strchr(tmp, '.') != NULL) {
            char *e = tmp + n - 1;
            while (*e == '0')
                *e-- = '\0';
            if (*e == '.')
                *e = '\0';
        }
        if (strcmp(tmp, "-0") == 0)
            ds_strlcpy(tmp, "0", sizeof(tmp));
        return snprintf(buf, len, "%s", tmp);
    }
    const struct feature_strs *s = &f->str[id - FEAT_FIRST_STR];
    size_t used = 0;
    int total = 0;
    for (unsigned i = 0; i < s->n; i++) {
        char *dst = used < len ? buf + used : NULL;
        size_t room = used < len ? len - used : 0;
        int n = snprintf(dst, room, "%s%s", i ? "," : "", s->v[i]);
        if (n < 0)
            return n;
        total += n;
        if (len > 0)
            used = (size_t)total < len ? (size_t)total : len - 1;
    }
    return total;
}
