"""What each role does over time. A source owns one or more workers; a worker is a
generator of (time, frame) in time order that opens connections, runs turns on them
and closes them. The parameters come from model.ROLES; the structure here is only:
loop workers (a cadence model, optionally bounded to a window or daytime, optionally
rotating fingerprints) and session workers (a few turns with think times, then a
long break); for issue 9 also batch workers (bounded runs of closed-loop requests),
sync workers (one request per coordinator round) and sites (one address carrying
several clients, each its own Source with its own workers)."""

import ipaddress
import math

from . import model, quic
from .conn import Conn
from .packets import Path

DAY = 86400.0


class Source:
    __slots__ = ("ip", "role", "params", "expect", "cluster", "rng", "client", "host",
                 "tz", "port", "v6", "rtt", "conns", "phase", "site", "parts", "part",
                 "stack", "coord", "member")

    def next_port(self):
        # The parts of a site share its address, so they draw ports from one counter.
        owner = self.site if self.site is not None else self
        owner.port = 32768 + (owner.port - 32768 + self.rng.randint(1, 9)) % 28232
        return owner.port


class Coordinator:
    """The dispatcher of a synchronised pool (ROLES' `sync`): round times and the
    members each round picks, drawn from the pool's own stream up to the end of
    the capture, the same whichever member asks first."""

    def __init__(self, rng, members, sync):
        self.rng = rng
        self.members = members
        self.sync = sync
        self.plan = None

    def times(self, ctx, member):
        if self.plan is None:
            self._draw(ctx)
        return self.plan[member]

    def _draw(self, ctx):
        (gmed, gsig), (lo, hi), spread = self.sync
        rng = self.rng
        self.plan = [[] for _ in range(self.members)]
        t = ctx.start + rng.uniform(0, gmed)
        while t < ctx.end:
            k = max(2, int(round(self.members * rng.uniform(lo, hi))))
            order = list(range(self.members))
            for i in range(len(order) - 1, 0, -1):  # Fisher-Yates on our own stream
                j = int(rng.random() * (i + 1))
                order[i], order[j] = order[j], order[i]
            for m in order[:k]:
                self.plan[m].append(t + rng.uniform(0, spread))
            t += rng.lognormal(gmed, gsig)
        for times in self.plan:
            times.sort()


class Context:
    """Everything workers share: the time span, templates, the random-byte pool,
    the flow log and the list of flows spawned for the merge to pick up."""

    def __init__(self, start, end, templates, quic_templates, pool, flowlog=None):
        self.start = start
        self.end = end
        self.templates = templates
        self.quic = quic_templates
        self.pool = pool
        self.flowlog = flowlog
        self.spawned = []

    def log(self, t, proto, src, sport, dst, sni, client, template_port, role):
        if self.flowlog is not None:
            self.flowlog.write("%.6f\t%s\t%s\t%d\t%s\t443\t%s\t%s\t%s\t%s\n"
                               % (t, proto, src, sport, dst, sni, client, template_port, role))

    def server_addr(self, host, v6, rng):
        h = model.HOSTS[host]
        return rng.choice(h["v6"] if v6 else h["v4"])

    def new_conn(self, src, rng, t, client, host):
        tps = self.templates[client]
        tp = tps[0] if src.conns == 0 else rng.choice(tps)
        src.conns += 1
        server = self.server_addr(host, src.v6, rng)
        port = src.next_port()
        path = Path(src.ip, server, port, 443, ttl_server=rng.randint(48, 58))
        rtt = src.rtt * rng.uniform(0.9, 1.15)
        h2 = "h2" in tp.alpn
        c = Conn(path, rtt, rng, self.pool, tp, host, cert=model.HOSTS[host]["cert"], h2=h2,
                 close_notify=model.CLIENTS.get(client, {}).get("close_notify", False))
        self.log(t, "tcp", src.ip, port, server, host, client, tp.cport, src.role)
        return c

    def quic_flow(self, src, rng, t):
        """Spawns a replay of a real QUIC conversation from this source at t. `rng`
        is the flow's own stream, so the rest of the traffic is the same with or
        without QUIC templates."""
        if not self.quic:
            return
        q = rng.choice(self.quic)
        host = q.sni if q.sni in model.HOSTS else model.QUIC_HOSTS_FALLBACK
        server = self.server_addr(host, src.v6, rng)
        port = rng.randint(32768, 60999)
        path = Path(src.ip, server, port, 443, proto=17, ttl_server=rng.randint(48, 58))
        self.log(t, "udp", src.ip, port, server, q.sni, "quic:" + q.path.rsplit("/", 1)[-1], q.cport, src.role)
        self.spawned.append((quic.flow(q, path, t, time_scale=rng.uniform(0.8, 1.5)), src.ip))


