#!/usr/bin/env bash
# The shipper examples of dist/ match the events we write. The sensor runs
# over pcaps/scenarios (--source-events, --stats-interval 60, --sensor-name)
# and every dotted field path of its events is collected (through arrays, as
# Elasticsearch flattens them). Then dist/filebeat/distill-sensor.yml (YAML)
# and dist/vector/distill-sensor.toml (TOML, tomllib) are read, and:
# - each is well-formed for its shipper: a filestream input with type, id,
#   paths and an ndjson parser; Vector sources, transforms and sinks wired by
#   `inputs` that name existing components, every sink fed;
# - every event field they name (Filebeat processors and conditions; VRL
#   paths and filter conditions; fields a config creates aside) is a field of
#   our events;
# - the file they read is the package's: the -o of dist/default's
#   DISTILL_OPTS, matched by dist/logrotate's pattern;
# - the timestamp layouts (Go's for Filebeat, strftime's for VRL) parse our
#   events' timestamps.
# Then the same check runs on the events with two fields renamed, and must
# fail naming them. Neither Filebeat nor Vector is a Debian package, and
# neither is installed here: this does not run them.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing (tools/setup.sh installs it)"; exit 1; }
python3 -c 'import tomllib' 2>/dev/null || { echo "python3 without tomllib (3.11 or later needed)"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin" -r "$src/pcaps/scenarios" --source-events --stats-interval 60 --sensor-name test-sensor \
    -o "$work/events.json" || { echo "the sensor failed on pcaps/scenarios"; exit 1; }

cat >"$work/check.py" <<'PY'
import fnmatch, json, re, shlex, sys, tomllib
from datetime import datetime
import yaml

src, events_path = sys.argv[1:3]
errors = []
def err(msg):
    errors.append(msg)

# Every dotted path of our events, and their timestamps.
fields, stamps = set(), []
def walk(v, prefix):
    if isinstance(v, dict):
        for k, x in v.items():
            p = prefix + "." + k if prefix else k
            fields.add(p)
            walk(x, p)
    elif isinstance(v, list):
        for x in v:
            walk(x, prefix)
with open(events_path) as f:
    for line in f:
        e = json.loads(line)
        walk(e, "")
        stamps.append(e["timestamp"])
if len(fields) < 50 or not stamps:
    err(f"too few events or fields to check against ({len(fields)} fields)")

checked = set()
def need(field, where):
    checked.add(field)
    if field not in fields:
        err(f"{where}: field '{field}' is not in our events")

# The file the package writes and rotates.
opts = open(f"{src}/dist/default/distill-sensor.in").read()
m = re.search(r'^DISTILL_OPTS="(.*)"', opts, re.M)
argv = shlex.split(m.group(1)) if m else []
eve = argv[argv.index("-o") + 1] if "-o" in argv else None
rotated = open(f"{src}/dist/logrotate/distill-sensor").read().split("{")[0].split()
if not eve or not eve.startswith("/"):
    err("dist/default/distill-sensor.in: no -o FILE in DISTILL_OPTS")
elif not any(fnmatch.fnmatch(eve, g) for g in rotated):
    err(f"dist/logrotate does not rotate {eve}")
def need_path(path, where):
    if path != eve:
        err(f"{where}: reads '{path}', the package writes '{eve}'")

def go_layout_regex(layout):
    tokens = [("2006", r"\d{4}"), ("01", r"\d{2}"), ("02", r"\d{2}"), ("15", r"\d{2}"),
              ("04", r"\d{2}"), ("05", r"\d{2}"), (".999999", r"(\.\d{1,6})?"),
              (".000000", r"\.\d{6}"), ("-0700", r"[+-]\d{4}"), ("Z07:00", r"(Z|[+-]\d{2}:\d{2})")]
    out, i = "", 0
    while i < len(layout):
        for t, rx in tokens:
            if layout.startswith(t, i):
                out += rx; i += len(t); break
        else:
            out += re.escape(layout[i]); i += 1
    return re.compile(out + "$")

# ---- Filebeat ----
FB = "dist/filebeat/distill-sensor.yml"
fb = yaml.safe_load(open(f"{src}/{FB}"))
def fb_condition(c, where):
    if not isinstance(c, dict):
        err(f"{where}: condition is not a mapping"); return
    for op, arg in c.items():
        if op in ("or", "and"):
            for x in arg: fb_condition(x, where)
        elif op == "not":
            fb_condition(arg, where)
        elif op in ("equals", "contains", "regexp", "range"):
            for k in arg: need(k, f"{where}: {op}")
        elif op == "has_fields":
            for k in arg: need(k, f"{where}: has_fields")
        else:
            err(f"{where}: unknown condition '{op}'")
inputs = fb.get("filebeat.inputs") if isinstance(fb, dict) else None
if not isinstance(inputs, list) or not inputs:
    err(f"{FB}: no filebeat.inputs list")
    inputs = []
for n, inp in enumerate(inputs):
    w = f"{FB}: input {n}"
    if inp.get("type") != "filestream": err(f"{w}: type is not filestream")
    if not isinstance(inp.get("id"), str) or not inp["id"]: err(f"{w}: filestream needs an id")
    paths = inp.get("paths")
    if not isinstance(paths, list) or not paths: err(f"{w}: no paths")
    for p in paths or []: need_path(p, w)
    nd = [p["ndjson"] for p in inp.get("parsers", []) if isinstance(p, dict) and "ndjson" in p]
    if len(nd) != 1: err(f"{w}: parsers needs one ndjson parser")
    elif nd[0].get("target", "") != "":
        err(f"{w}: ndjson target is not the root; our field names would not be the Sigma rules'")
    created, stamped = set(), False
    for proc in inp.get("processors", []):
        (name, conf), = proc.items()
        pw = f"{w}: {name}"
        if "when" in conf: fb_condition(conf["when"], pw)
        if name == "timestamp":
            need(conf.get("field"), pw)
            stamped = conf.get("target_field", "@timestamp") == "@timestamp"
            rxs = [go_layout_regex(l) for l in conf.get("layouts", [])]
            for s in conf.get("test", []) + stamps:
                if not any(r.match(s) for r in rxs):
                    err(f"{pw}: no layout parses '{s}'"); break
        elif name in ("rename", "copy_fields"):
            for f in conf.get("fields", []):
                if f["from"] not in created: need(f["from"], pw)
                created.add(f["to"])
        elif name in ("drop_fields", "include_fields"):
            for f in conf.get("fields", []): need(f, pw)
        elif name in ("add_tags", "add_fields", "drop_event"):
            pass
        else:
            err(f"{pw}: processor unknown to this test; teach it which fields it reads")
    if not stamped: err(f"{w}: no timestamp processor sets @timestamp from our timestamp")

# ---- Vector ----
VC = "dist/vector/distill-sensor.toml"
vc = tomllib.load(open(f"{src}/{VC}", "rb"))
sources, transforms, sinks = (vc.get(k, {}) for k in ("sources", "transforms", "sinks"))
if not sources or not sinks: err(f"{VC}: needs sources and sinks")
names = set(sources) | set(transforms)
consumed = set()
for kind, comps in (("transforms", transforms), ("sinks", sinks)):
    for name, c in comps.items():
        ins = c.get("inputs")
        if not isinstance(ins, list) or not ins: err(f"{VC}: {kind}.{name} has no inputs")
        for i in ins or []:
            if i not in names: err(f"{VC}: {kind}.{name} reads '{i}', no such source or transform")
            consumed.add(i)
        if "type" not in c: err(f"{VC}: {kind}.{name} has no type")
for name in names - consumed:
    err(f"{VC}: '{name}' feeds nothing")
for name, s in sources.items():
    if s.get("type") == "file":
        for p in s.get("include", []): need_path(p, f"{VC}: sources.{name}")
if not any(s.get("type") == "file" for s in sources.values()):
    err(f"{VC}: no file source")

def vrl_blank_strings(code):
    """String literals and comments blanked; a quoted path segment ."x" kept."""
    out, i = [], 0
    while i < len(code):
        c = code[i]
        if c == "#":
            while i < len(code) and code[i] != "\n": i += 1
            continue
        if c == '"' and i > 0 and code[i - 1] == ".":
            j = code.index('"', i + 1)
            out.append(code[i:j + 1]); i = j + 1
            continue
        if c in "\"'":
            j = i + 1
            while j < len(code) and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c); i = j + 1
            continue
        out.append(c); i += 1
    return "".join(out)
