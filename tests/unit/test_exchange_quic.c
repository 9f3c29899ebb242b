/* QUIC turns (exchange_udp) on the packet sequences of real HTTP/3
 * recordings: Chromium 156 to caddy 2.6.2 (quic-go), pcaps/turns-h3, made by
 * tools/capture-h3.sh. The tables below are the captures' datagram shapes
 * (times, directions, coalesced long-header packets and their lengths, the
 * short-header packet's length: tools/quic-shapes.py) and caddy's log of the
 * requests; the datagrams are rebuilt with filler bytes, which is all
 * exchange_udp reads of them. Then smaller cases of what those captures
 * show: client ACKs, path MTU probes, requests sent back to back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ds/exchange.h"

/* A sink that only gives the exchanges the shared pool (listed turns,
 * requests in flight beyond the first), as the sensor's does. */
static const struct turn_sink *qto(void)
{
    static struct exchange_pool *pool;
    static struct turn_sink to;
    if (pool == NULL) {
        pool = exchange_pool_new(4096, 256, 256);
        to.pool = pool;
    }
    return &to;
}

struct dgram {
    uint32_t t_us;   /* from the capture's first datagram */
    uint8_t dir;     /* 0 client to server, 1 server to client */
    struct {
        uint8_t type;  /* long-header packet type (0 Initial, 1 0-RTT, 2 Handshake) */
        uint16_t len;  /* its bytes; 0: none */
    } lp[3];
    uint16_t short_len; /* the short-header (1-RTT) packet after them; 0: none */
};

struct logged {
    uint32_t start_ms; /* the request's start, from the capture's first datagram */
    uint32_t ttfb_ms;  /* the server's first byte after it */
};

#define START_TOL_US 50000
#define TTFB_TOL_US 50000

/* A v1 long-header packet of `len` bytes in all (8-byte DCID, no SCID). */
static size_t quic_long(uint8_t *p, unsigned type, size_t len)
{
    size_t hdr = 17 + (type == 0 ? 1u : 0u);
    assert_true(len >= hdr && len - hdr < 16384);
    size_t o = 0;
    p[o++] = (uint8_t)(0xc1 | (type << 4));
    p[o++] = 0, p[o++] = 0, p[o++] = 0, p[o++] = 1;
    p[o++] = 8;
    memset(p + o, 0x11, 8);
    o += 8;
    p[o++] = 0;
    if (type == 0)
        p[o++] = 0; /* token length */
    size_t payload = len - hdr;
    p[o++] = (uint8_t)(0x40 | (payload >> 8));
    p[o++] = (uint8_t)payload;
    memset(p + o, 0x22, payload);
    return len;
}

static size_t quic_short(uint8_t *p, size_t len)
{
    memset(p, 0x33, len);
    p[0] = 0x41;
    return len;
}

/* Feeds the datagrams of table[0, n) to e, times from t0; completed turns
 * are kept in e->turns. */