# ------------------------------------------------------------------------ sizes, times
def draw(rng, pair):
    median, sigma = pair
    return rng.lognormal(median, sigma) if sigma else median


def local_hour(src, t):
    return ((t + src.tz * 3600.0) % DAY) / 3600.0


def next_daytime(src, t, rng):
    """t if it is daytime (07-23 h local) for src, else a time shortly after 07:00."""
    h = local_hour(src, t)
    if 7.0 <= h < 23.0:
        return t
    wait = (7.0 - h) % 24.0
    return t + wait * 3600.0 + rng.uniform(0, 5400.0)


def turn(conn, rng, t, p, req=None):
    """One request/response on conn with sizes and timing drawn from the role's
    table (the request's size given instead when a conversation grows); returns
    (request, response) sizes."""
    stream = rng.random() < p["stream"]
    if req is None:
        req = max(60, int(draw(rng, p["req"])))
    resp = max(40, int(draw(rng, p["resp"])))
    rate = max(200.0, draw(rng, p["rate"])) if stream else 0.0
    ttfb = draw(rng, p["ttfb"])
    if not stream:
        ttfb = min(ttfb, 0.5 + resp / 50000.0)
    yield from conn.exchange(t, req, resp, stream, rate, p["tick"], ttfb)
    return req, resp


def _after(rng, inner):
    """A closed loop's pause after an answer (ROLES' ("after", inner) gaps)."""
    if inner[0] == "lognormal":
        return rng.lognormal(inner[1], inner[2])
    if inner[0] == "uniform":
        return rng.uniform(inner[1], inner[2])
    raise ValueError("unknown pause model %r" % (inner,))


# ------------------------------------------------------------------------ loop workers
def _gap(rng, src, p, t, workers):
    g = p["gap"]
    kind = g[0]
    if kind == "regular":
        return rng.jitter(g[1], g[2])
    if kind == "exp":
        return rng.expo(g[1])
    if kind == "lognormal":
        return rng.lognormal(g[1], g[2])
    if kind == "poisson_daily":
        # Thinning: candidate arrivals at the peak rate, kept with the current share
        # of it. The daily curve peaks mid-afternoon, local time.
        per_worker = g[1] / 3600.0 / workers
        peak = per_worker * (1.0 + g[2])
        dt = 0.0
        while True:
            dt += rng.expo(1.0 / peak)
            h = local_hour(src, t + dt)
            lam = per_worker * (1.0 + g[2] * math.cos(2 * math.pi * (h - 15.0) / 24.0))
            if rng.random() * peak <= lam:
                return dt
    raise ValueError("unknown gap model %r" % (g,))


