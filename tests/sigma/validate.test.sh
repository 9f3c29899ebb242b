#!/usr/bin/env bash
# Every sigma/*.yml document validates against the Sigma JSON schemas of
# ../shared/peer/sigma (a detection rule, a correlation rule or a filter,
# whichever it is), and means something for our events: every field a rule
# uses (detection keys, fields, group-by, a correlation's field) is a dotted
# path that the events a rule looks at really carry (from a run over
# pcaps/scenarios with --source-events and --sensor-name), every signature id
# it names is a sid in rules/*.rules, every shipped sid has a rule whose level
# is its severity's, and every rule a correlation refers to exists.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?} peer=${DS_PEER_DIR:?}
schemas=$peer/sigma/json-schema
[ -d "$schemas" ] || { echo "SKIP: $schemas not found (shared/ beside the checkout?)"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "python3-jsonschema missing (tools/setup.sh installs it)"; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing (tools/setup.sh installs it)"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin" -r "$src/pcaps/scenarios" --source-events --sensor-name test-sensor -o "$work/events.json" \
    || { echo "the sensor failed on pcaps/scenarios"; exit 1; }
python3 - "$schemas" "$src" "$work/events.json" <<'PY'
import glob, json, os, re, sys
import jsonschema, yaml

schemas, src, events = sys.argv[1:4]

# YAML 1.2 (which Sigma specifies) has no timestamp type: `date: 2026-12-01`
# is a string, as the schemas expect, not a datetime.date.
class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

def validator(name):
    schema = json.load(open(os.path.join(schemas, name)))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
RULE = validator("sigma-detection-rule-schema.json")
CORR = validator("sigma-correlation-rules-schema.json")
FILT = validator("sigma-filters-schema.json")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
FILE = re.compile(r"^[a-z0-9_]{6,66}\.yml$")          # 10-70 characters with .yml
LEVEL = {1: "high", 2: "medium", 3: "low"}
COMPARE = {"lt", "lte", "gt", "gte"}

bad = []
def fail(where, why):
    bad.append(f"{where}: {why}")

# --- what our events carry: dotted paths by event_type ---------------------
carried = {}
def walk(kind, prefix, value):
    if isinstance(value, dict):
        for k, v in value.items():
            walk(kind, f"{prefix}.{k}" if prefix else k, v)
    elif isinstance(value, list):
        for v in value:
            walk(kind, prefix, v)
    if prefix:
        carried.setdefault(kind, set()).add(prefix)
for line in open(events):
    ev = json.loads(line)
    walk(ev["event_type"], "", ev)
for need in ("alert", "cluster", "source", "flow"):
    if need not in carried:
        fail(events, f"no {need} event from pcaps/scenarios to check fields against")

# --- our signatures: sid -> severity ----------------------------------------
severity = {}
for path in sorted(glob.glob(os.path.join(src, "rules", "*.rules"))):
    text = open(path).read().replace("\\\n", " ")
    for line in text.splitlines():
        if not line.lstrip().startswith("alert"):
            continue
        sid = re.search(r"\bsid\s*:\s*(\d+)\s*;", line)
        sev = re.search(r"\bseverity\s*:\s*(\d+)\s*;", line)
        if sid:
            severity[int(sid.group(1))] = int(sev.group(1)) if sev else 3
if not severity:
    fail("rules/*.rules", "no sid found")

# --- the Sigma documents ----------------------------------------------------
docs = []          # (where, document)
files = sorted(glob.glob(os.path.join(src, "sigma", "*.yml")))
if not files:
    fail("sigma/", "no *.yml")
for path in files:
    where = os.path.relpath(path, src)
    if not FILE.match(os.path.basename(path)):
        fail(where, "file name is not 10-70 characters of a-z, 0-9 and _ ending in .yml")
    raw = open(path, "rb").read()
    if b"\r" in raw or b"\t" in raw:
        fail(where, "CR or tab in the file (Sigma asks LF and spaces)")
    try:
        found = [d for d in yaml.load_all(raw, Loader=Loader) if d is not None]
    except yaml.YAMLError as e:
        fail(where, f"YAML: {e}")
        continue
    for i, d in enumerate(found):
        docs.append((f"{where}[{i}]" if len(found) > 1 else where, d))

by_ref = {}        # id or name -> document
for where, d in docs:
    if not isinstance(d, dict):
        fail(where, "not a mapping"); continue
    v = CORR if "correlation" in d else FILT if "filter" in d else RULE
    for e in v.iter_errors(d):
        fail(where, f"schema: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}")
    if "id" in d and not UUID.match(str(d["id"])):
        fail(where, f"id {d['id']} is not a UUID v4")
    for key in ("id", "name"):
        if key in d:
            if d[key] in by_ref:
                fail(where, f"{key} {d[key]} used twice")
            by_ref[d[key]] = d

def field_name(key):
    return key.split("|")[0]

def modifiers(key):
    return set(key.split("|")[1:])

def detection_fields(d):
    """(field, modifiers, values) for every field match of a detection."""
    out = []
    for ident, body in d.get("detection", {}).items():
        if ident == "condition":
            continue
        maps = body if isinstance(body, list) else [body]
        for m in maps:
            if isinstance(m, dict):
                for k, v in m.items():
                    out.append((field_name(k), modifiers(k), v if isinstance(v, list) else [v]))
    return out

def event_types(d, seen=()):
    """The event types a rule looks at; a correlation: its rules' ones."""
    if "correlation" in d:
        kinds = set()
        for ref in d["correlation"].get("rules", []):
            if ref in by_ref and ref not in seen:
                kinds |= event_types(by_ref[ref], seen + (ref,))
        return kinds
    kinds = set()
    for f, mods, values in detection_fields(d):
        if f == "event_type":
            kinds |= set(values)
    return kinds

def check_fields(where, fields, kinds):
    for f in fields:
        for kind in sorted(kinds):
            if f not in carried.get(kind, set()):
                fail(where, f"field {f} is not in our {kind} events")

covered = {}
for where, d in docs:
    if not isinstance(d, dict):
        continue
    kinds = event_types(d)
    if not kinds:
        fail(where, "cannot tell which event_type it looks at")
    if "correlation" in d:
        c = d["correlation"]
        for ref in c.get("rules", []):
            if ref not in by_ref:
                fail(where, f"refers to {ref}, which no sigma/*.yml defines")
        aliases = set(c.get("aliases", {}) or {})
        used = [g for g in c.get("group-by", []) if g not in aliases]
        field = (c.get("condition") or {}).get("field")
        used += field if isinstance(field, list) else [field] if field else []
        for alias in (c.get("aliases") or {}).values():
            used += list(alias.values())
        check_fields(where, used, kinds)
        continue
    if "detection" not in d:
        continue
    ls = d.get("logsource", {})
    if ls.get("product") != "distill-sensor":
        fail(where, "logsource product is not distill-sensor")
    if ls.get("service") not in kinds or len(kinds) != 1:
        fail(where, f"logsource service {ls.get('service')} is not the event_type it selects {sorted(kinds)}")
    matches = detection_fields(d)
    check_fields(where, [f for f, _, _ in matches] + d.get("fields", []), kinds)
    for f, mods, values in matches:
        if not f.endswith("signature_id") or mods & COMPARE:
            continue
        for sid in values:
            if sid not in severity:
                fail(where, f"signature id {sid} is not a sid in rules/*.rules")
                continue
            covered.setdefault(sid, []).append(where)
            if d.get("level") != LEVEL.get(severity[sid]):
                fail(where, f"level {d.get('level')} but sid {sid} has severity {severity[sid]} ({LEVEL.get(severity[sid])})")

for sid in sorted(severity):
    if sid not in covered:
        fail("sigma/", f"no rule names sid {sid} of rules/*.rules")

for b in bad:
    print(b)
n_corr = sum(1 for _, d in docs if isinstance(d, dict) and "correlation" in d)
print(f"{len(files)} files, {len(docs)} documents ({len(docs) - n_corr} rules, {n_corr} correlations), "
      f"{len(severity)} sids, {sum(len(v) for v in carried.values())} event field paths: {len(bad)} problems")
sys.exit(1 if bad else 0)
PY