static void replay(struct exchange *e, const struct dgram *table, size_t n, uint64_t t0)
{
    uint8_t d[1500];
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        for (size_t k = 0; k < 3 && table[i].lp[k].len != 0; k++)
            len += quic_long(d + len, table[i].lp[k].type, table[i].lp[k].len);
        if (table[i].short_len != 0)
            len += quic_short(d + len, table[i].short_len);
        assert_true(len <= sizeof(d));
        exchange_udp(e, table[i].dir, t0 + table[i].t_us, d, (uint32_t)len, qto());
    }
    exchange_finish(e, qto());
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* chromium-h3-seq: 125 datagrams (tools/quic-shapes.py pcaps/turns-h3/chromium-h3-seq.pcap) */
static const struct dgram chromium_h3_seq[] = {
    { 0, 0, { {0, 1250} }, 0 },
    { 2412, 1, { {0, 37} }, 0 },
    { 5825, 0, { {0, 1250} }, 0 },
    { 10382, 1, { {0, 131}, {2, 1121} }, 0 },
    { 15057, 1, { {2, 59} }, 0 },
    { 15868, 1, { { 0, 0 } }, 24 },
    { 23404, 0, { {0, 1214}, {2, 36} }, 0 },
    { 28258, 0, { {2, 74} }, 67 },
    { 28509, 1, { {2, 36} }, 0 },
    { 28516, 1, { { 0, 0 } }, 24 },
    { 28594, 1, { { 0, 0 } }, 289 },
    { 28897, 0, { { 0, 0 } }, 27 },
    { 96346, 0, { { 0, 0 } }, 457 },
    { 115334, 1, { { 0, 0 } }, 1352 },
    { 115355, 1, { { 0, 0 } }, 1252 },
    { 115363, 1, { { 0, 0 } }, 313 },
    { 115369, 1, { { 0, 0 } }, 23 },
    { 118252, 0, { { 0, 0 } }, 27 },
    { 118287, 0, { { 0, 0 } }, 27 },
    { 120808, 1, { { 0, 0 } }, 22 },
    { 159206, 0, { { 0, 0 } }, 28 },
    { 170289, 0, { { 0, 0 } }, 353 },
    { 170904, 1, { { 0, 0 } }, 39 },
    { 196875, 0, { { 0, 0 } }, 28 },
    { 197161, 1, { { 0, 0 } }, 1402 },
    { 197172, 1, { { 0, 0 } }, 22 },
    { 198971, 0, { { 0, 0 } }, 27 },
    { 2238086, 0, { { 0, 0 } }, 544 },
    { 2238433, 1, { { 0, 0 } }, 1427 },
    { 2263783, 0, { { 0, 0 } }, 28 },
    { 2263948, 1, { { 0, 0 } }, 24 },
    { 3135548, 1, { { 0, 0 } }, 1439 },
    { 3135657, 1, { { 0, 0 } }, 143 },
    { 3136097, 0, { { 0, 0 } }, 27 },
    { 3137093, 1, { { 0, 0 } }, 200 },
    { 3176910, 0, { { 0, 0 } }, 28 },
    { 3180323, 1, { { 0, 0 } }, 201 },
    { 3207129, 0, { { 0, 0 } }, 28 },
    { 3231877, 1, { { 0, 0 } }, 203 },
    { 3262136, 0, { { 0, 0 } }, 28 },
    { 3279601, 1, { { 0, 0 } }, 202 },
    { 3314225, 0, { { 0, 0 } }, 28 },
    { 3323246, 1, { { 0, 0 } }, 205 },
    { 3359135, 0, { { 0, 0 } }, 28 },
    { 3375863, 1, { { 0, 0 } }, 201 },
    { 3411050, 0, { { 0, 0 } }, 28 },
    { 3428765, 1, { { 0, 0 } }, 206 },
    { 3475255, 1, { { 0, 0 } }, 203 },
    { 3475547, 0, { { 0, 0 } }, 27 },
    { 3533904, 1, { { 0, 0 } }, 209 },
    { 3562997, 0, { { 0, 0 } }, 28 },
    { 3584139, 1, { { 0, 0 } }, 202 },
    { 3611090, 0, { { 0, 0 } }, 28 },
    { 3634476, 1, { { 0, 0 } }, 202 },
    { 3663013, 0, { { 0, 0 } }, 28 },
    { 3699244, 1, { { 0, 0 } }, 39 },
    { 3735059, 0, { { 0, 0 } }, 28 },
    { 3735344, 1, { { 0, 0 } }, 22 },
    { 3775062, 0, { { 0, 0 } }, 28 },
    { 6217066, 0, { { 0, 0 } }, 504 },
    { 6251052, 1, { { 0, 0 } }, 25 },
    { 7187300, 1, { { 0, 0 } }, 132 },
    { 7188572, 1, { { 0, 0 } }, 344 },
    { 7188664, 0, { { 0, 0 } }, 27 },
    { 7189190, 1, { { 0, 0 } }, 22 },
    { 7215941, 0, { { 0, 0 } }, 28 },
    { 8703999, 0, { { 0, 0 } }, 547 },
    { 8729898, 1, { { 0, 0 } }, 25 },
    { 10068274, 1, { { 0, 0 } }, 320 },
    { 10099036, 0, { { 0, 0 } }, 28 },
    { 10115358, 1, { { 0, 0 } }, 201 },
    { 10141473, 0, { { 0, 0 } }, 28 },
    { 10155663, 1, { { 0, 0 } }, 203 },
    { 10189152, 0, { { 0, 0 } }, 28 },
    { 10195966, 1, { { 0, 0 } }, 202 },
    { 10247629, 1, { { 0, 0 } }, 202 },
    { 10247659, 1, { { 0, 0 } }, 202 },
    { 10251156, 0, { { 0, 0 } }, 29 },
    { 10251250, 0, { { 0, 0 } }, 29 },
    { 10275016, 1, { { 0, 0 } }, 205 },
    { 10295120, 0, { { 0, 0 } }, 29 },
    { 10322597, 1, { { 0, 0 } }, 201 },
    { 10322904, 0, { { 0, 0 } }, 29 },
    { 10366715, 1, { { 0, 0 } }, 39 },
    { 10393183, 0, { { 0, 0 } }, 30 },
    { 10393526, 1, { { 0, 0 } }, 22 },
    { 10421550, 0, { { 0, 0 } }, 30 },
    { 13405244, 0, { { 0, 0 } }, 354 },
    { 13405700, 1, { { 0, 0 } }, 39 },
    { 13446617, 0, { { 0, 0 } }, 28 },
    { 13461263, 1, { { 0, 0 } }, 22 },
    { 13491014, 0, { { 0, 0 } }, 28 },
    { 15435995, 0, { { 0, 0 } }, 505 },
    { 15471286, 1, { { 0, 0 } }, 25 },
    { 16676467, 1, { { 0, 0 } }, 132 },
    { 16676585, 1, { { 0, 0 } }, 378 },
    { 16676939, 0, { { 0, 0 } }, 27 },
    { 16678002, 1, { { 0, 0 } }, 22 },
    { 16710992, 0, { { 0, 0 } }, 28 },
    { 18693726, 0, { { 0, 0 } }, 785 },
    { 18724472, 1, { { 0, 0 } }, 25 },
    { 20083536, 1, { { 0, 0 } }, 143 },
    { 20084320, 1, { { 0, 0 } }, 200 },
    { 20094028, 0, { { 0, 0 } }, 27 },
    { 20125337, 1, { { 0, 0 } }, 201 },
    { 20157228, 0, { { 0, 0 } }, 28 },
    { 20175040, 1, { { 0, 0 } }, 203 },
    { 20204869, 0, { { 0, 0 } }, 28 },
    { 20235060, 1, { { 0, 0 } }, 202 },
    { 20259042, 1, { { 0, 0 } }, 205 },
    { 20259309, 0, { { 0, 0 } }, 27 },
    { 20319172, 1, { { 0, 0 } }, 201 },
    { 20371300, 0, { { 0, 0 } }, 28 },
    { 20371636, 1, { { 0, 0 } }, 206 },
    { 20397255, 0, { { 0, 0 } }, 28 },
    { 20397623, 1, { { 0, 0 } }, 39 },
    { 20423422, 0, { { 0, 0 } }, 28 },
    { 20424130, 1, { { 0, 0 } }, 22 },
    { 20449554, 0, { { 0, 0 } }, 28 },
    { 21413352, 0, { { 0, 0 } }, 358 },
    { 21413863, 1, { { 0, 0 } }, 39 },
    { 21443076, 0, { { 0, 0 } }, 28 },
    { 21443412, 1, { { 0, 0 } }, 22 },
    { 21474981, 0, { { 0, 0 } }, 28 },
    { 22016277, 0, { { 0, 0 } }, 46 },
};
/* chromium-h3-seq.requests.tsv: start and time to first byte of each request, ms from the first datagram, by start */
static const struct logged chromium_h3_seq_log[] = {
    { 96, 0 }, /* GET / */
    { 171, 0 }, /* GET /v1/ping */
    { 2239, 896 }, /* POST /v1/chat/completions */
    { 6219, 968 }, /* POST /v1/chat/completions */
    { 8704, 1364 }, /* POST /v1/chat/completions */
    { 13405, 0 }, /* GET /v1/ping */
    { 15439, 1237 }, /* POST /v1/chat/completions */
    { 18694, 1389 }, /* POST /v1/chat/completions */
    { 21414, 0 }, /* GET /v1/ping?done */
};