def loop_worker(ctx, src, wi, workers):
    p = src.params
    rng = src.rng.child("w%d" % wi)
    active = p.get("active", "always")
    t_stop = ctx.end
    if isinstance(active, tuple):
        span = ctx.end - ctx.start
        t_begin = ctx.start + active[1] * span
        t_stop = min(ctx.end, t_begin + min(active[2], 0.3 * span))
        t = t_begin + rng.uniform(0, 2.0)
    elif src.phase is not None:
        # Members of one pool take turns: member i starts i/N of a period in.
        t = ctx.start + src.phase * p["gap"][1] + rng.uniform(0, 0.5)
    else:
        first = p["gap"][1] if p["gap"][0] not in ("poisson_daily", "after") else 10.0
        t = ctx.start + rng.uniform(0, min(first, 60.0))
    clients = p["clients"]
    rotate = p.get("rotate")
    srng = src.rng.child("stack%d" % wi) if rotate == "per-conn" else None
    closed = p["gap"][0] == "after"
    conn = None
    conn_client = None
    floor = ctx.start  # a new connection starts after the last one's final packet
    while True:
        if active == "daytime":
            t = next_daytime(src, t, rng)
        if t >= t_stop:
            break
        client = src.client
        if srng is not None:
            client = conn_client if conn is not None else srng.choice(src.stack)
        elif rotate:
            k = int((t - ctx.start) // rotate)
            client = clients[(clients.index(src.client) + k) % len(clients)]
        if conn is not None:
            if client != conn_client:
                yield from conn.close(t - 0.05, "client")
                floor = conn.t_end
                conn = None
            elif t - conn.t_end > p["idle"]:
                yield from conn.close(conn.t_end + p["idle"], "server")
                floor = conn.t_end
                conn = None
        if conn is None:
            t = max(t, floor + rng.uniform(0.0005, 0.003))
            conn = ctx.new_conn(src, rng, t, client, src.host)
            conn_client = client
            yield from conn.open(t)
        t_req = max(t, conn.t_end + 0.001)
        yield from turn(conn, rng, t_req, p)
        t_answer = conn.t_end
        if p["reuse"] == "per-request":
            how = "rst" if rng.random() < 0.05 else "client"
            yield from conn.close(conn.t_end + rng.uniform(0.001, 0.05), how)
            floor = conn.t_end
            conn = None
        if closed:
            t = t_answer + _after(rng, p["gap"][1])
            continue
        t = max(t + _gap(rng, src, p, t, workers), (conn.t_end if conn else t) + 0.01)
    if conn is not None:
        if t_stop < ctx.end:
            yield from conn.close(max(t_stop, conn.t_end + 0.5), "client")
        else:
            yield from conn.drain(None)


# ------------------------------------------------------------------------ session workers
def session_worker(ctx, src, wi, workers):
    p = src.params
    rng = src.rng.child("s%d" % wi)
    tmin, tmax, think, brk = p["session"]
    # The first session starts within the first share of a break, so short runs
    # still show sessions; later ones follow full breaks.
    t = ctx.start + rng.uniform(0, brk[0])
    hosts = p["hosts"]
    nsess = 0
    floor = ctx.start
    while True:
        if p.get("active") == "daytime":
            t = next_daytime(src, t, rng)
        if t >= ctx.end:
            break
        host = rng.choice(hosts) if p.get("per_request_host") else src.host
        nsess += 1
        if p.get("quic") and rng.random() < p["quic"]:
            ctx.quic_flow(src, rng.child("quic%d" % nsess), t + rng.uniform(0.2, 20.0))
        conn = None
        n = rng.randint(tmin, tmax)
        req = None
        for i in range(n):
            if t >= ctx.end:
                break
            if conn is not None and t - conn.t_end > p["idle"]:
                yield from conn.close(conn.t_end + p["idle"], "server")
                floor = conn.t_end
                conn = None
            if conn is None:
                t = max(t, floor + rng.uniform(0.0005, 0.003))
                conn = ctx.new_conn(src, rng, t, src.client, host)
                yield from conn.open(t)
                if i == 0 and "page" in p:
                    # Loading the web app: one larger response sent at once.
                    yield from conn.exchange(conn.t_end + 0.001, rng.randint(400, 700),
                                             int(draw(rng, p["page"])), False, 0.0, p["tick"], 0.08)
            sizes = yield from turn(conn, rng, max(t, conn.t_end + 0.001), p, req)
            if "grow" in p:
                req = _grown(rng, p, sizes)
            t = conn.t_end
            if p["reuse"] == "per-request":
                yield from conn.close(conn.t_end + rng.uniform(0.001, 0.05),
                                      "rst" if rng.random() < 0.05 else "client")
                floor = conn.t_end
                conn = None
            t += rng.lognormal(*think)
            if p.get("per_request_host"):
                host = rng.choice(hosts)
                if conn is not None:
                    yield from conn.close(t - 0.01, "client")
                    floor = conn.t_end
                    conn = None
        if conn is not None:
            # Browsers leave the connection open; the server closes it when idle.
            yield from conn.close(conn.t_end + p["idle"], "server")
            floor = conn.t_end
        t += rng.lognormal(*brk)


def _grown(rng, p, sizes):
    """The next request of a growing conversation: this one, its answer and the
    tool's output; past the cap the client compacts to a fresh first request."""
    (tool, cap) = p["grow"]
    nxt = sizes[0] + sizes[1] + int(draw(rng, tool))
    return nxt if nxt <= cap else None


# ------------------------------------------------------------------------ batch workers
def _runs(ctx, src):
    """[(start, end, requests)] of a batch role's runs (ROLES' `runs`), the same
    for every worker of the source: spread over the capture, one per share of it."""
    (nlo, nhi), seconds, (qlo, qhi) = src.params["runs"]
    rng = src.rng.child("runs")
    n = rng.randint(nlo, nhi)
    span = ctx.end - ctx.start
    length = min(seconds, 0.3 * span)
    out = []
    for k in range(n):
        lo = ctx.start + span * k / n
        start = lo + rng.uniform(0, max(0.0, span / n - length))
        out.append((start, start + length, rng.randint(qlo, qhi)))
    return out


def batch_worker(ctx, src, wi, workers):
    """Bounded runs (a CI job): each run opens a connection per worker and sends
    its share of the run's requests in a closed loop, then closes."""
    p = src.params
    rng = src.rng.child("b%d" % wi)
    floor = ctx.start
    for k, (start, stop, requests) in enumerate(_runs(ctx, src)):
        share = requests // workers + (wi < requests % workers)
        t = max(start + rng.uniform(0, 2.0), floor + 0.001)
        conn = None
        for _ in range(share):
            if t >= min(stop, ctx.end):
                break
            if conn is None:
                conn = ctx.new_conn(src, rng, t, src.client, src.host)
                yield from conn.open(t)
            yield from turn(conn, rng, max(t, conn.t_end + 0.001), p)
            t = conn.t_end + _after(rng, p["gap"][1])
        if conn is not None:
            yield from conn.close(conn.t_end + rng.uniform(0.01, 0.3), "client")
            floor = conn.t_end


# ------------------------------------------------------------------------ sync workers
def sync_worker(ctx, src, wi, workers):
    """A synchronised pool's member: one request (a connection of its own) at each
    time its coordinator gave it."""
    p = src.params
    rng = src.rng.child("y%d" % wi)
    floor = ctx.start
    for t in src.coord.times(ctx, src.member):
        if t >= ctx.end:
            break
        t = max(t, floor + rng.uniform(0.0005, 0.003))
        conn = ctx.new_conn(src, rng, t, src.client, src.host)
        yield from conn.open(t)
        yield from turn(conn, rng, conn.t_end + 0.001, p)
        how = "rst" if rng.random() < 0.05 else "client"
        yield from conn.close(conn.t_end + rng.uniform(0.001, 0.05), how)
        floor = conn.t_end


# ------------------------------------------------------------------------ building sources
def _hosts_net(net, index):
    """The index-th address of a role's network, skipping .0, .1 and .255."""
    n = ipaddress.ip_network(net)
    per = 250
    block, host = divmod(index, per)
    base = int(n.network_address) + block * 256 + host + 2
    addr = ipaddress.ip_address(base)
    if addr not in n:
        raise ValueError("network %s too small for %d sources" % (net, index + 1))
    return str(addr)


def _v6_addr(net6, index, rng):
    n = ipaddress.ip_network(net6)
    # One /64 per source, with a random-looking interface identifier (SLAAC privacy).
    prefix = int(n.network_address) + (index << 64)
    return str(ipaddress.ip_address(prefix | (rng.bits(64) | 1)))


def build_sources(roles, scale, rng, available_clients):
    """[(Source, [worker factory])] for the roles asked for, at --scale."""
    out = []
    for role in roles:
        p = dict(model.ROLES[role])
        p["clients"] = tuple(c for c in p["clients"] if c in available_clients)
        p["available"] = available_clients
        if not p["clients"]:
            raise SystemExit("gen-traffic: no client capture for role %s (pcaps/clients)" % role)
        rrng = rng.child(role)
        count = max(1, int(round(p["count"] * scale)))
        if "members" in p:
            out.extend(_pool(role, p, rrng, count, scale))
            continue
        n4 = n6 = 0
        for i in range(count):
            s = _source(role, p, rrng.child("s%d" % i))
            _per_source(s)
            if s.v6:
                s.ip = _v6_addr(p["net6"], n6, s.rng)
                n6 += 1
            else:
                s.ip = _hosts_net(p["net"], n4)
                n4 += 1
            if "parts" in p:
                _site(s)
            out.append(s)
    return out


def _pool(role, p, rrng, count, scale):
    """A pool role's sources (hydra, pool2, syncpool): --scale multiplies pools
    above 1, pool members below."""
    out = []
    members = p["members"] if scale >= 1 else max(3, int(round(p["members"] * scale)))
    blocks = p.get("blocks", 3)
    for k in range(count):
        prng = rrng.child("pool%d" % k)
        client, host = prng.choice(p["clients"]), prng.choice(p["hosts"])
        coord = Coordinator(prng.child("coord"), members, p["sync"]) if "sync" in p else None
        for i in range(members):
            s = _source(role, p, prng.child("m%d" % i))
            # A pool spreads over `blocks` /24s, members dealt round-robin.
            block, slot = blocks * k + i % blocks, i // blocks
            s.ip = _hosts_net(p["net"], block * 250 + slot)
            s.client, s.host = client, host
            if p.get("split_clients"):
                s.client = p["clients"][i % len(p["clients"])]
            s.cluster = "%s-%d" % (role, k + 1)
            if coord is not None:
                s.coord, s.member = coord, i
            else:
                s.phase = i / float(members)
            out.append(s)
    return out


def _per_source(s):
    """Per-source choices of the issue 9 roles, each from a stream of its own so
    the draws of the other roles stay as they were."""
    p = s.params
    if isinstance(p.get("reuse"), tuple):
        s.params = dict(p, reuse=s.rng.child("reuse").choice(p["reuse"]))
    if p.get("stacks"):
        srng = s.rng.child("stacks")
        pool = list(p["clients"])
        s.stack = []
        while pool and len(s.stack) < p["stacks"]:
            s.stack.append(pool.pop(int(srng.random() * len(pool))))
        s.stack = tuple(s.stack)


def _site(site):
    """Fills a shared address (ROLES' `parts`) with its clients: each a Source of
    its own (own client, cadence, stream) on the site's address and port counter."""
    site.parts = []
    for k, (names, (lo, hi)) in enumerate(site.params["parts"]):
        prng = site.rng.child("part%d" % k)
        name = names if isinstance(names, str) else prng.choice(names)
        pp = dict(model.PARTS[name])
        pp["clients"] = tuple(c for c in pp["clients"] if c in site.params["available"])
        if not pp["clients"]:
            raise SystemExit("gen-traffic: no client capture for part %s (pcaps/clients)" % name)
        for j in range(prng.randint(lo, hi)):
            ps = _source(site.role, pp, prng.child("%s%d" % (name, j)))
            _per_source(ps)
            ps.ip, ps.v6, ps.site, ps.part, ps.expect = site.ip, site.v6, site, name, pp["expect"]
            site.parts.append(ps)


def _source(role, p, rng):
    s = Source()
    s.role = role
    s.params = p
    s.expect = p["expect"]
    s.cluster = None
    s.rng = rng
    s.client = rng.choice(p["clients"])
    s.host = rng.choice(p["hosts"])
    s.tz = rng.randint(-1, 2)
    s.port = rng.randint(32768, 60999)
    s.v6 = rng.random() < p.get("v6", 0.0)
    s.rtt = rng.uniform(*p["rtt"])
    s.conns = 0
    s.phase = None
    s.site = None
    s.parts = None
    s.part = None
    s.stack = None
    s.coord = None
    s.member = None
    return s


def workers_of(ctx, src):
    if src.parts is not None:
        return [w for part in src.parts for w in workers_of(ctx, part)]
    p = src.params
    n = p.get("workers", 1)
    if "session" in p:
        fn = session_worker
    elif "runs" in p:
        fn = batch_worker
    elif "sync" in p:
        fn = sync_worker
    else:
        fn = loop_worker
    return [fn(ctx, src, i, n) for i in range(n)]
