#!/usr/bin/python3
"""Frames for capture.sh (tunnel package goldens).

  frames.py send IFACE NAME...   send each named frame out of IFACE (AF_PACKET), 0.1 s apart
  frames.py hex NAME             print a frame as hex

Inner frames (sent into br-int's VM port) are inner-*; outer frames (sent
into br-phy's physical port, addressed to br-phy's MAC and underlay address)
are dec-* (well formed) and bad-* (each one malformed in one way).
"""
import socket
import struct
import sys
import time

PHY_MAC = bytes.fromhex("0200000000aa")   # br-phy (other-config:hwaddr)
PEER_MAC = bytes.fromhex("0200000000b2")  # the remote chassis
VM_MAC = bytes.fromhex("020000000101")
VM2_MAC = bytes.fromhex("020000000102")
LOCAL4 = bytes([198, 51, 100, 1])
LOCAL6 = bytes.fromhex("20010db8010000000000000000000001")
REMOTE6 = bytes.fromhex("20010db8010000000000000000000002")


def r4(n):
    return bytes([198, 51, 100, n])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, tos=0, ttl=64, frag=0x4000, ident=0, badsum=False):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, frag, ttl, proto, 0, src, dst))
    c = csum(bytes(h))
    h[10:12] = struct.pack("!H", c ^ 0x5555 if badsum else c)
    return bytes(h) + payload


def udp4(src, dst, sport, dport, data, tos=0, ttl=64, sumit=True, badsum=False, ident=0):
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)
    if sumit:
        c = csum(src + dst + struct.pack("!BBH", 0, 17, len(seg)) + bytes(seg)) or 0xFFFF
        seg[6:8] = struct.pack("!H", c ^ 0x0101 if badsum else c)
    return ip4(src, dst, 17, bytes(seg), tos=tos, ttl=ttl, ident=ident)


def udp6(src, dst, sport, dport, data, tc=0, hlim=64):
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)
    c = csum(src + dst + struct.pack("!IxxxB", len(seg), 17) + bytes(seg)) or 0xFFFF
    seg[6:8] = struct.pack("!H", c)
    return struct.pack("!IHBB", 0x60000000 | tc << 20, len(seg), 17, hlim) + src + dst + bytes(seg)


def tcp4(src, dst, sport, dport, tos=0):
    seg = bytearray(struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 64240, 0, 0))
    seg[16:18] = struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + bytes(seg)))
    return ip4(src, dst, 6, bytes(seg), tos=tos)


IN_SRC, IN_DST = bytes([203, 0, 113, 1]), bytes([203, 0, 113, 2])


def inner(dport, tos=0, ttl=64, data=b"hello-gswitch"):
    return VM2_MAC + VM_MAC + b"\x08\x00" + udp4(IN_SRC, IN_DST, 1001, dport, data, tos=tos, ttl=ttl)


def inner6(dport):
    s = bytes.fromhex("20010db8020000000000000000000001")
    d = bytes.fromhex("20010db8020000000000000000000002")
    return VM2_MAC + VM_MAC + b"\x86\xdd" + udp6(s, d, 1001, dport, b"six")


def gopt(cls, typ, data):
    return struct.pack("!HBB", cls, typ, len(data) // 4) + data


def geneve(vni, opts=b"", oam=False, crit=False, ver=0, optlen=None, proto=0x6558):
    ol = len(opts) // 4 if optlen is None else optlen
    return struct.pack("!BBHI", ver << 6 | ol, (0x80 if oam else 0) | (0x40 if crit else 0), proto, vni << 8) + opts


def vxlan(vni, flags=0x08000000):
    return struct.pack("!II", flags, vni << 8)


def outer4(src, payload, dport, sport=50000, sumit=True, badsum=False, tos=0, ttl=64):
    return PHY_MAC + PEER_MAC + b"\x08\x00" + udp4(src, LOCAL4, sport, dport, payload, tos=tos, ttl=ttl, sumit=sumit, badsum=badsum)


def outer6(payload, dport, sport=50000):
    return PHY_MAC + PEER_MAC + b"\x86\xdd" + udp6(REMOTE6, LOCAL6, sport, dport, payload, hlim=64)


TM0 = gopt(0xFFFF, 0x80, bytes.fromhex("aabbccdd"))
TM1 = gopt(0x0102, 0x01, bytes.fromhex("0102030405060708"))
UNK = gopt(0x0999, 0x05, bytes.fromhex("deadbeef"))
UNK_CRIT = gopt(0x0999, 0x85, bytes.fromhex("deadbeef"))
TM0_LONG = gopt(0xFFFF, 0x80, bytes.fromhex("aabbccdd11223344"))
ID = inner(3001)  # the inner frame every decap case carries

FRAMES = {
    # encap: br-int's flows pick the tunnel port by the inner UDP dst port
    "inner-g0": inner(2001),
    "inner-g1": inner(2002, tos=0xB9, ttl=9),
    "inner-v0": inner(2003),
    "inner-v1": inner(2004, tos=0x03),
    "inner-g6": inner(2005),
    "inner-gf": inner(2006),
    "inner-g0b": inner(2001, data=b"another-payload-longer-than-the-first"),
    "inner-g0c": VM2_MAC + VM_MAC + b"\x08\x00" + tcp4(IN_SRC, IN_DST, 40000, 2001),
    "inner-g0v6": inner6(2001),
    # decap, well formed
    "dec-g0": outer4(r4(2), geneve(0x123456, TM0 + UNK + TM1) + ID, 6081),
    "dec-g1": outer4(r4(3), geneve(0x42, oam=True) + ID, 6081, sumit=False, tos=0x2E, ttl=7),
    "dec-v0": outer4(r4(4), vxlan(0x5000) + ID, 4789, sumit=False),
    "dec-v1": outer4(r4(5), vxlan(99) + ID, 4790),
    "dec-g6": outer6(geneve(7, TM0) + ID, 6081),
    "dec-gf": outer4(r4(7), geneve(0x99, TM1) + ID, 6081),
    # decap, malformed
    "bad-crit": outer4(r4(2), geneve(0x123456, TM0 + UNK_CRIT, crit=True) + ID, 6081),
    "bad-optlen": outer4(r4(2), geneve(0x123456, TM0, optlen=63)[:8 + 4 * 2], 6081),
    "bad-udpsum": outer4(r4(2), geneve(0x123456) + ID, 6081, badsum=True),
    "bad-gbp": outer4(r4(4), vxlan(0x5000, flags=0x88000000) + ID, 4789, sumit=False),
    "bad-tlvlen": outer4(r4(2), geneve(0x123456, TM0_LONG) + ID, 6081),
    "bad-ver": outer4(r4(2), geneve(0x123456, ver=1) + ID, 6081),
    "bad-proto": outer4(r4(2), geneve(0x123456, proto=0x0800) + ID, 6081),
    "bad-vni": outer4(r4(4), vxlan(0x5000)[:7] + b"\x01" + ID, 4789, sumit=False),
    # well formed, but no VXLAN port has remote 198.51.100.9 (nor remote_ip=flow)
    "bad-noport": outer4(r4(9), vxlan(0x5000) + ID, 4789, sumit=False),
}


def main(a):
    if len(a) >= 2 and a[0] == "hex":
        print(FRAMES[a[1]].hex())
        return 0
    if len(a) >= 3 and a[0] == "send":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a[1], 0))
        for n in a[2:]:
            s.send(FRAMES[n])
            time.sleep(0.1)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
