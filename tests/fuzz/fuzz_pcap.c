/* Fuzz target for the capture file reader: any bytes as a pcap or pcapng
 * file, opened and read through capture.c's API (capture_open_file,
 * capture_run) as `-r` does, every packet decoded and each of its bytes
 * read, so a caplen beyond the buffer libpcap hands over shows up under
 * ASan. The file is a memfd reopened by its /proc/self/fd path: no disk.
 * An input of odd length is read with a BPF filter, as `-r FILE tcp or
 * udp` would. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ds/capture.h"
#include "ds/decode.h"
#include "ds/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    struct decode_stats dec;
    uint8_t sum;
};

static void on_frame(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
                     uint32_t wirelen, uint64_t ts_us)
{
    struct seen *s = ctx;
    for (uint32_t i = 0; i < caplen; i++)
        s->sum ^= data[i];
    struct packet p;
    decode_frame(&s->dec, linktype, data, caplen, wirelen, ts_us, &p);
}

static int file_of(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("fuzz_pcap", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz_pcap: memfd");
        abort();
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256];
    file_of(data, size, path, sizeof(path));
    bool looks = capture_file_looks_like_capture(path);
    struct capture *c = NULL;
    if (capture_open_file(path, size % 2 ? "tcp or udp" : NULL, &c, err, sizeof(err)) != DS_OK)
        return 0;
    (void)looks;
    struct seen s = { 0 };
    capture_run(c, on_frame, &s, err, sizeof(err));
    capture_linktype(c);
    capture_close(c);
    return 0;
}