/* chromium-h3-concurrent: 294 datagrams (tools/quic-shapes.py pcaps/turns-h3/chromium-h3-concurrent.pcap) */
static const struct dgram chromium_h3_concurrent[] = {
    { 0, 0, { {0, 1250} }, 0 },
    { 405, 1, { {0, 37} }, 0 },
    { 5746, 0, { {0, 1250} }, 0 },
    { 9180, 1, { {0, 131}, {2, 1121} }, 0 },
    { 9753, 1, { {2, 65} }, 24 },
    { 10244, 0, { {2, 35} }, 0 },
    { 12394, 0, { {0, 1107}, {2, 69} }, 74 },
    { 12563, 1, { {2, 36} }, 0 },
    { 12570, 1, { { 0, 0 } }, 24 },
    { 12673, 1, { { 0, 0 } }, 287 },
    { 72517, 0, { { 0, 0 } }, 28 },
    { 79509, 1, { { 0, 0 } }, 1352 },
    { 124756, 0, { { 0, 0 } }, 28 },
    { 124947, 1, { { 0, 0 } }, 1402 },
    { 156341, 0, { { 0, 0 } }, 28 },
    { 162153, 0, { { 0, 0 } }, 457 },
    { 162798, 1, { { 0, 0 } }, 1402 },
    { 162808, 1, { { 0, 0 } }, 194 },
    { 162824, 1, { { 0, 0 } }, 23 },
    { 163204, 0, { { 0, 0 } }, 27 },
    { 163267, 1, { { 0, 0 } }, 1427 },
    { 177423, 0, { { 0, 0 } }, 27 },
    { 184310, 1, { { 0, 0 } }, 22 },
    { 236052, 0, { { 0, 0 } }, 28 },
    { 236381, 1, { { 0, 0 } }, 1439 },
    { 276942, 0, { { 0, 0 } }, 28 },
    { 1731936, 0, { { 0, 0 } }, 550 },
    { 1734929, 0, { { 0, 0 } }, 511 },
    { 1735054, 0, { { 0, 0 } }, 536 },
    { 1738531, 1, { { 0, 0 } }, 24 },
    { 2265118, 1, { { 0, 0 } }, 319 },
    { 2294985, 0, { { 0, 0 } }, 28 },
    { 2309167, 1, { { 0, 0 } }, 201 },
    { 2335150, 0, { { 0, 0 } }, 28 },
    { 2351503, 1, { { 0, 0 } }, 203 },
    { 2384498, 0, { { 0, 0 } }, 28 },
    { 2391732, 1, { { 0, 0 } }, 202 },
    { 2419351, 0, { { 0, 0 } }, 28 },
    { 2432009, 1, { { 0, 0 } }, 205 },
    { 2451546, 1, { { 0, 0 } }, 319 },
    { 2451824, 0, { { 0, 0 } }, 27 },
    { 2474097, 1, { { 0, 0 } }, 201 },
    { 2493548, 1, { { 0, 0 } }, 201 },
    { 2493818, 0, { { 0, 0 } }, 27 },
    { 2514819, 1, { { 0, 0 } }, 206 },
    { 2538011, 1, { { 0, 0 } }, 203 },
    { 2550209, 0, { { 0, 0 } }, 27 },
    { 2554989, 1, { { 0, 0 } }, 203 },
    { 2580561, 0, { { 0, 0 } }, 28 },
    { 2580919, 1, { { 0, 0 } }, 202 },
    { 2595500, 1, { { 0, 0 } }, 209 },
    { 2595743, 0, { { 0, 0 } }, 27 },
    { 2616357, 1, { { 0, 0 } }, 205 },
    { 2637039, 1, { { 0, 0 } }, 202 },
    { 2637237, 0, { { 0, 0 } }, 27 },
    { 2656837, 1, { { 0, 0 } }, 201 },
    { 2683107, 0, { { 0, 0 } }, 28 },
    { 2697039, 1, { { 0, 0 } }, 206 },
    { 2697721, 1, { { 0, 0 } }, 202 },
    { 2697796, 0, { { 0, 0 } }, 27 },
    { 2745939, 1, { { 0, 0 } }, 203 },
    { 2745969, 1, { { 0, 0 } }, 202 },
    { 2746200, 0, { { 0, 0 } }, 27 },
    { 2781938, 1, { { 0, 0 } }, 209 },
    { 2781971, 1, { { 0, 0 } }, 203 },
    { 2782224, 0, { { 0, 0 } }, 27 },
    { 2826657, 1, { { 0, 0 } }, 39 },
    { 2827307, 1, { { 0, 0 } }, 23 },
    { 2863822, 0, { { 0, 0 } }, 27 },
    { 2863826, 1, { { 0, 0 } }, 202 },
    { 2863959, 1, { { 0, 0 } }, 22 },
    { 2864248, 0, { { 0, 0 } }, 27 },
    { 2906293, 1, { { 0, 0 } }, 202 },
    { 2906465, 1, { { 0, 0 } }, 320 },
    { 2906747, 0, { { 0, 0 } }, 27 },
    { 2948457, 1, { { 0, 0 } }, 202 },
    { 2948991, 1, { { 0, 0 } }, 201 },
    { 2949073, 0, { { 0, 0 } }, 27 },
    { 2988695, 1, { { 0, 0 } }, 203 },
    { 2989568, 1, { { 0, 0 } }, 203 },
    { 2989683, 0, { { 0, 0 } }, 27 },
    { 3045864, 1, { { 0, 0 } }, 206 },
    { 3045896, 1, { { 0, 0 } }, 202 },
    { 3046126, 0, { { 0, 0 } }, 32 },
    { 3076902, 1, { { 0, 0 } }, 211 },
    { 3076933, 1, { { 0, 0 } }, 202 },
    { 3077191, 0, { { 0, 0 } }, 27 },
    { 3116808, 1, { { 0, 0 } }, 39 },
    { 3116841, 1, { { 0, 0 } }, 201 },
    { 3117108, 0, { { 0, 0 } }, 27 },
    { 3117763, 1, { { 0, 0 } }, 22 },
    { 3143920, 0, { { 0, 0 } }, 28 },
    { 3157944, 1, { { 0, 0 } }, 206 },
    { 3190228, 0, { { 0, 0 } }, 28 },
    { 3218122, 1, { { 0, 0 } }, 203 },
    { 3247402, 0, { { 0, 0 } }, 28 },
    { 3262024, 1, { { 0, 0 } }, 209 },
    { 3289760, 0, { { 0, 0 } }, 28 },
    { 3308127, 1, { { 0, 0 } }, 202 },
    { 3355384, 1, { { 0, 0 } }, 202 },
    { 3355396, 1, { { 0, 0 } }, 202 },
    { 3355402, 1, { { 0, 0 } }, 202 },
    { 3355606, 0, { { 0, 0 } }, 29 },
    { 3355659, 0, { { 0, 0 } }, 29 },
    { 3355683, 0, { { 0, 0 } }, 29 },
    { 3417804, 1, { { 0, 0 } }, 202 },
    { 3418056, 0, { { 0, 0 } }, 29 },
    { 3489999, 1, { { 0, 0 } }, 39 },
    { 3529825, 0, { { 0, 0 } }, 30 },
    { 3530201, 1, { { 0, 0 } }, 22 },
    { 3555562, 0, { { 0, 0 } }, 30 },
    { 6039256, 0, { { 0, 0 } }, 552 },
    { 6046320, 0, { { 0, 0 } }, 539 },
    { 6046403, 0, { { 0, 0 } }, 514 },
    { 6046461, 0, { { 0, 0 } }, 551 },
    { 6050257, 1, { { 0, 0 } }, 24 },
    { 6432897, 1, { { 0, 0 } }, 319 },
    { 6472998, 0, { { 0, 0 } }, 28 },
    { 6473911, 1, { { 0, 0 } }, 201 },
    { 6520902, 0, { { 0, 0 } }, 29 },
    { 6521538, 1, { { 0, 0 } }, 203 },
    { 6552483, 0, { { 0, 0 } }, 29 },
    { 6553423, 1, { { 0, 0 } }, 319 },
    { 6566011, 1, { { 0, 0 } }, 202 },
    { 6569884, 0, { { 0, 0 } }, 28 },
    { 6594073, 1, { { 0, 0 } }, 201 },
    { 6608295, 1, { { 0, 0 } }, 205 },
    { 6608518, 0, { { 0, 0 } }, 28 },
    { 6651451, 1, { { 0, 0 } }, 203 },
    { 6652305, 1, { { 0, 0 } }, 201 },
    { 6652456, 0, { { 0, 0 } }, 28 },
    { 6699313, 1, { { 0, 0 } }, 206 },
    { 6701857, 1, { { 0, 0 } }, 202 },
    { 6701979, 0, { { 0, 0 } }, 28 },
    { 6750076, 1, { { 0, 0 } }, 203 },
    { 6750832, 1, { { 0, 0 } }, 205 },
    { 6750925, 0, { { 0, 0 } }, 28 },
    { 6791627, 1, { { 0, 0 } }, 201 },
    { 6792297, 1, { { 0, 0 } }, 39 },
    { 6792393, 0, { { 0, 0 } }, 28 },
    { 6792868, 1, { { 0, 0 } }, 23 },
    { 6857843, 0, { { 0, 0 } }, 29 },
    { 6858121, 1, { { 0, 0 } }, 22 },
    { 6858523, 1, { { 0, 0 } }, 206 },
    { 6858624, 0, { { 0, 0 } }, 28 },
    { 6901737, 1, { { 0, 0 } }, 203 },
    { 6938606, 0, { { 0, 0 } }, 29 },
    { 6958117, 1, { { 0, 0 } }, 209 },
    { 6988751, 1, { { 0, 0 } }, 320 },
    { 6988908, 0, { { 0, 0 } }, 28 },
    { 7003918, 1, { { 0, 0 } }, 39 },
    { 7010414, 1, { { 0, 0 } }, 201 },
    { 7013053, 0, { { 0, 0 } }, 28 },
    { 7013329, 1, { { 0, 0 } }, 22 },
    { 7057974, 1, { { 0, 0 } }, 203 },
    { 7058242, 0, { { 0, 0 } }, 28 },
    { 7099037, 1, { { 0, 0 } }, 202 },
    { 7145937, 0, { { 0, 0 } }, 29 },
    { 7146231, 1, { { 0, 0 } }, 205 },
    { 7171993, 0, { { 0, 0 } }, 29 },
    { 7179998, 1, { { 0, 0 } }, 201 },
    { 7206594, 0, { { 0, 0 } }, 29 },
    { 7222212, 1, { { 0, 0 } }, 206 },
    { 7248155, 0, { { 0, 0 } }, 29 },
    { 7281986, 1, { { 0, 0 } }, 203 },
    { 7313835, 0, { { 0, 0 } }, 34 },
    { 7314263, 1, { { 0, 0 } }, 209 },
    { 7341828, 0, { { 0, 0 } }, 29 },
    { 7350230, 1, { { 0, 0 } }, 25 },
    { 7354483, 1, { { 0, 0 } }, 202 },
    { 7389817, 0, { { 0, 0 } }, 29 },
    { 7394802, 1, { { 0, 0 } }, 202 },
    { 7420733, 0, { { 0, 0 } }, 29 },
    { 7435090, 1, { { 0, 0 } }, 202 },
    { 7464379, 0, { { 0, 0 } }, 29 },
    { 7480209, 1, { { 0, 0 } }, 203 },
    { 7489385, 1, { { 0, 0 } }, 141 },
    { 7489731, 0, { { 0, 0 } }, 28 },
    { 7490507, 1, { { 0, 0 } }, 200 },
    { 7491752, 0, { { 0, 0 } }, 29 },
    { 7520588, 1, { { 0, 0 } }, 206 },
    { 7523938, 0, { { 0, 0 } }, 29 },
    { 7530084, 1, { { 0, 0 } }, 201 },
    { 7537833, 0, { { 0, 0 } }, 29 },
    { 7574091, 1, { { 0, 0 } }, 202 },
    { 7575563, 0, { { 0, 0 } }, 29 },
    { 7575767, 1, { { 0, 0 } }, 203 },
    { 7576985, 0, { { 0, 0 } }, 29 },
    { 7623789, 1, { { 0, 0 } }, 39 },
    { 7624832, 1, { { 0, 0 } }, 202 },
    { 7624928, 0, { { 0, 0 } }, 28 },
    { 7625083, 1, { { 0, 0 } }, 22 },
    { 7626605, 0, { { 0, 0 } }, 29 },
    { 7665440, 1, { { 0, 0 } }, 205 },
    { 7667435, 0, { { 0, 0 } }, 29 },
    { 7707728, 1, { { 0, 0 } }, 201 },
    { 7709721, 0, { { 0, 0 } }, 29 },
    { 7758183, 1, { { 0, 0 } }, 206 },
    { 7760140, 0, { { 0, 0 } }, 29 },
    { 7814423, 1, { { 0, 0 } }, 203 },
    { 7817257, 0, { { 0, 0 } }, 29 },
    { 7861907, 1, { { 0, 0 } }, 209 },
    { 7863863, 0, { { 0, 0 } }, 29 },
    { 7902094, 1, { { 0, 0 } }, 202 },
    { 7905822, 0, { { 0, 0 } }, 29 },
    { 7943487, 1, { { 0, 0 } }, 202 },
    { 7949877, 0, { { 0, 0 } }, 29 },
    { 7994126, 1, { { 0, 0 } }, 202 },
    { 7995971, 0, { { 0, 0 } }, 34 },
    { 8021499, 1, { { 0, 0 } }, 26 },
    { 8034843, 1, { { 0, 0 } }, 39 },
    { 8036942, 0, { { 0, 0 } }, 29 },
    { 8037360, 1, { { 0, 0 } }, 23 },
    { 8039198, 0, { { 0, 0 } }, 29 },
    { 8039294, 1, { { 0, 0 } }, 22 },
    { 8040578, 0, { { 0, 0 } }, 29 },
    { 10066366, 0, { { 0, 0 } }, 511 },
    { 10075126, 0, { { 0, 0 } }, 536 },
    { 10075244, 1, { { 0, 0 } }, 25 },
    { 10076183, 0, { { 0, 0 } }, 552 },
    { 10101961, 1, { { 0, 0 } }, 26 },
    { 10459820, 1, { { 0, 0 } }, 319 },
    { 10463114, 0, { { 0, 0 } }, 29 },
    { 10530925, 1, { { 0, 0 } }, 201 },
    { 10541865, 0, { { 0, 0 } }, 29 },
    { 10565244, 1, { { 0, 0 } }, 203 },
    { 10566832, 0, { { 0, 0 } }, 29 },
    { 10622732, 1, { { 0, 0 } }, 202 },
    { 10624216, 0, { { 0, 0 } }, 29 },
    { 10682984, 1, { { 0, 0 } }, 205 },
    { 10684739, 0, { { 0, 0 } }, 29 },
    { 10724296, 1, { { 0, 0 } }, 201 },
    { 10725838, 0, { { 0, 0 } }, 29 },
    { 10768585, 1, { { 0, 0 } }, 206 },
    { 10773092, 0, { { 0, 0 } }, 29 },
    { 10810573, 1, { { 0, 0 } }, 203 },
    { 10812819, 0, { { 0, 0 } }, 29 },
    { 10850860, 1, { { 0, 0 } }, 209 },
    { 10852683, 0, { { 0, 0 } }, 29 },
    { 10891035, 1, { { 0, 0 } }, 202 },
    { 10892561, 0, { { 0, 0 } }, 29 },
    { 10954171, 1, { { 0, 0 } }, 202 },
    { 10955960, 0, { { 0, 0 } }, 29 },
    { 11007473, 1, { { 0, 0 } }, 202 },
    { 11023638, 0, { { 0, 0 } }, 29 },
    { 11066087, 1, { { 0, 0 } }, 39 },
    { 11068122, 0, { { 0, 0 } }, 29 },
    { 11068245, 1, { { 0, 0 } }, 22 },
    { 11070975, 0, { { 0, 0 } }, 29 },
    { 11332851, 1, { { 0, 0 } }, 320 },
    { 11334167, 0, { { 0, 0 } }, 29 },
    { 11374015, 1, { { 0, 0 } }, 201 },
    { 11376230, 0, { { 0, 0 } }, 29 },
    { 11430537, 1, { { 0, 0 } }, 203 },
    { 11436487, 0, { { 0, 0 } }, 29 },
    { 11474357, 1, { { 0, 0 } }, 202 },
    { 11481838, 0, { { 0, 0 } }, 29 },
    { 11526135, 1, { { 0, 0 } }, 205 },
    { 11528128, 0, { { 0, 0 } }, 29 },
    { 11582223, 1, { { 0, 0 } }, 201 },
    { 11584028, 0, { { 0, 0 } }, 34 },
    { 11593344, 1, { { 0, 0 } }, 327 },
    { 11609400, 0, { { 0, 0 } }, 29 },
    { 11630093, 1, { { 0, 0 } }, 206 },
    { 11637310, 0, { { 0, 0 } }, 29 },
    { 11668096, 1, { { 0, 0 } }, 201 },
    { 11670406, 1, { { 0, 0 } }, 39 },
    { 11673876, 0, { { 0, 0 } }, 28 },
    { 11674787, 1, { { 0, 0 } }, 22 },
    { 11676434, 0, { { 0, 0 } }, 29 },
    { 11708405, 1, { { 0, 0 } }, 203 },
    { 11710358, 0, { { 0, 0 } }, 29 },
    { 11766145, 1, { { 0, 0 } }, 202 },
    { 11768145, 0, { { 0, 0 } }, 29 },
    { 11808248, 1, { { 0, 0 } }, 205 },
    { 11810230, 0, { { 0, 0 } }, 29 },
    { 11854077, 1, { { 0, 0 } }, 201 },
    { 11856194, 0, { { 0, 0 } }, 29 },
    { 11894348, 1, { { 0, 0 } }, 206 },
    { 11897877, 0, { { 0, 0 } }, 29 },
    { 11946139, 1, { { 0, 0 } }, 203 },
    { 11954036, 0, { { 0, 0 } }, 29 },
    { 11994012, 1, { { 0, 0 } }, 209 },
    { 12001316, 0, { { 0, 0 } }, 29 },
    { 12042127, 1, { { 0, 0 } }, 39 },
    { 12044975, 0, { { 0, 0 } }, 29 },
    { 12045079, 1, { { 0, 0 } }, 22 },
    { 12053472, 0, { { 0, 0 } }, 29 },
    { 13052730, 0, { { 0, 0 } }, 358 },
    { 13053704, 1, { { 0, 0 } }, 40 },
    { 13055166, 0, { { 0, 0 } }, 29 },
    { 13055259, 1, { { 0, 0 } }, 22 },
    { 13058407, 0, { { 0, 0 } }, 29 },
    { 14015090, 0, { { 0, 0 } }, 47 },
};
/* chromium-h3-concurrent.requests.tsv: start and time to first byte of each request, ms from the first datagram, by start */
static const struct logged chromium_h3_concurrent_log[] = {
    { 163, 0 }, /* GET / */
    { 1732, 532 }, /* POST /v1/chat/completions */
    { 1740, 1167 }, /* POST /v1/chat/completions */
    { 1744, 707 }, /* POST /v1/chat/completions */
    { 6041, 1448 }, /* POST /v1/chat/completions */
    { 6051, 382 }, /* POST /v1/chat/completions */
    { 6051, 503 }, /* POST /v1/chat/completions */
    { 6051, 938 }, /* POST /v1/chat/completions */
    { 10074, 386 }, /* POST /v1/chat/completions */
    { 10075, 1257 }, /* POST /v1/chat/completions */
    { 10077, 1517 }, /* POST /v1/chat/completions */
    { 13053, 0 }, /* GET /v1/ping?done */
};

