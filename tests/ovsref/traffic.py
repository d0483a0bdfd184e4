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
  traffic.py tftp-server PORT SECONDS DATA_PORT  minimal TFTP: answer each read request with 600 bytes
                                                (2 DATA blocks) sent from a new socket on DATA_PORT
  traffic.py tftp-client SRC_PORT DST           read "file" from DST:69, ACKing each block; 0 if 600 bytes came
  traffic.py packet KIND                        print one Ethernet frame as hex (for ovs-ofctl packet-out):
      gre        IPv4 protocol 47, 198.51.100.1 -> .2 (conntrack's "other" protocol)
      syn        TCP SYN 198.51.100.1:20031 -> .2:7001
      ack        TCP ACK without a connection 198.51.100.1:20032 -> .2:7001
      frag-first IPv4 UDP first fragment only (MF set, 1400 bytes of payload), id 0x1234
      frag6-first IPv6 UDP first fragment only (fragment header, M set), id 0x5678
      udp6       UDP 2001:db8::1:20033 -> 2001:db8::2:7002
      udp4-S-D   UDP 198.51.100.1:S -> .2:D (payload "hi")
      udp6-S-D   UDP 2001:db8::1:S -> 2001:db8::2:D (payload "hi")
      syn-S-D    TCP SYN 198.51.100.1:S -> .2:D
      echo4-ID   ICMP echo request 198.51.100.1 -> .2, identifier ID, sequence 1
      nd-ns|na[-sll|-tll...]  IPv6 neighbor solicitation/advertisement from
                 2001:db8::1 (hop limit 255) for target 2001:db8::99 (no host
                 answers it) with the link-layer address options named, in
                 that order (sll: type 1, tll: type 2, 02:00:00:00:01:01);
                 nd-ns-dad: a DAD solicitation (from ::, no option)
  traffic.py send IFACE KIND...                 send each KIND's frame out of IFACE (AF_PACKET), 0.05 s apart

Addresses may be IPv4 or IPv6. Exit status 0 when every expected reply came.
"""
import socket
import struct
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


TFTP_DATA = b"t" * 600


def tftp_server(port, secs, data_port):
    deadline = time.monotonic() + secs
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, min(0.2, deadline - time.monotonic())))
        try:
            req, peer = s.recvfrom(1500)
        except socket.timeout:
            continue
        if req[:2] != b"\x00\x01":  # RRQ only
            continue
        d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        d.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        d.bind((s.getsockname()[0], data_port))
        d.settimeout(1)
        for block in range(1, len(TFTP_DATA) // 512 + 2):
            chunk = TFTP_DATA[(block - 1) * 512:block * 512]
            d.sendto(struct.pack("!HH", 3, block) + chunk, peer)
            try:
                d.recvfrom(1500)  # the ACK
            except socket.timeout:
                break
        d.close()
    s.close()
    return 0


def tftp_client(src_port, dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", src_port))
    s.settimeout(2)
    s.sendto(b"\x00\x01file\x00octet\x00", (dst, 69))
    got = b""
    while True:
        try:
            pkt, peer = s.recvfrom(1500)
        except socket.timeout:
            break
        op, block = struct.unpack("!HH", pkt[:4])
        if op != 3:
            break
        got += pkt[4:]
        s.sendto(struct.pack("!HH", 4, block), peer)
        if len(pkt) - 4 < 512:
            break
    s.close()
    return 0 if got == TFTP_DATA else 1


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


ETH4 = bytes.fromhex("020000000201" "020000000101" "0800")
ETH6 = bytes.fromhex("020000000201" "020000000101" "86dd")
SRC4, DST4 = bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")


def ip4(proto, payload, ident=0, frag=0x4000, total=None):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ident, frag, 64, proto, 0, SRC4, DST4))
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return ETH4 + bytes(h) + payload


def l4sum4(proto, seg):
    return csum(SRC4 + DST4 + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def tcp4(sport, dport, flags, seq=1000, ack=0):
    seg = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0))
    seg[16:18] = struct.pack("!H", l4sum4(6, bytes(seg)))
    return ip4(6, bytes(seg))


def udp4(sport, dport, data=b"hi"):
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)
    seg[6:8] = struct.pack("!H", l4sum4(17, bytes(seg)) or 0xFFFF)
    return ip4(17, bytes(seg))


def udp6(sport, dport, data=b"hi"):
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)
    c = csum(SRC6 + DST6 + struct.pack("!IxxxB", len(seg), 17) + bytes(seg))
    seg[6:8] = struct.pack("!H", c or 0xFFFF)
    return ETH6 + struct.pack("!IHBB", 0x60000000, len(seg), 17, 64) + SRC6 + DST6 + bytes(seg)


def echo4(ident):
    msg = bytearray(struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ping")
    msg[2:4] = struct.pack("!H", csum(bytes(msg)))
    return ip4(1, bytes(msg))


def nd(kind):
    parts = kind.split("-")[1:]
    typ = {"ns": 135, "na": 136}[parts[0]]
    src, dst = SRC6, DST6
    eth = ETH6
    if parts[1:] == ["dad"]:
        src = bytes(16)
        dst = bytes.fromhex("ff0200000000000000000001ff000099")
        eth = bytes.fromhex("3333ff000099" "020000000101" "86dd")
        parts = parts[:1]
    opts = b""
    for o in parts[1:]:
        opts += bytes([{"sll": 1, "tll": 2}[o], 1]) + bytes.fromhex("020000000101")
    flags = 0x60000000 if typ == 136 else 0
    target = bytes.fromhex("20010db8000000000000000000000099")
    msg = bytearray(struct.pack("!BBHI", typ, 0, 0, flags) + target + opts)
    c = csum(src + dst + struct.pack("!IxxxB", len(msg), 58) + bytes(msg))
    msg[2:4] = struct.pack("!H", c)
    return eth + struct.pack("!IHBB", 0x60000000, len(msg), 58, 255) + src + dst + bytes(msg)


def send(iface, kinds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for k in kinds:
        s.send(packet(k))
        time.sleep(0.05)
    return 0


def packet(kind):
    if kind.startswith("nd-"):
        return nd(kind)
    name, _, rest = kind.partition("-")
    nums = [int(x) for x in rest.split("-")] if rest and rest[0].isdigit() else []
    if name == "udp4" and len(nums) == 2:
        return udp4(*nums)
    if name == "udp6" and len(nums) == 2:
        return udp6(*nums)
    if name == "syn" and len(nums) == 2:
        return tcp4(nums[0], nums[1], 0x02)
    if name == "echo4" and len(nums) == 1:
        return echo4(nums[0])
    if kind == "gre":
        return ip4(47, bytes.fromhex("00000800") + b"x" * 20)
    if kind == "syn":
        return tcp4(20031, 7001, 0x02)
    if kind == "ack":
        return tcp4(20032, 7001, 0x10, seq=5000, ack=6000)
    if kind == "frag-first":
        data = b"y" * 1400
        udp = struct.pack("!HHHH", 20034, 7002, 8 + len(data) + 600, 0) + data
        return ip4(17, udp, ident=0x1234, frag=0x2000)  # MF, offset 0; 600 bytes never follow
    if kind == "frag6-first":
        data = b"z" * 1400
        udp = struct.pack("!HHHH", 20035, 7002, 8 + len(data) + 600, 0) + data
        fh = struct.pack("!BBHI", 17, 0, 0x0001, 0x5678)  # offset 0, M set
        body = fh + udp
        return ETH6 + struct.pack("!IHBB", 0x60000000, len(body), 44, 64) + SRC6 + DST6 + body
    if kind == "udp6":
        return udp6(20033, 7002)
    raise SystemExit("unknown packet kind " + kind)


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
    if m == "tftp-server":
        return tftp_server(int(a[1]), float(a[2]), int(a[3]))
    if m == "tftp-client":
        return tftp_client(int(a[1]), a[2])
    if m == "packet":
        print(packet(a[1]).hex())
        return 0
    if m == "send":
        return send(a[1], a[2:])
    if m == "ready":
        return ready(int(a[1]), a[2], a[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
