/* Time units, written once. Packet time (struct packet ts_us, every *_us
 * field) is microseconds since the epoch; configuration and windows are in
 * seconds; some features are reported in milliseconds. The factors are
 * 64-bit, so a product of seconds and a factor never wraps at 32 bits
 * (4295 seconds of microseconds). */
#ifndef DS_TIME_UNITS_H
#define DS_TIME_UNITS_H

#include <stdint.h>

#define DS_NS_PER_US UINT64_C(1000)
#define DS_US_PER_MS UINT64_C(1000)
#define DS_MS_PER_S UINT64_C(1000)
#define DS_US_PER_S UINT64_C(1000000)
#define DS_S_PER_MIN UINT64_C(60)
#define DS_S_PER_HOUR UINT64_C(3600)
#define DS_S_PER_DAY UINT64_C(86400)
#define DS_US_PER_MIN (DS_S_PER_MIN * DS_US_PER_S)

/* Seconds as microseconds (exact below 584,000 years). */
static inline uint64_t ds_s_to_us(uint64_t s)
{
    return s * DS_US_PER_S;
}

/* Whole seconds in us microseconds, rounded down. */
static inline uint64_t ds_us_to_s(uint64_t us)
{
    return us / DS_US_PER_S;
}

/* Microseconds as fractional seconds / milliseconds, for features. */
static inline double ds_us_to_s_f(uint64_t us)
{
    return (double)us / (double)DS_US_PER_S;
}

static inline double ds_us_to_ms_f(uint64_t us)
{
    return (double)us / (double)DS_US_PER_MS;
}

#endif