#define T0 1000000000ull

/* One request at a time: every request is a turn of its own, starting at
 * the request's time; its request is its one packet (the client's ACKs
 * while the answer streams are no part of it); the first byte is the
 * server's answer, not the path MTU probe quic-go sends right after the
 * third request. */
static void test_sequential_capture(void **state)
{
    (void)state;
    struct exchange e;
    exchange_init(&e);
    replay(&e, chromium_h3_seq, sizeof(chromium_h3_seq) / sizeof(chromium_h3_seq[0]), T0);
    size_t n = sizeof(chromium_h3_seq_log) / sizeof(chromium_h3_seq_log[0]);
    assert_int_equal(e.count, n);
    for (size_t i = 0; i < n; i++) {
        const struct turn *t = exchange_listed_turn(&e, qto()->pool, (uint32_t)i);
        assert_in_range(absdiff(t->start_us, T0 + chromium_h3_seq_log[i].start_ms * 1000ull), 0,
                        START_TOL_US);
        assert_in_range(absdiff(t->ttfb_us, chromium_h3_seq_log[i].ttfb_ms * 1000ull), 0,
                        TTFB_TOL_US);
        assert_int_equal(t->req_records, 1);
        assert_in_range(t->req_bytes, 300, 1000);
    }
}

/* Rounds of 3 and 4 requests 0.1-10 ms apart on one connection: each a turn
 * (Chromium sends each request in a packet of its own), at its own time,
 * of one packet. */
