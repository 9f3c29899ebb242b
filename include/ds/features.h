/* The per-source feature set: one table of every behaviour measure a rule can
 * test (its name as written in rules, type, unit, meaning), and `struct
 * features`, one source's values over one window.
 *
 * Numeric features are doubles. String features are small sets (a source may
 * use two providers in a window), most recent first. A feature that could
 * not be measured in the window (too few turns for a cadence score, no geo
 * database...) is absent: its `present` bit is clear, and a rule condition on
 * it never matches. */
#ifndef DS_FEATURES_H
#define DS_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum feature_type { FEATURE_NUM = 0, FEATURE_STR = 1 };

/* Numeric features first, then string features (FEAT_FIRST_STR on). */
enum feature_id {
    FEAT_REQUESTS = 0,             /* turns started in the window */
    FEAT_NEW_CONNECTIONS,          /* AI flows started in the window */
    FEAT_REQUESTS_PER_MINUTE,
    FEAT_REQUESTS_PER_CONNECTION,
    FEAT_DISTINCT_HOSTS,
    FEAT_DISTINCT_PROVIDERS,
    FEAT_DISTINCT_SERVICES,
    FEAT_DISTINCT_JA4,
    FEAT_DISTINCT_FAMILIES,
    FEAT_CADENCE_REGULARITY,       /* RITA score of gaps between turn starts */
    FEAT_CONN_CADENCE_REGULARITY,  /* same, gaps within each connection */
    FEAT_GAP_MEAN_S,
    FEAT_GAP_CV,
    FEAT_GAP_SKEW,
    FEAT_GAP_MAD_S,
    FEAT_SIZE_REGULARITY,          /* RITA score of request sizes */
    FEAT_REQUEST_SIZE_MEAN,
    FEAT_REQUEST_SIZE_CV,
    FEAT_RESPONSE_SIZE_MEAN,
    FEAT_RESPONSE_SIZE_CV,
    FEAT_RESPONSE_REQUEST_RATIO,
    FEAT_TTFB_MEAN_MS,
    FEAT_RESPONSE_DURATION_MEAN_MS,
    FEAT_RESPONSE_DURATION_MAX_MS,
    FEAT_MAX_CONCURRENCY,
    FEAT_DUTY_CYCLE,
    FEAT_RATE_FLATNESS,
    FEAT_LONGEST_IDLE_S,
    FEAT_QUIC_SHARE,
    FEAT_INFLIGHT_MEAN,            /* requests in flight at each request start */
    FEAT_INFLIGHT_CV,
    FEAT_ANSWER_GAP_MEDIAN_S,      /* pause from an answer's end to the next request */
    FEAT_CLOSED_LOOP_SHARE,
    FEAT_REQUEST_GROWTH,
    FEAT_LONG_ANSWER_SHARE,
    FEAT_SCRIPT_FAMILIES,
    FEAT_HOURLY_LOAD_CV,
    FEAT_LOAD_HOURS,               /* whole hours those cover */
    FEAT_FINGERPRINT_FAMILY,       /* first string feature */
    FEAT_PROVIDER,
    FEAT_SERVICE,
    FEAT_JA4,
    FEAT_COUNTRY,
    FEAT_ASN,
    FEAT_AS_ORG,
    FEAT_LOAD_SHAPE,               /* flat, diurnal or bursty over hours */
    FEAT_ECH,                      /* grease, real: the ECH of the source's hellos */
    FEAT_COUNT
};

#define FEAT_FIRST_STR FEAT_FINGERPRINT_FAMILY
#define FEAT_STR_COUNT (FEAT_COUNT - FEAT_FIRST_STR)

#define FEATURE_STR_VALUES 4   /* values kept per string feature */
#define FEATURE_STR_LEN 64     /* bytes per value, NUL included (longer ones are cut) */

/* The fingerprint families rules/fingerprints maps JA4s to (others may be
 * added there; these are the ones the shipped signatures use). */
#define FAMILY_BROWSER "browser"
#define FAMILY_PYTHON "python"
#define FAMILY_GO "go"
#define FAMILY_NODE "node"
#define FAMILY_CURL "curl"
#define FAMILY_SDK "sdk"
#define FAMILY_UNKNOWN "unknown"

/* The values of load_shape. */
#define LOAD_FLAT "flat"
#define LOAD_DIURNAL "diurnal"
#define LOAD_BURSTY "bursty"

struct feature_info {
    enum feature_id id;
    const char *name;        /* as written in rules and in events */
    enum feature_type type;
    const char *unit;        /* "count", "1/min", "s", "ms", "bytes", "ratio", "score", "" */
    const char *desc;
};

struct feature_strs {
    uint8_t n;
    char v[FEATURE_STR_VALUES][FEATURE_STR_LEN];
};

/* One source's features over one window. Plain data: copy it freely. */
struct features {
    uint64_t present;                    /* bit (1 << id) */
    uint32_t window_s;                   /* the window these values cover */
    uint64_t ts_us;                      /* packet time they were computed at */
    double num[FEAT_FIRST_STR];
    struct feature_strs str[FEAT_STR_COUNT];
};

/* The table, indexed by enum feature_id; *n gets FEAT_COUNT. */
const struct feature_info *features_table(size_t *n);
/* Info of one feature; NULL if id is out of range. */
const struct feature_info *features_info(int id);
/* Finds a feature by its rule name (exact, lower case); its id or -1. */
int features_lookup(const char *name);

/* Clears every value (nothing present). */
void features_clear(struct features *f);
bool features_has(const struct features *f, int id);
/* Sets a numeric feature and marks it present; ignored for string ids and
 * for values that are not finite. */
void features_set_num(struct features *f, int id, double v);
/* Numeric value, 0 when absent. */
double features_num(const struct features *f, int id);
/* Adds a value to a string feature's set (marking it present), skipping
 * empty strings and values already there (case-insensitive). Values longer
 * than FEATURE_STR_LEN - 1 are cut. 0, or -1 if the set is full or id is not
 * a string feature. */
int features_add_str(struct features *f, int id, const char *v);
size_t features_str_count(const struct features *f, int id);
/* The i-th value of a string feature, or NULL. */
const char *features_str(const struct features *f, int id, size_t i);
/* True if any of the feature's values equals s (ASCII case-insensitive). */
bool features_str_has(const struct features *f, int id, const char *s);

/* Text form of a feature's value for logs and messages: a number with up to
 * 3 decimals ("0.82", "75"), or values joined by ','; "" when absent.
 * Returns the length snprintf would have written. */
int features_format(const struct features *f, int id, char *buf, size_t len);

#endif
