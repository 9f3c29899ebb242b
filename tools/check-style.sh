#!/usr/bin/env bash
# Checks the docs/STYLE.md rules that a compiler does not:
#  - banned functions (after curl's checksrc): strcpy, strcat, sprintf,
#    vsprintf, strtok, atoi, atol, sscanf, gets;
#  - one module per third-party library: only the owner in the table below
#    includes the library's headers (a library with owner "-" is included by
#    nobody);
#  - no assignment inside an if or while condition (curl).
#
#   tools/check-style.sh                 checks the tree, exit 0 if clean
#   tools/check-style.sh --conditions F  runs only the condition check on F...
#
# Third-party libraries and the one module (in sensor/) that may include each.
# A library moves or gains its user: change its line here and in docs/STYLE.md.
#   name       #include pattern (ERE, after < or ")   owner
LIBRARIES='
    ndpi       ndpi/|ndpi_                            classify.c
    pcap       pcap                                   capture.c
    jansson    jansson                                event-stats.c
    maxminddb  maxminddb                              geo.c
    hiredis    hiredis/                               sink-redis.c
    openssl    openssl/                               quic-initial.c
    libyaml    yaml\.h                                 config-yaml.c
    microhttpd microhttpd                             metrics-http.c
'
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Prints `file:line: assignment in an if/while condition` for each assignment
# operator (=, +=, <<=, ...) inside the parentheses of an if or while, nested
# parentheses and function-call arguments included: (e = f()) != NULL and
# g(n -= 1) are both assignments. Comments, string and character literals are
# blanked first; ==, !=, <= and >= are comparisons; an `=` inside braces is
# an initializer (a compound literal's `.x = 1`), not an assignment; `#if` is
# the preprocessor's. Exit 1 if it found any.
check_conditions() {
    python3 - "$@" <<'EOF'
import re
import sys


def blank(src):
    """The source with comments and the insides of string and character
    literals replaced by spaces, newlines kept (so offsets give lines)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(j, n - 1)
            out.append(c + re.sub(r"[^\n]", " ", src[i + 1:j]) + src[j])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def assignments(cond):
    """Offsets in cond of assignment operators outside braces."""
    hits, depth, i = [], 0, 0
    while i < len(cond):
        c = cond[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "=":
            if i + 1 < len(cond) and cond[i + 1] == "=":
                i += 2          # ==
                continue
            prev = cond[i - 1] if i > 0 else ""
            prev2 = cond[i - 2] if i > 1 else ""
            comparison = prev == "!" or (prev in "<>" and prev2 != prev)
            if not comparison and depth == 0:
                hits.append(i)  # =, op=, <<=, >>=
        i += 1
    return hits


def check(path):
    src = blank(open(path, encoding="utf-8", errors="replace").read())
    found = 0
    for m in re.finditer(r"(?<![A-Za-z0-9_])(if|while)\s*\(", src):
        if re.search(r"#\s*$", src[:m.start()].rsplit("\n", 1)[-1]):
            continue            # #if
        start = m.end()         # just after the (
        depth, j = 1, start
        while j < len(src) and depth > 0:
            depth += {"(": 1, ")": -1}.get(src[j], 0)
            j += 1
        cond = src[start:j - 1]
        for off in assignments(cond):
            line = src.count("\n", 0, start + off) + 1
            print("%s:%d: assignment in the condition of a%s %s" %
                  (path, line, "n" if m.group(1) == "if" else "", m.group(1)))
            found += 1
    return found


sys.exit(1 if sum(check(p) for p in sys.argv[1:]) else 0)
EOF
}

if [ "${1:-}" = --conditions ]; then
    shift
    check_conditions "$@"
    exit
fi

cd "$top" || exit 1
fail=0
code=(sensor/*.c sensor/*.h include/ds/*.h tests/unit/*.c tests/fuzz/*.c tools/bench/*.c)
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets)\s*\(' \
    "${code[@]}" 2>/dev/null)
if [ -n "$hits" ]; then
    echo "banned functions (docs/STYLE.md):"; echo "$hits"; fail=1
fi

nlib=0
while read -r name pattern owner; do
    [ -n "$name" ] || continue
    nlib=$((nlib + 1))
    bad=$(grep -lE "#include *[<\"]($pattern)" sensor/*.c sensor/*.h include/ds/*.h |
          grep -vx "sensor/$owner")
    if [ -n "$bad" ]; then
        if [ "$owner" = - ]; then
            echo "no module may include $name yet (docs/STYLE.md):"
        else
            echo "only sensor/$owner may include $name (docs/STYLE.md):"
        fi
        echo "$bad"; fail=1
    fi
done <<<"$LIBRARIES"

if ! hits=$(check_conditions "${code[@]}"); then
    echo "assignment inside a condition (docs/STYLE.md):"; echo "$hits"; fail=1
fi

[ $fail = 0 ] && echo "style: no banned functions, $nlib library boundaries hold," \
    "no assignment in a condition ($(ls sensor/*.c | wc -l) modules)"
exit $fail
