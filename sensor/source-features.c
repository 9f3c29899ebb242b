/* Features of one source over one window, computed on demand from what the
 * table (source.c) keeps: the turns still in the ring for the distribution
 * features, the per-minute buckets for what the ring no longer holds and for
 * the minute-resolution ones, and the small tables of hosts, JA4s and names.
 * See ds/source.h for what is approximated. */
#include "ds/source.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds/regularity.h"
#include "ds/time-units.h"
#include "ds/util.h"
#include "source-int.h"

/* ---- scratch ---- */

void source_scratch_init(struct source_scratch *sc, size_t n)
{
    sc->start = xcalloc(n, sizeof(double));
    sc->req = xcalloc(n, sizeof(double));
    sc->resp = xcalloc(n, sizeof(double));
    sc->a = xcalloc(n, sizeof(double));
    sc->b = xcalloc(n, sizeof(double));
    sc->conn = xcalloc(n, sizeof(struct conn_time));
    sc->bytes = n * (5 * sizeof(double) + sizeof(struct conn_time));
}

void source_scratch_free(struct source_scratch *sc)
{
    free(sc->start);
    free(sc->req);
    free(sc->resp);
    free(sc->a);
    free(sc->b);
    free(sc->conn);
}

#define CONN_SLOTS 256   /* connections told apart per window for conn cadence */

struct conn_slot {
    uint32_t conn;
    bool used;
    double last;
};

/* ---- features ---- */

/* Values of a name table seen after wstart, most recent first, into a string
 * feature; returns how many there were. */
static unsigned names_feature(const struct name_ent *tab, unsigned n, uint64_t wstart,
                              struct features *f, int id)
{
    const struct name_ent *order[JA4S_KEPT];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < JA4S_KEPT; i++) {
        if (tab[i].s[0] == '\0' || tab[i].last_us <= wstart)
            continue;
        unsigned j = k++;
        while (j > 0 && order[j - 1]->last_us < tab[i].last_us) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = &tab[i];
    }
    if (id >= 0)
        for (unsigned i = 0; i < k; i++)
            features_add_str(f, id, order[i]->s);
    return k;
}

/* Requests (or connections) that started in (wstart, kept_min) -- the part
 * of a window older than what the ring still holds -- from the minute
 * buckets: whole minutes count exactly; the minute of kept_min counts its
 * total less the `kept_in_mk` entries the ring still holds from it; the
 * window's partial first minute is prorated. */
static double older_count(const struct source_table *st, const struct source *s, uint64_t wstart,
                          uint64_t kept_min, uint64_t kept_in_mk, bool conns)
{
    if (kept_min <= wstart)
        return 0;
    uint64_t mw = wstart / DS_US_PER_MIN, mk = kept_min / DS_US_PER_MIN;
    const struct bucket *b = bucket_get(st, s, mk);
    double in_mk = 0;
    if (b) {
        uint64_t n = conns ? b->conns : b->turns;
        in_mk = n > kept_in_mk ? (double)(n - kept_in_mk) : 0.0;
    }
    if (mk == mw) {
        /* all in one minute: the share of [minute start, kept_min) after wstart */
        double span = (double)(kept_min - mk * DS_US_PER_MIN);
        return span > 0 ? in_mk * (double)(kept_min - wstart) / span : 0.0;
    }
    double sum = in_mk;
    for (uint64_t m = mw + 1; m < mk; m++) {
        const struct bucket *x = bucket_get(st, s, m);
        if (x)
            sum += conns ? x->conns : x->turns;
    }
    const struct bucket *first = bucket_get(st, s, mw);
    if (first)
        sum += (double)(conns ? first->conns : first->turns) *
               (double)((mw + 1) * DS_US_PER_MIN - wstart) / (double)DS_US_PER_MIN;
    return sum;
}

/* Longest run of full minutes in [lo_us, hi_us) without a request, in seconds. */
static double bucket_idle(const struct source_table *st, const struct source *s, uint64_t lo_us,
                          uint64_t hi_us)
{
    uint64_t run = 0, best = 0;
    uint64_t m0 = (lo_us + DS_US_PER_MIN - 1) / DS_US_PER_MIN;
    for (uint64_t m = m0; (m + 1) * DS_US_PER_MIN <= hi_us; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b == NULL || b->turns == 0) {
            run++;
            if (run > best)
                best = run;
        } else {
            run = 0;
        }
    }
    return (double)best * 60.0;
}

