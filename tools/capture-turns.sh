#!/usr/bin/env bash
# Records real AI API clients against a mock API, with a log of every request and
# its connection, for the turn test (tests/clients/turns.test.sh).
#
#   tools/capture-clients.sh --turns [OUTDIR] [CLIENT...]   (OUTDIR defaults to pcaps/turns)
#   tools/capture-turns.sh [OUTDIR] [CLIENT...]             (the same)
#
# The set-up is tools/capture-clients.sh's: nginx (TLS 1.2+1.3, HTTP/2 and
# HTTP/1.1, a throw-away CA) on 127.77.0.1:443 inside a private network and mount
# namespace whose bind-mounted /etc/hosts maps the AI host names to it; lo there has
# an MTU of 1500 and no segmentation offload. Behind nginx, a mock API answers the
# way the providers do:
#   POST /v1/chat/completions (OpenAI) and POST /v1/messages (Anthropic): a think
#     time of 0.3-1.5 s before the first byte (the status line and headers), then,
#     when the request says "stream": true, server-sent events: 6-16 chunks 40 ms
#     apart and the provider's end marker; with "stream": false one JSON answer
#     after the think time plus the time the chunks would have taken.
#   GET /v1/models (a small JSON list) and GET /v1/ping (204, no body) from nginx.
# nginx logs every request (HTTP/2: every stream) to OUTDIR/<client>.requests.tsv,
# columns as in OUTDIR/README.md; tcpdump records OUTDIR/<client>.pcap.
#
# Clients: the npm SDKs `openai` and `@anthropic-ai/sdk` (npm install into a
# temporary directory: needs the npm registry), python httpx over HTTP/2
# (python3-h2) with 4 concurrent workers on one connection and a sequential one,
# python requests (a connection per request, then keep-alive), aiohttp (3
# concurrent workers), curl over HTTP/2, Chromium headless (a page that GETs a 204,
# POSTs 12 s later, streams with fetch, and reconnects after the server's idle
# timeout). Think times are real (seconds); each recording stays under a minute.
# Needs root; missing clients are skipped, loudly.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
server_ip=127.77.0.1
all_clients=(openai-node anthropic-node httpx-h2-concurrent httpx-h2-seq python-requests python-aiohttp curl-h2 chromium)
all_hosts="api.openai.com api.anthropic.com chatgpt.com"
die() { echo "capture-turns: $*" >&2; exit 1; }

host_of() {
    case $1 in
        anthropic-node) echo api.anthropic.com ;;
        chromium) echo chatgpt.com ;;
        openai-node|httpx-h2-concurrent|httpx-h2-seq|python-requests|python-aiohttp|curl-h2) echo api.openai.com ;;
        *) return 1 ;;
    esac
}

# The access log's columns (tab-separated; nginx writes "-" for an absent value).
# start of a request = msec - request_time; the server's first byte to the client
# comes upstream_header_time after nginx forwarded the request, i.e.
# request_time - upstream_response_time + upstream_header_time after the start.
log_columns="remote_port connection connection_requests msec request_time request_length bytes_sent status server_protocol request_method request_uri upstream_header_time upstream_response_time"

