"""gentraffic: the package behind tools/gen-traffic (labelled synthetic AI API traffic).

Python 3 standard library only. Modules:
  rng      deterministic random numbers (stable across Python versions)
  pcapio   pcap/pcapng reading (templates) and streaming pcap writing
  packets  Ethernet/IPv4/IPv6/TCP/UDP frames with correct checksums
  tls      real ClientHello/server-flight templates from pcaps/clients, SNI rewriting
  quic     real QUIC conversations from the peer captures, replayed with new addresses
  model    THE parameter tables: hosts, clients, roles
  conn     one TCP+TLS connection: handshake, request/response turns, closes
  roles    what each role does over time (workers, sessions)
  cli      command line, scenario assembly, time-ordered merge, labels
  flood    the hostile floods of tools/gen-flood (sources, half-open, cut hellos,
           QUIC Initials, absurd snaplens, time going back)
"""
