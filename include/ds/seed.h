/* Hash seeds: every hash table of the sensor takes its seed from here, each
 * table its own, all derived from one run seed.
 *
 * Where the run seed comes from (seed_choose):
 *   live capture (-i)   getrandom() at start-up: bucket placement cannot be
 *                       worked out from the public source, so a capture
 *                       crafted to collide in one table does not collide here.
 *   offline (-r)        fixed: the constants the tables always had
 *                       (seeds_fixed), so a replay is byte-identical run to
 *                       run and release to release.
 *   --seed N            N >= 1: every table's seed derived from N (a live run
 *                       made reproducible, or a replay under other seeds);
 *                       --seed 0 is the fixed offline set, in live capture too.
 *   --seed random       getrandom() for -r as well.
 * Nothing the sensor writes depends on a seed: events are the same under any
 * seed, only the work of a lookup changes (and what is evicted where a
 * table's chain cap is reached). */
#ifndef DS_SEED_H
#define DS_SEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seeds {
    uint64_t run;             /* the run seed the others come from (0: the fixed set) */
    uint32_t flow;            /* flow.c: the 5-tuple hash */
    uint32_t source;          /* source.c: the address hash */
    uint64_t source_host;     /* source.c: a source's host-name hashes */
    uint32_t cluster_key;     /* cluster.c: (JA4, provider, size bin) */
    uint32_t cluster_member;  /* cluster.c: the member index (addresses) */
    uint32_t threshold;       /* rules-threshold.c: (sid, track, address) */
    uint32_t catalog;         /* catalog.c: host names and CIDR keys */
    uint32_t intern;          /* intern.c: the TLS facts' strings */
};

/* How the run seed is chosen (the --seed option). */
enum seed_mode {
    SEED_AUTO = 0,   /* random in live capture, fixed offline */
    SEED_VALUE,      /* --seed N */
    SEED_RANDOM,     /* --seed random */
};

/* The fixed set: the constants the tables had before seeds were chosen per
 * run (run 0). Offline replays use it. */
void seeds_fixed(struct seeds *s);

/* Every table's seed derived from run (distinct tables get unrelated seeds;
 * run 0 gives seeds_fixed). */
void seeds_derive(struct seeds *s, uint64_t run);

/* Seeds from getrandom(): 0, or -1 with the reason in err. */
int seeds_random(struct seeds *s, char *err, size_t errlen);

/* The seeds of a run: by mode, value (SEED_VALUE's N) and whether the
 * capture is live (SEED_AUTO). 0, or -1 with the reason in err (getrandom
 * failed). */
int seeds_choose(struct seeds *s, enum seed_mode mode, uint64_t value, bool live, char *err,
                 size_t errlen);

#endif
