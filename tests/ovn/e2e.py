#!/usr/bin/env python3
"""e2e.py - the traffic tools of tests/ovn/e2e.sh, run inside a VM's or the
external host's namespace. Every wait is bounded.

  e2e.py serve PORT NAME SECONDS PIDFILE   TCP server on PORT for SECONDS:
                                   to each connection it writes
                                   "NAME PEER_IP\\n"; its PID in PIDFILE
  e2e.py sink PORT SECONDS PIDFILE    TCP server on PORT for SECONDS: reads
                                   each connection to its end, then writes
                                   the byte count back; its PID in PIDFILE
  e2e.py send HOST PORT BYTES [TIMEOUT]  sends BYTES bytes, closes its
                                   side, prints the count the sink wrote
  e2e.py connect HOST PORT [TIMEOUT]  connect, print the line the server
                                   wrote; exit 1 when none came
  e2e.py dhcp4 IFACE [TIMEOUT]     DHCPDISCOVER (from 0.0.0.0, raw frames on
                                   IFACE), then DHCPREQUEST for the offered
                                   address; prints "offer ADDR server S" and
                                   "ack ADDR router R lease L mask M"
  e2e.py dhcp6 IFACE [TIMEOUT]     DHCPv6 SOLICIT from IFACE's link-local
                                   address to ff02::1:2; prints
                                   "advertise ADDR" (the IA_NA address)
"""
import os
import random
import socket
import struct
import sys
import time


def listener(port, backlog, pidfile):
    """Writes our PID to pidfile and listens on port, IPv4 and IPv6."""
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(backlog)
    return s


def serve(port, name, seconds, pidfile):
    s = listener(port, 64, pidfile)
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            c, peer = s.accept()
        except socket.timeout:
            break
        ip = peer[0]
        if ip.startswith("::ffff:"):
            ip = ip[7:]
        try:
            c.sendall(("%s %s\n" % (name, ip)).encode())
        except OSError:
            pass
        c.close()


def sink(port, seconds, pidfile):
    s = listener(port, 8, pidfile)
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        c.settimeout(30)
        n = 0
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                n += len(b)
            c.sendall(b"%d\n" % n)
        except OSError:
            pass
        c.close()


