/* RITA-style regularity scores (Tukey hinges, Bowley skew, MAD, CV): the
 * maths that tells a scripted cadence or a templated request size from human
 * use. Pure functions over caller-owned buffers; see ds/regularity.h. */
#include "ds/regularity.h"

#include <math.h>
#include <stdbool.h>

/* Sorting and selection are the cost of every feature computation (a few
 * per window per evaluation), so they are done here with inlined compares
 * rather than qsort: an introsort (quicksort, heapsort past a depth limit so
 * crafted timing cannot make it quadratic, insertion sort for short runs),
 * with a linear check first because turn start times mostly arrive sorted. */

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

static void sift_down(double *x, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && x[c + 1] > x[c])
            c++;
        if (x[root] >= x[c])
            return;
        swap_d(&x[root], &x[c]);
        root = c;
    }
}

static void heap_sort(double *x, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(x, i, n);
    for (size_t end = n; end-- > 1;) {
        swap_d(&x[0], &x[end]);
        sift_down(x, 0, end);
    }
}

/* Median-of-three Hoare partition; returns the split point p: [0, p) <= [p, n). */
static size_t partition(double *x, size_t n)
{
    size_t mid = n / 2;
    if (x[mid] < x[0])
        swap_d(&x[mid], &x[0]);
    if (x[n - 1] < x[0])
        swap_d(&x[n - 1], &x[0]);
    if (x[n - 1] < x[mid])
        swap_d(&x[n - 1], &x[mid]);
    double pivot = x[mid];
    size_t i = 0, j = n - 1;
    for (;;) {
        while (x[i] < pivot)
            i++;
        while (x[j] > pivot)
            j--;
        if (i >= j)
            return j + 1;
        swap_d(&x[i], &x[j]);
        i++;
        j--;
    }
}

static void intro_sort(double *x, size_t n, unsigned depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(x, n);
            return;
        }
        size_t p = partition(x, n);
        /* recurse into the smaller side, loop on the larger */
        if (p < n - p) {
            intro_sort(x, p, depth);
            x += p;
            n -= p;
        } else {
            intro_sort(x + p, n - p, depth);
            n = p;
        }
    }
    insertion_sort(x, n);
}

static bool is_sorted(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] < x[i - 1])
            return false;
    return true;
}

void reg_sort(double *x, size_t n)
{
    if (n < 2 || is_sorted(x, n))
        return;
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    intro_sort(x, n, depth);
}

/* The k-th smallest of x (0-based), reordering x: quickselect, falling back
 * to a full sort if the partitions keep coming out lopsided. */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n;   /* the k-th lies in [lo, hi) */
    unsigned rounds = 0;
    while (hi - lo > 16) {
        if (++rounds > 64) {
            reg_sort(x + lo, hi - lo);
            return x[k];
        }
        size_t p = lo + partition(x + lo, hi - lo);
        if (k < p)
            hi = p;
        else
            lo = p;
    }
    insertion_sort(x + lo, hi - lo);
    return x[k];
}

/* Median of an unsorted series, reordering it. */
static double select_median(double *x, size_t n)
{
    double a = select_kth(x, n, n / 2);
    if (n % 2 == 1)
        return a;
    /* x[0 .. n/2) now holds the n/2 smallest: the other middle is their max */
    double b = x[0];
    for (size_t i = 1; i < n / 2; i++)
        if (x[i] > b)
            b = x[i];
    return (a + b) / 2.0;
}

/* RITA rounds every published score to 3 decimals; doing the same keeps our
 * numbers comparable with its test vectors and stable across platforms. */
static double round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

