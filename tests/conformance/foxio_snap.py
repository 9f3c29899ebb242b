"""What the FoxIO conformance tests (ja4_foxio, ja4_quic) share: the items of
FoxIO's insta snapshots (peer/ja4/rust/ja4/src/snapshots/ja4__insta@<pcap>.snap),
one dict of top-level keys a stream."""


def snapshot(path):
    """The top-level keys of each item of the snapshot's YAML list."""
    items, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("- "):
                cur = {}
                items.append(cur)
                line = "  " + line[2:]
            if cur is None or not line.startswith("  ") or line.startswith("   "):
                continue
            key, sep, value = line.strip().partition(":")
            if sep and not key.startswith("-"):
                cur[key] = value.strip()
    return items
