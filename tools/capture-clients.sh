#!/usr/bin/env bash
# Records real TLS clients talking to AI API hosts, for JA3/JA4 conformance tests
# and as the handshake templates of tools/gen-traffic.
#
#   tools/capture-clients.sh [OUTDIR] [CLIENT...]     (OUTDIR defaults to pcaps/clients)
#   tools/capture-clients.sh --turns [OUTDIR] [CLIENT...]   (pcaps/turns: longer
#       recordings with a log of every request, for tests/clients/turns.test.sh;
#       see tools/capture-turns.sh)
#
# nginx (TLS 1.2+1.3, HTTP/2 and HTTP/1.1, certificates from a throw-away CA for
# every AI host) listens on 127.77.0.1:443 inside a private network and mount
# namespace (unshare -m -n), where a bind-mounted hosts file maps the AI host names
# to it: the machine's own /etc/hosts and loopback are never touched. In that
# namespace lo gets an MTU of 1500 so that segments look like Ethernet ones (a
# Chromium ClientHello spans two segments, as on a real network). Each client makes
# 2-3 requests (keep-alive when the client does it), tcpdump records lo, and
# OUTDIR/<client>.pcap plus OUTDIR/README.md are written. POSTs to
# /v1/chat/completions are proxied to a tiny backend that streams server-sent
# events the way LLM APIs do (a few small chunks 40 ms apart), so the captures show
# request/response turns with streamed responses.
#
# Everything comes from Debian's packages (tools/packages.d/extra/clients.txt). Needs
# root (namespaces, tcpdump). Clients that are not installed are skipped, loudly.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
server_ip=127.77.0.1

all_clients=(curl python-requests python-httpx python-aiohttp python-urllib node-fetch go-nethttp wget openssl-s_client chromium)

# Which host each client talks to: spread over the catalogue so the captures also
# exercise more than one catalogue entry.
host_of() {
    case $1 in
        curl) echo api.openai.com ;;
        python-requests) echo api.anthropic.com ;;
        python-httpx) echo api.openai.com ;;
        python-aiohttp) echo generativelanguage.googleapis.com ;;
        python-urllib) echo api.deepseek.com ;;
        node-fetch) echo api.mistral.ai ;;
        go-nethttp) echo api.groq.com ;;
        wget) echo api.together.xyz ;;
        openssl-s_client) echo api.x.ai ;;
        chromium) echo chatgpt.com ;;
        *) return 1 ;;
    esac
}
all_hosts="api.openai.com api.anthropic.com generativelanguage.googleapis.com api.deepseek.com api.mistral.ai api.groq.com api.together.xyz api.x.ai chatgpt.com"

die() { echo "capture-clients: $*" >&2; exit 1; }

