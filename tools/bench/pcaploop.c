/* The floor for the benchmark: a bare libpcap loop that reads a capture and
 * touches each packet (its first and last captured byte, summed so the
 * compiler cannot skip the reads), and nothing else. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    uint64_t *sum = (uint64_t *)user;
    if (h->caplen > 0)
        *sum += data[0] + data[h->caplen - 1];
    sum[1]++;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: pcaploop FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcaploop: %s\n", err);
        return 1;
    }
    uint64_t acc[2] = { 0, 0 };
    pcap_loop(p, -1, on_packet, (u_char *)acc);
    pcap_close(p);
    printf("%llu packets, checksum %llu\n", (unsigned long long)acc[1], (unsigned long long)acc[0]);
    return 0;
}