double reg_median(const double *sorted, size_t n)
{
    if (n == 0)
        return 0.0;
    if (n % 2 == 1)
        return sorted[n / 2];
    return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

int reg_quartiles(const double *sorted, size_t n, double *q1, double *q2, double *q3)
{
    if (n < 2)
        return -1;
    /* Tukey hinges: the halves exclude the middle element when n is odd. */
    size_t lower = n / 2;
    size_t upper_start = n % 2 == 0 ? n / 2 : n / 2 + 1;
    *q1 = reg_median(sorted, lower);
    *q2 = reg_median(sorted, n);
    *q3 = reg_median(sorted + upper_start, n - upper_start);
    return 0;
}

int reg_bowley(const double *sorted, size_t n, double *skew, double *score)
{
    double q1, q2, q3;
    if (n < 3 || reg_quartiles(sorted, n, &q1, &q2, &q3) != 0)
        return -1;
    double s = 0.0;
    double den = q3 - q1;
    /* A tiny spread, or a median sitting on a hinge, makes the ratio swing
     * wildly on one value: RITA treats the series as symmetric then. */
    if (den >= REG_IQR_MIN && q2 != q1 && q2 != q3)
        s = (q1 + q3 - 2.0 * q2) / den;
    *skew = s;
    *score = 1.0 - fabs(s);
    return 0;
}

int reg_mad(const double *sorted, size_t n, double default_score, double *scratch,
            double *mad, double *score)
{
    if (n == 0)
        return -1;
    double med = reg_median(sorted, n);
    for (size_t i = 0; i < n; i++)
        scratch[i] = fabs(sorted[i] - med);
    double m = select_median(scratch, n);
    double sc = default_score;
    if (med >= REG_MEDIAN_MIN)
        sc = (med - m) / med;
    if (sc < 0.0 || isnan(sc))
        sc = 0.0;
    *mad = m;
    *score = sc;
    return 0;
}

int reg_score(double *x, size_t n, double default_mad, double *scratch, struct reg_result *out)
{
    if (n < 3)
        return -1;
    reg_sort(x, n);
    struct reg_result r = {0};
    r.n = n;
    if (reg_quartiles(x, n, &r.q1, &r.q2, &r.q3) != 0)
        return -1;
    if (reg_bowley(x, n, &r.skew, &r.skew_score) != 0)
        return -1;
    if (reg_mad(x, n, default_mad, scratch, &r.mad, &r.mad_score) != 0)
        return -1;
    r.score = round3((r.skew_score + r.mad_score) / 2.0);
    *out = r;
    return 0;
}

int reg_gap_score(double *times, size_t n, double *scratch, struct reg_result *out)
{
    if (n < 4)
        return -1;
    reg_sort(times, n);
    size_t nonzero = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double g = times[i + 1] - times[i];
        times[i] = g;
        if (g > 0.0)
            nonzero++;
    }
    if (nonzero < 3)
        return -1;
    size_t m = n - 1;
    reg_sort(times, m);
    /* Simultaneous events (zero gaps) say nothing about cadence: RITA scores
     * the gaps of the distinct timestamps. */
    size_t first = m - nonzero;
    for (size_t i = 0; i < nonzero; i++)
        times[i] = times[first + i];
    return reg_score(times, nonzero, REG_DEFAULT_MAD_GAPS, scratch, out);
}

int reg_size_score(double *sizes, size_t n, double *scratch, struct reg_result *out)
{
    return reg_score(sizes, n, REG_DEFAULT_MAD_SIZES, scratch, out);
}

int reg_cv(const double *x, size_t n, double *mean, double *cv)
{
    if (n == 0)
        return -1;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double m = sum / (double)n;
    if (m == 0.0 || !isfinite(m))
        return -1;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        ss += d * d;
    }
    *mean = m;
    *cv = sqrt(ss / (double)n) / fabs(m);
    return 0;
}

int reg_cv_score(const double *counts, size_t n, double *score)
{
    if (n == 0)
        return -1;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (counts[i] < 0.0)
            return -1;
        total += counts[i];
    }
    if (total <= 0.0)
        return -1;
    double mean, cv;
    if (reg_cv(counts, n, &mean, &cv) != 0)
        return -1;
    double s = cv > 1.0 ? 0.0 : round3(1.0 - cv);
    *score = s > 1.0 ? 1.0 : s;
    return 0;
}
