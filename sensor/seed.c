/* Hash seeds (see seed.h): one run seed, each table's seed a different
 * splitmix64 output of it, so knowing (or colliding) one table's placement
 * says nothing of another's. The fixed set keeps the constants the tables
 * were built with, so offline output and the golden files did not move when
 * seeds became per run. */
#include "ds/seed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ds/hash.h"

/* splitmix64's increment: consecutive multiples are far apart in every bit. */
#define SEED_GAMMA 0x9e3779b97f4a7c15ull

void seeds_fixed(struct seeds *s)
{
    memset(s, 0, sizeof(*s));
    s->flow = 0x5eed1e55u;
    s->source = 0x5eed5eedu;
    s->source_host = 0;         /* plain FNV-1a 64 */
    s->cluster_key = 0;         /* the size bin alone */
    s->cluster_member = 0x5eedc1u;
    s->threshold = 0;           /* the sid alone */
    s->catalog = 0;             /* plain FNV-1a 32 */
    s->intern = 0x5eed57u;
}

/* The i-th seed of run: splitmix64's i-th output from state run. */
static uint64_t nth(uint64_t run, unsigned i)
{
    return ds_mix64(run + SEED_GAMMA * (uint64_t)(i + 1));
}

/* Every seed from run, run 0 included (a random run seed may be 0). */
static void derive(struct seeds *s, uint64_t run)
{
    memset(s, 0, sizeof(*s)); /* padding too: seed sets are compared whole */
    s->run = run;
    /* Each 32-bit seed is the low half of its own 64-bit output. */
    s->flow = (uint32_t)nth(run, 0);
    s->source = (uint32_t)nth(run, 1);
    s->source_host = nth(run, 2);
    s->cluster_key = (uint32_t)nth(run, 3);
    s->cluster_member = (uint32_t)nth(run, 4);
    s->threshold = (uint32_t)nth(run, 5);
    s->catalog = (uint32_t)nth(run, 6);
    s->intern = (uint32_t)nth(run, 7);
}

void seeds_derive(struct seeds *s, uint64_t run)
{
    if (run == 0)
        seeds_fixed(s);
    else
        derive(s, run);
}

int seeds_random(struct seeds *s, char *err, size_t errlen)
{
    uint64_t run = 0;
    ssize_t n = getrandom(&run, sizeof(run), 0);
    while (n < 0 && errno == EINTR)
        n = getrandom(&run, sizeof(run), 0);
    if (n != (ssize_t)sizeof(run)) {
        snprintf(err, errlen, "getrandom: %s", n < 0 ? strerror(errno) : "short read");
        return -1;
    }
    derive(s, run);
    return 0;
}

int seeds_choose(struct seeds *s, enum seed_mode mode, uint64_t value, bool live, char *err,
                 size_t errlen)
{
    switch (mode) {
    case SEED_VALUE:
        seeds_derive(s, value);
        return 0;
    case SEED_RANDOM:
        return seeds_random(s, err, errlen);
    case SEED_AUTO:
        break;
    }
    if (live)
        return seeds_random(s, err, errlen);
    seeds_fixed(s);
    return 0;
}
