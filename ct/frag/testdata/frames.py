#!/usr/bin/env python3
"""Prints test frames as hex for capture.sh: Ethernet + IPv4/IPv6 fragments
carrying UDP, between documentation addresses. Usage: frames.py NAME."""
import struct, sys, ipaddress

ETH_DST = bytes.fromhex("50540000000a")
ETH_SRC = bytes.fromhex("505400000009")

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def v4frag(ident, off8, mf, data, src="198.51.100.1", dst="198.51.100.2", proto=17):
    flags = (0x2000 if mf else 0) | off8
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, proto, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return ETH_DST + ETH_SRC + b"\x08\x00" + hdr + data

def v6frag(ident, off8, mf, data, src="2001:db8::1", dst="2001:db8::2", nxt=17):
    fh = struct.pack("!BBHI", nxt, 0, (off8 << 3) | (1 if mf else 0), ident)
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(data), 44, 64,
                      ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed)
    return ETH_DST + ETH_SRC + b"\x86\xdd" + hdr + fh + data

def payload(n):
    return bytes((i * 7) & 0xff for i in range(n))

# A UDP datagram of 1480+200 bytes of IP payload, split at 1480.
udp = struct.pack("!HHHH", 1000, 2000, 1680, 0) + payload(1672)

frames = {
    # v4, id 1: first fragment (1500-byte IP packet) and last fragment.
    "v4_first": v4frag(1, 0, True, udp[:1480]),
    "v4_last": v4frag(1, 185, False, udp[1480:]),
    # v4, id 2: a middle fragment alone ("other frag").
    "v4_other": v4frag(2, 185, True, udp[:1480]),
    # v4, id 3: a last fragment alone ("last frag").
    "v4_lastonly": v4frag(3, 185, False, udp[1480:]),
    # v4, id 4: a non-last fragment below the 1200-byte minimum.
    "v4_small": v4frag(4, 0, True, udp[:800]),
    # v4, id 5: first fragment, then one overlapping it by 8 bytes.
    "v4_ov_first": v4frag(5, 0, True, udp[:1480]),
    "v4_ov_over": v4frag(5, 184, False, udp[1472:]),
    # v6, id 0x10001: first and last fragment (1232 + 456 bytes).
    "v6_first": v6frag(0x10001, 0, True, udp[:1232]),
    "v6_last": v6frag(0x10001, 154, False, udp[1232:]),
    # v6, id 0x10002: first fragment alone.
    "v6_firstonly": v6frag(0x10002, 0, True, udp[:1232]),
    # v6, id 0x10003: non-last fragment below the 1280-byte minimum.
    "v6_small": v6frag(0x10003, 0, True, udp[:800]),
    # v6 duplicate of v6_firstonly.
    "v6_dup": v6frag(0x10002, 0, True, udp[:1232]),
    # v4, id 6: a first fragment (for the expiry step).
    "v4_first6": v4frag(6, 0, True, udp[:1480]),
    # unfragmented v4 and v6 UDP packets, to push batches through ct.
    "v4_plain": v4frag(9, 0, False, struct.pack("!HHHH", 1000, 2000, 16, 0) + payload(8)),
    "v6_plain": v6frag(0, 0, False, b"")[:14] + struct.pack("!IHBB16s16s", 0x60000000, 16, 17, 64,
        ipaddress.IPv6Address("2001:db8::1").packed, ipaddress.IPv6Address("2001:db8::2").packed)
        + struct.pack("!HHHH", 1000, 2000, 16, 0) + payload(8),
}

if __name__ == "__main__":
    sys.stdout.write(frames[sys.argv[1]].hex() + "\n")
