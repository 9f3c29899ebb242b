"""The parameter tables: hosts, clients and roles. Every number that shapes the
generated traffic is here (tools/gen-traffic --help prints ROLES).

Units: seconds, bytes (TLS plaintext; the wire adds 22 bytes a record), and
(median, sigma) pairs for lognormal draws: median * exp(sigma * N(0,1)); sigma 0.02
is a templated size, 1.0 a wide, user-driven one."""

# ---------------------------------------------------------------------------- hosts
# Server addresses are ones these names resolved to in public DNS (2025), mostly
# CDN and cloud fronts shared with unrelated tenants, which is the point: an
# address-based guess at the service is wrong (nDPI 4.2 calls api.openai.com
# "Cloudflare"). They were not re-resolved here (no network); CDNs move names
# around, so treat them as typical, not current. IPv6 addresses of Cloudflare
# fronts follow Cloudflare's scheme of embedding the IPv4 address.
# cert: bytes of the server's encrypted Certificate record (its chain), so the
# server flight is as long as the real host's.
HOSTS = {
    # AI APIs and web apps (names from rules/ai-services.conf)
    "api.openai.com": dict(v4=("162.159.140.245", "172.66.0.243"),
                           v6=("2606:4700:7::a29f:8cf5", "2606:4700:7::ac42:f3"), cert=2900),
    "chatgpt.com": dict(v4=("104.18.32.47", "172.64.155.209"),
                        v6=("2606:4700:4400::6812:202f", "2606:4700:4400::ac40:9bd1"), cert=2900),
    "api.anthropic.com": dict(v4=("160.79.104.10",), v6=("2607:6bc0::10",), cert=3300),
    "claude.ai": dict(v4=("160.79.104.10",), v6=("2607:6bc0::10",), cert=3300),
    "generativelanguage.googleapis.com": dict(v4=("142.250.185.74", "172.217.16.202", "142.250.186.138"),
                                              v6=("2a00:1450:4001:82b::200a", "2a00:1450:4001:830::200a"),
                                              cert=4100),
    "us-central1-aiplatform.googleapis.com": dict(v4=("142.250.185.106", "172.217.18.10"),
                                                  v6=("2a00:1450:4001:829::200a",), cert=4100),
    "gemini.google.com": dict(v4=("142.250.185.238", "216.58.206.46"),
                              v6=("2a00:1450:4001:80e::200e",), cert=4300),
    "api.mistral.ai": dict(v4=("104.18.26.41", "104.18.27.41"),
                           v6=("2606:4700::6812:1a29", "2606:4700::6812:1b29"), cert=2900),
    "api.deepseek.com": dict(v4=("116.205.40.114", "116.205.40.120"),
                             v6=("2407:c080:17ef:ffff::7702:b5ef",), cert=4700),
    "api.groq.com": dict(v4=("104.18.40.240", "172.64.147.16"),
                         v6=("2606:4700:4400::6812:28f0", "2606:4700:4400::ac40:9310"), cert=2900),
    "api.together.xyz": dict(v4=("104.18.20.141", "104.18.21.141"),
                             v6=("2606:4700::6812:148d", "2606:4700::6812:158d"), cert=2900),
    "openrouter.ai": dict(v4=("104.18.2.115", "104.18.3.115"),
                          v6=("2606:4700::6812:273", "2606:4700::6812:373"), cert=2900),
    "bedrock-runtime.us-east-1.amazonaws.com": dict(v4=("52.94.233.138", "3.232.253.30"),
                                                    v6=("2600:1f18:4a3:6900::1",), cert=5100),
    # Not AI: the automation role, page assets and the QUIC templates' names.
    "github.com": dict(v4=("140.82.121.4", "140.82.121.3"), v6=("2a0a:a440::4",), cert=3200),
    "api.github.com": dict(v4=("140.82.121.6", "140.82.121.5"), v6=("2a0a:a440::6",), cert=3200),
    "objects.githubusercontent.com": dict(v4=("185.199.108.133", "185.199.111.133"),
                                          v6=("2606:50c0:8000::154", "2606:50c0:8003::154"), cert=3600),
    "s3.amazonaws.com": dict(v4=("52.217.36.222", "54.231.160.56", "16.182.100.120"),
                             v6=("2600:1fa0:80a4:6689::34d9:a18e",), cert=5100),
    "storage.googleapis.com": dict(v4=("142.250.185.91", "172.217.16.219"),
                                   v6=("2a00:1450:4001:828::201b",), cert=4100),
    "pypi.org": dict(v4=("151.101.0.223", "151.101.64.223"), v6=("2a04:4e42::223",), cert=3600),
    "registry.npmjs.org": dict(v4=("104.16.27.34", "104.16.31.34"),
                               v6=("2606:4700::6810:1b22", "2606:4700::6810:1f22"), cert=2900),
    "cdn.jsdelivr.net": dict(v4=("151.101.1.229", "151.101.65.229"), v6=("2a04:4e42:200::485",), cert=3600),
    "cdn.oaistatic.com": dict(v4=("104.18.41.158", "172.64.146.98"),
                              v6=("2606:4700:4400::6812:299e", "2606:4700:4400::ac40:9262"), cert=2900),
    "www.google.com": dict(v4=("142.250.185.68", "142.251.163.147"), v6=("2a00:1450:4001:82a::2004",), cert=4300),
    "ssl.gstatic.com": dict(v4=("142.250.181.227", "142.250.185.99"), v6=("2a00:1450:4001:813::2003",), cert=4300),
    "cloudflare-quic.com": dict(v4=("104.22.0.38", "104.22.1.38"),
                                v6=("2606:4700:10::6816:826", "2606:4700:10::6816:26"), cert=2900),
}

