/* The AI service catalogue: the shipped rules/ai-services.conf must hold
 * every host issue 2 lists and refuse the lookalikes; matching rules
 * (exact, label wildcards, longest suffix, case, trailing dot, hostile
 * names); CIDR longest-prefix matching; and each parse error reported as
 * `file:line: why` (stderr is captured to check the text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/catalog.h"
#include "ds/diag.h"
#include "ds/packet.h"

#include <arpa/inet.h>

#define RULES DS_TEST_SOURCE_DIR "/rules/ai-services.conf"

static struct catalog *load_shipped(void)
{
    struct catalog *cat = NULL;
    assert_int_equal(catalog_load(RULES, NULL, &cat), 0);
    assert_non_null(cat);
    return cat;
}

static void expect_match(const struct catalog *cat, const char *host, const char *provider,
                         const char *service)
{
    int idx = catalog_match_host(cat, host);
    if (idx < 0)
        fail_msg("'%s' should match %s/%s", host, provider, service);
    const struct catalog_entry *e = catalog_entry(cat, idx);
    assert_non_null(e);
    if (strcmp(e->provider, provider) != 0 || strcmp(e->service, service) != 0)
        fail_msg("'%s' matched %s/%s (%s), expected %s/%s", host, e->provider, e->service,
                 e->pattern, provider, service);
}

static void expect_none(const struct catalog *cat, const char *host)
{
    int idx = catalog_match_host(cat, host);
    if (idx >= 0)
        fail_msg("'%s' must not match, matched %s", host, catalog_entry(cat, idx)->pattern);
}

/* Every host issue 2 item 5 names, and the documented API hosts of the
 * other providers it lists. */
