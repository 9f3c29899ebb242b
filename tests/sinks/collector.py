#!/usr/bin/env python3
"""A collector for the sink tests: listens on a unix socket and appends
every record it receives to OUT, one a line.

    collector.py stream|dgram SOCKET OUT

stream: newline-terminated records over any number of connections;
dgram: one record a datagram. Creates SOCKET then the file SOCKET.ready.
On SIGTERM it stops taking data (shutdown SHUT_RD, so the sender's next
send fails instead of vanishing into a closed socket), removes SOCKET,
reads what was already queued, writes it out and exits 0."""
import os, select, signal, socket, sys

kind, path, out_path = sys.argv[1:4]
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == "stream" else socket.SOCK_DGRAM)
srv.bind(path)
if kind == "stream":
    srv.listen(16)
out = open(out_path, "ab")
conns, partial = [], {}
open(path + ".ready", "w").close()


def read_stream(c):
    data = c.recv(1 << 16)
    if not data:
        conns.remove(c)
        c.close()
        return
    buf = partial.get(c, b"") + data
    lines = buf.split(b"\n")
    partial[c] = lines.pop()
    for line in lines:
        out.write(line + b"\n")


def drain():
    """After SHUT_RD: what is still queued, then done."""
    if kind == "dgram":
        srv.setblocking(False)
        try:
            while True:
                out.write(srv.recv(1 << 17) + b"\n")
        except BlockingIOError:
            pass
        return
    for c in list(conns):
        c.setblocking(False)
        try:
            while True:
                data = c.recv(1 << 16)
                if not data:
                    break
                buf = partial.get(c, b"") + data
                lines = buf.split(b"\n")
                partial[c] = lines.pop()
                for line in lines:
                    out.write(line + b"\n")
        except BlockingIOError:
            pass


while not stop:
    try:
        ready, _, _ = select.select([srv] + conns, [], [], 0.05)
    except InterruptedError:
        continue
    for r in ready:
        if r is srv and kind == "stream":
            c, _ = srv.accept()
            conns.append(c)
        elif r is srv:
            out.write(srv.recv(1 << 17) + b"\n")
        else:
            read_stream(r)
    out.flush()

os.unlink(path)                 # no new connection from here on
if kind == "stream":
    srv.setblocking(False)
    try:
        while True:
            conns.append(srv.accept()[0])
    except BlockingIOError:
        pass
for s in conns + [srv]:
    try:
        s.shutdown(socket.SHUT_RD)
    except OSError:
        pass
drain()
out.close()