# ---------------------------------------------------------------------------- clients
# Each name is a capture in pcaps/clients/ (tools/capture-clients.sh). close_notify:
# the library sends a TLS close_notify alert before its FIN.
CLIENTS = {
    "curl": dict(close_notify=True),
    "python-requests": dict(close_notify=False),
    "python-httpx": dict(close_notify=True),
    "python-aiohttp": dict(close_notify=True),
    "python-urllib": dict(close_notify=False),
    "node-fetch": dict(close_notify=True),
    "go-nethttp": dict(close_notify=True),
    "wget": dict(close_notify=True),
    "openssl-s_client": dict(close_notify=True),
    "chromium": dict(close_notify=False),
}

AI_API_HOSTS = ("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
                "api.mistral.ai", "api.deepseek.com", "api.groq.com", "api.together.xyz",
                "openrouter.ai", "bedrock-runtime.us-east-1.amazonaws.com",
                "us-central1-aiplatform.googleapis.com")
AI_WEB_HOSTS = ("chatgpt.com", "claude.ai", "gemini.google.com")
QUIC_HOSTS_FALLBACK = "www.google.com"

# ---------------------------------------------------------------------------- roles
# One entry per role; `tools/gen-traffic ROLE` generates only that role, `mix` all.
# Keys:
#   expect    what the sensor should say about each source (labels file)
#   count     sources at --scale 1 (hydra: pools; each pool has `members` sources
#             spread over three /24s, sharing one client, target and cadence)
#   net       where the sources live: "a.b.c.0/L" per role, never shared (mix)
#   v6        share of sources on IPv6 (their own /64 under net6)
#   clients   client captures to pick from, one per source (rotating: cycled)
#   hosts     targets to pick from, one per source unless per_request_host
#   workers   parallel connections a source keeps busy
#   reuse     "keepalive" (one connection carries many turns) or "per-request"
#   gap       time between one worker's request starts:
#             ("regular", mean, cv) | ("exp", mean) | ("lognormal", median, sigma)
#             | ("poisson_daily", requests per hour per source at the daily mean, swing 0..1)
#   req/resp  request and response plaintext bytes (median, sigma)
#   stream    share of responses streamed (server-sent events) rather than sent at once
#   rate      streamed bytes per second (median, sigma): tokens/s times bytes/token
#   tick      seconds between the server's flushes while streaming
#   ttfb      seconds from the last request byte to the first response byte (median, sigma)
#   rtt       round-trip time range in seconds between the source and the server
#   idle      seconds a server keeps an idle keep-alive connection before closing it
#   active    "always" | "daytime" (07-23 h at the source's own UTC offset)
#             | ("window", start as a share of the duration, seconds; at most
#               30% of the duration, so short runs show a burst, not only one)
#   session   (turns_min, turns_max, think (median, sigma), break (median, sigma)):
#             session-driven roles; gap is then unused
#   rotate    seconds between fingerprint switches (rotating role)
#   quic      chance per session of a QUIC side flow (real Initials from shared/peer)
#   page      bytes of the web app a browser session loads first (sent at once)
#   per_request_host  pick the target per turn from hosts (developers try several)
# Keys of the roles added for issue 9 (the existing roles use none of them):
#   gap       also ("after", inner): the pause runs from the end of the previous
#             answer on the worker, not from the previous request's start (a
#             closed loop); inner is ("lognormal", median, sigma) | ("uniform", lo, hi)
#   reuse     also a tuple of the two: each source picks one (seeded)
#   rotate    also "per-conn": each new connection picks one of the source's
#             `stacks` client captures (drawn from clients per source)
#   stacks    how many distinct client captures a rotating source uses
#   members   a pool (like hydra): sources per pool at --scale 1; blocks: the /24s
#             its members are dealt over; split_clients: members cycle through
#             `clients` (half and half for two) instead of sharing one
#   sync      (round gap (median, sigma), share of members per round (lo, hi),
#             spread seconds): a coordinator starts rounds; in each, that share of
#             the pool's members sends one request, all within `spread` seconds
#   grow      (tool output (median, sigma), cap): in a session each request resends
#             the conversation: the previous request, the previous answer and the
#             tool's output; past cap bytes the client compacts it back to a first size
#   runs      ((min, max) runs, seconds, (min, max) requests a run): bounded batch
#             runs at seeded times, each ending after its requests or its seconds
#   parts     ((part name or a tuple to pick from, (min, max) instances), ...): one
#             address carrying several clients (a NAT, a proxy egress); each
#             instance is a PARTS entry with its own client, cadence and expectation
ROLES = {
    "steady": dict(
        expect="alert", count=1, net="198.18.1.0/24", net6="2001:db8:1::/48", v6=0.0,
        clients=("python-httpx", "python-aiohttp", "go-nethttp"),
        hosts=("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com"),
        workers=4, reuse="keepalive", gap=("regular", 24.0, 0.03),
        req=(2400, 0.02), resp=(14000, 0.25), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.02, 0.06), idle=600.0, active="always"),
    "hydra": dict(
        expect="alert", count=1, members=40, net="100.64.0.0/16", net6="2001:db8:2::/48", v6=0.0,
        clients=("python-requests", "python-httpx", "node-fetch"),
        hosts=("api.anthropic.com", "api.openai.com"),
        workers=1, reuse="keepalive", gap=("regular", 300.0, 0.02),
        req=(1900, 0.03), resp=(11000, 0.25), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.04, 0.18), idle=90.0, active="always"),
    "burst": dict(
        expect="alert", count=1, net="198.18.2.0/24", net6="2001:db8:3::/48", v6=0.0,
        clients=("go-nethttp", "python-aiohttp"),
        hosts=("api.openai.com", "api.deepseek.com", "api.groq.com"),
        workers=12, reuse="keepalive", gap=("exp", 6.0),
        req=(2100, 0.05), resp=(8000, 0.3), stream=1.0, rate=(2600, 0.15), tick=0.25,
        ttfb=(0.6, 0.3), rtt=(0.02, 0.05), idle=90.0, active=("window", 0.25, 1200.0)),
    "jittered": dict(
        expect="alert", count=1, net="198.18.3.0/24", net6="2001:db8:4::/48", v6=0.5,
        clients=("python-requests", "python-urllib", "curl"),
        hosts=("api.openai.com", "openrouter.ai", "api.together.xyz"),
        workers=3, reuse="per-request", gap=("lognormal", 40.0, 0.9),
        req=(2600, 0.05), resp=(12000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.8, 0.3), rtt=(0.05, 0.15), idle=90.0, active="always"),
    "rotating": dict(
        expect="alert", count=1, net="198.18.4.0/24", net6="2001:db8:5::/48", v6=0.0,
        clients=("python-requests", "python-httpx", "python-aiohttp", "node-fetch", "go-nethttp", "curl"),
        hosts=("api.openai.com", "api.mistral.ai"),
        workers=2, reuse="keepalive", gap=("regular", 18.0, 0.08), rotate=240.0,
        req=(2200, 0.04), resp=(10000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.03, 0.08), idle=90.0, active="always"),
    "browser": dict(
        expect="quiet", count=120, net="10.10.0.0/16", net6="2001:db8:10::/48", v6=0.3,
        clients=("chromium",), hosts=AI_WEB_HOSTS,
        workers=1, reuse="keepalive", session=(2, 7, (25.0, 0.7), (5400.0, 0.8)), page=(40000, 0.5),
        req=(1400, 0.8), resp=(5000, 0.9), stream=1.0, rate=(2000, 0.3), tick=0.3,
        ttfb=(0.9, 0.4), rtt=(0.015, 0.06), idle=300.0, active="daytime", quic=0.5),
    "developer": dict(
        expect="quiet", count=50, net="10.20.0.0/16", net6="2001:db8:20::/48", v6=0.3,
        clients=("curl", "python-requests", "python-httpx", "python-urllib", "node-fetch", "openssl-s_client"),
        hosts=AI_API_HOSTS, per_request_host=True,
        workers=1, reuse="per-request", session=(1, 6, (45.0, 1.0), (7200.0, 1.0)),
        req=(900, 1.0), resp=(3000, 1.1), stream=0.6, rate=(2200, 0.3), tick=0.25,
        ttfb=(0.7, 0.5), rtt=(0.015, 0.08), idle=90.0, active="daytime"),
    "production": dict(
        expect="no-high", count=1, net="198.18.5.0/24", net6="2001:db8:6::/48", v6=0.5,
        clients=("node-fetch", "go-nethttp", "python-httpx"),
        hosts=("api.openai.com", "api.anthropic.com"),
        workers=12, reuse="keepalive", gap=("poisson_daily", 1500.0, 0.6),
        req=(2500, 1.0), resp=(2500, 1.0), stream=0.5, rate=(2400, 0.3), tick=0.25,
        ttfb=(0.6, 0.5), rtt=(0.005, 0.02), idle=300.0, active="always"),
    "automation": dict(
        expect="quiet", count=30, net="10.30.0.0/16", net6="2001:db8:30::/48", v6=0.2,
        clients=("curl", "wget", "python-requests", "go-nethttp"),
        hosts=("api.github.com", "github.com", "s3.amazonaws.com", "storage.googleapis.com",
               "objects.githubusercontent.com", "registry.npmjs.org", "pypi.org", "cdn.jsdelivr.net"),
        workers=1, reuse="per-request", gap=("regular", 300.0, 0.01),
        req=(400, 0.3), resp=(12000, 1.0), stream=0.0, rate=(0, 0), tick=0.25,
        ttfb=(0.08, 0.5), rtt=(0.01, 0.05), idle=60.0, active="always"),

    # ------------------------------------------------------------------ issue 9: harvesters
    # diverse: prompt sets built to cover a model's capabilities (coding, maths,
    # languages, long documents), so prompt sizes vary as much as people's (sigma
    # 1.0, like developers); answers elicited for their reasoning: several seconds
    # of thinking before the first byte, then tens of kilobytes streamed at
    # reasoning models' pace (~400 tokens/s at ~3.5 bytes/token is ~1,400 B/s). Each
    # worker is a closed loop (the next request within a second of the answer's
    # end, as asyncio/thread-pool scripts do) on a keep-alive connection.
    "diverse": dict(
        expect="alert", count=1, net="198.18.6.0/24", net6="2001:db8:7::/48", v6=0.0,
        clients=("python-httpx", "python-aiohttp", "node-fetch", "go-nethttp"),
        hosts=("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com", "api.deepseek.com"),
        workers=6, reuse="keepalive", gap=("after", ("lognormal", 0.25, 0.8)),
        req=(1800, 1.0), resp=(24000, 0.6), stream=1.0, rate=(1400, 0.3), tick=0.25,
        ttfb=(3.0, 0.6), rtt=(0.02, 0.08), idle=300.0, active="always"),
    # rotating3: a jittered harvester (like jittered) that spreads its requests over
    # three client stacks on one address, a new connection per request, each with
    # one of the three (a script calling out through several SDKs or a proxy's
    # worker processes).
    "rotating3": dict(
        expect="alert", count=1, net="198.18.7.0/24", net6="2001:db8:8::/48", v6=0.0,
        clients=("python-httpx", "go-nethttp", "node-fetch", "python-requests", "python-aiohttp", "curl"),
        stacks=3, rotate="per-conn",
        hosts=("api.openai.com", "api.anthropic.com", "openrouter.ai"),
        workers=3, reuse="per-request", gap=("lognormal", 35.0, 0.9),
        req=(2400, 0.05), resp=(12000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.8, 0.3), rtt=(0.03, 0.12), idle=90.0, active="always"),
    # natted: a harvesting script behind an address it shares with browser users
    # (a residential proxy exit, a small office, a reseller's egress): the parts.
    "natted": dict(
        expect="alert", count=1, net="198.18.8.0/24", net6="2001:db8:9::/48", v6=0.0,
        clients=("chromium",), hosts=AI_WEB_HOSTS, rtt=(0.015, 0.06),
        parts=(("nat-browser", (4, 10)), (("nat-script-templated", "nat-script-diverse"), (1, 1)))),
    # slow: a low-rate reasoning extractor under per-account limits: one request a
    # minute around the clock (1,440 a day), jittered; each a long reasoning answer
    # streamed for tens of seconds; connection per request or keep-alive (seeded).
    "slow": dict(
        expect="alert", count=1, net="198.18.9.0/24", net6="2001:db8:a::/48", v6=0.3,
        clients=("python-httpx", "python-requests", "node-fetch"),
        hosts=("api.openai.com", "api.anthropic.com", "api.deepseek.com"),
        workers=1, reuse=("per-request", "keepalive"), gap=("regular", 60.0, 0.15),
        req=(1600, 0.8), resp=(40000, 0.4), stream=1.0, rate=(1400, 0.25), tick=0.25,
        ttfb=(4.0, 0.5), rtt=(0.03, 0.12), idle=90.0, active="always"),
    # pool2: a pool whose members run two client stacks (half python-httpx, half
    # node-fetch: two generations of the same tooling), one provider, templated
    # prompts, a new connection per request every minute or so, members spread over
    # six /24s (proxy networks give addresses from many subnets).
    "pool2": dict(
        expect="alert", count=1, members=16, blocks=6, split_clients=True,
        net="100.65.0.0/16", net6="2001:db8:b::/48", v6=0.0,
        clients=("python-httpx", "node-fetch"),
        hosts=("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com"),
        workers=1, reuse="per-request", gap=("lognormal", 65.0, 0.25),
        req=(2100, 0.03), resp=(10000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.04, 0.18), idle=90.0, active="always"),
    # syncpool: tens of accounts each far below any per-account limit: a
    # coordinator dispatches a round every few minutes and a third or so of the
    # members each send one request, all within a second and a half; each member
    # sends only a handful of requests an hour, with prompts of varied size.
    "syncpool": dict(
        expect="alert", count=1, members=24, blocks=8,
        net="100.66.0.0/16", net6="2001:db8:c::/48", v6=0.0,
        clients=("python-httpx", "python-aiohttp", "node-fetch", "go-nethttp"),
        hosts=("api.openai.com", "api.anthropic.com", "api.deepseek.com"),
        workers=1, reuse="per-request", sync=((420.0, 0.4), (0.25, 0.5), 1.5),
        req=(1800, 0.8), resp=(9000, 0.6), stream=1.0, rate=(2000, 0.2), tick=0.25,
        ttfb=(1.0, 0.4), rtt=(0.04, 0.18), idle=90.0, active="always"),
    # jitter-keepalive: a templated harvester on one keep-alive connection with a
    # random 1-20 s sleep after each answer (issue 9, item 6: a real one matched no rule).
    "jitter-keepalive": dict(
        expect="alert", count=1, net="198.18.10.0/24", net6="2001:db8:d::/48", v6=0.0,
        clients=("python-httpx", "python-requests", "node-fetch"),
        hosts=("api.openai.com", "api.anthropic.com", "api.mistral.ai"),
        workers=1, reuse="keepalive", gap=("after", ("uniform", 1.0, 20.0)),
        req=(2000, 0.03), resp=(9000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.02, 0.08), idle=90.0, active="always"),
    # ------------------------------------------------------------------ issue 9: hard negatives
    # agent: coding agents (Claude Code, Codex CLI, aider are node or python). A task
    # is a session of many turns on one keep-alive connection; each request resends
    # the conversation (system prompt and files first, then every answer and tool
    # output), so request sizes grow turn after turn; most answers are short tool
    # calls; the next request follows the tool's run (seconds: closed loop); then
    # the developer reads, tests, thinks (tens of minutes).
    "agent": dict(
        expect="no-high", count=6, net="10.40.0.0/16", net6="2001:db8:40::/48", v6=0.3,
        clients=("node-fetch", "python-httpx"),
        hosts=("api.anthropic.com", "api.openai.com", "openrouter.ai"),
        workers=1, reuse="keepalive", session=(8, 40, (3.0, 1.0), (1500.0, 1.0)),
        grow=((1500, 1.2), 400000),
        req=(9000, 0.6), resp=(700, 1.0), stream=1.0, rate=(2400, 0.3), tick=0.25,
        ttfb=(1.2, 0.5), rtt=(0.015, 0.08), idle=300.0, active="daytime"),
    # rag: a retrieval-augmented backend: each prompt carries retrieved passages
    # (kilobytes, varying with how many were retrieved), answers are short, arrivals
    # are users' (Poisson) with a daily swing, a few keep-alive connections.
    "rag": dict(
        expect="no-high", count=1, net="198.18.11.0/24", net6="2001:db8:e::/48", v6=0.3,
        clients=("python-httpx", "node-fetch", "go-nethttp"),
        hosts=("api.openai.com", "api.anthropic.com", "bedrock-runtime.us-east-1.amazonaws.com",
               "us-central1-aiplatform.googleapis.com"),
        workers=8, reuse="keepalive", gap=("poisson_daily", 600.0, 0.6),
        req=(14000, 0.5), resp=(800, 0.7), stream=0.3, rate=(2400, 0.3), tick=0.25,
        ttfb=(0.9, 0.4), rtt=(0.005, 0.03), idle=300.0, active="always"),
    # cieval: a CI job running an evaluation suite (lm-eval-harness style): templated
    # questions, short answers sent at once, a few workers in a closed loop, a few
    # hundred requests in a bounded run once or twice a day.
    "cieval": dict(
        expect="no-high", count=1, net="198.18.12.0/24", net6="2001:db8:f::/48", v6=0.0,
        clients=("python-httpx", "python-aiohttp"),
        hosts=("api.openai.com", "api.anthropic.com", "api.groq.com", "api.together.xyz"),
        workers=4, reuse="keepalive", gap=("after", ("lognormal", 0.2, 0.8)),
        runs=((1, 2), 1800.0, (200, 500)),
        req=(1500, 0.2), resp=(250, 0.8), stream=0.0, rate=(0, 0), tick=0.25,
        ttfb=(0.5, 0.4), rtt=(0.01, 0.05), idle=90.0, active="always"),
    # office: an office NAT: one address, tens of people using AI web apps in
    # Chromium, and now and then a developer's curl.
    "office": dict(
        expect="quiet", count=1, net="198.18.13.0/24", net6="2001:db8:11::/48", v6=0.0,
        clients=("chromium",), hosts=AI_WEB_HOSTS, rtt=(0.01, 0.04),
        parts=(("office-browser", (15, 35)), ("office-curl", (0, 1)))),
}

