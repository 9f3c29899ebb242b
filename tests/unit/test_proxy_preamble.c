/* Forward proxy requests before the ClientHello (proxy-preamble.c): each
 * request read alone, cut short, and refused when it is not a CONNECT; then
 * TLS through each proxy, as the reassembler (tls-asm.c) sees it. The real
 * hellos are in tls_hellos.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ds/proxy-preamble.h"
#include "ds/tls-asm.h"
#include "ds/tls.h"
#include "tls_hellos.h"

/* HTTP CONNECT, SOCKS 4, 4a and 5 CONNECT requests, as clients send them. */
static const struct {
    const char *what;
    const char *pre;
    size_t len;
} requests[] = {
    { "HTTP CONNECT", LIT("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n"
                          "Proxy-Authorization: Basic dTpw\r\n\r\n") },
    { "SOCKS4", LIT("\x04\x01\x01\xbb\x5d\xb8\xd8\x77\x00") },
    { "SOCKS4 with user", LIT("\x04\x01\x01\xbb\x5d\xb8\xd8\x77" "bob\x00") },
    { "SOCKS4a", LIT("\x04\x01\x01\xbb\x00\x00\x00\x01\x00" "api.openai.com\x00") },
    { "SOCKS5 no auth, name",
      LIT("\x05\x01\x00" "\x05\x01\x00\x03\x0e" "api.openai.com" "\x01\xbb") },
    { "SOCKS5 user/pass, IPv4",
      LIT("\x05\x02\x00\x02" "\x01\x03" "bob" "\x03" "pwd"
          "\x05\x01\x00\x01\x5d\xb8\xd8\x77\x01\xbb") },
    { "SOCKS5 user/pass offered, none chosen, IPv6",
      LIT("\x05\x02\x00\x02" "\x05\x01\x00\x04" "0123456789abcdef" "\x01\xbb") },
};

#define N_REQUESTS (sizeof(requests) / sizeof(requests[0]))

/* Each request is found whole, with or without bytes after it, and every
 * shorter prefix asks for more. */
static void test_requests(void **state)
{
    (void)state;
    static uint8_t s[PROXY_PREAMBLE_MAX];
    for (size_t i = 0; i < N_REQUESTS; i++) {
        size_t len = requests[i].len;
        memcpy(s, requests[i].pre, len);
        memset(s + len, 0x16, 16);
        size_t n = 0;
        if (proxy_preamble_len(s, len, &n) != PROXY_PREAMBLE_FOUND || n != len)
            fail_msg("%s: not found whole", requests[i].what);
        n = 0;
        if (proxy_preamble_len(s, len + 16, &n) != PROXY_PREAMBLE_FOUND || n != len)
            fail_msg("%s: not found with bytes after it", requests[i].what);
        for (size_t k = 0; k < len; k++) {
            /* A copy of exactly k bytes, so ASan sees any read past it. */
            uint8_t *m = test_malloc(k ? k : 1);
            memcpy(m, s, k);
            if (proxy_preamble_len(m, k, &n) != PROXY_PREAMBLE_MORE)
                fail_msg("%s: cut at %zu is not MORE", requests[i].what, k);
            test_free(m);
        }
    }
}

/* What is not a CONNECT request through a proxy is NONE, decided from the
 * bytes that have come. */