write_readme() {
    local d=$1 c v f
    {
        cat <<'EOF'
# Real clients with a log of every request (turn test captures)

Made by `tools/capture-clients.sh --turns` (tools/capture-turns.sh; run as root). Each
`X.pcap` is one real client talking TLS 1.3 to nginx 1.22 on 127.77.0.1:443 inside a
private network namespace (lo with MTU 1500, no segmentation offload), and
`X.requests.tsv` is nginx's access log of that recording: one line a request, for
HTTP/2 one line a stream. Behind nginx a mock API answers as the providers do:
`POST /v1/chat/completions` and `POST /v1/messages` wait a think time of 0.3-1.5 s
before the first byte, then stream server-sent events (6-16 chunks 40 ms apart, the
provider's end marker) or, with `"stream": false`, send one JSON answer; `GET
/v1/models` is a small JSON list and `GET /v1/ping` a 204 from nginx itself.

These are the inputs of tests/clients/turns.test.sh: per connection (matched on the
client port) the sensor's turns against the log's requests.

requests.tsv columns (nginx variables, `-` when absent):

| column | meaning |
|---|---|
| remote_port | the client's port: the connection's key in the capture |
| connection, connection_requests | nginx's connection serial number and the request's number on it |
| msec | when the log line was written (the response's end), epoch seconds with ms |
| request_time | seconds from the request's first byte read to the log line; start = msec - request_time |
| request_length | bytes of the request: request line, headers and body (HTTP/1.1 as sent; HTTP/2 see the test) |
| bytes_sent | bytes sent to the client for the request, headers included |
| status, server_protocol, request_method, request_uri | as named |
| upstream_header_time, upstream_response_time | the mock API's time to its headers and to its end; the server's first byte comes request_time - upstream_response_time + upstream_header_time after the start |

| file | client (version) | HTTP | what it does | connections | requests | streamed | pcap bytes |
|---|---|---|---|---|---|---|---|
EOF
        while IFS=$'\t' read -r c v; do
            f=$d/$c.pcap
            [ -s "$f" ] || continue
            local conns reqs streamed proto
            conns=$(cut -f1 "$d/$c.requests.tsv" | sort -u | wc -l)
            reqs=$(wc -l < "$d/$c.requests.tsv")
            streamed=$(awk -F'\t' '$13 != "-" && $7 > 2000' "$d/$c.requests.tsv" | wc -l)
            proto=$(cut -f9 "$d/$c.requests.tsv" | sort -u | paste -sd/)
            printf '| %s.pcap | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$v" "$proto" "$(what_of "$c")" \
                "$conns" "$reqs" "$streamed" "$(stat -c %s "$f")"
        done < "$d/versions.tsv"
        printf '\nstreamed: proxied answers of more than 2,000 bytes (the streamed ones; unstreamed answers are one short JSON).\n'
        printf 'versions.tsv: client, version string (kept across runs that record only some clients).\n'
    } > "$d/README.md"
}

what_of() {
    case $1 in
        openai-node) echo "openai SDK on node: 4 streamed and 2 unstreamed chat completions 0.5-2 s apart on one keep-alive connection, a 5 s pause (undici closes idle sockets after 4 s: a new, resumed TLS session), 2 more, then 3 concurrent streams (3 connections)" ;;
        anthropic-node) echo "Anthropic SDK on node: the same pattern on /v1/messages" ;;
        httpx-h2-concurrent) echo "httpx over HTTP/2, 4 workers on ONE connection, 40 streamed requests with a templated prompt, each worker closed-loop (no pause)" ;;
        httpx-h2-seq) echo "httpx over HTTP/2, one worker: 8 chat completions (streamed and not) 0.5-1.5 s apart, a GET /v1/models and a GET /v1/ping (204)" ;;
        python-requests) echo "requests: 4 requests with a new connection each, then a Session with 6 keep-alive requests (streamed and not), 0.5-2 s apart" ;;
        python-aiohttp) echo "aiohttp: 3 concurrent workers, 4 requests each (streamed and not) with 0.5-2 s pauses: one connection a worker" ;;
        curl-h2) echo "curl --http2: a streamed and an unstreamed POST, GET /v1/models, GET /v1/ping on one connection; then one POST alone on a new connection; then a POST whose body comes from a pipe 0.3 s after its HEADERS (answered by the server's SETTINGS before the DATA)" ;;
        chromium) echo "Chromium headless: a page that GETs /v1/ping (204), POSTs 12 s later (streamed, read with fetch's reader), POSTs unstreamed, waits past nginx's 20 s idle timeout, POSTs again on a new (resumed) connection" ;;
    esac
}

# ---------------------------------------------------------------- outside the namespace
if [ "${1:-}" != "--inside" ]; then
    outdir=${1:-$top/pcaps/turns}
    [ $# -gt 0 ] && shift
    clients=("$@")
    [ ${#clients[@]} -eq 0 ] && clients=("${all_clients[@]}")
    for c in "${clients[@]}"; do host_of "$c" >/dev/null || die "unknown client '$c' (known: ${all_clients[*]})"; done
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespace, tcpdump)"
    "$here/setup.sh" --only clients || die "could not install tools/packages.d/extra/clients.txt"
    for t in nginx tcpdump openssl unshare ip python3; do
        command -v "$t" >/dev/null || die "$t not found"
    done
    unshare -m -n true 2>/dev/null || die "no network namespace here (the request log's ports must be ours alone)"
    mkdir -p "$outdir"
    outdir=$(cd "$outdir" && pwd)
    work=$(mktemp -d /tmp/capture-turns.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # The npm SDKs, outside the namespace (which has no network).
    if command -v npm >/dev/null; then
        (cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund openai @anthropic-ai/sdk >npm.log 2>&1) ||
            echo "capture-turns: npm install openai @anthropic-ai/sdk FAILED; the node SDK clients will be skipped:
$(tail -5 "$work/npm.log")" >&2
    else
        echo "capture-turns: npm not found; the node SDK clients will be skipped" >&2
    fi
    rc=0
    unshare -m -n --propagation private "$0" --inside "$work" "$outdir" "${clients[@]}" || rc=$?
    write_readme "$outdir"
    exit $rc
fi

# ---------------------------------------------------------------- inside the namespace
shift
work=$1 outdir=$2
shift 2
clients=("$@")
cd "$work"
py=/usr/bin/python3
. "$top/tools/capture-ns.sh"
capture_ns_setup capture-turns "$server_ip" "$all_hosts" lo

# The mock API (tools/capture-mock-api.py).
cp "$top/tools/capture-mock-api.py" backend.py

mkdir -p html/v1
echo '{"object":"list","data":[{"id":"gpt-4o","object":"model"},{"id":"gpt-4o-mini","object":"model"}]}' > html/v1/models
# Chromium's page: a GET answered by a 204, a POST 12 s later (streamed, read as
# it comes), an unstreamed POST, then a pause past nginx's 20 s idle timeout and a
# POST on a new connection; /v1/ping?done marks the end for the script.
capture_page html/index.html <<'EOF'
(async () => {
  await (await fetch("/v1/ping")).text();
  await sleep(12000);
  let n = await read(await chat(true, "Why is the sky blue? Explain it to a ten year old, step by step."));
  await sleep(3000);
  n += (await (await chat(false, "And why are sunsets red?")).text()).length;
  await sleep(22000);
  n += await read(await chat(true, "Thanks. One more: why is the sea blue, then?"));
  document.getElementById("o").textContent = n;
  await fetch("/v1/ping?done");
})();
EOF

tab=$'\t'
fmt=""
for v in $log_columns; do fmt="$fmt\$$v$tab"; done
fmt=${fmt%"$tab"}
capture_nginx_conf "$work" "$server_ip" "$all_hosts" 128 1000 20s "$fmt"

capture_servers_start "$py" "$work" "$server_ip"

# The node SDK script: which SDK from argv; the pattern is the same for both.
cat > sdk.js <<'EOF'
const which = process.argv[2];
const sleep = ms => new Promise(r => setTimeout(r, ms));
const pause = () => sleep(500 + Math.floor(Math.random() * 1500));
let client, call;
if (which === "openai") {
  const OpenAI = require("openai");
  client = new OpenAI({apiKey: "sk-test", baseURL: "https://api.openai.com/v1", maxRetries: 0});
  call = async (stream, text) => {
    const r = await client.chat.completions.create({model: "gpt-4o-mini", stream,
      messages: [{role: "user", content: text}]});
    if (stream) { let s = ""; for await (const c of r) s += c.choices[0]?.delta?.content || ""; return s; }
    return r.choices[0].message.content;
  };
} else {
  const Anthropic = require("@anthropic-ai/sdk");
  client = new Anthropic({apiKey: "sk-ant-test", baseURL: "https://api.anthropic.com", maxRetries: 0});
  call = async (stream, text) => {
    const r = await client.messages.create({model: "claude-x", max_tokens: 512, stream,
      messages: [{role: "user", content: text}]});
    if (stream) { let s = ""; for await (const e of r) if (e.type === "content_block_delta") s += e.delta.text; return s; }
    return r.content[0].text;
  };
}
const prompts = ["Summarise the causes of the French revolution in five bullet points.",
  "Write a haiku about the sea.", "What is the derivative of x^3 sin x? Show the steps.",
  "Translate 'good morning, how did you sleep?' into German and Italian.",
  "Give me three names for a bakery that sells only bread.", "Explain TCP slow start briefly."];
(async () => {
  let i = 0;
  for (const stream of [true, true, false, true, false, true]) { await call(stream, prompts[i++ % 6]); await pause(); }
  await sleep(5000);
  await call(true, prompts[i++ % 6]); await pause(); await call(false, prompts[i++ % 6]);
  await pause();
  await Promise.all([0, 1, 2].map(k => call(true, prompts[(i + k) % 6])));
})().catch(e => { console.error(e); process.exit(1); });
EOF

template_prompt='Extract the named entities from the following text and return them as JSON: '

run_client() {
    local c=$1 url=https://$2
    case $c in
    openai-node|anthropic-node)
        local sdk=${c%-node} pkg=openai
        [ "$sdk" = anthropic ] && pkg=@anthropic-ai/sdk
        echo "$pkg $(node -p "require('$work/node_modules/$pkg/package.json').version" 2>/dev/null || sed -n 's/.*"version": "\(.*\)".*/\1/p' "$work/node_modules/$pkg/package.json" | head -1), node $(node --version)" >&3
        NODE_PATH=$work/node_modules NODE_EXTRA_CA_CERTS=ca.pem node sdk.js "$sdk" ;;
    httpx-h2-concurrent)
        "$py" -c 'import httpx,h2,sys; print("python3-httpx", httpx.__version__, "h2", h2.__version__, "python", sys.version.split()[0])' >&3
        "$py" - "$url" "$template_prompt" <<'EOF'
import sys, json, random, threading, httpx
u, tpl = sys.argv[1], sys.argv[2]
rng = random.Random(4)
docs = ["Acme Corp hired Jane Doe in Paris in %d." % (2000 + i) for i in range(40)]
todo = list(range(40))
lock = threading.Lock()
with httpx.Client(http2=True, verify="ca.pem", limits=httpx.Limits(max_connections=1)) as c:
    def worker():
        while True:
            with lock:
                if not todo:
                    return
                k = todo.pop(0)
            body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": tpl + docs[k]}]}
            with c.stream("POST", u + "/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-test"}) as r:
                assert r.http_version == "HTTP/2", r.http_version
                for _ in r.iter_lines():
                    pass
    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
EOF
        ;;
    httpx-h2-seq)
        "$py" -c 'import httpx,h2,sys; print("python3-httpx", httpx.__version__, "h2", h2.__version__, "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, time, random, httpx
u = sys.argv[1]
rng = random.Random(5)
with httpx.Client(http2=True, verify="ca.pem") as c:
    c.get(u + "/v1/models").read()
    for i, stream in enumerate([True, False, True, True, False, True, False, True]):
        time.sleep(rng.uniform(0.5, 1.5))
        body = {"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "Question %d: %s" % (i, "why? " * rng.randint(2, 60))}]}
        with c.stream("POST", u + "/v1/chat/completions", json=body) as r:
            assert r.http_version == "HTTP/2", r.http_version
            r.read()
    time.sleep(0.7)
    c.get(u + "/v1/ping").read()
EOF
        ;;
    python-requests)
        "$py" -c 'import requests,sys; print("python3-requests", requests.__version__, "(urllib3", __import__("urllib3").__version__ + ")", "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, time, random, requests
u = sys.argv[1]
rng = random.Random(6)
def body(i, stream):
    return {"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "Item %d. " % i + "Describe it. " * rng.randint(1, 40)}]}
for i in range(4):
    requests.post(u + "/v1/chat/completions", json=body(i, False), verify="ca.pem").json()
    time.sleep(rng.uniform(0.5, 2.0))
with requests.Session() as s:
    s.verify = "ca.pem"
    for i, stream in enumerate([True, False, True, True, False, True]):
        r = s.post(u + "/v1/chat/completions", json=body(10 + i, stream), stream=stream)
        if stream:
            for _ in r.iter_lines():
                pass
        else:
            r.json()
        time.sleep(rng.uniform(0.5, 2.0))
EOF
        ;;
    python-aiohttp)
        "$py" -c 'import aiohttp,sys; print("python3-aiohttp", aiohttp.__version__, "python", sys.version.split()[0])' >&3
        "$py" - "$url" <<'EOF'
import sys, ssl, random, asyncio, aiohttp
u = sys.argv[1]
async def worker(s, w):
    rng = random.Random(w)
    for i, stream in enumerate([True, False, True, True]):
        body = {"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "w%d q%d " % (w, i) + "more " * rng.randint(1, 50)}]}
        async with s.post(u + "/v1/chat/completions", json=body) as r:
            if stream:
                async for _ in r.content:
                    pass
            else:
                await r.json()
        await asyncio.sleep(rng.uniform(0.5, 2.0))
async def main():
    ctx = ssl.create_default_context(cafile="ca.pem")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
        await asyncio.gather(*(worker(s, w) for w in range(3)))
asyncio.run(main())
EOF
        ;;
    curl-h2)
        curl --version | head -1 >&3
        local b1 b2
        b1='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Explain, step by step, why the sky is blue."}]}'
        b2='{"model":"gpt-4o-mini","stream":false,"messages":[{"role":"user","content":"Name three prime numbers."}]}'
        curl -sS --http2 --cacert ca.pem -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-test' \
            -d "$b1" -o /dev/null "$url/v1/chat/completions" \
            --next --http2 --cacert ca.pem -sS -H 'Content-Type: application/json' -d "$b2" -o /dev/null "$url/v1/chat/completions" \
            --next --http2 --cacert ca.pem -sS -o /dev/null "$url/v1/models" \
            --next --http2 --cacert ca.pem -sS -o /dev/null "$url/v1/ping"
        sleep 1.5
        curl -sS --http2 --cacert ca.pem -H 'Content-Type: application/json' -d "$b1" -o /dev/null "$url/v1/chat/completions"
        sleep 1
        # A body that comes 0.3 s after the headers (an upload from a pipe): the
        # HEADERS go first, the server's SETTINGS answer them, then the DATA.
        { sleep 0.3; printf '%s' "$b1"; } | curl -sS --http2 --cacert ca.pem -X POST -T - \
            -H 'Content-Type: application/json' -o /dev/null "$url/v1/chat/completions" ;;
    chromium)
        chromium --version 2>/dev/null | head -1 >&3
        capture_chromium "$url/" nginx/access.tsv --disable-quic ||
            { echo "capture-turns: chromium's page did not finish" >&2; return 1; } ;;
    esac
}

: > versions.tsv
failed=
for c in "${clients[@]}"; do
    h=$(host_of "$c")
    out=$outdir/$c.pcap
    case $c in
        *-node) command -v node >/dev/null && [ -d "$work/node_modules/openai" ] && [ -d "$work/node_modules/@anthropic-ai/sdk" ] ||
                  { echo "capture-turns: SKIP $c (node or the npm SDKs missing)" >&2; continue; } ;;
        httpx-*) "$py" -c 'import httpx, h2' 2>/dev/null || { echo "capture-turns: SKIP $c (python3-httpx or python3-h2 missing)" >&2; continue; } ;;
        python-*) "$py" -c "import ${c#python-}" 2>/dev/null || { echo "capture-turns: SKIP $c (python3 module ${c#python-} missing)" >&2; continue; } ;;
        curl-h2) command -v curl >/dev/null || { echo "capture-turns: SKIP $c (curl missing)" >&2; continue; } ;;
        chromium) command -v chromium >/dev/null || { echo "capture-turns: SKIP $c (chromium missing)" >&2; continue; } ;;
    esac
    rm -f "$out"
    : > nginx/access.tsv
    kill -USR1 "$nginx_pid" 2>/dev/null || true   # reopen the emptied log
    tcpdump -i lo --immediate-mode -U -n -s 0 -w "$out" "host $server_ip and tcp port 443" 2>tcpdump.err & td=$!
    for _ in $(seq 100); do grep -q 'listening on' tcpdump.err 2>/dev/null && break; sleep 0.05; done
    sleep 0.2
    if ! run_client "$c" "$h" 3>version.txt; then
        echo "capture-turns: $c failed" >&2
        failed="$failed $c"
    fi
    # Let idle connections close (nginx's 20 s idle timeout is longer than we
    # wait: the clients' own exits close theirs) and the last FIN/ACKs arrive.
    sleep 0.5
    kill -INT "$td"; wait "$td" 2>/dev/null || true
    cp nginx/access.tsv "$outdir/$c.requests.tsv"
    printf '%s\t%s\n' "$c" "$(head -1 version.txt | tr -d '\r')" >> versions.tsv
    echo "capture-turns: $c -> $out ($(stat -c %s "$out") bytes, $(wc -l < "$outdir/$c.requests.tsv") requests)" >&2
done
touch "$outdir/versions.tsv"
awk -F'\t' 'NR == FNR { new[$1] = 1; print; next } !($1 in new)' versions.tsv "$outdir/versions.tsv" | sort > versions.merged
cp versions.merged "$outdir/versions.tsv"
chmod 644 "$outdir"/*.pcap "$outdir"/*.tsv 2>/dev/null || true
if [ -n "$failed" ]; then
    echo "capture-turns: failed:$failed" >&2
    exit 1
fi
