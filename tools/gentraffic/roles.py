"""What each role does over time. A source owns one or more workers; a worker is a
generator of (time, frame) in time order that opens connections, runs turns on them
and closes them. The parameters come from model.ROLES; the structure here is only:
loop workers (a cadence model, optionally bounded to a window or daytime, optionally
rotating fingerprints) and session workers (a few turns with think times, then a
long break)."""

import ipaddress
import math

from . import model, quic
from .conn import Conn
from .packets import Path

DAY = 86400.0


class Source:
    __slots__ = ("ip", "role", "params", "expect", "cluster", "rng", "client", "host",
                 "tz", "port", "v6", "rtt", "conns", "hydra_phase")

    def next_port(self):
        self.port = 32768 + (self.port - 32768 + self.rng.randint(1, 9)) % 28232
        return self.port


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


def turn(conn, rng, t, p):
    """One request/response on conn with sizes and timing drawn from the role's table."""
    stream = rng.random() < p["stream"]
    req = max(60, int(draw(rng, p["req"])))
    resp = max(40, int(draw(rng, p["resp"])))
    rate = max(200.0, draw(rng, p["rate"])) if stream else 0.0
    ttfb = draw(rng, p["ttfb"])
    if not stream:
        ttfb = min(ttfb, 0.5 + resp / 50000.0)
    yield from conn.exchange(t, req, resp, stream, rate, p["tick"], ttfb)


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
    elif src.hydra_phase is not None:
        # Members of one pool take turns: member i starts i/N of a period in.
        t = ctx.start + src.hydra_phase * p["gap"][1] + rng.uniform(0, 0.5)
    else:
        first = p["gap"][1] if p["gap"][0] != "poisson_daily" else 10.0
        t = ctx.start + rng.uniform(0, min(first, 60.0))
    clients = p["clients"]
    rotate = p.get("rotate")
    conn = None
    conn_client = None
    floor = ctx.start  # a new connection starts after the last one's final packet
    while True:
        if active == "daytime":
            t = next_daytime(src, t, rng)
        if t >= t_stop:
            break
        client = src.client
        if rotate:
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
        if p["reuse"] == "per-request":
            how = "rst" if rng.random() < 0.05 else "client"
            yield from conn.close(conn.t_end + rng.uniform(0.001, 0.05), how)
            floor = conn.t_end
            conn = None
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
            yield from turn(conn, rng, max(t, conn.t_end + 0.001), p)
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
        if not p["clients"]:
            raise SystemExit("gen-traffic: no client capture for role %s (pcaps/clients)" % role)
        rrng = rng.child(role)
        count = max(1, int(round(p["count"] * scale)))
        if role == "hydra":
            # --scale multiplies sources: pools above 1, pool members below.
            members = p["members"] if scale >= 1 else max(3, int(round(p["members"] * scale)))
            for k in range(count):
                prng = rrng.child("pool%d" % k)
                client, host = prng.choice(p["clients"]), prng.choice(p["hosts"])
                for i in range(members):
                    s = _source(role, p, prng.child("m%d" % i))
                    # A pool spreads over three /24s, members dealt round-robin.
                    block, slot = 3 * k + i % 3, i // 3
                    s.ip = _hosts_net(p["net"], block * 250 + slot)
                    s.client, s.host = client, host
                    s.cluster = "hydra-%d" % (k + 1)
                    s.hydra_phase = i / float(members)
                    out.append(s)
            continue
        n4 = n6 = 0
        for i in range(count):
            s = _source(role, p, rrng.child("s%d" % i))
            if s.v6:
                s.ip = _v6_addr(p["net6"], n6, s.rng)
                n6 += 1
            else:
                s.ip = _hosts_net(p["net"], n4)
                n4 += 1
            out.append(s)
    return out


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
    s.hydra_phase = None
    return s


def workers_of(ctx, src):
    p = src.params
    n = p.get("workers", 1)
    fn = session_worker if "session" in p else loop_worker
    return [fn(ctx, src, i, n) for i in range(n)]