static void minute_features(const struct source_table *st, const struct source *s,
                            uint64_t wstart, uint64_t ts_us, struct features *out)
{
    /* Full minutes inside the window, plus the current minute once it has
     * seen activity: a minute still in progress never counts against. */
    uint64_t m_first = (wstart + DS_US_PER_MIN - 1) / DS_US_PER_MIN;
    uint64_t m_now = ts_us / DS_US_PER_MIN;
    unsigned minutes = 0, active = 0, maxc = s->open_flows;
    double counts[SOURCE_MAX_WINDOW_S / 60 + 2];
    unsigned nc = 0;
    for (uint64_t m = wstart / DS_US_PER_MIN; m <= m_now; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b && b->max_conc > maxc)
            maxc = b->max_conc;
        bool act = b && (b->turns > 0 || b->conns > 0);
        if (m < m_first)
            continue;   /* the window's partial first minute */
        if (m == m_now && (m + 1) * DS_US_PER_MIN > ts_us) {
            if (act) {
                minutes++;
                active++;
            }
            continue;
        }
        minutes++;
        active += act;
        if (nc < DS_ARRAY_LEN(counts))
            counts[nc++] = b ? (double)b->turns : 0.0;
    }
    features_set_num(out, FEAT_MAX_CONCURRENCY, maxc);
    if (minutes > 0)
        features_set_num(out, FEAT_DUTY_CYCLE, (double)active / minutes);
    double flat;
    if (nc >= 2 && reg_cv_score(counts, nc, &flat) == 0)
        features_set_num(out, FEAT_RATE_FLATNESS, flat);
}

static const struct src_turn *ring_at(const struct source_table *st, const struct source *s,
                                      uint32_t i)
{
    uint32_t start = s->ring_len < s->ring_cap ? 0 : s->ring_head;
    uint32_t idx = (start + i) % s->ring_cap;
    return &src_chunks(st, s)[idx / SOURCE_TURN_CHUNK]->t[idx % SOURCE_TURN_CHUNK];
}

/* The turns of the window (wstart, ts_us] that the ring still holds, copied
 * into the scratch arrays (entries 0 .. k - 1, in ring order), and what is
 * summed over them. */
struct window_turns {
    size_t k;
    size_t n_ttfb, n_dur, n_quic;  /* turns with a ttfb, with a response, over QUIC */
    double sum_req, sum_resp, sum_ttfb, sum_dur, max_dur;
    uint64_t kept_min;             /* start of the oldest turn the ring holds */
    bool covered;                  /* the ring holds every turn of the window */
};

static void gather_turns(struct source_table *st, const struct source *s, uint64_t wstart,
                         uint64_t ts_us, struct window_turns *w)
{
    struct source_scratch *sc = &st->sc;
    memset(w, 0, sizeof(*w));
    w->kept_min = UINT64_MAX;
    for (uint32_t i = 0; i < s->ring_len; i++) {
        const struct src_turn *t = ring_at(st, s, i);
        if (t->start_us < w->kept_min)
            w->kept_min = t->start_us;
        if (t->start_us <= wstart || t->start_us > ts_us)
            continue;
        size_t k = w->k++;
        sc->start[k] = ds_us_to_ms_f(t->start_us - wstart);
        sc->req[k] = t->req_bytes;
        sc->resp[k] = t->resp_bytes;
        sc->conn[k].conn = t->conn;
        sc->conn[k].t = sc->start[k];
        w->sum_req += t->req_bytes;
        w->sum_resp += t->resp_bytes;
        if (t->ttfb_us > 0) {
            w->sum_ttfb += t->ttfb_us;
            w->n_ttfb++;
        }
        if (t->resp_bytes > 0) {
            w->sum_dur += t->dur_us;
            if (t->dur_us > w->max_dur)
                w->max_dur = t->dur_us;
            w->n_dur++;
        }
        if (t->flags & TURN_F_QUIC)
            w->n_quic++;
    }
    /* The ring covers the window unless turns were overwritten and the
     * oldest kept one started inside the window. */
    w->covered = s->ring_total == s->ring_len || w->kept_min <= wstart;
}

