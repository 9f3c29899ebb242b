/* Regularity scores over a series (gaps between request starts, request
 * sizes, per-minute counts), after RITA v5's beacon analysis
 * (activecm/rita analysis/beacons.go; ../shared/DETECTION.md):
 *
 *   Q1, Q2, Q3   Tukey hinges: medians of the lower and upper halves of the
 *                sorted series, the middle element excluded when n is odd.
 *   Bowley skew  (Q1 + Q3 - 2 Q2) / (Q3 - Q1) when Q3 - Q1 >= REG_IQR_MIN
 *                and Q2 differs from Q1 and Q3, else 0; skew score = 1 - |skew|.
 *   MAD          median(|x - Q2|); MAD score = (Q2 - MAD) / Q2 when
 *                Q2 >= REG_MEDIAN_MIN (clamped at 0), else a default.
 *   score        (skew score + MAD score) / 2 rounded to 3 decimals, 0..1;
 *                1 is machine-regular.
 *
 * The thresholds are in the series' unit. RITA feeds seconds and bytes; the
 * caller chooses (source.c scores gaps in milliseconds, see source.h).
 *
 * Nothing here allocates: functions that need room take a caller-provided
 * scratch buffer, and functions documented as sorting reorder their input. */
#ifndef DS_REGULARITY_H
#define DS_REGULARITY_H

#include <stddef.h>

#define REG_IQR_MIN 10.0    /* below this spread, skew is noise and counts as 0 */
#define REG_MEDIAN_MIN 1.0  /* below this median, the MAD score is the default */

/* RITA's defaults for the MAD score when the median is under REG_MEDIAN_MIN:
 * timing series are regular (1), size series are not (0). */
#define REG_DEFAULT_MAD_GAPS 1.0
#define REG_DEFAULT_MAD_SIZES 0.0

struct reg_result {
    double score;       /* 0..1, rounded to 3 decimals */
    double skew;        /* Bowley skewness (0 when unreliable) */
    double skew_score;  /* 1 - |skew| */
    double mad;         /* median absolute deviation about the median */
    double mad_score;
    double q1, q2, q3;  /* Tukey hinges; q2 is the median */
    size_t n;           /* values scored (for gaps: non-zero gaps) */
};

/* Sorts n doubles ascending, in place. */
void reg_sort(double *x, size_t n);

/* Median of a sorted series (mean of the two middle values when n is even);
 * 0 when n is 0. */
double reg_median(const double *sorted, size_t n);

/* Tukey hinges of a sorted series; n >= 2. 0 or -1. */
int reg_quartiles(const double *sorted, size_t n, double *q1, double *q2, double *q3);

/* Bowley skewness and its score of a sorted series; n >= 3. 0 or -1. */
int reg_bowley(const double *sorted, size_t n, double *skew, double *score);

/* MAD about the median of a sorted series and its score; n >= 1. `scratch`
 * holds n doubles. 0 or -1. */
int reg_mad(const double *sorted, size_t n, double default_score, double *scratch,
            double *mad, double *score);

/* RITA's statistical score of a series: sorts `x` in place; n >= 3 (RITA
 * scores sizes from 3 values; a series too short for Bowley's skew has no
 * score). `scratch` holds n doubles. 0 or -1. */
int reg_score(double *x, size_t n, double default_mad, double *scratch, struct reg_result *out);

/* RITA's timing score over event times (any order, any unit): at least 4
 * times and 3 non-zero gaps. The gaps between consecutive sorted times are
 * sorted, zero gaps dropped, and scored with REG_DEFAULT_MAD_GAPS. Overwrites
 * `times` (it ends up holding the sorted gaps). `scratch` holds n doubles.
 * 0, or -1 when the series is too short. */
int reg_gap_score(double *times, size_t n, double *scratch, struct reg_result *out);

/* RITA's data size score: at least 3 sizes, scored with
 * REG_DEFAULT_MAD_SIZES. Sorts `sizes`. 0 or -1. */
int reg_size_score(double *sizes, size_t n, double *scratch, struct reg_result *out);

/* Mean and coefficient of variation (population standard deviation / mean)
 * of n values. 0, or -1 when n is 0 or the mean is 0 (CV undefined). */
int reg_cv(const double *x, size_t n, double *mean, double *cv);

/* RITA's histogram flatness score over counts (>= 0): 1 - CV rounded to 3
 * decimals, 0 when CV > 1. -1 when n is 0, a count is negative, or the
 * total is 0. */
int reg_cv_score(const double *counts, size_t n, double *score);

#endif
