/* Features of one source over one window, computed on demand from what the
 * table (source.c) keeps: the turns still in the ring for the distribution
 * features, the per-minute buckets for what the ring no longer holds and for
 * the minute-resolution ones, and the small tables of hosts, JA4s and names.
 * See ds/source.h for what is approximated. */
#include "ds/source.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    sc->rec = xcalloc(n, sizeof(struct turn_rec));
    /* at most half full: a connection is found in a probe or two */
    sc->nconn_slots = 1;
    while (sc->nconn_slots < 2 * n)
        sc->nconn_slots <<= 1;
    sc->conns = xcalloc(sc->nconn_slots, sizeof(struct conn_state));
    sc->gen = 0;
    sc->bytes = n * (5 * sizeof(double) + sizeof(struct turn_rec)) +
                sc->nconn_slots * sizeof(struct conn_state);
}

void source_scratch_free(struct source_scratch *sc)
{
    free(sc->start);
    free(sc->req);
    free(sc->resp);
    free(sc->a);
    free(sc->b);
    free(sc->rec);
    free(sc->conns);
}

/* ---- the connection table of a pass over the window's turns ---- */

/* Starts a pass: slots stamped with an earlier pass read as free, so the
 * table is never cleared but when the stamps wrap. */
static void conn_pass_begin(struct source_scratch *sc)
{
    if (++sc->gen == 0) {
        memset(sc->conns, 0, sc->nconn_slots * sizeof(sc->conns[0]));
        sc->gen = 1;
    }
}

/* The slot of a connection in this pass: its own (gen == sc->gen), or the
 * free one it would take, or NULL when it has none and `room` is false.
 * The table has two slots per turn kept: never full, a probe or two. */
static struct conn_state *conn_find(struct source_scratch *sc, uint32_t conn, bool room)
{
    size_t mask = sc->nconn_slots - 1;
    size_t i = (conn * 2654435761u) & mask;
    while (sc->conns[i].gen == sc->gen && sc->conns[i].conn != conn)
        i = (i + 1) & mask;
    struct conn_state *c = &sc->conns[i];
    return c->gen == sc->gen || room ? c : NULL;
}

#define CONN_CADENCE_MAX 255   /* connections told apart per window for conn cadence */

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
    unsigned minutes = 0, active = 0;
    double counts[SOURCE_MAX_WINDOW_S / 60 + 2];
    unsigned nc = 0;
    for (uint64_t m = wstart / DS_US_PER_MIN; m <= m_now; m++) {
        const struct bucket *b = bucket_get(st, s, m);
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
    if (minutes > 0)
        features_set_num(out, FEAT_DUTY_CYCLE, (double)active / minutes);
    double flat;
    if (nc >= 2 && reg_cv_score(counts, nc, &flat) == 0)
        features_set_num(out, FEAT_RATE_FLATNESS, flat);
}

/* ---- hourly load ---- */

#define US_PER_HOUR (60 * DS_US_PER_MIN)

void source_hours_note(struct source *s, uint64_t start_us)
{
    struct hour_ring *h = &s->hours;
    uint64_t hour = start_us > s->first_us ? (start_us - s->first_us) / US_PER_HOUR : 0;
    if (hour >= UINT32_MAX - HOURS_KEPT)
        return;
    uint32_t tag = (uint32_t)hour + 1;
    if (h->latest == 0 || tag >= h->latest + HOURS_KEPT) {
        memset(h->n, 0, sizeof(h->n));
        h->latest = tag;
    }
    while (h->latest < tag) {
        h->latest++;
        h->n[(h->latest - 1) % HOURS_KEPT] = 0;
    }
    if (h->latest - tag >= HOURS_KEPT)
        return;   /* older than the ring reaches */
    h->n[hour % HOURS_KEPT]++;
}

#define LOAD_FLAT_CV 0.35
#define LOAD_QUIET_SHARE 0.1   /* of the busiest hour */
#define LOAD_MIN_HOURS 3

/* The shape of n (>= 1) hourly counts with a non-zero total: flat, bursty
 * (two or more runs of busy hours split by quiet ones) or diurnal. */
static const char *load_shape(const double *c, size_t n, double cv)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i] > max)
            max = c[i];
    size_t quiet = 0, runs = 0;
    bool busy_before = false;
    for (size_t i = 0; i < n; i++) {
        bool busy = c[i] >= LOAD_QUIET_SHARE * max;
        quiet += !busy;
        runs += busy && !busy_before;
        busy_before = busy;
    }
    if (quiet == 0 && cv <= LOAD_FLAT_CV)
        return LOAD_FLAT;
    return runs >= 2 ? LOAD_BURSTY : LOAD_DIURNAL;
}

