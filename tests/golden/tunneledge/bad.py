#!/usr/bin/env python3
"""bad.py IFACE KIND...: send from IFACE a Geneve frame of each KIND to the
switch's underlay address (198.51.100.1, 02:5e:00:07:00:01) from the
peer's (198.51.100.2, 02:5e:00:07:00:02), 0.2 s apart:

  good       a well-formed ARP request inside VNI 4
  inner      a Geneve frame whose inner Ethernet frame is 5 bytes long
  ipcsum     a wrong outer IPv4 header checksum
  iptrunc    an outer IPv4 total length past the frame
  udpcsum    a wrong, non-zero outer UDP checksum
  optlen     a Geneve options length past the frame
  version    Geneve version 1
  proto      a Geneve protocol type other than Ethernet (0x0800)
  critical   an unknown critical option (class 0xfff0, type 0x80)
  optrun     an option whose length runs past the options
  nokey      VNI 99, which no tunnel port has
"""
import socket, struct, sys, time

SMAC, DMAC = bytes.fromhex("025e00070002"), bytes.fromhex("025e00070001")
SRC, DST = socket.inet_aton("198.51.100.2"), socket.inet_aton("198.51.100.1")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


INNER = (bytes.fromhex("ffffffffffff" "025e00070204" "0806") +
         struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes.fromhex("025e00070204") +
         socket.inet_aton("203.0.113.2") + b"\0" * 6 + socket.inet_aton("203.0.113.1"))


def geneve(vni=4, opts=b"", optlen=None, ver=0, proto=0x6558, inner=INNER):
    ol = len(opts) // 4 if optlen is None else optlen
    return struct.pack("!BBHI", ver << 6 | ol, 0, proto, vni << 8) + opts + inner


def frame(payload, ipcsum_ok=True, totlen_extra=0, udpcsum=0):
    udp = struct.pack("!HHHH", 40000, 6081, 8 + len(payload), udpcsum) + payload
    tot = 20 + len(udp) + totlen_extra
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 17, 0, SRC, DST)
    c = csum(ip)
    if not ipcsum_ok:
        c ^= 0x1111
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    return DMAC + SMAC + b"\x08\x00" + ip + udp


frames = {
    "good": lambda: frame(geneve()),
    "inner": lambda: frame(geneve(inner=INNER[:5])),
    "ipcsum": lambda: frame(geneve(), ipcsum_ok=False),
    "iptrunc": lambda: frame(geneve(), totlen_extra=40),
    "udpcsum": lambda: frame(geneve(), udpcsum=0x1234),
    "optlen": lambda: frame(geneve(optlen=20)),
    "version": lambda: frame(geneve(ver=1)),
    "proto": lambda: frame(geneve(proto=0x0800)),
    "critical": lambda: frame(geneve(opts=struct.pack("!HBB", 0xfff0, 0x80, 1) + b"\0\0\0\1")),
    "optrun": lambda: frame(geneve(opts=struct.pack("!HBB", 0xfff0, 0x01, 3) + b"\0\0\0\1")),
    "nokey": lambda: frame(geneve(vni=99)),
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for kind in sys.argv[2:]:
    s.send(frames[kind]())
    time.sleep(0.2)