/* Requests in the window: the ring's, plus, when the ring no longer reaches
 * back to the window start, the older part from the minute buckets. */
static uint64_t window_requests(const struct source_table *st, const struct source *s,
                                uint64_t wstart, const struct window_turns *w)
{
    if (w->covered)
        return w->k;
    uint64_t mk = w->kept_min / DS_US_PER_MIN, kept_in_mk = 0;
    for (uint32_t i = 0; i < s->ring_len; i++)
        if (ring_at(st, s, i)->start_us / DS_US_PER_MIN == mk)
            kept_in_mk++;
    return w->k + (uint64_t)llround(older_count(st, s, wstart, w->kept_min, kept_in_mk, false));
}

/* New connections in the window (wstart, ts_us]: the ring of recent flow
 * starts, then the buckets for the part of the window older than it. */
static uint64_t window_new_connections(const struct source_table *st, const struct source *s,
                                       uint64_t wstart, uint64_t ts_us)
{
    uint64_t conns = 0, fs_min = UINT64_MAX;
    unsigned fs_n = s->fs_total < SOURCE_FLOW_STARTS_KEPT ? s->fs_total : SOURCE_FLOW_STARTS_KEPT;
    for (unsigned i = 0; i < fs_n; i++) {
        uint64_t t = s->fs_times[i];
        if (t < fs_min)
            fs_min = t;
        if (t > wstart && t <= ts_us)
            conns++;
    }
    if (s->fs_total > SOURCE_FLOW_STARTS_KEPT && fs_min > wstart) {
        uint64_t mk = fs_min / DS_US_PER_MIN, kept_in_mk = 0;
        for (unsigned i = 0; i < fs_n; i++)
            if (s->fs_times[i] / DS_US_PER_MIN == mk)
                kept_in_mk++;
        conns += (uint64_t)llround(older_count(st, s, wstart, fs_min, kept_in_mk, true));
    }
    return conns;
}

/* Requests per minute over the part of the window the source has existed
 * (at least a minute), and per new connection. */
static void rate_features(const struct source *s, uint64_t wstart, uint64_t ts_us,
                          uint64_t requests, uint64_t conns, struct features *out)
{
    uint64_t age = ts_us > s->first_us ? ts_us - s->first_us : 0;
    uint64_t span = ts_us - wstart;
    if (age < span)
        span = age;
    if (span < DS_US_PER_MIN)
        span = DS_US_PER_MIN;
    /* span is at most the window, far below 2^53 us: exact as a double */
    features_set_num(out, FEAT_REQUESTS_PER_MINUTE,
                     (double)requests * (double)DS_US_PER_MIN / (double)span);
    if (conns > 0)
        features_set_num(out, FEAT_REQUESTS_PER_CONNECTION, (double)requests / (double)conns);
}

/* The longest stretch without a request, in seconds: the larger of idle
 * (what came before lo) and the gaps from lo to the first of the k (>= 1)
 * starts, between starts, and from the last start to ts_us. Leaves the
 * sorted starts in sc->a and the k - 1 gaps between them in sc->b (ms). */
static double longest_idle(struct source_scratch *sc, size_t k, uint64_t wstart, uint64_t lo,
                           uint64_t ts_us, double idle)
{
    memcpy(sc->a, sc->start, k * sizeof(double));
    reg_sort(sc->a, k);
    double lo_ms = lo > wstart ? ds_us_to_ms_f(lo - wstart) : 0.0;
    double hi_ms = ds_us_to_ms_f(ts_us - wstart);
    double g = sc->a[0] - lo_ms;
    if (g > idle * 1000.0)
        idle = g / 1000.0;
    g = hi_ms - sc->a[k - 1];
    if (g > idle * 1000.0)
        idle = g / 1000.0;
    for (size_t i = 0; i + 1 < k; i++) {
        double d = sc->a[i + 1] - sc->a[i];
        sc->b[i] = d;
        if (d > idle * 1000.0)
            idle = d / 1000.0;
    }
    return idle;
}

/* Cadence of all k turns: the mean and spread of the gaps between sorted
 * starts (sc->b, from longest_idle), and the regularity of the starts. */