def send(host, port, nbytes, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    chunk = bytes(range(256)) * 256
    try:
        s.connect((host, port))
        left = nbytes
        while left > 0:
            k = s.send(chunk[:min(left, len(chunk))])
            left -= k
        s.shutdown(socket.SHUT_WR)
        data = b""
        while not data.endswith(b"\n"):
            b = s.recv(64)
            if not b:
                break
            data += b
    except OSError as e:
        print("error %s" % e)
        return 1
    finally:
        s.close()
    print(data.decode(errors="replace").strip() or "error no count")
    return 0


def connect(host, port, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        data = b""
        while not data.endswith(b"\n"):
            b = s.recv(256)
            if not b:
                break
            data += b
    except OSError as e:
        print("error %s" % e)
        return 1
    finally:
        s.close()
    line = data.decode(errors="replace").strip()
    if not line:
        print("error no data")
        return 1
    print(line)
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def if_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def dhcp4_frame(mac, xid, msgtype, extra):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        mac + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63" + bytes([53, 1, msgtype]) + extra
    opts += bytes([55, 4, 1, 3, 6, 51]) + b"\xff"
    payload = bootp + opts
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def dhcp4_parse(frame, xid):
    """The DHCP options of a reply to xid in an Ethernet frame, or None."""
    if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0xF) * 4
    if frame[23] != 17:
        return None
    u = 14 + ihl
    sport, dport = struct.unpack("!HH", frame[u:u + 4])
    if sport != 67 or dport != 68:
        return None
    b = frame[u + 8:]
    if b[0] != 2 or struct.unpack("!I", b[4:8])[0] != xid:
        return None
    res = {"yiaddr": socket.inet_ntoa(b[16:20]), "opts": {}}
    o = b[240:]
    i = 0
    while i < len(o) and o[i] != 255:
        if o[i] == 0:
            i += 1
            continue
        if i + 2 > len(o):
            break
        t, n = o[i], o[i + 1]
        res["opts"][t] = o[i + 2:i + 2 + n]
        i += 2 + n
    return res


def dhcp4_exchange(s, frame, xid, want, deadline):
    s.send(frame)
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            f = s.recv(4096)
        except socket.timeout:
            return None
        r = dhcp4_parse(f, xid)
        if r and r["opts"].get(53) == bytes([want]):
            return r
    return None


def dhcp4(iface, timeout):
    mac = if_mac(iface)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    xid = random.randrange(1, 1 << 32)
    deadline = time.time() + timeout
    offer = dhcp4_exchange(s, dhcp4_frame(mac, xid, 1, b""), xid, 2, deadline)
    if not offer:
        print("error no DHCPOFFER")
        return 1
    server = offer["opts"].get(54, b"\0\0\0\0")
    print("offer %s server %s" % (offer["yiaddr"], socket.inet_ntoa(server)))
    extra = bytes([50, 4]) + socket.inet_aton(offer["yiaddr"]) + bytes([54, 4]) + server
    ack = dhcp4_exchange(s, dhcp4_frame(mac, xid, 3, extra), xid, 5, deadline)
    if not ack:
        print("error no DHCPACK")
        return 1
    o = ack["opts"]
    print("ack %s router %s lease %d mask %s" % (
        ack["yiaddr"], socket.inet_ntoa(o.get(3, b"\0\0\0\0")[:4]),
        struct.unpack("!I", o.get(51, b"\0\0\0\0"))[0],
        socket.inet_ntoa(o.get(1, b"\0\0\0\0"))))
    return 0


def dhcp6(iface, timeout):
    mac = if_mac(iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    idx = socket.if_nametoindex(iface)
    s.bind(("::", 546, 0, idx))
    xid = os.urandom(3)
    duid = struct.pack("!HH", 3, 1) + mac  # DUID-LL
    msg = b"\x01" + xid
    msg += struct.pack("!HH", 1, len(duid)) + duid           # client id
    msg += struct.pack("!HHIII", 3, 12, 1, 0, 0)             # IA_NA, IAID 1
    msg += struct.pack("!HHH", 8, 2, 0)                      # elapsed time
    deadline = time.time() + timeout
    tries = 0
    while time.time() < deadline and tries < 5:
        tries += 1
        s.sendto(msg, ("ff02::1:2", 547, 0, idx))
        until = min(deadline, time.time() + 2)
        while time.time() < until:
            s.settimeout(max(0.05, until - time.time()))
            try:
                b, _ = s.recvfrom(2048)
            except socket.timeout:
                break
            if len(b) < 4 or b[0] != 2 or b[1:4] != xid:
                continue
            i = 4
            while i + 4 <= len(b):
                code, n = struct.unpack("!HH", b[i:i + 4])
                if code == 3:  # IA_NA: IAID, T1, T2, then options
                    j = i + 4 + 12
                    while j + 4 <= i + 4 + n:
                        c2, n2 = struct.unpack("!HH", b[j:j + 4])
                        if c2 == 5:
                            print("advertise %s" % socket.inet_ntop(socket.AF_INET6, b[j + 4:j + 20]))
                            return 0
                        j += 4 + n2
                i += 4 + n
            print("error ADVERTISE without an address")
            return 1
    print("error no ADVERTISE")
    return 1


def main(a):
    if len(a) >= 5 and a[0] == "serve":
        serve(int(a[1]), a[2], float(a[3]), a[4])
        return 0
    if len(a) >= 4 and a[0] == "sink":
        sink(int(a[1]), float(a[2]), a[3])
        return 0
    if len(a) >= 4 and a[0] == "send":
        return send(a[1], int(a[2]), int(a[3]), float(a[4]) if len(a) > 4 else 20)
    if len(a) >= 3 and a[0] == "connect":
        return connect(a[1], int(a[2]), float(a[3]) if len(a) > 3 else 3)
    if len(a) >= 2 and a[0] == "dhcp4":
        return dhcp4(a[1], float(a[2]) if len(a) > 2 else 10)
    if len(a) >= 2 and a[0] == "dhcp6":
        return dhcp6(a[1], float(a[2]) if len(a) > 2 else 10)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