/* Requests per whole hour of the source's record (hours counted from its
 * first packet), the last HOURS_KEPT - 1 of them before the one ts_us is
 * in: their CV and shape once there are LOAD_MIN_HOURS. */
static void hourly_features(const struct source *s, uint64_t ts_us, struct features *out)
{
    const struct hour_ring *h = &s->hours;
    if (h->latest == 0 || ts_us < s->first_us)
        return;
    uint64_t now = (ts_us - s->first_us) / US_PER_HOUR;
    uint64_t n = now < HOURS_KEPT - 1 ? now : HOURS_KEPT - 1;
    if (n < LOAD_MIN_HOURS)
        return;
    double c[HOURS_KEPT];
    uint64_t latest = h->latest - 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t hr = now - n + i;
        bool kept = hr <= latest && latest - hr < HOURS_KEPT;
        c[i] = kept ? (double)h->n[hr % HOURS_KEPT] : 0.0;
    }
    double mean, cv;
    if (reg_cv(c, (size_t)n, &mean, &cv) != 0)
        return;   /* no request in those hours */
    features_set_num(out, FEAT_HOURLY_LOAD_CV, cv);
    features_set_num(out, FEAT_LOAD_HOURS, (double)n);
    features_add_str(out, FEAT_LOAD_SHAPE, load_shape(c, (size_t)n, cv));
}

/* Families other than browser and unknown seen in the window. */
static unsigned script_families(const struct source *s, uint64_t wstart)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NAMES_KEPT; i++) {
        const struct name_ent *e = &s->families[i];
        if (e->s[0] == '\0' || e->last_us <= wstart)
            continue;
        if (strcasecmp(e->s, FAMILY_BROWSER) != 0 && strcasecmp(e->s, FAMILY_UNKNOWN) != 0)
            n++;
    }
    return n;
}

static const struct src_turn *ring_at(const struct source_table *st, const struct source *s,
                                      uint32_t i)
{
    uint32_t start = s->ring_len < s->ring_cap ? 0 : s->ring_head;
    uint32_t idx = (start + i) % s->ring_cap;
    return &src_chunks(st, s)[idx / SOURCE_TURN_CHUNK]->t[idx % SOURCE_TURN_CHUNK];
}

/* A long answer, the kind reasoning prompts elicit. Sent at once (its bytes
 * within 1 s of the first), JSON carries about 4 bytes a token after a
 * ~500-byte envelope, so 4000 bytes is ~800 tokens. Streamed as server-sent
 * events, every token is its own JSON delta (OpenAI's chat.completion.chunk
 * ~230 bytes, Anthropic's content_block_delta ~120, plus TLS and HTTP/2
 * framing), so bytes say little: 10 s of streaming at 30-150 tokens/s is
 * 300-1500 tokens, and 150000 bytes is 600+ tokens from a model fast enough
 * to finish in under 10 s. A streamed answer of a few sentences (100
 * tokens: ~20 KB in 2 s) is not long. */
#define LONG_ANSWER_BYTES 4000u
#define LONG_STREAM_US (10 * DS_US_PER_S)
#define LONG_STREAM_BYTES 150000u
#define STREAMED_US DS_US_PER_S

static bool long_answer(const struct src_turn *t)
{
    if (t->dur_us < STREAMED_US)
        return t->resp_bytes >= LONG_ANSWER_BYTES;
    return t->dur_us >= LONG_STREAM_US || t->resp_bytes >= LONG_STREAM_BYTES;
}

/* The turns of the window (wstart, ts_us] that the ring still holds, copied
 * into the scratch arrays (entries 0 .. k - 1, in ring order), and what is
 * summed over them. */