static void test_shipped_required_hosts(void **state)
{
    (void)state;
    struct catalog *cat = load_shipped();
    static const char *const want[][3] = {
        { "api.openai.com", "openai", "api" },
        { "chatgpt.com", "openai", "web" },
        { "chat.openai.com", "openai", "web" },
        { "api.anthropic.com", "anthropic", "api" },
        { "claude.ai", "anthropic", "web" },
        { "generativelanguage.googleapis.com", "google", "api" },
        { "aiplatform.googleapis.com", "google", "api" },
        { "us-central1-aiplatform.googleapis.com", "google", "api" },
        { "europe-west4-aiplatform.googleapis.com", "google", "api" },
        { "gemini.google.com", "google", "web" },
        { "aistudio.google.com", "google", "web" },
        { "api.mistral.ai", "mistral", "api" },
        { "api.deepseek.com", "deepseek", "api" },
        { "api.moonshot.cn", "moonshot", "api" },
        { "api.moonshot.ai", "moonshot", "api" },
        { "api.minimax.chat", "minimax", "api" },
        { "api.minimaxi.com", "minimax", "api" },
        { "api.minimax.io", "minimax", "api" },
        { "open.bigmodel.cn", "zhipu", "api" },
        { "api.z.ai", "zhipu", "api" },
        { "dashscope.aliyuncs.com", "alibaba", "api" },
        { "dashscope-intl.aliyuncs.com", "alibaba", "api" },
        { "api.x.ai", "xai", "api" },
        { "api.cohere.com", "cohere", "api" },
        { "api.cohere.ai", "cohere", "api" },
        { "api.groq.com", "groq", "api" },
        { "api.together.xyz", "together", "api" },
        { "api.fireworks.ai", "fireworks", "api" },
        { "api.perplexity.ai", "perplexity", "api" },
        { "openrouter.ai", "openrouter", "api" },
        { "myresource.openai.azure.com", "azure-openai", "api" },
        { "bedrock-runtime.us-east-1.amazonaws.com", "aws-bedrock", "api" },
        { "bedrock-runtime.eu-central-1.amazonaws.com", "aws-bedrock", "api" },
        { "api-inference.huggingface.co", "huggingface", "api" },
        { "router.huggingface.co", "huggingface", "api" },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        expect_match(cat, want[i][0], want[i][1], want[i][2]);

    /* Providers are counted once each, in file order. */
    const char *const *names = NULL;
    size_t np = catalog_providers(cat, &names);
    assert_true(np >= 19); /* the 19 providers issue 2 lists */
    assert_string_equal(names[0], "openai");
    for (size_t i = 0; i < np; i++)
        for (size_t j = i + 1; j < np; j++)
            assert_string_not_equal(names[i], names[j]);
    int idx = catalog_match_host(cat, "claude.ai");
    assert_string_equal(names[catalog_provider_index(cat, idx)], "anthropic");
    catalog_free(cat);
}

static void test_shipped_case_and_dot(void **state)
{
    (void)state;
    struct catalog *cat = load_shipped();
    expect_match(cat, "API.OPENAI.COM", "openai", "api");
    expect_match(cat, "Api.Anthropic.Com", "anthropic", "api");
    expect_match(cat, "api.openai.com.", "openai", "api");
    expect_match(cat, "US-CENTRAL1-AIPLATFORM.googleapis.com.", "google", "api");
    expect_match(cat, "Bedrock-Runtime.US-WEST-2.amazonaws.com", "aws-bedrock", "api");
    expect_match(cat, "a.b.MyRes.OpenAI.Azure.com", "azure-openai", "api");
    expect_none(cat, "api.openai.com..");  /* only one trailing dot is a root */
    catalog_free(cat);
}

static void test_shipped_lookalikes(void **state)
{
    (void)state;
    struct catalog *cat = load_shipped();
    static const char *const bad[] = {
        "storage.googleapis.com",
        "googleapis.com",
        "www.googleapis.com",
        "aiplatform.googleapis.com.evil.example",
        "-aiplatform.googleapis.com",         /* '*' needs at least one character */
        "us-central1-aiplatform.googleapis.com.evil.example",
        "x.us-central1-aiplatform.googleapis.com", /* one label only */
        "openai.com",
        "openai.com.evil.example",
        "api.openai.com.evil.example",
        "xapi.openai.com",
        "api-openai.com",
        "api.openai.co",
        "openai.azure.com",                   /* "*." needs a label in front */
        "xopenai.azure.com",
        "openai.azure.com.evil.example",
        "bedrock-runtime.amazonaws.com",      /* the region label is missing */
        "bedrock-runtime.a.b.amazonaws.com",  /* '*' is exactly one label */
        "bedrock.us-east-1.amazonaws.com",    /* control plane, not inference */
        "xbedrock-runtime.us-east-1.amazonaws.com",
        "claude.ai.evil.example",
        "evilclaude.ai",
        "huggingface.co",
        "example.com",
        "com",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_none(cat, bad[i]);
    catalog_free(cat);
}

static void test_hostile_names(void **state)
{
    (void)state;
    struct catalog *cat = load_shipped();
    expect_none(cat, "");
    expect_none(cat, ".");
    expect_none(cat, "..");
    expect_none(cat, ".api.openai.com");
    expect_none(cat, "api..openai.com");
    expect_none(cat, "a..openai.azure.com"); /* its suffix would match */
    expect_none(cat, "..openai.azure.com");
    expect_none(cat, "a.openai.azure.com..");
    expect_none(cat, "api.openai.com ");
    expect_none(cat, "api.openai.com\t");
    expect_none(cat, "api.\xc3\xb6penai.com");
    expect_none(cat, "api.openai.com\xff");
    expect_none(cat, "\x80");
    expect_none(cat, "*.openai.azure.com");
    expect_none(cat, "api.openai.com/");
    assert_int_equal(catalog_match_host(cat, NULL), -1);
    assert_int_equal(catalog_match_host(NULL, "api.openai.com"), -1);

    /* Long names: 253 bytes is the limit for a match; longer never matches
     * and never reads past the string. */
    char name[400];
    const char *tail = ".openai.azure.com";
    size_t tl = strlen(tail);
    for (size_t total = 240; total <= 300; total++) {
        size_t head = total - tl;
        for (size_t i = 0; i < head; i++)
            name[i] = (i % 10 == 9) ? '.' : 'a';
        name[head - 1] = 'a'; /* the label before the tail is not empty */
        memcpy(name + head, tail, tl + 1);
        int idx = catalog_match_host(cat, name);
        if (total <= 253)
            assert_true(idx >= 0);
        else
            assert_int_equal(idx, -1);
        /* With a trailing dot, 254 bytes still name a 253-byte host. */
        name[total] = '.';
        name[total + 1] = '\0';
        idx = catalog_match_host(cat, name);
        if (total <= 253)
            assert_true(idx >= 0);
        else
            assert_int_equal(idx, -1);
    }
    /* 255 bytes of one label, and many one-byte labels. */
    memset(name, 'a', 255);
    name[255] = '\0';
    expect_none(cat, name);
    for (size_t i = 0; i < 253; i++)
        name[i] = (i % 2) ? '.' : 'a';
    name[253] = '\0';
    expect_none(cat, name);
    catalog_free(cat);
}

static int load_text(const char *text, struct catalog **cat)
{
    return catalog_load_buffer("test.conf", text, strlen(text), NULL, cat);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *text =
        "# precedence\n"
        "host *.example.com          p-suffix api\n"
        "host *.eu.example.com       p-longer api\n"
        "host api.eu.example.com     p-exact  api\n"
        "host *.*.example.com        p-never  api\n" /* refused: see below */;
    struct catalog *cat = NULL;
    /* "*." cannot be combined with another '*'. */
    assert_int_equal(load_text(text, &cat), 1);
    assert_null(cat);

    text = "host *.example.com           p-suffix api\n"
           "host *.eu.example.com        p-longer api\n"
           "host api.eu.example.com      p-exact  api\n"
           "host x.*.example.com         p-wild   api\n"
           "host x.e*.example.com        p-wild2  web\n"
           "host example.com             p-apex   web\n";
    assert_int_equal(load_text(text, &cat), 0);
    expect_match(cat, "api.eu.example.com", "p-exact", "api");
    expect_match(cat, "web.eu.example.com", "p-longer", "api");
    expect_match(cat, "a.b.eu.example.com", "p-longer", "api");
    expect_match(cat, "www.example.com", "p-suffix", "api");
    expect_match(cat, "a.b.c.example.com", "p-suffix", "api");
    expect_match(cat, "example.com", "p-apex", "web");
    /* Label patterns beat suffixes; more literal characters win. */
    expect_match(cat, "x.us.example.com", "p-wild", "api");
    expect_match(cat, "x.eu.example.com", "p-wild2", "web");
    expect_none(cat, "example.org");
    expect_none(cat, "eu.example.com.org");
    assert_int_equal(catalog_count(cat), 6);
    const struct catalog_entry *e = catalog_entry(cat, 4);
    assert_string_equal(e->pattern, "x.e*.example.com");
    assert_null(catalog_entry(cat, 6));
    assert_null(catalog_entry(cat, -1));
    catalog_free(cat);
}

static void test_label_wildcards(void **state)
{
    (void)state;
    const char *text = "host *-aiplatform.googleapis.com      g api\n"
                       "host bedrock-runtime.*.amazonaws.com  b api\n"
                       "host pre*post.example.com             m api\n"
                       "host a.*.*.example.net                n api\n";
    struct catalog *cat = NULL;
    assert_int_equal(load_text(text, &cat), 0);
    expect_match(cat, "x-aiplatform.googleapis.com", "g", "api");
    expect_none(cat, "aiplatform.googleapis.com");
    expect_none(cat, "x.aiplatform.googleapis.com");
    expect_match(cat, "prexpost.example.com", "m", "api");
    expect_match(cat, "pre-1-post.example.com", "m", "api");
    expect_none(cat, "prepost1.example.com");
    expect_none(cat, "prepost.example.com"); /* '*' is one or more characters */
    expect_none(cat, "prpost.example.com");
    expect_none(cat, "pre-pos.example.com");
    expect_match(cat, "a.b.c.example.net", "n", "api");
    expect_none(cat, "a.b.example.net");
    expect_none(cat, "b.b.c.example.net");
    expect_match(cat, "bedrock-runtime.ap-southeast-2.amazonaws.com", "b", "api");
    catalog_free(cat);
}

static void addr(const char *s, struct ds_addr *a)
{
    uint8_t v4[4];
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (inet_pton(AF_INET, s, v4) == 1) {
        memcpy(a->a, mapped, 12);
        memcpy(a->a + 12, v4, 4);
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, s, a->a), 1);
}

static void expect_addr(const struct catalog *cat, const char *s, const char *provider)
{
    struct ds_addr a;
    addr(s, &a);
    int idx = catalog_match_addr(cat, &a);
    if (provider == NULL) {
        if (idx >= 0)
            fail_msg("%s must not match, matched %s", s, catalog_entry(cat, idx)->pattern);
        return;
    }
    if (idx < 0)
        fail_msg("%s should match %s", s, provider);
    assert_string_equal(catalog_entry(cat, idx)->provider, provider);
}

static void test_cidr(void **state)
{
    (void)state;
    const char *text = "cidr 10.0.0.0/8          wide    api\n"
                       "cidr 10.1.2.0/24         mid     api\n"
                       "cidr 10.1.2.3/32         host    api\n"
                       "cidr 192.0.2.128/25      half    web\n"
                       "cidr 2001:db8::/32       v6wide  api\n"
                       "cidr 2001:db8:1:2::/64   v6mid   api\n"
                       "cidr 2001:DB8:1:2::7/128 v6host  api\n"
                       "host api.example.com     named   api\n";
    struct catalog *cat = NULL;
    assert_int_equal(load_text(text, &cat), 0);
    expect_addr(cat, "10.9.9.9", "wide");
    expect_addr(cat, "10.1.2.4", "mid");
    expect_addr(cat, "10.1.2.3", "host");
    expect_addr(cat, "11.1.2.3", NULL);
    expect_addr(cat, "192.0.2.200", "half");
    expect_addr(cat, "192.0.2.127", NULL);
    expect_addr(cat, "2001:db8:ffff::1", "v6wide");
    expect_addr(cat, "2001:db8:1:2::8", "v6mid");
    expect_addr(cat, "2001:db8:1:2::7", "v6host");
    expect_addr(cat, "2001:db9::1", NULL);
    expect_addr(cat, "::ffff:10.1.2.3", "host"); /* the mapped form is the IPv4 address */
    assert_string_equal(catalog_entry(cat, 6)->pattern, "2001:db8:1:2::7/128");
    assert_int_equal(catalog_match_addr(cat, NULL), -1);
    /* Names and addresses do not cross. */
    expect_none(cat, "10.1.2.3");
    expect_match(cat, "api.example.com", "named", "api");
    catalog_free(cat);

    /* A catalogue without ranges matches no address. */
    assert_int_equal(load_text("host a.example.com x api\n", &cat), 0);
    expect_addr(cat, "10.1.2.3", NULL);
    catalog_free(cat);
}

static void test_format_details(void **state)
{
    (void)state;
    struct catalog *cat = NULL;
    /* Comments anywhere, tabs, CRLF, a byte order mark, no final newline. */
    const char *text = "\xef\xbb\xbf# header\r\n"
                       "\r\n"
                       "   \t  # indented comment\n"
                       "host\tA.Example.COM.\tprov_1\tapi   # trailing comment\r\n"
                       "cidr 198.51.100.0/24 prov-2 web#no space before the comment\n"
                       "host b.example.com prov_1 sdk";
    assert_int_equal(load_text(text, &cat), 0);
    assert_int_equal(catalog_count(cat), 3);
    assert_string_equal(catalog_entry(cat, 0)->pattern, "a.example.com");
    assert_string_equal(catalog_entry(cat, 1)->pattern, "198.51.100.0/24");
    assert_string_equal(catalog_entry(cat, 2)->service, "sdk");
    const char *const *names = NULL;
    assert_int_equal(catalog_providers(cat, &names), 2);
    assert_string_equal(names[0], "prov_1");
    assert_string_equal(names[1], "prov-2");
    assert_int_equal(catalog_provider_index(cat, 2), 0);
    assert_int_equal(catalog_provider_index(cat, 1), 1);
    assert_int_equal(catalog_provider_index(cat, 3), -1);
    catalog_free(cat);

    /* An empty catalogue is valid (nothing is AI). */
    assert_int_equal(catalog_load_buffer("empty.conf", "", 0, NULL, &cat), 0);
    assert_int_equal(catalog_count(cat), 0);
    expect_none(cat, "api.openai.com");
    catalog_free(cat);
    catalog_free(NULL);
    assert_int_equal(catalog_count(NULL), 0);
}

/* Runs fn with stderr going to a temporary file; returns what was written. */
static char *capture_stderr(int (*fn)(const char *), const char *arg, int *rc)
{
    char path[] = "/tmp/ds_test_catalog_err_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    *rc = fn(arg);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    buf[n] = '\0';
    close(fd);
    unlink(path);
    return buf;
}

static char conf_path[64];

/* Writes text to a temporary .conf file and loads it as the sensor does:
 * the real file path, messages to stderr through a diag with the default cap. */
static int load_temp_file(const char *text)
{
    snprintf(conf_path, sizeof(conf_path), "/tmp/ds_test_catalog_XXXXXX");
    int fd = mkstemp(conf_path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    struct catalog *cat = NULL;
    struct diag dg;
    diag_init(&dg);
    int rc = catalog_load(conf_path, &dg, &cat);
    diag_finish(&dg);
    if (rc > 0)
        assert_int_equal(diag_errors(&dg), rc);
    if (rc != 0)
        assert_null(cat);
    catalog_free(cat);
    unlink(conf_path);
    return rc;
}

/* One bad file: returns 1 error and the message `file:line: why`. */
static void expect_error(const char *text, unsigned line, const char *why)
{
    int rc = 0;
    char *err = capture_stderr(load_temp_file, text, &rc);
    char want[512];
    snprintf(want, sizeof(want), "%s:%u: %s", conf_path, line, why);
    if (rc != 1 || strstr(err, want) == NULL)
        fail_msg("for %s: rc %d, stderr '%s', expected '%s'", text, rc, err, want);
    free(err);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("hots api.openai.com openai api\n", 1,
                 "unknown directive 'hots' (expected 'host' or 'cidr')");
    expect_error("# comment\nhost api.openai.com openai\n", 2,
                 "'host' takes 3 fields: host PATTERN PROVIDER SERVICE (got 2)");
    expect_error("host api.open ai.com openai api\n", 1,
                 "'host' takes 3 fields: host PATTERN PROVIDER SERVICE (got 4)");
    expect_error("cidr 10.0.0.0/8\n", 1,
                 "'cidr' takes 3 fields: cidr ADDRESS/LENGTH PROVIDER SERVICE (got 1)");
    expect_error("host api..openai.com openai api\n", 1,
                 "bad host pattern 'api..openai.com': empty label");
    expect_error("host .openai.com openai api\n", 1,
                 "bad host pattern '.openai.com': empty label");
    expect_error("host api!.openai.com openai api\n", 1,
                 "bad host pattern 'api!.openai.com': character 0x21 is not allowed");
    expect_error("host api.\xc3\xb6penai.com openai api\n", 1,
                 "bad host pattern 'api.\xc3\xb6penai.com': character 0xc3 is not allowed");
    expect_error("host *.com openai api\n", 1,
                 "bad host pattern '*.com': too broad, name at least two labels after '*.'");
    expect_error("host api.* openai api\n", 1,
                 "bad host pattern 'api.*': too broad, the last two labels must be literal");
    expect_error("host api.*.com openai api\n", 1,
                 "bad host pattern 'api.*.com': too broad, the last two labels must be literal");
    expect_error("host a**b.example.com openai api\n", 1,
                 "bad host pattern 'a**b.example.com': at most one '*' per label");
    expect_error("host *.x.*.example.com openai api\n", 1,
                 "bad host pattern '*.x.*.example.com': a leading '*.' cannot be combined "
                 "with another '*'");
    expect_error("host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com o api\n",
                 1, "bad host pattern 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com'"
                 ": label longer than 63");
    expect_error("host api.openai.com OpenAI api\n", 1, "bad provider name 'OpenAI'");
    expect_error("host api.openai.com -openai api\n", 1, "bad provider name '-openai'");
    expect_error("host api.openai.com openai API!\n", 1, "bad service name 'API!'");
    expect_error("host api.openai.com openai api\n\nhost API.OpenAI.com. other web\n", 3,
                 "duplicate host api.openai.com (first on line 1)");
    expect_error("host *.openai.azure.com a api\nhost *.OPENAI.azure.com b api\n", 2,
                 "duplicate host *.openai.azure.com (first on line 1)");
    expect_error("host x-*.example.com a api\nhost X-*.example.com b api\n", 2,
                 "duplicate host x-*.example.com (first on line 1)");
    expect_error("cidr 10.0.0.0 x api\n", 1, "bad CIDR '10.0.0.0': expected ADDRESS/LENGTH");
    expect_error("cidr 10.0.0.0/33 x api\n", 1,
                 "bad CIDR '10.0.0.0/33': prefix length must be 1 to 32");
    expect_error("cidr 10.0.0.0/x x api\n", 1,
                 "bad CIDR '10.0.0.0/x': prefix length must be 1 to 32");
    expect_error("cidr 10.0.0.0/ x api\n", 1, "bad CIDR '10.0.0.0/': expected ADDRESS/LENGTH");
    expect_error("cidr 2001:db8::/129 x api\n", 1,
                 "bad CIDR '2001:db8::/129': prefix length must be 1 to 128");
    expect_error("cidr 0.0.0.0/0 x api\n", 1, "bad CIDR '0.0.0.0/0': a /0 would match every address");
    expect_error("cidr 300.0.0.0/8 x api\n", 1,
                 "bad CIDR '300.0.0.0/8': '300.0.0.0' is not an IPv4 address");
    expect_error("cidr 2001:zz8::/32 x api\n", 1,
                 "bad CIDR '2001:zz8::/32': '2001:zz8::' is not an IPv6 address");
    expect_error("cidr 10.0.0.1/8 x api\n", 1,
                 "bad CIDR '10.0.0.1/8': host bits set (the network is 10.0.0.0/8)");
    expect_error("cidr 2001:db8::/32 x api\ncidr 2001:0db8:0::/32 y api\n", 2,
                 "duplicate CIDR 2001:db8::/32 (first on line 1)");

    char big[5000];
    memset(big, 'a', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    expect_error(big, 1, "line longer than 4096 bytes");

    /* A NUL byte is refused, not read as the end of the line. */
    struct catalog *cat = NULL;
    static const char nul[] = "host a.example.com x api\nhost b.exa\0mple.com x api\n";
    assert_int_equal(catalog_load_buffer("nul.conf", nul, sizeof(nul) - 1, NULL, &cat), 1);
    assert_null(cat);

    /* Every error is reported and counted; good lines do not save the file. */
    int rc = 0;
    char *err = capture_stderr(load_temp_file,
                               "host api.openai.com openai api\n"
                               "hots x.example.com x api\n"
                               "host y.example.com Y api\n"
                               "host z.example.com z api\n"
                               "cidr 1.2.3.4/24 z api\n",
                               &rc);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, ":2: unknown directive"));
    assert_non_null(strstr(err, ":3: bad provider name"));
    assert_non_null(strstr(err, ":5: bad CIDR"));
    free(err);
}

static int load_missing(const char *path)
{
    struct catalog *cat = NULL;
    int rc = catalog_load(path, NULL, &cat);
    assert_null(cat);
    return rc;
}

static void test_unreadable(void **state)
{
    (void)state;
    int rc = 0;
    char *err = capture_stderr(load_missing, "/nonexistent/ai-services.conf", &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/nonexistent/ai-services.conf: cannot read: No such file"));
    free(err);
    err = capture_stderr(load_missing, "/tmp", &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/tmp: cannot read"));
    free(err);

    /* The same through a diag that collects in memory: one error, counted. */
    struct diag dg;
    struct diag_text t;
    char buf[512];
    struct catalog *cat = NULL;
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    assert_int_equal(catalog_load("/nonexistent/ai-services.conf", &dg, &cat), -1);
    assert_null(cat);
    assert_int_equal(diag_errors(&dg), 1);
    assert_string_equal(buf, "/nonexistent/ai-services.conf: cannot read: No such file or "
                             "directory\n");
}

/* After DIAG_CAP messages the rest are counted, not shown, and one line
 * says how many. */
static void test_error_flood(void **state)
{
    (void)state;
    size_t n = 300;
    char *text = malloc(n * 8 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 8, "bogus 1\n", 8);
    text[n * 8] = '\0';
    int rc = 0;
    char *err = capture_stderr(load_temp_file, text, &rc);
    assert_int_equal(rc, 300);
    size_t lines = 0;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, DIAG_CAP + 1);
    assert_non_null(strstr(err, ":20: unknown directive 'bogus'"));
    assert_null(strstr(err, ":21: "));
    assert_non_null(strstr(err, "280 more messages not shown (300 errors, 0 warnings in all)"));
    free(err);
    free(text);
}

/* A name the pattern covers (each '*' becomes "zz": "*.x" gives "zz.x",
 * "*-x.y" "zz-x.y"), or NULL for a CIDR. */
static const char *name_for(const char *pattern, char *buf, size_t len)
{
    if (strchr(pattern, '/') != NULL)
        return NULL;
    size_t n = 0;
    for (const char *p = pattern; *p != '\0' && n + 3 < len; p++) {
        if (*p == '*') {
            buf[n++] = 'z';
            buf[n++] = 'z';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* The name and CIDR tables' seed moves where keys land, never what matches:
 * the shipped catalogue (names only) and a CIDR catalogue, each under the
 * fixed seed and under another, answer every pattern, its neighbours and
 * addresses alike. */
static void test_seed_changes_no_match(void **state)
{
    (void)state;
    struct catalog *a = load_shipped();
    struct catalog *b = NULL;
    assert_int_equal(catalog_load_seeded(RULES, 0xdeadbeefu, NULL, &b), 0);
    assert_int_equal(catalog_count(a), catalog_count(b));
    unsigned names = 0;
    for (size_t i = 0; i < catalog_count(a); i++) {
        const char *pat = catalog_entry(a, (int)i)->pattern;
        char buf[300], other[310];
        const char *name = name_for(pat, buf, sizeof(buf));
        if (name == NULL)
            continue;
        assert_int_equal(catalog_match_host(a, name), catalog_match_host(b, name));
        if (catalog_match_host(b, name) < 0)
            fail_msg("'%s' (from '%s') should match", name, pat);
        snprintf(other, sizeof(other), "x%s", name);
        assert_int_equal(catalog_match_host(a, other), catalog_match_host(b, other));
        names++;
    }
    assert_true(names > 10);
    catalog_free(a);
    catalog_free(b);

    const char *text = "cidr 10.0.0.0/8 wide api\n"
                       "cidr 10.1.2.0/24 mid api\n"
                       "cidr 10.1.2.3/32 host api\n"
                       "cidr 2001:db8::/32 v6wide api\n"
                       "cidr 2001:db8:1:2::/64 v6mid api\n";
    static const char *const addrs[] = { "10.9.9.9", "10.1.2.4", "10.1.2.3", "11.1.2.3",
                                         "2001:db8:ffff::1", "2001:db8:1:2::8", "2001:db9::1" };
    static const int want[] = { 0, 1, 2, -1, 3, 4, -1 };
    assert_int_equal(catalog_load_buffer(NULL, text, strlen(text), NULL, &a), 0);
    assert_int_equal(catalog_load_buffer_seeded(NULL, text, strlen(text), 0xdeadbeefu, NULL, &b),
                     0);
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        struct ds_addr x;
        memset(&x, 0, sizeof(x));
        uint8_t v4[4];
        if (inet_pton(AF_INET, addrs[i], v4) == 1)
            ds_addr_from_v4(&x, v4);
        else
            assert_int_equal(inet_pton(AF_INET6, addrs[i], x.a), 1);
        assert_int_equal(catalog_match_addr(a, &x), want[i]);
        assert_int_equal(catalog_match_addr(b, &x), want[i]);
    }
    catalog_free(a);
    catalog_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_required_hosts),
        cmocka_unit_test(test_shipped_case_and_dot),
        cmocka_unit_test(test_shipped_lookalikes),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_label_wildcards),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_format_details),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_error_flood),
        cmocka_unit_test(test_seed_changes_no_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