static void test_concurrent_capture(void **state)
{
    (void)state;
    struct exchange e;
    exchange_init(&e);
    replay(&e, chromium_h3_concurrent,
           sizeof(chromium_h3_concurrent) / sizeof(chromium_h3_concurrent[0]), T0);
    size_t n = sizeof(chromium_h3_concurrent_log) / sizeof(chromium_h3_concurrent_log[0]);
    assert_int_equal(e.count, n);
    for (size_t i = 0; i < n; i++) {
        const struct turn *t = exchange_listed_turn(&e, qto()->pool, (uint32_t)i);
        assert_in_range(absdiff(t->start_us, T0 + chromium_h3_concurrent_log[i].start_ms * 1000ull),
                        0, START_TOL_US);
        assert_int_equal(t->req_records, 1);
    }
}

/* After the handshake: a request, the server's ACK, its answer streamed in
 * 210-byte packets, each acknowledged by the client (36 bytes). */
static void handshake(struct exchange *e, uint8_t *d)
{
    size_t n = quic_long(d, 0, 1250);
    exchange_udp(e, 0, 1000, d, (uint32_t)n, qto());
    n = quic_long(d, 0, 131);
    n += quic_long(d + n, 2, 1121);
    exchange_udp(e, 1, 2000, d, (uint32_t)n, qto());
    n = quic_long(d, 2, 74);
    n += quic_short(d + n, 67); /* Finished and the control stream's SETTINGS */
    exchange_udp(e, 0, 3000, d, (uint32_t)n, qto());
    exchange_udp(e, 1, 3100, d, (uint32_t)quic_short(d, 287), qto()); /* HANDSHAKE_DONE, tickets */
}

