#!/usr/bin/env bash
# Records real client stacks running AS HARVESTERS, with developers and a browser
# beside them, all at once for DURATION seconds (default 900), for the detection
# test on real clients (tests/clients/harvest.test.sh).
#
#   tools/capture-harvest.sh [OUTDIR]        (OUTDIR defaults to pcaps/harvest)
#   DURATION=120 tools/capture-harvest.sh /tmp/h   (a shorter recording)
#
# The server is tools/capture-turns.sh's: nginx (TLS 1.2+1.3, HTTP/2 and HTTP/1.1,
# tools/capture-ns.sh's throw-away CA) in front of the same mock API (its program
# is taken from capture-turns.sh, so think times and answer sizes are its: 0.3-1.5 s
# before the first byte, 6-16 SSE chunks 40 ms apart, or one JSON answer). Here it
# listens on 10.77.0.1:443 on a bridge inside a private network and mount
# namespace; every client address is its own network namespace joined to the
# bridge by a veth pair (MTU 1500, no segmentation offload), so each kind talks
# from its own address(es) and tcpdump records Ethernet frames on the bridge.
#
# Harvesters (templated prompts: a fixed instruction + an item from a task list):
#   10.77.1.1   openai-node       openai npm SDK, sequential, streamed, 0.3-2.5 s sleeps
#   10.77.1.2   anthropic-node    @anthropic-ai/sdk, 4 concurrent workers, streamed, no sleeps
#   10.77.1.3   httpx-h2          python httpx over HTTP/2, 4 concurrent streams on one connection
#   10.77.2.1-8 requests-pool     8 addresses running one python requests script: a
#                                 connection per request, unstreamed, each member's
#                                 gaps uniform in [m/2, 3m/2] with its mean m in 60-75 s
#   10.77.1.4   keepalive-requests  python requests Session (keep-alive), streamed,
#                                 random 1-20 s sleeps
# Negatives at the same time:
#   10.77.3.1   developer         curl --http2 and one-shot httpx by hand: a request
#                                 every 40-200 s, varied prompts, now and then GET /v1/models
#   10.77.3.2   chromium          Chromium headless on a chat page: a prompt every
#                                 25-150 s, streamed with fetch
# Writes OUTDIR/harvest.full.pcap (the recording: large, never committed),
# OUTDIR/harvest.truth.tsv (address, kind, harvester yes/no, client),
# OUTDIR/harvest.requests.tsv.gz (nginx's log of every request with its address)
# and, with tools/pcap-slim.py, OUTDIR/harvest.pcap.xz (what is committed).
# Needs root, the npm registry for the SDKs; a missing client fails the recording.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
server_ip=10.77.0.1
all_hosts="api.openai.com api.anthropic.com chatgpt.com"
die() { echo "capture-harvest: $*" >&2; exit 1; }

# address  kind  harvester  client  (the ground truth; one line an address)
truth() {
    printf '10.77.1.1\topenai-node\tyes\topenai npm SDK on node, sequential\n'
    printf '10.77.1.2\tanthropic-node\tyes\t@anthropic-ai/sdk on node, 4 concurrent workers\n'
    printf '10.77.1.3\thttpx-h2\tyes\tpython httpx HTTP/2, 4 streams on one connection\n'
    for i in 1 2 3 4 5 6 7 8; do
        printf '10.77.2.%d\trequests-pool\tyes\tpython requests, connection per request, pool of 8\n' "$i"
    done
    printf '10.77.1.4\tkeepalive-requests\tyes\tpython requests Session, 1-20 s sleeps\n'
    printf '10.77.3.1\tdeveloper\tno\tcurl and httpx by hand\n'
    printf '10.77.3.2\tchromium\tno\tChromium headless chat page\n'
}