static void cadence_features(struct source_scratch *sc, size_t k, struct features *out)
{
    double mean, cv;
    if (k >= 3 && reg_cv(sc->b, k - 1, &mean, &cv) == 0) {
        features_set_num(out, FEAT_GAP_MEAN_S, mean / 1000.0);
        features_set_num(out, FEAT_GAP_CV, cv);
    }
    struct reg_result r;
    memcpy(sc->a, sc->start, k * sizeof(double));
    if (reg_gap_score(sc->a, k, sc->b, &r) == 0) {
        features_set_num(out, FEAT_CADENCE_REGULARITY, r.score);
        features_set_num(out, FEAT_GAP_SKEW, r.skew);
        features_set_num(out, FEAT_GAP_MAD_S, r.mad / 1000.0);
    }
}

/* Per-connection cadence: the regularity of the gaps between turns of the
 * same connection. The ring is in completion order, which on one connection
 * is start order, so one pass with each connection's last start is enough. */
static void conn_cadence_feature(struct source_scratch *sc, size_t k, struct features *out)
{
    struct conn_slot conns_seen[CONN_SLOTS];
    memset(conns_seen, 0, sizeof(conns_seen));
    size_t ng = 0, nslots = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t c = sc->conn[i].conn;
        uint32_t h = (c * 2654435761u) & (CONN_SLOTS - 1);
        while (conns_seen[h].used && conns_seen[h].conn != c)
            h = (h + 1) & (CONN_SLOTS - 1);
        struct conn_slot *cs = &conns_seen[h];
        double t = sc->conn[i].t;
        if (cs->used) {
            if (t > cs->last) {
                sc->a[ng++] = t - cs->last;
                cs->last = t;
            }
        } else if (nslots < CONN_SLOTS - 1) {
            /* beyond that many connections in a window, new ones go unscored */
            cs->used = true;
            cs->conn = c;
            cs->last = t;
            nslots++;
        }
    }
    struct reg_result r;
    if (ng >= 3 && reg_score(sc->a, ng, REG_DEFAULT_MAD_GAPS, sc->b, &r) == 0)
        features_set_num(out, FEAT_CONN_CADENCE_REGULARITY, r.score);
}

/* Sizes and timings of the w->k (>= 1) turns: request and response size
 * means and spreads, size regularity, response/request ratio, time to first
 * byte, response durations, and the share over QUIC. */
static void size_features(struct source_scratch *sc, const struct window_turns *w,
                          struct features *out)
{
    size_t k = w->k;
    double mean, cv;
    if (k >= 2 && reg_cv(sc->req, k, &mean, &cv) == 0) {
        features_set_num(out, FEAT_REQUEST_SIZE_MEAN, mean);
        features_set_num(out, FEAT_REQUEST_SIZE_CV, cv);
    } else {
        features_set_num(out, FEAT_REQUEST_SIZE_MEAN, w->sum_req / (double)k);
    }
    if (k >= 2 && reg_cv(sc->resp, k, &mean, &cv) == 0) {
        features_set_num(out, FEAT_RESPONSE_SIZE_MEAN, mean);
        features_set_num(out, FEAT_RESPONSE_SIZE_CV, cv);
    } else {
        features_set_num(out, FEAT_RESPONSE_SIZE_MEAN, w->sum_resp / (double)k);
    }
    struct reg_result r;
    memcpy(sc->a, sc->req, k * sizeof(double));
    if (reg_size_score(sc->a, k, sc->b, &r) == 0)
        features_set_num(out, FEAT_SIZE_REGULARITY, r.score);
    if (w->sum_req > 0)
        features_set_num(out, FEAT_RESPONSE_REQUEST_RATIO, w->sum_resp / w->sum_req);
    if (w->n_ttfb > 0)
        features_set_num(out, FEAT_TTFB_MEAN_MS,
                         w->sum_ttfb / (double)w->n_ttfb / (double)DS_US_PER_MS);
    if (w->n_dur > 0) {
        features_set_num(out, FEAT_RESPONSE_DURATION_MEAN_MS,
                         w->sum_dur / (double)w->n_dur / (double)DS_US_PER_MS);
        features_set_num(out, FEAT_RESPONSE_DURATION_MAX_MS, w->max_dur / (double)DS_US_PER_MS);
    }
    features_set_num(out, FEAT_QUIC_SHARE, (double)w->n_quic / (double)k);
}