static void test_client_acks_are_no_request(void **state)
{
    (void)state;
    struct exchange e;
    uint8_t d[1500];
    exchange_init(&e);
    handshake(&e, d);
    exchange_udp(&e, 0, 1000000, d, (uint32_t)quic_short(d, 544), qto());
    exchange_udp(&e, 1, 1000300, d, (uint32_t)quic_short(d, 25), qto()); /* ACK */
    for (uint64_t k = 0; k < 10; k++) {
        exchange_udp(&e, 1, 1800000 + k * 40000, d, (uint32_t)quic_short(d, 210), qto());
        exchange_udp(&e, 0, 1826000 + k * 40000, d, (uint32_t)quic_short(d, 36), qto());
    }
    exchange_finish(&e, qto());
    assert_int_equal(e.count, 1);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->start_us, 1000000);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->req_bytes, 544);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->req_records, 1);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->ttfb_us, 800000);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->resp_bytes, 25 + 10 * 210);
    /* The ACKs are the flow's application data all the same. */
    assert_int_equal(exchange_app_bytes(&e, 0), 67 + 544 + 10 * 36);
}

/* quic-go probes the path MTU with datagrams larger than any before
 * (1360, 1410, 1435, 1447 bytes), often right after a request: no first
 * byte. Data packets up to a size already sent are data. */
