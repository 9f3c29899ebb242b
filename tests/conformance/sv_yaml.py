"""What the suricata-verify conformance tests (ja4_suricata, quic_suricata)
share: the subset of YAML suricata-verify's test.yaml files use, and dotted
paths into the parsed events."""


def scalar(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    try:
        return int(s)
    except ValueError:
        return s


def parse_yaml(path):
    """The subset of YAML suricata-verify's test.yaml files use: nested maps,
    lists of maps or scalars, plain or quoted scalars, comments."""
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            text = raw.rstrip("\n")
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            lines.append((len(text) - len(text.lstrip(" ")), stripped))
    pos = 0

    def block(indent):
        nonlocal pos
        if pos < len(lines) and lines[pos][1].startswith("- "):
            out = []
            while pos < len(lines) and lines[pos][0] == indent and lines[pos][1].startswith("- "):
                item = lines[pos][1][2:]
                if ":" in item and not item.startswith(("'", '"')):
                    # "- key: value" opens a map whose other keys sit at indent + 2.
                    lines[pos] = (indent + 2, item)
                    out.append(block(indent + 2))
                else:
                    pos += 1
                    out.append(scalar(item))
            return out
        out = {}
        while pos < len(lines) and lines[pos][0] == indent and not lines[pos][1].startswith("- "):
            key, _, value = lines[pos][1].partition(":")
            pos += 1
            if value.strip():
                out[key.strip()] = scalar(value)
            elif pos < len(lines) and (lines[pos][0] > indent or
                                       (lines[pos][0] == indent and lines[pos][1].startswith("- "))):
                out[key.strip()] = block(lines[pos][0])
            else:
                out[key.strip()] = None
        return out

    return block(lines[0][0]) if lines else {}


def dotted(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj
