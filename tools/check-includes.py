#!/usr/bin/env python3
"""Flags `#include "ds/X.h"` lines that a file does not need: none of the
names X.h declares (functions, structs, unions, enums and their constants,
typedefs, macros) appears in the including file. A header that includes
another for its own declarations (a struct member of that type, say) is
judged the same way. A file's own header (sensor/flow.c and ds/flow.h) is
always allowed. It errs towards passing: a name a header only calls inside
an inline function counts as one it declares. Run from tests/style; exit 1 if any include is unused.

    tools/check-includes.py [TOP]
"""
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
inc_dir = os.path.join(top, "include", "ds")

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')


def strip(text):
    return STRING.sub('""', COMMENT.sub(" ", text))


def declared(text):
    """Names a header declares."""
    t = strip(text)
    names = set()
    names.update(re.findall(r"#\s*define\s+([A-Za-z_]\w*)", t))
    names.update(re.findall(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{", t))
    names.update(re.findall(r"typedef\b[^;]*?\b([A-Za-z_]\w*)\s*(?:\)\s*\(|;|\[)", t))
    names.update(re.findall(r"typedef[^;]*?\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(", t))  # fn pointer types
    # functions (declarations and static inline definitions)
    names.update(re.findall(r"\b([A-Za-z_]\w*)\s*\([^;{)]*\)\s*(?:;|\{)", t))
    # enum constants
    for body in re.findall(r"\benum\b[^{;]*\{([^}]*)\}", t):
        names.update(re.findall(r"(?:^|,)\s*([A-Za-z_]\w*)", body))
    # global variables declared extern
    names.update(re.findall(r"\bextern\b[^;(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;", t))
    guard = re.findall(r"#\s*ifndef\s+(DS_\w+_H)\b", t)
    names.difference_update(guard)
    names.difference_update({"if", "while", "for", "switch", "return", "sizeof", "defined"})
    return names


def forward(text):
    """Structs a header declares without a body (`struct geo;`)."""
    return set(re.findall(r"^\s*(?:struct|union)\s+([A-Za-z_]\w*)\s*;", strip(text), re.M))


headers, fwd = {}, {}
for name in sorted(os.listdir(inc_dir)):
    if name.endswith(".h"):
        with open(os.path.join(inc_dir, name)) as fh:
            text = fh.read()
        headers[name] = declared(text)
        fwd[name] = forward(text)
# An opaque struct belongs to the header named after it (`struct geo` to
# geo.h, `struct tls_asm_pool` to tls-asm.h), else to the one header that
# declares it: another header's `struct geo;` is only a reference.
defined = set().union(*headers.values())
for name, structs in fwd.items():
    base = os.path.splitext(name)[0].replace("-", "_")
    for st in structs - defined:
        owners = [h for h, s in fwd.items() if st in s]
        if st.startswith(base) or owners == [name]:
            headers[name].add(st)

files = []
for d in ("sensor", "include/ds", "tests/unit", "tests/fuzz"):  # sensor/ holds private headers too
    full = os.path.join(top, d)
    if os.path.isdir(full):
        files += [os.path.join(full, n) for n in sorted(os.listdir(full)) if n.endswith((".c", ".h"))]

bad = 0
for path in files:
    with open(path) as fh:
        text = fh.read()
    base = os.path.splitext(os.path.basename(path))[0]
    for m in re.finditer(r'^#\s*include\s+"ds/([\w-]+\.h)"', text, re.M):
        h = m.group(1)
        if h not in headers or os.path.splitext(h)[0] == base:
            continue
        if os.path.splitext(h)[0] == base.replace("test_", "", 1).replace("_", "-"):
            continue
        body = strip(text[: m.start()] + text[m.end():])
        words = set(re.findall(r"[A-Za-z_]\w*", body))
        if not (headers[h] & words):
            line = text.count("\n", 0, m.start()) + 1
            print(f"{os.path.relpath(path, top)}:{line}: includes ds/{h} but uses nothing it declares")
            bad += 1
if bad:
    sys.exit(1)
print(f"includes: every ds/ include is used ({len(files)} files, {len(headers)} headers)")