# OUTDIR/README.md: one row per capture, from the capture itself (tshark) and the
# versions the clients reported while being recorded.
write_readme() {
    local d=$1 f c h v
    {
        cat <<'EOF'
# Real client captures

Made by `tools/capture-clients.sh` (run it as root; it installs
tools/packages.d/extra/clients.txt first). Each file is one real client, from Debian's
packages on Debian 12, talking to an AI API host name over TLS 1.3. The server is nginx
on 127.77.0.1:443 (TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1, an ECDSA P-256 certificate
from a throw-away CA naming every host below) inside a private network and mount
namespace whose bind-mounted /etc/hosts maps the host names to it; the machine's own
hosts file and loopback are not touched. lo in that namespace has an MTU of 1500 and
no segmentation offload, so segments are Ethernet-sized (MSS 1460, 1448 bytes of
payload with timestamps): Chromium's ClientHello spans two segments, as on a real
network. tcpdump records `host 127.77.0.1 and tcp port 443` on lo (link type
Ethernet, both ends 127.77.0.1).

Each client makes three requests where it keeps connections alive: two streamed
`POST /v1/chat/completions` (nginx proxies them to a small backend that answers with
server-sent events, eight small chunks 40 ms apart, as LLM APIs stream) and one
`GET /v1/models`; so every capture shows request/response turns with streamed
responses. Exceptions, as the clients really behave: urllib opens one connection per
request (two connections); wget only GETs (three on one connection); openssl s_client
sends one POST and one GET; Chromium loads a page that POSTs and then GETs, and
opens a second, speculative connection that it closes unused; node's second
connection resumes the first's TLS session (pre_shared_key), so its JA3 differs.
Chromium permutes its extensions on every connection, so its two ClientHellos have
different JA3 (and the same JA4).

These captures are the JA3 conformance inputs (tests/clients/ja3_tshark.test.sh) and
the handshake templates of tools/gen-traffic.

| file | client (version) | host (SNI) | connections | packets | bytes | ALPN offered | JA3 (tshark), per connection |
|---|---|---|---|---|---|---|---|
EOF
        while IFS=$'\t' read -r c h v; do
            f=$d/$c.pcap
            [ -s "$f" ] || continue
            local conns pkts alpn ja3
            conns=$(tshark -r "$f" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | wc -l)
            pkts=$(tshark -r "$f" 2>/dev/null | wc -l)
            alpn=$(tshark -r "$f" -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_alpn_str 2>/dev/null | sort -u | paste -sd ' ')
            ja3=$(tshark -r "$f" -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3 2>/dev/null | paste -sd ' ')
            printf '| %s.pcap | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$v" "$h" "$conns" "$pkts" \
                "$(stat -c %s "$f")" "${alpn:-(none)}" "$ja3"
        done < "$d/versions.tsv"
        printf '\nversions.tsv: client, host, version string (kept across runs that record only some clients).\n'
    } > "$d/README.md"
}

# ---------------------------------------------------------------- outside the namespace
if [ "${1:-}" = "--turns" ]; then
    # The turn-test recordings (same namespace, CA and nginx set-up, other clients).
    shift
    exec "$here/capture-turns.sh" "$@"
fi
if [ "${1:-}" != "--inside" ]; then
    outdir=${1:-$top/pcaps/clients}
    [ $# -gt 0 ] && shift
    clients=("$@")
    [ ${#clients[@]} -eq 0 ] && clients=("${all_clients[@]}")
    for c in "${clients[@]}"; do host_of "$c" >/dev/null || die "unknown client '$c' (known: ${all_clients[*]})"; done
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespace, tcpdump)"
    "$here/setup.sh" --only clients || die "could not install tools/packages.d/extra/clients.txt"
    for t in nginx tcpdump openssl unshare ip python3; do
        command -v "$t" >/dev/null || die "$t not found"
    done
    mkdir -p "$outdir"
    outdir=$(cd "$outdir" && pwd)
    work=$(mktemp -d /tmp/capture-clients.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # A network namespace keeps the capture free of anything else on this machine;
    # where one cannot be made, a mount namespace alone still keeps /etc/hosts intact.
    if unshare -m -n true 2>/dev/null; then ns=(-m -n); else
        echo "capture-clients: no network namespace here; using the machine's lo" >&2
        ns=(-m)
    fi
    # 127.77.0.1 needs no address of its own: all of 127/8 is local on Linux.
    rc=0
    unshare "${ns[@]}" --propagation private "$0" --inside "$work" "$outdir" "${ns[*]}" "${clients[@]}" || rc=$?
    write_readme "$outdir"
    exit $rc
fi

# ---------------------------------------------------------------- inside the namespace
shift
work=$1 outdir=$2 ns=$3
shift 3
clients=("$@")
cd "$work"
# Debian's python3 (with Debian's requests, httpx, aiohttp), not whatever is first on PATH.
py=/usr/bin/python3
. "$top/tools/capture-ns.sh"
capture_ns_setup capture-clients "$server_ip" "$all_hosts" "$([ "$ns" = "-m -n" ] && echo lo)"

# The streaming backend: server-sent events, one small chunk every 40 ms.
cat > backend.py <<'EOF'
import http.server, json, sys, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = ["Step", " one:", " read", " the", " question.", " Step", " two:", " answer."]
        for i, w in enumerate(words):
            ev = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": w}}]}
            data = ("data: " + json.dumps(ev, separators=(",", ":")) + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(0.04)
        last = b"data: [DONE]\n\n"
        self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(last), last))
        self.wfile.flush()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF

mkdir -p html/v1
cat > html/index.html <<'EOF'
<!doctype html><html><head><title>chat</title></head><body><p id="o">...</p>
<script>
fetch("/v1/chat/completions", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({model: "gpt-4o", stream: true, messages: [{role: "user", content: "Explain step by step."}]})})
  .then(r => r.text()).then(t => { document.getElementById("o").textContent = t.length;
    return fetch("/v1/models"); }).then(r => r.text()).then(() => { document.title = "done"; });
</script></body></html>
EOF
echo '{"object":"list","data":[{"id":"gpt-4o","object":"model"},{"id":"gpt-4o-mini","object":"model"}]}' > html/v1/models

capture_nginx_conf "$work" "$server_ip" "$all_hosts" 64 100 30s

capture_servers_start "$py" "$work" "$server_ip"

body='{"model":"m","stream":true,"messages":[{"role":"user","content":"Explain, step by step, why the sky is blue."}]}'
printf '%s' "$body" > body.json

# Each client: 2 streamed POSTs and one GET on one connection where it keeps
# connections alive. Prints its version on stdout first line (for the README).
run_client() {
    local c=$1 h=$2 url=https://$2
    case $c in
    curl)
        curl --version | head -1 >&3
        curl -sS --http2 --cacert ca.pem -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-test' \
            -d @body.json -o /dev/null -o /dev/null "$url/v1/chat/completions" "$url/v1/chat/completions" \
            --next --http2 --cacert ca.pem -sS -o /dev/null "$url/v1/models" ;;
    python-requests)
        "$py" -c 'import requests,sys; print("python3-requests", requests.__version__, "(urllib3", __import__("urllib3").__version__ + ")", "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, requests