SEG = r'(?:"[^"]*"|[A-Za-z_@][A-Za-z0-9_@]*)'
PATH = re.compile(r'(?<![\w\)\]!"])\.(' + SEG + r'(?:\.' + SEG + r')*)')
ASSIGN = re.compile(r'^\s*\.(' + SEG + r'(?:\.' + SEG + r')*)\s*=(?!=)', re.M)
def unq(p):
    return ".".join(s.strip('"') for s in re.findall(SEG, p))
vector_own = {"message"}                    # what the file source gives
created, parsed = set(), False
def vrl_check(code, where):
    global parsed
    code = vrl_blank_strings(code)
    for stmt in code.splitlines():
        if re.match(r"^\s*\.\s*=\s*parse_json!?\(", stmt):
            for p in PATH.findall(stmt):
                if unq(p) not in vector_own: err(f"{where}: '{unq(p)}' is not the file source's")
            parsed = True
            continue
        a = ASSIGN.match(stmt)
        reads = PATH.findall(stmt[a.end():] if a else stmt)
        for p in reads:
            if unq(p) not in created: need(unq(p), where)
        if a: created.add(unq(a.group(1)))
    if not parsed: err(f"{where}: the events are not parsed (. = parse_json!(.message)) first")
for name, t in transforms.items():
    w = f"{VC}: transforms.{name}"
    if t.get("type") == "remap":
        vrl_check(t.get("source", ""), w)
    elif t.get("type") == "filter":
        vrl_check(t.get("condition", ""), w)
if "@timestamp" not in created:
    err(f"{VC}: no remap sets .\"@timestamp\"")
for code in (t.get("source", "") for t in transforms.values()):
    for fmt in re.findall(r'parse_timestamp!?\(\s*\.timestamp\s*,\s*"([^"]*)"', code):
        py = fmt.replace("%.f", ".%f")
        for s in stamps:
            try: datetime.strptime(s, py)
            except ValueError:
                err(f"{VC}: '{fmt}' does not parse '{s}'"); break

for e in errors: print(e)
if not errors: print("fields named by the examples:", " ".join(sorted(checked)))
sys.exit(1 if errors else 0)
PY

python3 "$work/check.py" "$src" "$work/events.json" || { echo "shippers: the examples do not match our events"; exit 1; }

# The check must catch a renamed field: event_type and src_ip renamed.
sed -e 's/"event_type":/"type":/' -e 's/"src_ip":/"source_ip":/' "$work/events.json" >"$work/renamed.json"
python3 "$work/check.py" "$src" "$work/renamed.json" >"$work/renamed.out" &&
    { echo "shippers: the check passed on events with renamed fields"; exit 1; }
for f in event_type src_ip; do
    grep -q "field '$f' is not in our events" "$work/renamed.out" ||
        { cat "$work/renamed.out"; echo "shippers: a renamed '$f' was not reported"; exit 1; }
done
echo "shippers: Filebeat and Vector examples match the events ($(wc -l <"$work/events.json") events)"
