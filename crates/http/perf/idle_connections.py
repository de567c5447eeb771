#!/usr/bin/env python3
"""Memory (RSS) and threads of a perf_server holding N idle kept-alive connections.

usage: idle_connections.py PERF_SERVER_BINARY KIND [N] [extra server args...]
Each connection makes one request (so the server has fully set it up), then idles.
"""
import socket
import subprocess
import sys
import time


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["Threads"])


def main():
    binary, kind = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    extra = sys.argv[4:]
    server = subprocess.Popen([binary, kind, "127.0.0.1:0" if kind == "layer" else "127.0.0.1:18181", *extra],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        host, port = line.split()[-1].rsplit(":", 1)
        port = int(port)
        # One request first, so both servers have touched their request path.
        warm = socket.create_connection((host, port))
        warm.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while warm.recv(4096):
            pass
        warm.close()
        time.sleep(0.5)
        rss0, threads0 = status(server.pid)
        conns = []
        for _ in range(n):
            s = socket.create_connection((host, port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"ok\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("connection closed early")
                data += chunk
            conns.append(s)
        time.sleep(1.0)
        rss1, threads1 = status(server.pid)
        print(f"{kind}: before rss={rss0} KiB threads={threads0}; with {n} idle connections "
              f"rss={rss1} KiB threads={threads1}; per connection {(rss1 - rss0) / n:.1f} KiB")
        for s in conns:
            s.close()
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