static void test_mtu_probes_are_no_answer(void **state)
{
    (void)state;
    struct exchange e;
    uint8_t d[1500];
    exchange_init(&e);
    handshake(&e, d);
    exchange_udp(&e, 0, 1000000, d, (uint32_t)quic_short(d, 544), qto());
    exchange_udp(&e, 1, 1000300, d, (uint32_t)quic_short(d, 1427), qto()); /* probe */
    exchange_udp(&e, 0, 1001000, d, (uint32_t)quic_short(d, 1442), qto()); /* the client's */
    exchange_udp(&e, 1, 1900000, d, (uint32_t)quic_short(d, 122), qto());   /* HEADERS */
    exchange_udp(&e, 1, 1900100, d, (uint32_t)quic_short(d, 1427), qto()); /* data, probed size */
    exchange_udp(&e, 1, 1900200, d, (uint32_t)quic_short(d, 1244), qto()); /* data below it */
    exchange_finish(&e, qto());
    assert_int_equal(e.count, 1);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->req_bytes, 544);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->ttfb_us, 900000);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->resp_bytes, 122 + 1427 + 1244);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->resp_records, 3);
    assert_int_equal(exchange_app_bytes(&e, 1), 287 + 1427 + 122 + 1427 + 1244);
}

/* Requests written back to back (fetches fired at once) are turns each:
 * a packet below full size ends a client write. A body over several
 * full-size packets is one request. */