# ---------------------------------------------------------------- outside the namespace
if [ "${1:-}" != "--inside" ]; then
    outdir=${1:-$top/pcaps/harvest}
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tcpdump)"
    for t in nginx tcpdump openssl unshare ip node npm chromium curl /usr/bin/python3; do
        command -v "$t" >/dev/null || die "$t not found (tools/setup.sh --only clients)"
    done
    /usr/bin/python3 -c 'import httpx, h2, requests' || die "python3-httpx, python3-h2 or python3-requests missing"
    unshare -m -n true 2>/dev/null || die "no network namespace here"
    mkdir -p "$outdir"
    outdir=$(cd "$outdir" && pwd)
    work=$(mktemp -d /tmp/capture-harvest.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # The mock API: capture-turns.sh's own program, unchanged.
    sed -n "/^cat > backend.py <<'EOF'\$/,/^EOF\$/p" "$here/capture-turns.sh" | sed '1d;$d' > "$work/backend.py"
    grep -q ThreadingHTTPServer "$work/backend.py" && /usr/bin/python3 -m py_compile "$work/backend.py" ||
        die "could not take the mock API from tools/capture-turns.sh"
    (cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund openai @anthropic-ai/sdk >npm.log 2>&1) ||
        die "npm install openai @anthropic-ai/sdk failed: $(tail -5 "$work/npm.log")"
    truth > "$outdir/harvest.truth.tsv"
    unshare -m -n --propagation private "$0" --inside "$work" "$outdir"
    exit $?
fi

# ---------------------------------------------------------------- inside the namespace
shift
work=$1 outdir=$2
duration=${DURATION:-900}
cd "$work"
py=/usr/bin/python3
. "$top/tools/capture-ns.sh"
capture_ns_setup capture-harvest "$server_ip" "$all_hosts" lo

# The bridge the server listens on, and one namespace a client address.
nsnames=()
ip link add hbr0 type bridge
ip addr add "$server_ip/16" dev hbr0
ip link set hbr0 up
nooffload() { ip "$@" gso_max_segs 1 gso_max_size 1500 2>/dev/null || die "cannot turn off GSO ($*)"; }
nooffload link set hbr0
n=0
while IFS=$'\t' read -r addr kind _ _; do
    n=$((n + 1))
    ns=hv$$-$n
    ip netns add "$ns"
    nsnames+=("$ns")
    ip link add "hh$n" type veth peer name "hc$n"
    ip link set "hc$n" netns "$ns"
    nooffload link set "hh$n"
    ip -n "$ns" link set "hc$n" gso_max_segs 1 gso_max_size 1500 || die "cannot turn off GSO in $ns"
    ip link set "hh$n" master hbr0 up
    ip -n "$ns" addr add "$addr/16" dev "hc$n"
    ip -n "$ns" link set "hc$n" up
    ip -n "$ns" link set lo up
    echo "$ns" > "ns.$addr"
done < "$outdir/harvest.truth.tsv"
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
cleanup_ns() { for ns in "${nsnames[@]}"; do ip netns del "$ns" 2>/dev/null || true; done; }
in_ns() { local a=$1; shift; ip netns exec "$(cat "ns.$a")" "$@"; }

tab=$'\t'
fmt=""
for v in remote_addr remote_port connection connection_requests msec request_time request_length \
         bytes_sent status server_protocol request_method request_uri upstream_header_time upstream_response_time; do
    fmt="$fmt\$$v$tab"
done
fmt=${fmt%"$tab"}
mkdir -p nginx/tmp html/v1
echo '{"object":"list","data":[{"id":"gpt-4o","object":"model"},{"id":"gpt-4o-mini","object":"model"}]}' > html/v1/models
capture_nginx_conf "$work" "$server_ip" "$all_hosts" 512 10000 20s "$fmt"

# The task list every harvester walks: items of a distillation set (a question
# each, 12-60 words), behind one fixed instruction.
cat > tasks.py <<'EOF'
import random
INSTRUCTION = ("You are an expert tutor. Solve the following problem. Reason step by step, "
               "check each step, and give the final answer on its own last line in the form "
               "'Answer: <value>'. Keep the explanation clear enough for a student to follow.\n\nProblem: ")
WORDS = ("a train leaves the station at noon travelling at sixty kilometres per hour while another "
         "train leaves two hours later at ninety how long until the second catches the first if "
         "Maria buys three apples and twice as many pears each costing forty cents what is the total "
         "cost when a rectangle has a perimeter of thirty centimetres and its length is twice its width "
         "find the area of the garden the tank holds five hundred litres and drains at twelve litres "
         "per minute").split()
def items(seed):
    rng = random.Random(seed)
    k = 0
    while True:
        k += 1
        yield "%d. %s?" % (k, " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60))).capitalize())
EOF

# The node SDK harvesters: which SDK, workers, sleep range from argv.
cat > harvest.js <<'EOF'
const [which, workers, smin, smax, end] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5], +process.argv[6]];
const sleep = ms => new Promise(r => setTimeout(r, ms));
const instruction = "You are an expert tutor. Solve the following problem. Reason step by step, " +
  "check each step, and give the final answer on its own last line in the form 'Answer: <value>'. " +
  "Keep the explanation clear enough for a student to follow.\n\nProblem: ";
