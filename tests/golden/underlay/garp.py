#!/usr/bin/env python3
"""garp.py IFACE: send from IFACE (02:5e:00:00:06:02) a gratuitous ARP request
for 198.51.100.3, a gratuitous ARP reply for 198.51.100.4, an ARP reply to
198.51.100.1 for 198.51.100.5 (sha 02:5e:00:00:06:05) and an unsolicited
neighbour advertisement to ff02::1 for 2001:db8::6 with a target link-layer
address option (02:5e:00:00:06:06): what tnl_neigh_snoop learns from."""
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

mac = bytes.fromhex("025e00000602")
bc = b"\xff" * 6
def ip4(s): return socket.inet_aton(s)
def arp(op, sha, spa, tha, tpa, dst):
    return dst + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + ip4(spa) + tha + ip4(tpa)

frames = [
    arp(1, mac, "198.51.100.3", b"\0" * 6, "198.51.100.3", bc),
    arp(2, mac, "198.51.100.4", bc, "198.51.100.4", bc),
    arp(2, bytes.fromhex("025e00000605"), "198.51.100.5", bytes.fromhex("025e00000601"), "198.51.100.1",
        bytes.fromhex("025e00000601")),
]
src = socket.inet_pton(socket.AF_INET6, "2001:db8::6")
dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
body = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + src + bytes([2, 1]) + bytes.fromhex("025e00000606")
pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
ip6 = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + src + dst
frames.append(bytes.fromhex("333300000001") + mac + b"\x86\xdd" + ip6 + body)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for f in frames:
    s.send(f)
