#!/usr/bin/env bash
# Records Chromium over HTTP/3 (QUIC) against a mock API behind caddy, with a log of
# every request and its connection, for the HTTP/3 turn test
# (tests/clients/turns-h3.test.sh).
#
#   tools/capture-h3.sh [OUTDIR] [CASE...]   (OUTDIR defaults to pcaps/turns-h3; run as root)
#
# The set-up is tools/capture-turns.sh's (tools/capture-ns.sh: a private network and
# mount namespace, lo with an MTU of 1500, chatgpt.com mapped to 127.77.0.1, a
# throw-away CA; the mock API tools/capture-mock-api.py on 127.0.0.1:8081), with
# caddy (Debian 12: 2.6.2, HTTP/3 on by default) in nginx's place, because Debian's
# nginx has no HTTP/3. Chromium is told to use QUIC from the first request
# (--origin-to-force-quic-on), so no TCP connection comes first. caddy reverse-proxies
# POST /v1/chat/completions to the mock API (streamed answers flushed as they come),
# answers GET /v1/ping with a 204 itself and serves the page. Its JSON access log is
# converted to OUTDIR/<case>.requests.tsv (pcaps/turns/README.md's columns; what
# each means for caddy is in OUTDIR/README.md); tcpdump records OUTDIR/<case>.pcap
# (UDP and TCP to port 443: a fallback to TCP would show, and fails the case).
# Cases (each a Chromium page, its own browser and connection):
#   chromium-h3-seq         GET /v1/ping (204), then streamed and unstreamed prompts
#                           1.5-3 s apart, a 204 between them, on one connection
#   chromium-h3-concurrent  rounds of 3 and 4 streamed prompts fired at once on one
#                           connection, 2-3 s apart
# caddy is needed to record only (tests replay the committed pcaps): it is in no
# tools/packages.d list; apt-get install caddy.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
server_ip=127.77.0.1
host=chatgpt.com
all_cases=(chromium-h3-seq chromium-h3-concurrent)
die() { echo "capture-h3: $*" >&2; exit 1; }

what_of() {
    case $1 in
        chromium-h3-seq) echo "GET / (the page), GET /v1/ping (204); 3 streamed and 2 unstreamed prompts 1.5-3 s apart with a second 204 between them; one connection" ;;
        chromium-h3-concurrent) echo "GET / (the page); 3, then 4, then 3 streamed prompts fired at once (fetch, read as they come), 2-3 s between rounds; one connection" ;;
        *) return 1 ;;
    esac
}