const words = ("a train leaves the station at noon travelling at sixty kilometres per hour while another " +
  "train leaves two hours later at ninety how long until the second catches the first if Maria buys three " +
  "apples and twice as many pears each costing forty cents what is the total cost").split(" ");
let k = 0;
const item = () => { k++; const n = 12 + Math.floor(Math.random() * 49); let s = [];
  for (let i = 0; i < n; i++) s.push(words[Math.floor(Math.random() * words.length)]); return k + ". " + s.join(" ") + "?"; };
let call;
if (which === "openai") {
  const OpenAI = require("openai");
  const client = new OpenAI({apiKey: "sk-test", baseURL: "https://api.openai.com/v1", maxRetries: 0});
  call = async text => {
    const r = await client.chat.completions.create({model: "gpt-4o-mini", stream: true,
      messages: [{role: "user", content: instruction + text}]});
    let s = ""; for await (const c of r) s += c.choices[0]?.delta?.content || ""; return s;
  };
} else {
  const Anthropic = require("@anthropic-ai/sdk");
  const client = new Anthropic({apiKey: "sk-ant-test", baseURL: "https://api.anthropic.com", maxRetries: 0});
  call = async text => {
    const r = await client.messages.create({model: "claude-x", max_tokens: 1024, stream: true,
      messages: [{role: "user", content: instruction + text}]});
    let s = ""; for await (const e of r) if (e.type === "content_block_delta") s += e.delta.text; return s;
  };
}
const worker = async () => {
  while (Date.now() / 1000 < end) {
    try { await call(item()); } catch (e) { console.error(which + ": " + e.message + "; retrying"); await sleep(1000); }
    if (smax > 0) await sleep(1000 * (smin + Math.random() * (smax - smin)));
  }
};
Promise.all(Array.from({length: workers}, worker)).catch(e => { console.error(e); process.exit(1); });
EOF

cat > httpx_h2.py <<'EOF'
import sys, time, threading, httpx, tasks
u, end = sys.argv[1], float(sys.argv[2])
it = tasks.items(3)
lock = threading.Lock()
def new_client():
    return httpx.Client(transport=httpx.HTTPTransport(http2=True, verify="ca.pem"),
                        limits=httpx.Limits(max_connections=1), timeout=60)
client = [new_client()]
def worker():
    while time.time() < end:
        with lock:
            text, c = next(it), client[0]
        body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": tasks.INSTRUCTION + text}]}
        try:
            with c.stream("POST", u + "/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-test"}) as r:
                assert r.http_version == "HTTP/2", r.http_version
                for _ in r.iter_lines():
                    pass
        except httpx.HTTPError as e:
            # nginx can end the connection (GOAWAY, PROTOCOL_ERROR: the h2
            # library's threads race, 2 recordings in 3); httpx 0.23 keeps the
            # dead connection in its pool, so a new client, as a retrying script does.
            print("httpx-h2: %s; a new client" % e, file=sys.stderr)
            with lock:
                if client[0] is c:
                    client[0] = new_client()
            time.sleep(1)
ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
EOF

# The pool member: one script on 8 addresses, a new connection each request.
cat > pool.py <<'EOF'
import sys, time, random, requests, tasks
u, seed, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng = random.Random(seed)
mean = rng.uniform(60, 75)
it = tasks.items(100 + seed)
time.sleep(min(rng.uniform(0, 30), max(0, end - time.time())))
while time.time() < end:
    body = {"model": "gpt-4o-mini", "stream": False, "messages": [{"role": "user", "content": tasks.INSTRUCTION + next(it)}]}
    try:
        requests.post(u + "/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-test"}, verify="ca.pem", timeout=60).json()
    except requests.RequestException as e:
        print("pool: %s" % e, file=sys.stderr)
    time.sleep(min(rng.uniform(mean / 2, 3 * mean / 2), max(0, end - time.time())))