static void test_back_to_back_requests(void **state)
{
    (void)state;
    struct exchange e;
    uint8_t d[1500];
    exchange_init(&e);
    handshake(&e, d);
    exchange_udp(&e, 0, 1000000, d, (uint32_t)quic_short(d, 550), qto());
    exchange_udp(&e, 1, 1000200, d, (uint32_t)quic_short(d, 25), qto()); /* ACK */
    exchange_udp(&e, 0, 1003000, d, (uint32_t)quic_short(d, 511), qto());
    exchange_udp(&e, 0, 1003100, d, (uint32_t)quic_short(d, 536), qto());
    /* A long prompt: two full packets and the rest, 30 us apart. */
    exchange_udp(&e, 0, 1003200, d, (uint32_t)quic_short(d, 1250), qto());
    exchange_udp(&e, 0, 1003230, d, (uint32_t)quic_short(d, 1250), qto());
    exchange_udp(&e, 0, 1003260, d, (uint32_t)quic_short(d, 300), qto());
    exchange_udp(&e, 1, 1500000, d, (uint32_t)quic_short(d, 1244), qto());
    exchange_finish(&e, qto());
    assert_int_equal(e.count, 4);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 0)->start_us, 1000000);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 1)->start_us, 1003000);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 2)->start_us, 1003100);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 3)->start_us, 1003200);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 3)->req_bytes, 2800);
    assert_int_equal(exchange_listed_turn(&e, qto()->pool, 3)->req_records, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_capture),
        cmocka_unit_test(test_concurrent_capture),
        cmocka_unit_test(test_client_acks_are_no_request),
        cmocka_unit_test(test_mtu_probes_are_no_answer),
        cmocka_unit_test(test_back_to_back_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
