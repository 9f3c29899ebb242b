# Sourced by tools/capture-clients.sh, tools/capture-turns.sh and tools/capture-h3.sh
# inside their private network and mount namespace, in their work directory: a clean
# client environment, lo shaped like Ethernet, the AI host names mapped to
# the server, and a throw-away CA with one leaf for every host.
#   capture_ns_setup NAME SERVER_IP "HOST ..." [lo]   (lo: set up the loopback too)
#   capture_backend_start PYTHON WORK                   (backend.py on 8081; the caller stops it)
#   capture_servers_start PYTHON WORK SERVER_IP         (backend.py on 8081 and nginx, until exit)
#   capture_page FILE < SCRIPT                          (Chromium's page: the helpers, then SCRIPT)
#   capture_chromium URL LOG [FLAG...]                  (Chromium on URL until LOG has ping?done)

capture_ns_setup() {
    local name=$1 server_ip=$2 hosts=$3 lo=${4:-}
    # No CA bundle or proxy overrides from the caller.
    unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR NIX_SSL_CERT_FILE \
        AWS_CA_BUNDLE NODE_EXTRA_CA_CERTS \
        http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
    if [ "$lo" = lo ]; then
        ip link set lo up
        ip link set lo mtu 1500
        # No segmentation offload, so tcpdump sees wire-sized segments, not 64 KB ones.
        ip link set lo gso_max_segs 1 gso_max_size 1500 2>/dev/null ||
            echo "$name: could not turn off GSO on lo; segments may exceed the MSS" >&2
    fi
    # Host names -> the server, visible only in this mount namespace.
    { echo "127.0.0.1 localhost"; for h in $hosts; do echo "$server_ip $h"; done; } >hosts
    mount --bind "$PWD/hosts" /etc/hosts
    # A CA and one leaf certificate for every host (ECDSA P-256, like most API fronts).
    local san
    san=$(for h in $hosts; do printf 'DNS:%s,' "$h"; done); san=${san%,}
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -keyout ca.key -out ca.pem -subj "/CN=distill-sensor capture CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
        -out leaf.csr -subj "/CN=api.openai.com" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >leaf.ext
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile leaf.ext -out leaf.pem 2>/dev/null
    cat leaf.pem ca.pem >chain.pem
}

# The mock API (WORK/backend.py) on 127.0.0.1:8081, its pid in backend_pid
# (the caller stops it); returns once it accepts connections.
capture_backend_start() {
    local py=$1 work=$2
    "$py" "$work/backend.py" 8081 &
    backend_pid=$!
    for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/8081) 2>/dev/null && return 0
        sleep 0.1
    done
    echo "capture: the mock API did not start on 127.0.0.1:8081" >&2
    exit 1
}

# The mock API (WORK/backend.py on 127.0.0.1:8081) and nginx in front of it
# (WORK/nginx/nginx.conf, on SERVER_IP:443), both stopped when the shell
# exits; returns once both accept connections, or dies naming nginx's log.
capture_servers_start() {
    local py=$1 work=$2 server_ip=$3
    capture_backend_start "$py" "$work"
    nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
    nginx_pid=$!
    trap 'kill "$nginx_pid" "$backend_pid" 2>/dev/null || true; wait "$nginx_pid" "$backend_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/$server_ip/443") 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/8081) 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/$server_ip/443") 2>/dev/null && return 0
    cat "$work/nginx/error.log" >&2
    echo "capture: nginx did not start" >&2
    exit 1
}

# Chromium's page (capture-turns.sh, capture-h3.sh): a chat page whose script
# is stdin, after the helpers it shares: sleep(ms), chat(stream, text) (a POST
# to /v1/chat/completions, as the providers' web clients send it) and read(r)
# (a streamed answer read as it comes, its byte count). The script ends by
# fetching /v1/ping?done, which capture_chromium waits for.
capture_page() {
    {
        cat <<'EOF'
<!doctype html><html><head><title>chat</title><link rel="icon" href="data:,"></head><body><p id="o">...</p>
<script>
const sleep = ms => new Promise(r => setTimeout(r, ms));
const chat = (stream, text) => fetch("/v1/chat/completions", {method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer sk-test"},
    body: JSON.stringify({model: "gpt-4o-mini", stream, messages: [{role: "user", content: text}]})});
async function read(r) {
  const rd = r.body.getReader(); let n = 0;
  for (;;) { const {done, value} = await rd.read(); if (done) break; n += value.length; }
  return n;
}
EOF
        cat
        echo '</script></body></html>'
    } > "$1"
}

# Chromium headless on URL with a fresh profile (./chrome-profile) and the
# extra FLAGs, until the server's access log LOG shows the page's
# /v1/ping?done (at most 60 s); fails if it never does. No
# --virtual-time-budget (it would fast-forward the page's timers): a real
# browser in real time, stopped once the page has said it is done.
capture_chromium() {
    local url=$1 log=$2 cr
    shift 2
    rm -rf chrome-profile
    chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --ignore-certificate-errors --user-data-dir="$PWD/chrome-profile" \
        --remote-debugging-port=9222 "$@" "$url" >/dev/null 2>chromium.log & cr=$!
    for _ in $(seq 600); do grep -q 'ping?done' "$log" && break; sleep 0.1; done
    sleep 0.3
    kill "$cr" 2>/dev/null || true; wait "$cr" 2>/dev/null || true
    grep -q 'ping?done' "$log"
}

# capture_nginx_conf WORK SERVER_IP "HOST ..." CONNECTIONS KEEPALIVE_REQUESTS
#                    KEEPALIVE_TIMEOUT [FORMAT]: writes WORK/nginx/nginx.conf
# (and WORK/nginx/tmp): nginx in the foreground on SERVER_IP:443 for the
# HOSTs, TLS 1.2 and 1.3 with HTTP/2 and HTTP/1.1 (WORK/chain.pem,
# WORK/leaf.key), WORK/html as the root, the mock API (127.0.0.1:8081,
# unbuffered) behind /v1/chat/completions and /v1/messages, /v1/ping a 204;
# with FORMAT (an nginx log_format string), every request (every HTTP/2
# stream) logged in it to WORK/nginx/access.tsv, else no access log.
capture_nginx_conf() {
    local work=$1 ip=$2 hosts=$3 conns=$4 kreq=$5 kto=$6 fmt=${7:-} log="access_log off;"
    [ -n "$fmt" ] && log="log_format capture '$fmt';
    access_log $work/nginx/access.tsv capture;"
    mkdir -p "$work/nginx/tmp"
    cat > "$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections $conns; }
http {
    $log
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    types { text/html html; application/json json; }
    default_type application/json;
    keepalive_requests $kreq;
    keepalive_timeout $kto;
    server {
        listen $ip:443 ssl http2;
        server_name $hosts;
        ssl_certificate $work/chain.pem;
        ssl_certificate_key $work/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $work/html;
        location ~ ^/v1/(chat/completions|messages)\$ {
            proxy_pass http://127.0.0.1:8081;
            proxy_http_version 1.1;
            proxy_buffering off;
        }
        location = /v1/ping { return 204; }
        location / { try_files \$uri \$uri/index.html =404; }
    }
}
EOF
}