struct window_turns {
    size_t k;
    size_t n_ttfb, n_dur, n_quic;  /* turns with a ttfb, with a response, over QUIC */
    size_t n_long;                 /* turns with a long answer (long_answer) */
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
        struct turn_rec *rc = &sc->rec[k];
        rc->start = sc->start[k];
        /* A turn is in flight until its answer's last byte; a turn without
         * one for an instant, so that it counts at its own start. */
        double busy = ds_us_to_ms_f((uint64_t)t->ttfb_us + t->dur_us);
        rc->end = rc->start + (busy > 0.001 ? busy : 0.001);
        rc->conn = t->conn;
        rc->req = t->req_bytes;
        if (long_answer(t))
            w->n_long++;
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
    conn_pass_begin(sc);
    size_t ng = 0, nconns = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t c = sc->rec[i].conn;
        double t = sc->rec[i].start;
        struct conn_state *cs = conn_find(sc, c, nconns < CONN_CADENCE_MAX);
        if (cs == NULL)
            continue;   /* beyond that many connections in a window, new ones go unscored */
        if (cs->gen != sc->gen) {
            cs->gen = sc->gen;
            cs->conn = c;
            cs->end = t;   /* here: the connection's latest start */
            nconns++;
        } else if (t > cs->end) {
            sc->a[ng++] = t - cs->end;
            cs->end = t;
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

#define GROWTH_STEP 0.03   /* a request size change counts when over 3% */
#define CLOSED_LOOP_MS 1000.0

static int32_t size_step(uint32_t prev, uint32_t cur)
{
    double d = (double)cur - (double)prev;
    if (fabs(d) <= GROWTH_STEP * (double)prev)
        return 0;
    return d > 0 ? 1 : -1;
}

/* Turn records by start (then end, request size, connection): a total order. */
static int cmp_by_start(const void *x, const void *y)
{
    const struct turn_rec *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->req != b->req)
        return a->req < b->req ? -1 : 1;
    return (a->conn > b->conn) - (a->conn < b->conn);
}

/* Sorts the k records by start. The ring is in completion order, which is
 * start order but for requests that overlap: an insertion sort costs one
 * move per such inversion. Past 8 moves a record on average (many
 * overlapping requests, or a crafted order) it hands over to qsort. */
static void sort_by_start(struct turn_rec *r, size_t k)
{
    size_t moves = 0, budget = 8 * k;
    for (size_t i = 1; i < k; i++) {
        struct turn_rec x = r[i];
        size_t j = i;
        while (j > 0 && (r[j - 1].start > x.start ||
                         (r[j - 1].start == x.start && cmp_by_start(&r[j - 1], &x) > 0))) {
            r[j] = r[j - 1];
            j--;
            if (++moves > budget) {
                r[j] = x;
                qsort(r, k, sizeof(*r), cmp_by_start);
                return;
            }
        }
        r[j] = x;
    }
}

/* A min-heap of answer ends (ms) in sc->b, for the requests in flight. */
static void heap_push(double *h, size_t *n, double v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static void heap_pop(double *h, size_t *n)
{
    double v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = v;
}

/* A connection's state in the pacing pass, and whether this is its first
 * request in the window. */
static struct conn_state *conn_lookup(struct source_scratch *sc, uint32_t conn, bool *first)
{
    struct conn_state *c = conn_find(sc, conn, true);
    *first = c->gen != sc->gen;
    if (*first) {
        c->gen = sc->gen;
        c->conn = conn;
    }
    return c;
}

/* The k-th smallest of x[0 .. n - 1] (k < n), reordering x: Hoare's
 * selection with a median-of-three pivot, expected linear; after 64
 * rounds (a crafted order) it sorts instead. */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    for (unsigned round = 0; lo < hi; round++) {
        if (round == 64) {
            reg_sort(x + lo, hi - lo + 1);
            break;
        }
        double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;   /* between j and i: equal to the pivot, in place */
    }
    return x[k];
}

/* Median of n (>= 1) values, reordering them: the mean of the two middle
 * ones when n is even, as reg_median. */
static double median_of(double *x, size_t n)
{
    double hi = select_kth(x, n, n / 2);
    if (n % 2)
        return hi;
    /* the lower middle is the largest of the values left of n / 2 */
    double lo = x[0];
    for (size_t i = 1; i < n / 2; i++)
        if (x[i] > lo)
            lo = x[i];
    return (lo + hi) / 2;
}

/* What one pass over the turns in start order collects. */
struct pacing {
    size_t max_inflight;
    double sum_inflight, sumsq_inflight;
    size_t npause, quick;          /* pauses (into sc->a), of them <= 1 s */
    size_t pairs;
    long growth;
};

static void add_pause(struct source_scratch *sc, struct pacing *p, double pause)
{
    sc->a[p->npause++] = pause;
    p->quick += pause <= CLOSED_LOOP_MS;
}

/* Requests in flight at the starts of a group of turns with the same start
 * (from r[i], n of them): their ends go in the heap, the ends reached by
 * then leave it, and each samples what is left. */
static void inflight_sample(struct source_scratch *sc, size_t *heap_n, size_t i, size_t n,
                            struct pacing *p)
{
    double t = sc->rec[i].start;
    for (size_t j = i; j < i + n; j++)
        heap_push(sc->b, heap_n, sc->rec[j].end);
    while (*heap_n > 0 && sc->b[0] <= t)
        heap_pop(sc->b, heap_n);
    size_t m = *heap_n;
    if (m > p->max_inflight)
        p->max_inflight = m;
    p->sum_inflight += (double)(m * n);
    p->sumsq_inflight += (double)(m * m * n);
}

/* One turn's pause and size step. On a connection that carried a request
 * before: the pause when it is idle (no answer still coming), and the step
 * from its previous request. A connection's first request: the pause since
 * the source's latest answer and the step from the request before, when
 * nothing else is in flight (a sequential script on a connection per
 * request is as closed-loop as one on keep-alive). */
static void pace_turn(struct source_scratch *sc, size_t i, double src_end, struct pacing *p)
{
    const struct turn_rec *r = &sc->rec[i];
    bool first;
    struct conn_state *c = conn_lookup(sc, r->conn, &first);
    if (first) {
        if (i > 0 && src_end <= r->start) {
            add_pause(sc, p, r->start - src_end);
            p->growth += size_step(sc->rec[i - 1].req, r->req);
            p->pairs++;
        }
        c->end = r->end;
    } else {
        if (c->end <= r->start)
            add_pause(sc, p, r->start - c->end);
        p->growth += size_step(c->req, r->req);
        p->pairs++;
        if (r->end > c->end)
            c->end = r->end;
    }
    c->req = r->req;
}

/* The features of the k (>= 1) turns' timing against each other: requests
 * in flight (their maximum; with 5 turns their mean and spread), the pause
 * after an answer (with 3 pauses) and request growth (with 4 pairs). One
 * pass in start order; reorders sc->rec. */
static void pacing_features(struct source_scratch *sc, size_t k, struct features *out)
{
    sort_by_start(sc->rec, k);
    conn_pass_begin(sc);
    struct pacing p;
    memset(&p, 0, sizeof(p));
    size_t heap_n = 0;
    double src_end = 0;
    for (size_t i = 0; i < k;) {
        size_t n = 1;
        while (i + n < k && sc->rec[i + n].start == sc->rec[i].start)
            n++;
        inflight_sample(sc, &heap_n, i, n, &p);
        for (size_t j = i; j < i + n; j++) {
            pace_turn(sc, j, src_end, &p);
            if (j == 0 || sc->rec[j].end > src_end)
                src_end = sc->rec[j].end;
        }
        i += n;
    }
    features_set_num(out, FEAT_MAX_CONCURRENCY, (double)p.max_inflight);
    if (k >= 5) {
        double mean = p.sum_inflight / (double)k;
        double var = p.sumsq_inflight / (double)k - mean * mean;
        features_set_num(out, FEAT_INFLIGHT_MEAN, mean);
        features_set_num(out, FEAT_INFLIGHT_CV, var > 0 ? sqrt(var) / mean : 0.0);
    }
    if (p.npause >= 3) {
        features_set_num(out, FEAT_ANSWER_GAP_MEDIAN_S, median_of(sc->a, p.npause) / 1000.0);
        features_set_num(out, FEAT_CLOSED_LOOP_SHARE, (double)p.quick / (double)p.npause);
    }
    if (p.pairs >= 4)
        features_set_num(out, FEAT_REQUEST_GROWTH, (double)p.growth / (double)p.pairs);
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
        features_set_num(out, FEAT_MAX_CONCURRENCY, 0);
        double d = ts_us > lo ? ds_us_to_s_f(ts_us - lo) : 0;
        features_set_num(out, FEAT_LONGEST_IDLE_S, d > idle ? d : idle);
        return;
    }
    idle = longest_idle(&st->sc, w.k, wstart, lo, ts_us, idle);
    features_set_num(out, FEAT_LONGEST_IDLE_S, idle < 0 ? 0 : idle);
    cadence_features(&st->sc, w.k, out);
    conn_cadence_feature(&st->sc, w.k, out);
    size_features(&st->sc, &w, out);
    features_set_num(out, FEAT_LONG_ANSWER_SHARE, (double)w.n_long / (double)w.k);
    pacing_features(&st->sc, w.k, out);   /* reorders sc->rec: last */
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
    names_feature(s->ech, ECH_KEPT, wstart, out, FEAT_ECH);
    features_set_num(out, FEAT_SCRIPT_FAMILIES, script_families(s, wstart));
    hourly_features(s, ts_us, out);
    features_add_str(out, FEAT_COUNTRY, s->country);
    features_add_str(out, FEAT_ASN, s->asn);
    features_add_str(out, FEAT_AS_ORG, s->as_org);
    return 0;
}

