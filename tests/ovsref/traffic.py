#!/usr/bin/python3
"""Small, bounded traffic endpoints for capture.sh (run inside ggo-left/ggo-right).

Every mode has a hard time limit; clients use FIXED source ports (below the
ephemeral range) so conntrack dumps are reproducible.

  traffic.py tcp-server PORT SECONDS            echo each line back; serve until SECONDS pass
  traffic.py tcp-client SRC_PORT DST PORT [HOLD] connect from SRC_PORT, send/recv one line,
                                                 keep the connection open HOLD seconds (default 0), close
  traffic.py udp-server PORT SECONDS            echo each datagram back until SECONDS pass
  traffic.py udp-client SRC_PORT DST PORT [N]   send N datagrams (default 1), wait up to 1 s for each echo
  traffic.py ready PORT tcp|udp DST             wait (max 5 s) until a TCP port accepts (udp: just sleeps 0.2 s)

Addresses may be IPv4 or IPv6. Exit status 0 when every expected reply came.
"""
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def any_addr(addr):
    return "::" if ":" in addr else "0.0.0.0"


def tcp_server(port, secs):
    deadline = time.monotonic() + secs
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(16)
    conns = []
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, min(0.2, deadline - time.monotonic())))
        try:
            c, _ = s.accept()
            c.settimeout(0.05)
            conns.append(c)
        except socket.timeout:
            pass
        for c in list(conns):
            try:
                data = c.recv(4096)
                if not data:
                    c.close()
                    conns.remove(c)
                else:
                    c.sendall(data)
            except socket.timeout:
                pass
            except OSError:
                c.close()
                conns.remove(c)
    for c in conns:
        c.close()
    s.close()
    return 0


def tcp_client(src_port, dst, port, hold):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((any_addr(dst), src_port))
    s.settimeout(3)
    s.connect((dst, port))
    s.sendall(b"hello\n")
    data = s.recv(100)
    if hold > 0:
        time.sleep(hold)
    s.close()
    return 0 if data == b"hello\n" else 1


def udp_server(port, secs):
    deadline = time.monotonic() + secs
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, min(0.2, deadline - time.monotonic())))
        try:
            data, peer = s.recvfrom(4096)
            s.sendto(data, peer)
        except socket.timeout:
            pass
    s.close()
    return 0


def udp_client(src_port, dst, port, n):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((any_addr(dst), src_port))
    s.settimeout(1)
    ok = 0
    for i in range(n):
        s.sendto(b"ping %d\n" % i, (dst, port))
        try:
            s.recvfrom(4096)
            ok += 1
        except (socket.timeout, ConnectionRefusedError):
            pass
    s.close()
    return 0 if ok == n else 1


def ready(port, proto, dst):
    if proto == "udp":
        time.sleep(0.2)
        return 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        s.settimeout(0.5)
        try:
            s.connect((dst, port))
            s.close()
            return 0
        except OSError:
            s.close()
            time.sleep(0.1)
    return 1


def main(a):
    if len(a) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    m = a[0]
    if m == "tcp-server":
        return tcp_server(int(a[1]), float(a[2]))
    if m == "tcp-client":
        return tcp_client(int(a[1]), a[2], int(a[3]), float(a[4]) if len(a) > 4 else 0)
    if m == "udp-server":
        return udp_server(int(a[1]), float(a[2]))
    if m == "udp-client":
        return udp_client(int(a[1]), a[2], int(a[3]), int(a[4]) if len(a) > 4 else 1)
    if m == "ready":
        return ready(int(a[1]), a[2], a[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