u = sys.argv[1]
s = requests.Session()
s.verify = "ca.pem"
body = open("body.json").read()
for _ in range(2):
    r = s.post(u + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}, stream=True)
    for _chunk in r.iter_lines():
        pass
s.get(u + "/v1/models").content
s.close()
EOF
        ;;
    python-httpx)
        "$py" -c 'import httpx,sys; print("python3-httpx", httpx.__version__, "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, httpx
u = sys.argv[1]
body = open("body.json").read()
with httpx.Client(verify="ca.pem") as c:
    for _ in range(2):
        with c.stream("POST", u + "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}) as r:
            for _line in r.iter_lines():
                pass
    c.get(u + "/v1/models").read()
EOF
        ;;
    python-aiohttp)
        "$py" -c 'import aiohttp,sys; print("python3-aiohttp", aiohttp.__version__, "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, ssl, asyncio, aiohttp
u = sys.argv[1]
body = open("body.json").read()
async def main():
    ctx = ssl.create_default_context(cafile="ca.pem")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
        for _ in range(2):
            async with s.post(u + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}) as r:
                async for _line in r.content:
                    pass
        async with s.get(u + "/v1/models") as r:
            await r.read()
asyncio.run(main())
EOF
        ;;
    python-urllib)
        # urllib.request opens one connection per request: two requests, two connections.
        "$py" -c 'import sys,ssl; print("python", sys.version.split()[0], "urllib.request,", ssl.OPENSSL_VERSION)' >&3
        "$py" - "$url" <<'EOF'
import sys, ssl, urllib.request
u = sys.argv[1]
ctx = ssl.create_default_context(cafile="ca.pem")
body = open("body.json", "rb").read()
req = urllib.request.Request(u + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, context=ctx).read()
urllib.request.urlopen(u + "/v1/models", context=ctx).read()
EOF
        ;;
    node-fetch)
        echo "node $(node --version) fetch (undici)" >&3
        NODE_EXTRA_CA_CERTS=ca.pem node - "$url" <<'EOF'
const u = process.argv[2];
const body = require("fs").readFileSync("body.json", "utf8");
(async () => {
  for (let i = 0; i < 2; i++) {
    const r = await fetch(u + "/v1/chat/completions", {method: "POST", body, headers: {"Content-Type": "application/json"}});
    for await (const _chunk of r.body) {}
  }
  await (await fetch(u + "/v1/models")).text();
})().catch(e => { console.error(e); process.exit(1); });
EOF
        ;;
    go-nethttp)
        echo "$(go version | cut -d' ' -f3-) net/http" >&3
        cat > goclient.go <<'EOF'
