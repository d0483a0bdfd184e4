#!/usr/bin/env python3
"""Frames for the ipfix capture (tests/golden/ipfix/capture.sh): one per
OVS template kind, as hex, one per line: "NAME HEX". Documentation
addresses only."""
import struct

SRC, DST = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(proto, payload, tos=0x28):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(nh, payload):
    s = bytes.fromhex("20010db8000000000000000000000001")
    d = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 0x6a012345, len(payload), nh, 64) + s + d + payload


def eth(et, payload, vlan=None):
    if vlan is not None:
        return DST + SRC + struct.pack("!HHH", 0x8100, vlan, et) + payload
    return DST + SRC + struct.pack("!H", et) + payload


tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x12, 1000, 0, 0)
udp = struct.pack("!HHHH", 40001, 53, 12, 0) + b"abcd"
icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
icmp6 = struct.pack("!BBHHH", 128, 0, 0, 1, 1)
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + SRC + bytes([198, 51, 100, 1]) + bytes(6) + bytes([198, 51, 100, 2])
sctp = struct.pack("!HHII", 40002, 9, 0, 0)

frames = [
    ("ipv4-tcp", eth(0x0800, ip4(6, tcp))),
    ("ipv4-udp", eth(0x0800, ip4(17, udp))),
    ("ipv4-icmp", eth(0x0800, ip4(1, icmp))),
    ("ipv4-sctp", eth(0x0800, ip4(132, sctp))),
    ("ipv4-other", eth(0x0800, ip4(47, b"\0\0\0\0"))),
    ("arp", eth(0x0806, arp)),
    ("vlan-ipv4-udp", eth(0x0800, ip4(17, udp), vlan=(5 << 13) | 10)),
    ("ipv6-udp", eth(0x86dd, ip6(17, udp))),
    ("ipv6-icmp", eth(0x86dd, ip6(58, icmp6))),
    ("ipv6-tcp", eth(0x86dd, ip6(6, tcp))),
]
for name, f in frames:
    print(name, f.hex())
