#!/usr/bin/env bash
# The assignment-in-a-condition check of tools/check-style.sh on crafted
# lines: it must report exactly the lines marked FLAG (the marker is in a
# comment, which the check itself ignores), no more and no fewer.
set -u
src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/crafted.c" <<'C'
#if DEBUG == 1
#endif
static void crafted(void)
{
    if (a == b) {}
    if (a != b || a <= b || a >= b) {}
    if ((n & m) == m && a>=-1 && b<=c && p->x>=q) {}
    while ((e = readdir(d)) != NULL) {}             /* FLAG */
    if (x = 3) {}                                   /* FLAG */
    if (f(a, b = 2)) {}                             /* FLAG: a call's argument */
    if (n <<= 1) {}                                 /* FLAG */
    if (n >>= 1) {}                                 /* FLAG */
    if (n -= 1) {}                                  /* FLAG */
    if (n |= 1) {}                                  /* FLAG */
    if (a >> b >= c && a << b <= c) {}
    if (c == '=' || c == '\'' || c == '\\') {}
    if (strcmp(s, "a=b") == 0 && strcmp(s, "\"=") == 0) {}
    if (a /* x = y */ == b) {}
    if (a) {}   // if (b = c)
    x = y; if (x) { y = 2; }
    if (is_eq(x)) y = 1;
    if (f((struct s){ .a = 1, .b = 2 })) {}
    while (n-- > 0) {}
    if (a &&
        (b = next(b)) != NULL) {}                   /* FLAG: second line */
    do {} while ((c = next()) != 0);                /* FLAG */
    myif (a = b);
    notwhile (a = b);
    for (i = 0; i < n; i++) {}
    r = a == b ? c : d;
    if ((a) == (b)) {} else if (q = r) {}           /* FLAG */
}
C
grep -n FLAG "$work/crafted.c" | cut -d: -f1 | sort -n >"$work/want"
bash "$src/tools/check-style.sh" --conditions "$work/crafted.c" >"$work/out"
rc=$?
sed -n 's/^[^:]*:\([0-9]*\): .*/\1/p' "$work/out" | sort -n >"$work/got"
if [ $rc -ne 1 ] || ! diff "$work/want" "$work/got" >"$work/diff"; then
    echo "FAIL: exit $rc; lines wanted (<) and reported (>):"; cat "$work/diff"
    cat -n "$work/crafted.c"; exit 1
fi
# A clean file passes.
printf 'static int f(int a)\n{\n    if (a == 1)\n        return 2;\n    return 0;\n}\n' >"$work/clean.c"
if ! bash "$src/tools/check-style.sh" --conditions "$work/clean.c"; then
    echo "FAIL: a clean file is reported"; exit 1
fi
echo "conditions: $(wc -l <"$work/want") crafted assignments found, nothing else"