package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	u := os.Args[1]
	body, err := os.ReadFile("body.json")
	if err != nil {
		panic(err)
	}
	for i := 0; i < 2; i++ {
		r, err := http.Post(u+"/v1/chat/completions", "application/json", strings.NewReader(string(body)))
		if err != nil {
			panic(err)
		}
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
		}
		r.Body.Close()
	}
	r, err := http.Get(u + "/v1/models")
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
}
EOF
        GOCACHE=$work/gocache GOPATH=$work/gopath GO111MODULE=off GOFLAGS= CGO_ENABLED=0 \
            go build -o goclient goclient.go
        SSL_CERT_FILE=ca.pem ./goclient "$url" ;;
    wget)
        wget --version | head -1 >&3
        # wget keeps the connection alive between the URLs of one invocation.
        wget -nv --ca-certificate=ca.pem -O /dev/null "$url/v1/models" "$url/v1/models" "$url/index.html" ;;
    openssl-s_client)
        openssl version >&3
        { printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "$h" "${#body}" "$body"
          sleep 0.6
          printf 'GET /v1/models HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$h"
          sleep 0.5
        } | openssl s_client -quiet -connect "$h:443" -servername "$h" -alpn http/1.1 -CAfile ca.pem >/dev/null 2>&1 ;;
    chromium)
        chromium --version >&3
        rm -rf chrome-profile
        # Headless, no QUIC (so TLS goes over TCP), no background or component
        # traffic, a fresh profile; the page POSTs a streamed request then GETs.
        chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --ignore-certificate-errors --user-data-dir="$work/chrome-profile" \
            --virtual-time-budget=5000 --dump-dom "$url/" >/dev/null 2>chromium.log ;;
    esac
}

: > versions.tsv
failed=
for c in "${clients[@]}"; do
    h=$(host_of "$c")
    out=$outdir/$c.pcap
    case $c in
        python-*) mod=${c#python-}; [ "$mod" = urllib ] && mod=ssl
                  "$py" -c "import $mod" 2>/dev/null || { echo "capture-clients: skip $c (python3 module $mod missing)" >&2; continue; } ;;
        node-fetch) command -v node >/dev/null || { echo "capture-clients: skip $c (node missing)" >&2; continue; } ;;
        go-nethttp) command -v go >/dev/null || { echo "capture-clients: skip $c (go missing)" >&2; continue; } ;;
        openssl-s_client) ;;
        *) command -v "$c" >/dev/null || { echo "capture-clients: skip $c ($c missing)" >&2; continue; } ;;
    esac
    rm -f "$out"
    tcpdump -i lo --immediate-mode -U -n -s 0 -w "$out" ${CAPTURE_FILTER-"host $server_ip and tcp port 443"} 2>tcpdump.err & td=$!
    for _ in $(seq 100); do grep -q 'listening on' tcpdump.err 2>/dev/null && break; sleep 0.05; done
    sleep 0.2
    if ! run_client "$c" "$h" 3>version.txt; then
        echo "capture-clients: $c failed" >&2
        failed="$failed $c"
    fi
    # Let the FIN/ACKs of the last close reach the capture (immediate mode above:
    # without it packets wait up to a second in the ring and a quick client is lost).
    sleep 0.5
    kill -INT "$td"; wait "$td" 2>/dev/null || true
    printf '%s\t%s\t%s\n' "$c" "$h" "$(head -1 version.txt | tr -d '\r')" >> versions.tsv
    echo "capture-clients: $c -> $out ($(stat -c %s "$out") bytes)" >&2
done
# versions.tsv keeps one line per client across runs that record only some clients.
touch "$outdir/versions.tsv"
awk -F'\t' 'NR == FNR { new[$1] = 1; print; next } !($1 in new)' versions.tsv "$outdir/versions.tsv" | sort > versions.merged
cp versions.merged "$outdir/versions.tsv"
chmod 644 "$outdir"/*.pcap
if [ -n "$failed" ]; then
    echo "capture-clients: failed:$failed" >&2
    exit 1
fi