/* The features that come from the window's turns: how many requests and new
 * connections (exact to the minute: the buckets count what the rings no
 * longer hold), their rates, the longest idle stretch, the cadence of all
 * turns and per connection, and the sizes, timings and QUIC share of the
 * turns the ring still holds. The idle stretch counts from the later of the
 * window start and the source's first packet. */
static void turn_features(struct source_table *st, const struct source *s, uint64_t wstart,
                          uint64_t ts_us, struct features *out)
{
    struct window_turns w;
    gather_turns(st, s, wstart, ts_us, &w);
    uint64_t requests = window_requests(st, s, wstart, &w);
    features_set_num(out, FEAT_REQUESTS, (double)requests);
    uint64_t conns = window_new_connections(st, s, wstart, ts_us);
    features_set_num(out, FEAT_NEW_CONNECTIONS, (double)conns);
    rate_features(s, wstart, ts_us, requests, conns, out);

    uint64_t lo = wstart > s->first_us ? wstart : s->first_us;
    double idle = 0;
    if (!w.covered) {
        idle = bucket_idle(st, s, lo, w.kept_min);   /* before the oldest turn kept */
        lo = w.kept_min;
    }
    if (w.k == 0) {
        double d = ts_us > lo ? ds_us_to_s_f(ts_us - lo) : 0;
        features_set_num(out, FEAT_LONGEST_IDLE_S, d > idle ? d : idle);
        return;
    }
    idle = longest_idle(&st->sc, w.k, wstart, lo, ts_us, idle);
    features_set_num(out, FEAT_LONGEST_IDLE_S, idle < 0 ? 0 : idle);
    cadence_features(&st->sc, w.k, out);
    conn_cadence_feature(&st->sc, w.k, out);
    size_features(&st->sc, &w, out);
}

int source_key_requests_bound(const struct source_table *st, const struct source_key *k,
                              uint32_t window_s, uint64_t ts_us, uint32_t *n)
{
    const struct source *s = source_find_key(st, k);
    if (s == NULL)
        return -1;
    /* Every minute the window touches, its partial first minute included:
     * never less than the exact count source_features would give. */
    uint64_t w_us = ds_s_to_us(window_s);
    uint64_t wstart = ts_us > w_us ? ts_us - w_us : 0;
    uint64_t sum = 0;
    for (uint64_t m = wstart / DS_US_PER_MIN; m <= ts_us / DS_US_PER_MIN; m++) {
        const struct bucket *b = bucket_get(st, s, m);
        if (b)
            sum += b->turns;
    }
    *n = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    return 0;
}

int source_key_features(struct source_table *st, const struct source_key *k, uint32_t window_s,
                        uint64_t ts_us, struct features *out)
{
    const struct source *s = source_find_key(st, k);
    if (s == NULL || source_window_index(st, window_s) < 0)
        return -1;
    features_clear(out);
    out->window_s = window_s;
    out->ts_us = ts_us;
    uint64_t w_us = ds_s_to_us(window_s);
    uint64_t wstart = ts_us > w_us ? ts_us - w_us : 0;

    turn_features(st, s, wstart, ts_us, out);
    minute_features(st, s, wstart, ts_us, out);

    /* What the source talked to, and with what, in the window. */
    unsigned nh = 0;
    for (unsigned i = 0; i < HOSTS_KEPT; i++)
        if (s->hosts[i].hash != 0 && s->hosts[i].last_us > wstart)
            nh++;
    features_set_num(out, FEAT_DISTINCT_HOSTS, nh);
    features_set_num(out, FEAT_DISTINCT_JA4,
                     names_feature(s->ja4s, JA4S_KEPT, wstart, out, FEAT_JA4));
    features_set_num(out, FEAT_DISTINCT_PROVIDERS,
                     names_feature(s->providers, NAMES_KEPT, wstart, out, FEAT_PROVIDER));
    features_set_num(out, FEAT_DISTINCT_SERVICES,
                     names_feature(s->services, NAMES_KEPT, wstart, out, FEAT_SERVICE));
    features_set_num(out, FEAT_DISTINCT_FAMILIES,
                     names_feature(s->families, NAMES_KEPT, wstart, out,
                                   FEAT_FINGERPRINT_FAMILY));
    features_add_str(out, FEAT_COUNTRY, s->country);
    features_add_str(out, FEAT_ASN, s->asn);
    features_add_str(out, FEAT_AS_ORG, s->as_org);
    return 0;
}