static void test_not_requests(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *data;
        size_t len;
    } t[] = {
        { "TLS record", LIT("\x16\x03\x01\x02\x00") },
        { "HTTP GET", LIT("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
        { "C but not CONNECT", LIT("CONNEXION") },
        { "lower-case connect", LIT("connect a:443 HTTP/1.1\r\n\r\n") },
        { "SOCKS4 BIND", LIT("\x04\x02\x01\xbb\x01\x02\x03\x04\x00") },
        { "SOCKS5 no methods", LIT("\x05\x00\x05\x01\x00\x01") },
        { "SOCKS5 BIND", LIT("\x05\x01\x00\x05\x02\x00\x01\x01\x02\x03\x04\x01\xbb") },
        { "SOCKS5 reserved byte set", LIT("\x05\x01\x00\x05\x01\x01\x01\x01\x02\x03\x04\x01\xbb") },
        { "SOCKS5 address type 2", LIT("\x05\x01\x00\x05\x01\x00\x02\x01\x02\x03\x04\x01\xbb") },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n = 12345;
        if (proxy_preamble_len((const uint8_t *)t[i].data, t[i].len, &n) != PROXY_PREAMBLE_NONE)
            fail_msg("%s: not NONE", t[i].what);
        assert_int_equal(n, 12345); /* untouched */
    }
}

/* Nothing yet is MORE; a request that has not ended by PROXY_PREAMBLE_MAX
 * bytes is not taken for one, and no byte past it is read. */
static void test_limits(void **state)
{
    (void)state;
    size_t n = 0;
    static const uint8_t none[1];
    assert_int_equal(proxy_preamble_len(none, 0, &n), PROXY_PREAMBLE_MORE);

    static uint8_t big[PROXY_PREAMBLE_MAX + 8];
    memset(big, 'x', sizeof(big));
    memcpy(big, "CONNECT ", 8);
    assert_int_equal(proxy_preamble_len(big, PROXY_PREAMBLE_MAX - 1, &n), PROXY_PREAMBLE_MORE);
    assert_int_equal(proxy_preamble_len(big, PROXY_PREAMBLE_MAX, &n), PROXY_PREAMBLE_NONE);
    /* The blank line just past the cap is not looked at. */
    memcpy(big + PROXY_PREAMBLE_MAX - 2, "\r\n\r\n", 4);
    assert_int_equal(proxy_preamble_len(big, sizeof(big), &n), PROXY_PREAMBLE_NONE);
    /* Just inside it, it is. */
    memcpy(big + PROXY_PREAMBLE_MAX - 4, "\r\n\r\n", 4);
    assert_int_equal(proxy_preamble_len(big, sizeof(big), &n), PROXY_PREAMBLE_FOUND);
    assert_int_equal(n, PROXY_PREAMBLE_MAX);

    /* A SOCKS 4 user id of more than 255 bytes is not one. */
    static uint8_t s4[8 + 300];
    memcpy(s4, "\x04\x01\x01\xbb\x5d\xb8\xd8\x77", 8);
    memset(s4 + 8, 'u', 300);
    assert_int_equal(proxy_preamble_len(s4, sizeof(s4), &n), PROXY_PREAMBLE_NONE);
}

/* TLS through a forward proxy: the client's stream opens with the proxy
 * request (HTTP CONNECT, SOCKS 4, 4a, 5), then the hello once the proxy has
 * answered. raw gives the records only. */
static void test_proxies(void **state)
{
    (void)state;
    static uint8_t rec[TLS_HELLO_MAX], s[TLS_HELLO_MAX + 256];
    size_t len = unhex(tls10_sni_only, rec, sizeof(rec));
    struct tls_asm_pool *pool = tls_asm_pool_new(1, NULL);
    for (size_t i = 0; i < N_REQUESTS; i++) {
        memcpy(s, requests[i].pre, requests[i].len);
        memcpy(s + requests[i].len, rec, len);
        uint32_t a = 0;
        struct tls_hello h;
        const uint8_t *raw = NULL;
        size_t raw_len = 0;
        /* The request, then the hello in its own segment (after the proxy's reply). */
        enum tls_feed r =
            tls_asm_feed(pool, &a, true, 50, 50, s, requests[i].len, &h, &raw, &raw_len);
        if (r != TLS_FEED_MORE)
            fail_msg("%s: request alone gave %d", requests[i].what, r);
        r = tls_asm_feed(pool, &a, true, 50, 50 + (uint32_t)requests[i].len, s + requests[i].len,
                         len, &h, &raw, &raw_len);
        if (r != TLS_FEED_DONE)
            fail_msg("%s: gave %d", requests[i].what, r);
        assert_string_equal(h.ja4, "t10d230100_6a57a6f57151_000000000000");
        assert_string_equal(h.sni, "www.github.com");
        assert_int_equal(raw_len, len);
        assert_memory_equal(raw, rec, len);
        assert_int_equal(tls_asm_raw_seq(pool, a, 50 + (uint32_t)requests[i].len,
                                         s + requests[i].len, raw),
                         50 + requests[i].len);
        tls_asm_release(pool, &a);
        /* All in one segment: the fast path. */
        r = tls_asm_feed(pool, &a, true, 50, 50, s, requests[i].len + len, &h, &raw, &raw_len);
        assert_int_equal(r, TLS_FEED_DONE);
        assert_int_equal(a, 0);
        assert_ptr_equal(raw, s + requests[i].len);
        assert_int_equal(tls_asm_raw_seq(pool, a, 50, s, raw), 50 + requests[i].len);
        /* Cut one byte into the request. */
        r = tls_asm_feed(pool, &a, true, 50, 50, s, 1, &h, &raw, &raw_len);
        assert_int_equal(r, TLS_FEED_MORE);
        r = tls_asm_feed(pool, &a, true, 50, 51, s + 1, requests[i].len + len - 1, &h, &raw,
                         &raw_len);
        assert_int_equal(r, TLS_FEED_DONE);
        tls_asm_release(pool, &a);
    }
    /* An HTTP request head that never ends is not taken for a proxy request. */
    static uint8_t big[5000];
    memset(big, 'x', sizeof(big));
    memcpy(big, "CONNECT ", 8);
    uint32_t a = 0;
    struct tls_hello h;
    const uint8_t *raw;
    size_t raw_len;
    assert_int_equal(tls_asm_feed(pool, &a, true, 0, 0, big, sizeof(big), &h, &raw, &raw_len),
                     TLS_FEED_NOT_TLS);
    tls_asm_release(pool, &a);
    tls_asm_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_not_requests),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
