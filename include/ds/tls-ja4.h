/* JA4 (FoxIO) of a parsed ClientHello: the hashed form for events and the
 * raw JA4_r form for tests. Where FoxIO's tool and its written spec part
 * ways, sensor/tls-ja4.c follows the tool and says so. */
#ifndef DS_TLS_JA4_H
#define DS_TLS_JA4_H

#include <stdbool.h>
#include <stddef.h>

#include "ds/tls-hello.h"

/* Writes the JA4 of *c ("t13d1516h2_8daaf6152771_e5627efa2ab1", 'q' first
 * when `quic`) into out. Sorts c's cipher and extension lists in place. */
void tls_ja4(struct tls_ch *c, bool quic, char out[TLS_JA4_LEN]);

/* Writes the raw JA4_r form of *c into buf. Returns 0, or -1 (and buf "")
 * if buf is too small; buflen must be at least 1. Sorts c's lists in place. */
int tls_ja4_raw_ch(struct tls_ch *c, bool quic, char *buf, size_t buflen);

#endif
