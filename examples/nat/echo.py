#!/usr/bin/env python3
"""Address echo for the NAT demo: tells each peer the address and port it
came from, so the demo can see what the translation did.

  echo.py serve PORT                 HTTP on TCP PORT and an echo on UDP PORT,
                                     IPv4 and IPv6 (dual stack); the answer
                                     is "ADDRESS PORT" of the peer.
  echo.py get HOST PORT LOCALPORT    HTTP GET / from LOCALPORT (SO_REUSEADDR,
                                     so a port in TIME_WAIT can be used
                                     again), print the body
  echo.py udp HOST PORT              send one UDP datagram, print the answer
  echo.py udp-refused HOST PORT      send to a closed UDP port on a connected
                                     socket; succeed only if the ICMP port
                                     unreachable came back (ECONNREFUSED)
"""
import http.server
import socket
import sys
import threading
import time


def peer(addr):
    host = addr[0]
    if host.startswith("::ffff:"):
        host = host[len("::ffff:"):]
    return f"{host} {addr[1]}\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = peer(self.client_address).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve(port):
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", port))

    def udp():
        while True:
            _, a = u.recvfrom(2048)
            u.sendto(peer(a).encode(), a)

    threading.Thread(target=udp, daemon=True).start()
    Server(("::", port), Handler).serve_forever()


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def udp(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(1)
    for _ in range(3):
        s.sendto(b"hello", (host, port))
        try:
            print(s.recv(2048).decode(), end="")
            return 0
        except socket.timeout:
            pass
    return 1


def get(host, port, lport):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    s.bind(("::" if ":" in host else "0.0.0.0", lport))
    s.connect((host, port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200"):
        return 1
    print(body.decode(), end="")
    return 0


def udp_refused(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(1)
    for _ in range(3):
        s.send(b"anyone?")
        try:
            s.recv(2048)
            return 1  # an answer: the port was not closed
        except ConnectionRefusedError:
            return 0
        except socket.timeout:
            time.sleep(0.2)
    return 1


def main(argv):
    if len(argv) == 3 and argv[1] == "serve":
        serve(int(argv[2]))
    elif len(argv) == 5 and argv[1] == "get":
        return get(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 4 and argv[1] == "udp":
        return udp(argv[2], int(argv[3]))
    elif len(argv) == 4 and argv[1] == "udp-refused":
        return udp_refused(argv[2], int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
