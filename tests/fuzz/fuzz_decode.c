/* Fuzz target: one frame through decode_frame under every link type we
 * know; the first byte picks the link type. */
#include <stddef.h>
#include <stdint.h>

#include "ds/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int linktypes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
    if (size < 1)
        return 0;
    struct decode_stats st = { 0 };
    struct packet p;
    int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    (void)decode_frame(&st, lt, data + 1, (uint32_t)(size - 1), (uint32_t)(size - 1), 0, &p);
    return 0;
}