# ---------------------------------------------------------------------------- parts
# The clients behind one shared address (ROLES' `parts`); the keys are the roles'.
# `expect` is what a per-(address, client) profile should say; the address's own
# label is its role's. Browser users are browser's numbers, developers developer's.
def _part(role, **changes):
    """A role's table as a part: what places sources (count, networks) belongs
    to the shared address, not to its clients."""
    p = {k: v for k, v in ROLES[role].items() if k not in ("count", "net", "net6", "v6")}
    p.update(changes)
    return p


PARTS = {
    "nat-browser": _part("browser", expect="quiet"),
    "office-browser": _part("browser", expect="quiet"),
    "office-curl": _part("developer", expect="quiet", clients=("curl",)),
    "nat-script-templated": dict(
        expect="alert", clients=("python-requests", "python-httpx"),
        hosts=("api.openai.com", "api.anthropic.com"),
        workers=2, reuse="keepalive", gap=("lognormal", 20.0, 0.5),
        req=(2300, 0.04), resp=(12000, 0.3), stream=1.0, rate=(2400, 0.15), tick=0.25,
        ttfb=(0.7, 0.3), rtt=(0.02, 0.08), idle=90.0, active="always"),
    "nat-script-diverse": _part("diverse", expect="alert", clients=("python-httpx", "python-aiohttp"), workers=3),
}

DEFAULT_START = "2026-02-23T09:00:00Z"
