/* fingerprint: the shipped table (rules/fingerprints.conf) loads and names
 * the clients it lists; matching picks the most specific entry; and every
 * kind of bad line is refused with `file:line: why`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ds/diag.h"
#include "ds/fingerprint.h"

#define CHROMIUM "t13d1516h2_8daaf6152771_02713d6af862"

/* Writes text to a temporary file; path receives its name. */
static void write_tmp(const char *text, size_t len, char path[64])
{
    snprintf(path, 64, "/tmp/test_fingerprint.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static struct fingerprints *load_text(const char *text)
{
    char path[64];
    struct fingerprints *fp = NULL;
    write_tmp(text, strlen(text), path);
    int rc = fingerprint_load(path, NULL, &fp);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_non_null(fp);
    return fp;
}

/* Loads text as the sensor does (messages to stderr through a diag with the
 * default cap) with stderr captured into log (the temporary file's name
 * replaced by "F" so tests can compare whole lines); returns the result. */
static int load_capture(const char *text, size_t len, char *log, size_t loglen,
                        struct fingerprints **fp)
{
    char path[64], tmpl[] = "/tmp/test_fingerprint_log.XXXXXX";
    char raw[8192];
    write_tmp(text, len, path);
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(dup2(fd, 2) >= 0);

    struct diag dg;
    diag_init(&dg);
    int rc = fingerprint_load(path, &dg, fp);
    diag_finish(&dg);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, raw, sizeof(raw) - 1, 0);
    close(fd);
    unlink(tmpl);
    unlink(path);
    raw[n > 0 ? n : 0] = '\0';

    size_t o = 0, plen = strlen(path);
    for (const char *p = raw; *p != '\0' && o + 1 < loglen;) {
        if (strncmp(p, path, plen) == 0) {
            log[o++] = 'F';
            p += plen;
        } else {
            log[o++] = *p++;
        }
    }
    log[o] = '\0';
    fprintf(stderr, "%s", log);
    return rc;
}

/* A load that fails: the number of errors comes back, and no table. */
static int load_fails(const char *text, size_t len, char *log, size_t loglen)
{
    struct fingerprints *fp = (struct fingerprints *)&fp; /* must be reset to NULL */
    int rc = load_capture(text, len, log, loglen, &fp);
    assert_true(rc > 0);
    assert_null(fp);
    return rc;
}

static void expect_error(const char *text, const char *want)
{
    char log[8192];
    load_fails(text, strlen(text), log, sizeof(log));
    if (strstr(log, want) == NULL)
        fail_msg("want '%s' in:\n%s", want, log);
}

static void test_shipped_table(void **state)
{
    (void)state;
    struct fingerprints *fp = NULL;
    const char *family, *client;

    assert_int_equal(fingerprint_load(DS_TEST_SOURCE_DIR "/rules/fingerprints.conf", NULL, &fp), 0);
    assert_true(fingerprint_count(fp) > 20);

    /* Exact entries from FoxIO's list. */
    assert_int_equal(fingerprint_match(fp, CHROMIUM, &family, &client), 0);
    assert_string_equal(family, "browser");
    assert_string_equal(client, "Chromium");
    assert_string_equal(fingerprint_family(fp, "t13d4312h1_c7886603b240_b26ce05bbdd6"), "python");
    assert_string_equal(fingerprint_family(fp, "t13d190900_9dc949149365_97f8aa674fd9"), "go");
    assert_string_equal(fingerprint_family(fp, "q13d0312h3_55b375c5d22e_06cda9e17597"), "browser");
    assert_string_equal(fingerprint_family(fp, "t13d1715h2_5b57614c22b0_7121afd63204"), "browser");

    /* A Chromium whose extensions hash differently (a newer version) is still
     * Chromium by parts a and b. */
    assert_int_equal(fingerprint_match(fp, "t13d1516h2_8daaf6152771_d8a2da3f94cd", &family,
                                       &client), 0);
    assert_string_equal(family, "browser");
    assert_string_equal(client, "Chromium");
    /* Go with another extension count but Go's cipher list. */
    assert_string_equal(fingerprint_family(fp, "t13d191100_9dc949149365_0123456789ab"), "go");

    /* Listed for two families: left unknown. */
    assert_string_equal(fingerprint_family(fp, "t12d190800_d83cc789557e_7af1ed941c26"),
                        FP_UNKNOWN);

    assert_true(fingerprint_family_known(fp, "browser"));
    assert_true(fingerprint_family_known(fp, "python"));
    assert_true(fingerprint_family_known(fp, "go"));
    assert_true(fingerprint_family_known(fp, FP_UNKNOWN));
    assert_false(fingerprint_family_known(fp, "pyhton"));
    assert_false(fingerprint_family_known(fp, NULL));
    fingerprint_free(fp);
}

/* The JA4 of every client in pcaps/clients/ (computed by distill-sensor and
 * cross-checked from tshark's ClientHello fields) and the family it must get. */
static const struct {
    const char *capture, *ja4, *family;
} captured[] = {
    { "chromium", "t13d1517h2_8daaf6152771_cb7bf5808d99", "browser" },
    { "turns/chromium (resumed)", "t13d1518h2_8daaf6152771_e2d80978ab2e", "browser" },
    { "turns/openai-node, anthropic-node", "t13d5911h1_a33745022dd6_1f22a2ca17c4", "node" },
    { "turns/openai-node, anthropic-node (resumed)", "t13d5912h1_a33745022dd6_dbd39dd1d406",
      "node" },
    { "curl", "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", "curl" },
    { "go-nethttp", "t13d1910h2_9dc949149365_97f8aa674fd9", "go" },
    { "node-fetch", "t13d5911h1_a33745022dd6_1f22a2ca17c4", "node" },
    { "node-fetch (resumed)", "t13d5912h1_a33745022dd6_dbd39dd1d406", "node" },
    { "openssl-s_client", "t13d3111h1_e8f1e7e78f70_1f22a2ca17c4", "openssl" },
    { "python-aiohttp", "t13d311100_e8f1e7e78f70_d41ae481755e", "python" },
    { "python-httpx", "t13d4313h1_c7886603b240_d339722ba4af", "python" },
    { "python-requests", "t13d4312h1_c7886603b240_b26ce05bbdd6", "python" },
    { "python-urllib", "t13d311100_e8f1e7e78f70_d41ae481755e", "python" },
    { "wget", "t13d291300_723694b0fccc_899037bd0b8c", "wget" },
};

static void test_captured_clients(void **state)
{
    (void)state;
    struct fingerprints *fp = NULL;
    assert_int_equal(fingerprint_load(DS_TEST_SOURCE_DIR "/rules/fingerprints.conf", NULL, &fp), 0);
    for (size_t i = 0; i < sizeof(captured) / sizeof(captured[0]); i++) {
        const char *got = fingerprint_family(fp, captured[i].ja4);
        if (strcmp(got, captured[i].family) != 0)
            fail_msg("%s (%s): family %s, want %s", captured[i].capture, captured[i].ja4, got,
                     captured[i].family);
    }
    /* Close relatives by the derived a + b entries: a requests with one more
     * extension, node without ALPN, Go without ALPN. */
    assert_string_equal(fingerprint_family(fp, "t13d4314h1_c7886603b240_000000000000"), "python");
    assert_string_equal(fingerprint_family(fp, "t13d591000_a33745022dd6_000000000000"), "node");
    assert_string_equal(fingerprint_family(fp, "t13d191000_9dc949149365_000000000000"), "go");
    /* A Chromium of another version resuming a session (16 or 17 extensions + 1). */
    assert_string_equal(fingerprint_family(fp, "t13d1518h2_8daaf6152771_000000000000"), "browser");
    /* OpenSSL's default suites with another part a or c: not guessed. */
    assert_string_equal(fingerprint_family(fp, "t13d3112h2_e8f1e7e78f70_000000000000"), FP_UNKNOWN);
    fingerprint_free(fp);
}

static void test_shipped_table_is_clean(void **state)
{
    (void)state;
    /* No overlap warnings (nor anything else) on load. */
    FILE *f = fopen(DS_TEST_SOURCE_DIR "/rules/fingerprints.conf", "rb");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    assert_true(feof(f));
    fclose(f);
    text[n] = '\0';
    char log[8192];
    struct fingerprints *fp = NULL;
    assert_int_equal(load_capture(text, n, log, sizeof(log), &fp), 0);
    assert_string_equal(log, "");
    fingerprint_free(fp);
}

static void test_unknown(void **state)
{
    (void)state;
    struct fingerprints *fp = load_text("browser " CHROMIUM " Chromium\n");
    const char *family = "x", *client = "x";

    assert_string_equal(fingerprint_family(fp, "t13d1516h2_8daaf6152771_000000000000"), FP_UNKNOWN);
    assert_int_equal(fingerprint_match(fp, "t12d1516h2_8daaf6152771_02713d6af862", &family,
                                       &client), -1);
    assert_string_equal(family, FP_UNKNOWN);
    assert_string_equal(client, "");
    /* Not a JA4 at all. */
    assert_string_equal(fingerprint_family(fp, NULL), FP_UNKNOWN);
    assert_string_equal(fingerprint_family(fp, ""), FP_UNKNOWN);
    assert_string_equal(fingerprint_family(fp, CHROMIUM "0"), FP_UNKNOWN);
    assert_string_equal(fingerprint_family(fp, "t13d1516h2_8daaf6152771"), FP_UNKNOWN);
    assert_string_equal(fingerprint_family(fp, "t13d1516h2-8daaf6152771-02713d6af862"), FP_UNKNOWN);
    /* Upper case is the same JA4. */
    assert_string_equal(fingerprint_family(fp, "T13D1516H2_8DAAF6152771_02713D6AF862"), "browser");
    /* No table: everything is unknown. */
    assert_string_equal(fingerprint_family(NULL, CHROMIUM), FP_UNKNOWN);
    assert_int_equal(fingerprint_match(NULL, CHROMIUM, NULL, NULL), -1);
    assert_int_equal(fingerprint_count(NULL), 0);
    assert_true(fingerprint_family_known(NULL, FP_UNKNOWN));
    assert_false(fingerprint_family_known(NULL, "browser"));
    fingerprint_free(fp);
    fingerprint_free(NULL);
}

static void test_most_specific_wins(void **state)
{
    (void)state;
    /* Listed from least to most specific, so file order alone would pick
     * the wrong one every time. */
    struct fingerprints *fp = load_text(
        "# specificity = characters that must match exactly\n"
        "fam-a   *_8daaf6152771_*                      any part a, b fixed     # 12\n"
        "fam-b   t13?15??h2_*_*                        part a with wildcards   # 7\n"
        "fam-c   t13d1516h2_*_*                        part a only             # 10\n"
        "fam-d   t13d1516h2_*_02713d6af862             a + c                   # 22\n"
        "fam-e   t13d1516h2_8daaf6152771_*             a + b                   # 22, later line\n"
        "fam-f   " CHROMIUM "  exact\n"
        "fam-g   t13d1516h2_ffffffffffff_*             other b\n");
    const char *family, *client;

    assert_int_equal(fingerprint_count(fp), 7);
    assert_int_equal(fingerprint_match(fp, CHROMIUM, &family, &client), 0);
    assert_string_equal(family, "fam-f");
    assert_string_equal(client, "exact");
    /* Both 22-character entries, each where only it matches. */
    assert_string_equal(fingerprint_family(fp, "t13d1516h2_8daaf6152771_02713d6af863"), "fam-e");
    assert_string_equal(fingerprint_family(fp, "t13d1516h2_000000000000_02713d6af862"), "fam-d");
    assert_string_equal(fingerprint_family(fp, "t13d1516h2_ffffffffffff_000000000000"), "fam-g");
    /* Part a only. */
    assert_string_equal(fingerprint_family(fp, "t13d1516h2_000000000000_000000000000"), "fam-c");
    /* b fixed (12) beats part a with two wildcards (7)... */
    assert_string_equal(fingerprint_family(fp, "t13i1517h2_8daaf6152771_000000000000"), "fam-a");
    /* ...which still catches other counts with h2. */
    assert_int_equal(fingerprint_match(fp, "t13i1599h2_000000000000_000000000000", &family,
                                       &client), 0);
    assert_string_equal(family, "fam-b");
    assert_string_equal(client, "part a with wildcards");
    assert_string_equal(fingerprint_family(fp, "t13i1599h1_000000000000_000000000000"), FP_UNKNOWN);
    assert_string_equal(fingerprint_family(fp, "q13d1516h2_000000000000_000000000000"), FP_UNKNOWN);
    fingerprint_free(fp);

    /* A tie (a + b and a + c, 22 each) goes to the earlier line. */
    fp = load_text("x t13d1516h2_8daaf6152771_*\n"
                   "y t13d1516h2_*_02713d6af862\n");
    assert_string_equal(fingerprint_family(fp, CHROMIUM), "x");
    fingerprint_free(fp);
}

static void test_format(void **state)
{
    (void)state;
    /* Comments, blank lines, CRLF, tabs, upper-case patterns, no label. */
    struct fingerprints *fp = load_text(
        "# a comment\r\n"
        "\r\n"
        "   \t  \n"
        "python\tT13D4312H1_C7886603B240_*\t# no label, upper case\r\n"
        "curl    t13d3112h2_e8f1e7e78f70_*   curl\t7.88 (OpenSSL)   \n"
        "node t13d1712h2_5b57614c22b0_*\n");
    const char *family, *client;

    assert_int_equal(fingerprint_count(fp), 3);
    assert_int_equal(fingerprint_match(fp, "t13d4312h1_c7886603b240_b26ce05bbdd6", &family,
                                       &client), 0);
    assert_string_equal(family, "python");
    assert_string_equal(client, "");
    assert_int_equal(fingerprint_match(fp, "t13d3112h2_e8f1e7e78f70_0123456789ab", &family,
                                       &client), 0);
    assert_string_equal(family, "curl");
    assert_string_equal(client, "curl 7.88 (OpenSSL)");
    assert_string_equal(fingerprint_family(fp, "t13d1712h2_5b57614c22b0_0123456789ab"), "node");
    assert_true(fingerprint_family_known(fp, "node"));
    assert_false(fingerprint_family_known(fp, "browser"));
    fingerprint_free(fp);

    /* An empty table is valid: every client is unknown. */
    fp = load_text("# nothing yet\n");
    assert_int_equal(fingerprint_count(fp), 0);
    assert_string_equal(fingerprint_family(fp, CHROMIUM), FP_UNKNOWN);
    fingerprint_free(fp);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("Browser " CHROMIUM "\n",
                 "F:1: family name must start with a lower-case letter");
    expect_error("# ok\nbro!ser " CHROMIUM "\n",
                 "F:2: family name may hold only a-z, 0-9, '-' and '_'");
    expect_error("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa " CHROMIUM "\n",
                 "F:1: family name longer than 31 characters");
    expect_error("browser\n", "F:1: a family needs a JA4 pattern after it");
    expect_error("browser   # only a comment\n", "F:1: a family needs a JA4 pattern after it");
    expect_error("browser t13d1516h2_8daaf6152771\n",
                 "F:1: 't13d1516h2_8daaf6152771' is not a JA4: want three parts a_b_c");
    expect_error("browser t13d1516h2_8daaf6152771_02713d6af862_00\n",
                 "is longer than a JA4");
    expect_error("browser t1_2_3_4\n", "F:1: 't1_2_3_4' has more than three parts");
    expect_error("browser t13d1516h_8daaf6152771_*\n",
                 "F:1: 't13d1516h_8daaf6152771_*': part a must be 10 characters");
    expect_error("browser t13d1516h!_8daaf6152771_*\n", "part a may hold only a-z, 0-9 and ?");
    expect_error("browser x13d1516h2_8daaf6152771_*\n",
                 "part a starts with t (TLS), q (QUIC) or d (DTLS)");
    expect_error("browser t13d1516h2_8daaf615277_*\n",
                 "F:1: 't13d1516h2_8daaf615277_*': part b must be 12 hex digits or *");
    expect_error("browser t13d1516h2_*_02713d6af86g\n", "part c must be 12 hex digits or *");
    expect_error("browser t13d1516h2__02713d6af862\n", "part b must be 12 hex digits or *");
    expect_error("browser *_*_*\n", "F:1: '*_*_*' matches every JA4");
    expect_error("browser " CHROMIUM " "
                 "a label that is much too long to be kept as it is: seventy bytes\n",
                 "F:1: client label longer than 63 bytes");
    expect_error("browser " CHROMIUM " bell\ainside\n", "control character in the client label");
    expect_error("browser " CHROMIUM "\n"
                 "python t13d4312h1_c7886603b240_*\n"
                 "go     " CHROMIUM "\n",
                 "F:3: duplicate pattern '" CHROMIUM "', first at line 1");
    /* Duplicates compare normalised. */
    expect_error("browser t13d1516h2_8daaf6152771_*\n"
                 "browser T13D1516H2_8DAAF6152771_*\n",
                 "F:2: duplicate pattern 't13d1516h2_8daaf6152771_*', first at line 1");

    /* A line too long for the reader, then a good one: the error names the
     * right line and the count of lines stays right after it. */
    char big[2200];
    memset(big, 'x', 2000);
    snprintf(big + 2000, sizeof(big) - 2000, "\nbrowser bad\n");
    expect_error(big, "F:1: line longer than 1023 bytes");
    expect_error(big, "F:2: 'bad' is not a JA4");

    /* A NUL byte hides the rest of a line from C strings: refuse it. */
    static const char nul[] = "browser " CHROMIUM "\0 hidden\n";
    char log[8192];
    load_fails(nul, sizeof(nul) - 1, log, sizeof(log));
    assert_non_null(strstr(log, "F:1: NUL byte in the line"));

    /* Every error is reported, not just the first. */
    static const char several[] = "Bad " CHROMIUM "\nok " CHROMIUM "\nbrowser t13\n";
    assert_int_equal(load_fails(several, strlen(several), log, sizeof(log)), 2);
    assert_non_null(strstr(log, "F:1: family name"));
    assert_non_null(strstr(log, "F:3: 't13' is not a JA4"));
}

static void test_overlap_warning(void **state)
{
    (void)state;
    /* Same specificity, different families, a JA4 can match both: loads,
     * with a warning that says which line wins. Same family: no warning. */
    static const char text[] = "x t13d1516h2_8daaf6152771_*\n"
                               "y t13d1516h2_*_02713d6af862\n"
                               "x t13d1517h2_8daaf6152771_*\n"
                               "x t13d1517h2_*_02713d6af862\n";
    char log[8192];
    struct fingerprints *fp = NULL;
    assert_int_equal(load_capture(text, strlen(text), log, sizeof(log), &fp), 0);
    assert_non_null(strstr(log, "F:2: 't13d1516h2_*_02713d6af862' (y) and line 1 "
                                "'t13d1516h2_8daaf6152771_*' (x) can match the same JA4; "
                                "line 1 wins"));
    assert_null(strstr(log, "F:4"));
    fingerprint_free(fp);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct fingerprints *fp = (struct fingerprints *)&fp;
    struct diag dg;
    struct diag_text t;
    char buf[256];
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    assert_int_equal(fingerprint_load("/nonexistent/fingerprints.conf", &dg, &fp), -1);
    assert_null(fp);
    assert_int_equal(diag_errors(&dg), 1);
    assert_string_equal(buf, "/nonexistent/fingerprints.conf: cannot read: No such file or "
                             "directory\n");
}

/* From a buffer: what the file loader reads, given by length (no NUL at
 * the end needed), named in messages by the name given; errors counted and
 * returned, warnings counted, and the same table as from the file. */
static void test_load_buffer(void **state)
{
    (void)state;
    struct fingerprints *fp = NULL;
    struct diag dg;
    struct diag_text t;
    char buf[1024];

    /* The last line has no line end, and the buffer goes on past len. */
    static const char text[] = "# two entries\r\n"
                               "browser " CHROMIUM " Chromium\r\n"
                               "python t13d4312h1_c7886603b240_*XXXX";
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    assert_int_equal(fingerprint_load_buffer("mem.conf", text, sizeof(text) - 1 - 4, &dg, &fp), 0);
    assert_int_equal(fingerprint_count(fp), 2);
    assert_string_equal(fingerprint_family(fp, "t13d4312h1_c7886603b240_b26ce05bbdd6"), "python");
    assert_string_equal(buf, "");
    fingerprint_free(fp);

    /* Errors name the buffer and its lines; each is counted and returned. */
    static const char bad[] = "Browser " CHROMIUM "\n"
                              "browser " CHROMIUM "\n"
                              "go " CHROMIUM "\n"
                              "x t13d1516h2_8daaf6152771_*\n"
                              "y t13d1516h2_*_02713d6af862\n";
    fp = (struct fingerprints *)&fp;
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    assert_int_equal(fingerprint_load_buffer("mem.conf", bad, sizeof(bad) - 1, &dg, &fp), 2);
    assert_null(fp);
    assert_string_equal(buf, "mem.conf:1: family name must start with a lower-case letter\n"
                             "mem.conf:3: duplicate pattern '" CHROMIUM "', first at line 2\n");
    assert_int_equal(diag_errors(&dg), 2);
    assert_int_equal(diag_warnings(&dg), 0); /* overlaps are looked at in a table that loads */

    /* Warnings do not refuse the table; they are counted. */
    diag_init(&dg);
    diag_collect(&dg, &t, buf, sizeof(buf));
    static const char overlapping[] = "x t13d1516h2_8daaf6152771_*\n"
                                      "y t13d1516h2_*_02713d6af862\n";
    assert_int_equal(fingerprint_load_buffer(NULL, overlapping, sizeof(overlapping) - 1, &dg, &fp),
                     0);
    assert_int_equal(fingerprint_count(fp), 2);
    assert_int_equal(diag_warnings(&dg), 1);
    assert_non_null(strstr(buf, "(fingerprints):2: 't13d1516h2_*_02713d6af862' (y) and line 1"));
    fingerprint_free(fp);

    /* Empty is a valid, empty table. */
    assert_int_equal(fingerprint_load_buffer("empty", "", 0, NULL, &fp), 0);
    assert_int_equal(fingerprint_count(fp), 0);
    fingerprint_free(fp);

    /* The shipped file from a buffer: the same table as from the file. */
    FILE *f = fopen(DS_TEST_SOURCE_DIR "/rules/fingerprints.conf", "rb");
    assert_non_null(f);
    static char shipped[65536];
    size_t n = fread(shipped, 1, sizeof(shipped), f);
    assert_true(feof(f));
    fclose(f);
    struct fingerprints *from_file = NULL;
    assert_int_equal(fingerprint_load(DS_TEST_SOURCE_DIR "/rules/fingerprints.conf", NULL,
                                      &from_file), 0);
    assert_int_equal(fingerprint_load_buffer("fingerprints.conf", shipped, n, NULL, &fp), 0);
    assert_int_equal(fingerprint_count(fp), fingerprint_count(from_file));
    for (size_t i = 0; i < sizeof(captured) / sizeof(captured[0]); i++)
        assert_string_equal(fingerprint_family(fp, captured[i].ja4),
                            fingerprint_family(from_file, captured[i].ja4));
    fingerprint_free(fp);
    fingerprint_free(from_file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_table),
        cmocka_unit_test(test_captured_clients),
        cmocka_unit_test(test_shipped_table_is_clean),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_most_specific_wins),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overlap_warning),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_load_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