EOF

cat > keepalive.py <<'EOF'
import sys, time, random, requests, tasks
u, end = sys.argv[1], float(sys.argv[2])
rng = random.Random(11)
it = tasks.items(11)
with requests.Session() as s:
    s.verify = "ca.pem"
    s.headers["Authorization"] = "Bearer sk-test"
    while time.time() < end:
        body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": tasks.INSTRUCTION + next(it)}]}
        try:
            with s.post(u + "/v1/chat/completions", json=body, stream=True, timeout=60) as r:
                for _ in r.iter_lines():
                    pass
        except requests.RequestException as e:
            print("keepalive: %s" % e, file=sys.stderr)
        time.sleep(min(rng.uniform(1, 20), max(0, end - time.time())))
EOF

# The developer: trying things by hand, a request every 40-200 s, each one a new
# process (a new connection), each prompt different.
cat > developer.sh <<'EOF'
u=$1 end=$2 py=$3
prompts=("hi" "Write a bash one-liner that counts lines in all .c files under a directory."
  "What is the difference between TCP_NODELAY and TCP_CORK? Short answer please."
  "Explain what this regex does: ^(?:[a-z0-9!#\$%&'*+/=?^_\`{|}~-]+(?:\\.[a-z0-9!#\$%&'*+/=?^_\`{|}~-]+)*)@"
  "summarise RFC 8446 section 4.6.1 in two sentences" "test"
  "I have a pandas DataFrame with columns date, store and sales. How do I get the 7-day rolling mean of sales per store, keeping the original index, without a Python loop? Also, what happens at the start of each group where fewer than seven days exist?"
  "translate to french: the meeting is moved to thursday" "why does my docker build cache miss after changing only a comment in the Dockerfile?"
  "ok and with min_periods=3?" "Give me a SQL query for the top 3 customers by revenue per month.")