write_readme() {
    local d=$1 c f
    {
        cat <<'EOF'
# Chromium over HTTP/3 with a log of every request (HTTP/3 turn test captures)

Made by `tools/capture-h3.sh` (run as root; needs caddy, which Debian 12 has: 2.6.2
with HTTP/3 on by default, and Chromium). Each `X.pcap` is Chromium headless talking
HTTP/3 over QUIC v1 to caddy on 127.77.0.1:443 (UDP) inside a private network namespace
(lo with MTU 1500), told to use QUIC from its first request
(`--origin-to-force-quic-on=chatgpt.com:443`); the script checks with tshark that every
packet to port 443 is QUIC and none is TCP (no fallback) and that caddy logged every
request as HTTP/3.0. Behind caddy the mock API of pcaps/turns answers (think time 0.3-1.5
s, then server-sent events 40 ms apart, or one JSON answer); caddy answers `GET /v1/ping`
with a 204 itself and serves the page (`GET /`). `X.requests.tsv` is caddy's JSON access
log of the recording converted to pcaps/turns/README.md's columns; for caddy they mean:

| column | from caddy's access log |
|---|---|
| remote_port | request.remote_port |
| connection, connection_requests | the connection's serial (by first appearance of its port) and the request's number on it |
| msec | ts: when the log entry was written (the response's end), epoch seconds |
| request_time | duration (seconds); start = msec - request_time |
| request_length | the body's bytes plus the header fields' (the pseudo-headers :method :scheme :authority :path and every logged name and value, their lengths summed): the uncompressed request, of which QPACK sends less. caddy 2.6 logs no bytes_read, so the mock API, asked by caddy (X-Capture-Echo), sends the body's size back in X-Request-Body-Bytes, read from resp_headers |
| bytes_sent | size: the response body's bytes (caddy does not count headers) |
| status, server_protocol, request_method, request_uri | status, request.proto, request.method, request.uri |
| upstream_header_time | the mock API's time to its headers (caddy's {http.reverse_proxy.upstream.latency}, sent back as a response header and read from resp_headers), `-` for answers caddy makes |
| upstream_response_time | duration for proxied requests (so that the first byte's time, request_time - upstream_response_time + upstream_header_time, is upstream_header_time after the start), `-` otherwise |

These are the inputs of tests/clients/turns-h3.test.sh.

| file | client (version) | server | what it does | connections | requests | streamed | pcap bytes |
|---|---|---|---|---|---|---|---|
EOF
        while IFS=$'\t' read -r c v; do
            f=$d/$c.pcap
            [ -s "$f" ] || continue
            local conns reqs streamed
            conns=$(cut -f1 "$d/$c.requests.tsv" | sort -u | wc -l)
            reqs=$(wc -l < "$d/$c.requests.tsv")
            streamed=$(grep -c '"text/event-stream"' "$d/$c.access.json" || true)
            printf '| %s.pcap | %s | caddy %s | %s | %s | %s | %s | %s |\n' "$c" "$v" "$(caddy version 2>/dev/null | cut -d' ' -f1)" \
                "$(what_of "$c")" "$conns" "$reqs" "$streamed" "$(stat -c %s "$f")"
        done < "$d/versions.tsv"
        printf '\nstreamed: answers sent as server-sent events (text/event-stream in X.access.json).\n'
        printf 'X.access.json: caddy'"'"'s access log as written; X.keys: the recording'"'"'s TLS secrets (NSS key log, throw-away), for `tshark -o tls.keylog_file:X.keys`.\n'
        printf 'versions.tsv: case, Chromium version string.\n'
    } > "$d/README.md"
}

# tools/capture-h3.sh --readme [OUTDIR]: the README again, from what OUTDIR holds.
if [ "${1:-}" = "--readme" ]; then
    write_readme "${2:-$top/pcaps/turns-h3}"
    exit 0
fi

# ---------------------------------------------------------------- outside the namespace
if [ "${1:-}" != "--inside" ]; then
    outdir=${1:-$top/pcaps/turns-h3}
    [ $# -gt 0 ] && shift
    cases=("$@")
    [ ${#cases[@]} -eq 0 ] && cases=("${all_cases[@]}")
    for c in "${cases[@]}"; do what_of "$c" >/dev/null || die "unknown case '$c' (known: ${all_cases[*]})"; done
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespace, tcpdump)"
    for t in caddy chromium tcpdump tshark openssl unshare ip python3; do
        command -v "$t" >/dev/null || die "$t not found${t:+ (caddy: apt-get install caddy)}"
    done
    unshare -m -n true 2>/dev/null || die "no network namespace here (the request log's ports must be ours alone)"
    mkdir -p "$outdir"
    outdir=$(cd "$outdir" && pwd)
    work=$(mktemp -d /tmp/capture-h3.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rc=0
    unshare -m -n --propagation private "$0" --inside "$work" "$outdir" "${cases[@]}" || rc=$?
    write_readme "$outdir"
    exit $rc
fi

# ---------------------------------------------------------------- inside the namespace
shift
work=$1 outdir=$2
shift 2
cases=("$@")
cd "$work"
py=/usr/bin/python3
. "$top/tools/capture-ns.sh"
capture_ns_setup capture-h3 "$server_ip" "$host" lo
# Chromium's QUIC does not honour --ignore-certificate-errors alone: the leaf's
# key is named to it (base64 SHA-256 of its SubjectPublicKeyInfo).
spki=$(openssl x509 -in leaf.pem -noout -pubkey | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)
cp "$top/tools/capture-mock-api.py" backend.py
capture_backend_start "$py" "$work"

mkdir -p html caddy
cat > caddy/Caddyfile <<EOF
{
    admin off
    auto_https disable_redirects
    skip_install_trust
    storage file_system $work/caddy/data
    servers {
        protocols h1 h2 h3
        log_credentials
    }
}
https://$host:443 {
    bind $server_ip
    tls $work/chain.pem $work/leaf.key
    log {
        output file $work/caddy/access.json
        format json
    }
    handle /v1/chat/completions {
        reverse_proxy 127.0.0.1:8081 {
            flush_interval -1
            header_up X-Capture-Echo 1
            header_down X-Upstream-Latency {http.reverse_proxy.upstream.latency}
        }
    }
    handle /v1/ping {
        respond 204
    }
    handle {
        root * $work/html
        file_server
    }
}
EOF
HOME=$work/caddy XDG_DATA_HOME=$work/caddy XDG_CONFIG_HOME=$work/caddy \
    caddy run --config caddy/Caddyfile --adapter caddyfile >caddy/caddy.log 2>&1 &
caddy_pid=$!
trap 'kill "$caddy_pid" "$backend_pid" 2>/dev/null || true; wait "$caddy_pid" "$backend_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/$server_ip/443") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/$server_ip/443") 2>/dev/null || { cat caddy/caddy.log >&2; die "caddy did not start"; }
grep -q '"h3"\|HTTP/3\|http3' caddy/caddy.log || echo "capture-h3: caddy's log does not mention HTTP/3: $(tail -3 caddy/caddy.log)" >&2

page() {
    case $1 in
    chromium-h3-seq) capture_page html/index.html <<'EOF'
(async () => {
  await (await fetch("/v1/ping")).text();
  await sleep(2000);
  let n = await read(await chat(true, "Why is the sky blue? Explain it to a ten year old, step by step."));
  await sleep(2500);
  n += (await (await chat(false, "And why are sunsets red?")).text()).length;
  await sleep(1500);
  n += await read(await chat(true, "Write a haiku about the sea, then explain its imagery line by line."));
  await sleep(3000);
  await (await fetch("/v1/ping")).text();
  await sleep(2000);
  n += (await (await chat(false, "Name three prime numbers.")).text()).length;
  await sleep(2000);
  n += await read(await chat(true, "Thanks. One more: why is the sea blue, then? " + "Be thorough. ".repeat(20)));
  document.getElementById("o").textContent = n;
  await sleep(1000);
  await fetch("/v1/ping?done");
})();
EOF
    ;;
    chromium-h3-concurrent) capture_page html/index.html <<'EOF'
const prompts = ["Summarise the causes of the French revolution in five bullet points.",
  "Write a haiku about the sea.", "What is the derivative of x^3 sin x? Show the steps.",
  "Translate 'good morning, how did you sleep?' into German and Italian.",
  "Give me three names for a bakery that sells only bread.", "Explain TCP slow start briefly."];
const round = async (k, off) => {
  const rs = await Promise.all([...Array(k).keys()].map(i => chat(true, prompts[(off + i) % 6] + " (" + (off + i) + ")")));
  return (await Promise.all(rs.map(read))).reduce((a, b) => a + b, 0);
};
(async () => {
  await sleep(1500);
  let n = await round(3, 0);
  await sleep(2500);
  n += await round(4, 3);
  await sleep(2000);
  n += await round(3, 7);
  document.getElementById("o").textContent = n;
  await sleep(1000);
  await fetch("/v1/ping?done");
})();
EOF
    ;;
    esac
}

# caddy's JSON access log -> requests.tsv (pcaps/turns/README.md's columns).
to_tsv() {
    "$py" - "$1" <<'EOF'
import json, re, sys
def seconds(d):
    """A Go duration string (734.5ms, 1.2s, 950µs) in seconds."""
    m = re.fullmatch(r"([0-9.]+)(ns|us|µs|ms|s)", d or "")
    if not m:
        return None
    return float(m.group(1)) * {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
conn, nreq = {}, {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("logger") != "http.log.access" and "request" not in e:
        continue
    q = e["request"]
    port = int(q["remote_port"])
    conn.setdefault(port, len(conn) + 1)
    nreq[port] = nreq.get(port, 0) + 1
    hdr = len(q["method"]) + len("https") + len(q["host"]) + len(q["uri"]) + len(":method:scheme:authority:path")
    hdr += sum(len(k) + len(v) for k, vs in q.get("headers", {}).items() for v in vs)
    body = int((e.get("resp_headers", {}).get("X-Request-Body-Bytes") or [e.get("bytes_read", 0)])[0])
    lat = seconds((e.get("resp_headers", {}).get("X-Upstream-Latency") or [""])[0])
    up_h = "%.3f" % lat if lat is not None else "-"
    up_r = "%.3f" % e["duration"] if lat is not None else "-"
    print("\t".join(str(x) for x in (port, conn[port], nreq[port], "%.3f" % e["ts"], "%.3f" % e["duration"],
                                     body + hdr, e.get("size", 0), e.get("status", 0), q["proto"],
                                     q["method"], q["uri"], up_h, up_r)))
EOF
}

: > versions.tsv
failed=
for c in "${cases[@]}"; do
    out=$outdir/$c.pcap
    rm -f "$out"
    page "$c"
    : > caddy/access.json
    tcpdump -i lo --immediate-mode -U -n -s 0 -w "$out" "host $server_ip and port 443" 2>tcpdump.err & td=$!
    for _ in $(seq 100); do grep -q 'listening on' tcpdump.err 2>/dev/null && break; sleep 0.05; done
    sleep 0.2
    # The TLS secrets too (X.keys, NSS key log: throw-away keys), so that tshark
    # can show what each packet carries.
    rm -f keys.log
    if ! SSLKEYLOGFILE=$work/keys.log capture_chromium "https://$host/" caddy/access.json --enable-quic \
            "--origin-to-force-quic-on=$host:443" "--ignore-certificate-errors-spki-list=$spki"; then
        echo "capture-h3: $c: chromium's page did not finish: $(tail -3 chromium.log)" >&2
        failed="$failed $c"
    fi
    sleep 0.5
    kill -INT "$td"; wait "$td" 2>/dev/null || true
    cp caddy/access.json "$outdir/$c.access.json"
    cp keys.log "$outdir/$c.keys" 2>/dev/null || echo "capture-h3: $c: Chromium wrote no key log" >&2
    to_tsv caddy/access.json > "$outdir/$c.requests.tsv"
    printf '%s\t%s\n' "$c" "$(chromium --version 2>/dev/null | head -1)" >> versions.tsv
    # HTTP/3 for real: every request logged as HTTP/3.0, every packet to or from
    # port 443 QUIC, none TCP.
    other=$(cut -f9 "$outdir/$c.requests.tsv" | sort -u | grep -vx 'HTTP/3.0' || true)
    tcp=$(tshark -r "$out" -Y tcp 2>/dev/null | wc -l)
    notquic=$(tshark -r "$out" -Y 'udp && !quic' 2>/dev/null | wc -l)
    quic=$(tshark -r "$out" -Y quic 2>/dev/null | wc -l)
    if [ -n "$other" ] || [ "$tcp" -ne 0 ] || [ "$notquic" -ne 0 ] || [ "$quic" -eq 0 ]; then
        echo "capture-h3: $c is not all HTTP/3: protocols logged other than HTTP/3.0: '${other//$'\n'/ }', TCP packets $tcp, UDP not QUIC $notquic, QUIC $quic" >&2
        failed="$failed $c"
    fi
    echo "capture-h3: $c -> $out ($(stat -c %s "$out") bytes, $(wc -l < "$outdir/$c.requests.tsv") requests, $quic QUIC packets, $tcp TCP)" >&2
done
cp versions.tsv "$outdir/versions.tsv"
chmod 644 "$outdir"/*.pcap "$outdir"/*.tsv "$outdir"/*.json "$outdir"/*.keys 2>/dev/null || true
if [ -n "$failed" ]; then
    cp caddy/caddy.log chromium.log "$outdir/" 2>/dev/null || true
    die "failed:$failed (caddy.log and chromium.log copied to $outdir)"
fi
