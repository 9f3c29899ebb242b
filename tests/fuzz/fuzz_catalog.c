/* Fuzz target for the catalogue parser and matcher: the input is a
 * catalogue file. When it loads, every host entry must match a name made
 * from its own pattern (each '*' replaced by "x"), and every input line,
 * read as a host name, must be matched without a fault. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/catalog.h"
#include "ds/diag.h"
#include "ds/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void self_match(const struct catalog *cat)
{
    size_t n = catalog_count(cat);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_entry *e = catalog_entry(cat, (int)i);
        if (e == NULL || e->provider == NULL || e->service == NULL || e->pattern == NULL)
            abort();
        if (catalog_provider_index(cat, (int)i) < 0)
            abort();
        if (strchr(e->pattern, '/') != NULL)
            continue; /* a CIDR */
        char name[300];
        size_t k = 0;
        for (const char *p = e->pattern; *p != '\0' && k < sizeof(name) - 1; p++)
            name[k++] = *p == '*' ? 'x' : *p;
        name[k] = '\0';
        /* "x" for a '*' keeps the name within 253 bytes only if the pattern
         * was at most 253 with its stars; the parser guarantees that. */
        if (catalog_match_host(cat, name) < 0)
            abort();
    }
}

static void quiet(void *ctx, enum diag_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog *cat = NULL;
    struct diag dg;
    diag_init(&dg);
    diag_set_fn(&dg, quiet, NULL);
    int rc = catalog_load_buffer("fuzz.conf", (const char *)data, size, &dg, &cat);
    diag_finish(&dg);
    if (rc != 0) {
        if (cat != NULL || rc < 0)
            abort();
        /* A refused file still leaves the matcher usable on a NULL catalogue. */
        if (catalog_match_host(NULL, "api.openai.com") != -1)
            abort();
        return 0;
    }
    self_match(cat);

    /* Each line of the input as a client-sent name. */
    char name[512];
    size_t off = 0;
    while (off < size) {
        const uint8_t *eol = memchr(data + off, '\n', size - off);
        size_t len = eol ? (size_t)(eol - (data + off)) : size - off;
        size_t k = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
        memcpy(name, data + off, k);
        name[k] = '\0';
        (void)catalog_match_host(cat, name);
        off += len + 1;
    }
    struct ds_addr a;
    memset(&a, 0, sizeof(a));
    if (size >= sizeof(a.a))
        memcpy(a.a, data, sizeof(a.a));
    (void)catalog_match_addr(cat, &a);
    catalog_free(cat);
    return 0;
}