i=0
sleep $((15 + RANDOM % 30))
while [ "$(date +%s)" -lt "$end" ]; do
    p=${prompts[$((i % ${#prompts[@]}))]}
    body=$("$py" -c 'import json,sys; print(json.dumps({"model": "gpt-4o", "stream": sys.argv[2] == "1", "messages": [{"role": "user", "content": sys.argv[1]}]}))' "$p" $((RANDOM % 2)))
    case $((i % 4)) in
        0|2) curl -sS --http2 --cacert ca.pem -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-test' \
                 -d "$body" -o /dev/null "$u/v1/chat/completions" ;;
        1) "$py" -c 'import sys, httpx; r = httpx.post(sys.argv[1] + "/v1/chat/completions", content=sys.argv[2], headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test"}, verify="ca.pem", timeout=60); print(r.status_code)' "$u" "$body" >/dev/null ;;
        3) curl -sS --http2 --cacert ca.pem -H 'Authorization: Bearer sk-test' -o /dev/null "$u/v1/models"
           sleep $((5 + RANDOM % 20))
           curl -sS --http2 --cacert ca.pem -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-test' \
                 -d "$body" -o /dev/null "$u/v1/chat/completions" ;;
    esac
    i=$((i + 1))
    left=$((end - $(date +%s)))
    gap=$((40 + RANDOM % 161))
    [ "$left" -gt 0 ] || break
    sleep $((gap < left ? gap : left))
done
EOF

# Chromium's chat page: a prompt every 25-150 s (reading, typing), streamed.
cat > html/index.html <<'EOF'
<!doctype html><html><head><title>chat</title><link rel="icon" href="data:,"></head><body><p id="o">...</p>
<script>
const sleep = ms => new Promise(r => setTimeout(r, ms));
const prompts = ["Hello! Can you help me plan a three day trip to Lisbon?",
  "What neighbourhoods should I stay in?", "Is the tram 28 worth it or too crowded?",
  "Give me a rough daily budget in euros.", "Thanks. Can you make that into a short checklist?",
  "One more thing: what's a good day trip from there by train?", "What about Sintra in winter?"];
const history = [];
async function ask(text) {
  history.push({role: "user", content: text});
  const r = await fetch("/v1/chat/completions", {method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer sk-test"},
    body: JSON.stringify({model: "gpt-4o", stream: true, messages: history})});
  const rd = r.body.getReader(); let n = 0;
  for (;;) { const {done, value} = await rd.read(); if (done) break; n += value.length; }
  history.push({role: "assistant", content: "..."});
  return n;
}
(async () => {
  await sleep(10000 + Math.random() * 20000);
  for (let i = 0; ; i++) {
    document.getElementById("o").textContent = await ask(prompts[i % prompts.length]);
    await sleep(25000 + Math.random() * 125000);
  }
})();
</script></body></html>
EOF

capture_servers_start "$py" "$work" "$server_ip"

out=$outdir/harvest.full.pcap
rm -f "$out"
# A 64 MiB buffer: a busy machine can stall tcpdump for a moment (holes in the streams).
tcpdump -i hbr0 --immediate-mode -B 65536 -U -n -s 0 -w "$out" "tcp port 443" 2>tcpdump.err & td=$!
for _ in $(seq 100); do grep -q 'listening on' tcpdump.err 2>/dev/null && break; sleep 0.05; done
sleep 0.5
end=$(( $(date +%s) + duration ))
url=https://api.openai.com
export PYTHONPATH=$work
pids=()
NODE_PATH=$work/node_modules NODE_EXTRA_CA_CERTS=ca.pem in_ns 10.77.1.1 node harvest.js openai 1 0.3 2.5 "$end" & pids+=($!)
NODE_PATH=$work/node_modules NODE_EXTRA_CA_CERTS=ca.pem in_ns 10.77.1.2 node harvest.js anthropic 4 0 0 "$end" & pids+=($!)
in_ns 10.77.1.3 "$py" httpx_h2.py "$url" "$end" & pids+=($!)
for i in 1 2 3 4 5 6 7 8; do
    in_ns "10.77.2.$i" "$py" pool.py "$url" "$i" "$end" & pids+=($!)
done
in_ns 10.77.1.4 "$py" keepalive.py "$url" "$end" & pids+=($!)
in_ns 10.77.3.1 bash developer.sh "$url" "$end" "$py" & pids+=($!)
# ip netns exec execs chromium, so $! is the browser, which takes its children down.
ip netns exec "$(cat ns.10.77.3.2)" chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --ignore-certificate-errors --user-data-dir="$work/chrome-profile" "https://chatgpt.com/" \
    >/dev/null 2>chromium.log & cr=$!
echo "capture-harvest: recording ${duration}s from $(date -u +%T) to $out" >&2
failed=
for p in "${pids[@]}"; do wait "$p" || failed="$failed $p"; done
kill "$cr" 2>/dev/null || true; wait "$cr" 2>/dev/null || true
sleep 1
kill -INT "$td"; wait "$td" 2>/dev/null || true
grep -E "captured|dropped" tcpdump.err | sed "s/^/capture-harvest: tcpdump: /" >&2
cleanup_ns
gzip -9c nginx/access.tsv > "$outdir/harvest.requests.tsv.gz"
{ node --version; for p in openai @anthropic-ai/sdk; do echo "$p $(node -p "require('$work/node_modules/$p/package.json').version")"; done
  "$py" -c 'import httpx,h2,requests,sys; print("httpx", httpx.__version__, "h2", h2.__version__, "requests", requests.__version__, "python", sys.version.split()[0])'
  curl --version | head -1; chromium --version 2>/dev/null | head -1; nginx -v 2>&1; } > "$outdir/harvest.versions.txt"
chmod 644 "$outdir"/harvest.* 2>/dev/null || true
echo "capture-harvest: $(stat -c %s "$out") bytes, $(wc -l < nginx/access.tsv) requests" >&2
awk -F'\t' '{ n[$1]++ } END { for (a in n) print a, n[a] }' nginx/access.tsv | sort >&2
[ -z "$failed" ] || die "a client exited non-zero (pids$failed); see above"
if [ -f "$top/tools/pcap-slim.py" ]; then
    "$py" "$top/tools/pcap-slim.py" "$out" "$outdir/harvest.pcap.xz"
fi
