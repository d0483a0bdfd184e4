#!/usr/bin/env python3
"""frames.py [-noarp] PCAP: the distinct frames of a capture, one normalized line each,
sorted (their order follows timing). Tunnel frames (UDP to 6081, 6082 or 4789)
show the outer headers (IPv4: TOS, DF, TTL, addresses; IPv6: traffic class,
hop limit, addresses), the UDP ports, length and checksum state (zero, ok or
bad), the Geneve or VXLAN header and the inner frame as other frames are
shown. Other frames: ARP, ICMP and ICMPv6 (echo: type and length; errors:
type, code, MTU and the quoted header's addresses), neighbour discovery.
IP ids, checksums, echo ids and sequence numbers are left out (they vary).
With -noarp, tunnel frames carrying ARP are left out (when the VM and the
peer refresh their ARP entries follows timing)."""
import socket, struct, sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def a4(b):
    return socket.inet_ntop(socket.AF_INET, b)


def a6(b):
    return socket.inet_ntop(socket.AF_INET6, b)


def l4(proto, b, src, dst, pseudo):
    if proto == 1 and len(b) >= 8:
        t, c = b[0], b[1]
        if t in (0, 8):
            return "icmp type=%d len=%d" % (t, len(b))
        s = "icmp type=%d code=%d" % (t, c)
        if t == 3 and c == 4:
            s += " mtu=%d" % struct.unpack("!H", b[6:8])[0]
        if len(b) >= 28:
            s += " quoting " + ip(b[8:], quoted=True)
        return s
    if proto == 58 and len(b) >= 8:
        t, c = b[0], b[1]
        if t in (128, 129):
            return "icmp6 type=%d len=%d" % (t, len(b))
        if t in (135, 136) and len(b) >= 24:
            return "icmp6 type=%d target=%s opts=%s" % (t, a6(b[8:24]), b[24:].hex())
        s = "icmp6 type=%d code=%d" % (t, c)
        if t == 2:
            s += " mtu=%d" % struct.unpack("!I", b[4:8])[0]
        if len(b) >= 48:
            s += " quoting " + ip(b[8:], quoted=True)
        return s
    if proto == 17 and len(b) >= 8:
        sp, dp, ln, ck = struct.unpack("!HHHH", b[:8])
        if ck == 0:
            cs = "zero"
        elif pseudo is not None and csum(pseudo + b) == 0xffff:
            cs = "ok"
        else:
            cs = "bad"
        s = "udp %d>%d len=%d csum=%s" % (sp, dp, ln, cs)
        p = b[8:]
        if dp in (6081, 6082) and len(p) >= 8:
            ol = (p[0] & 0x3f) * 4
            s += " geneve %s opts=%s | %s" % (p[:8].hex(), p[8:8 + ol].hex(), eth(p[8 + ol:]))
        elif dp == 4789 and len(p) >= 8:
            s += " vxlan %s | %s" % (p[:8].hex(), eth(p[8:]))
        return s
    return "proto=%d len=%d" % (proto, len(b))


def ip(b, quoted=False):
    if len(b) >= 20 and b[0] >> 4 == 4:
        ihl = (b[0] & 15) * 4
        tot, frag = struct.unpack("!H", b[2:4])[0], struct.unpack("!H", b[6:8])[0]
        s = "ip4 tos=%#x len=%d df=%d mf=%d off=%d ttl=%d %s>%s" % (
            b[1], tot, frag >> 14 & 1, frag >> 13 & 1, frag & 0x1fff, b[8], a4(b[12:16]), a4(b[16:20]))
        if quoted:
            return s + " proto=%d" % b[9]
        pseudo = b[12:20] + struct.pack("!BBH", 0, b[9], tot - ihl)
        return s + " " + l4(b[9], b[ihl:tot], b[12:16], b[16:20], pseudo)
    if len(b) >= 40 and b[0] >> 4 == 6:
        tc = (struct.unpack("!I", b[:4])[0] >> 20) & 0xff
        pl, nh, hl = struct.unpack("!HBB", b[4:8])
        s = "ip6 tc=%#x plen=%d hlim=%d %s>%s" % (tc, pl, hl, a6(b[8:24]), a6(b[24:40]))
        if quoted:
            return s + " nh=%d" % nh
        pseudo = b[8:40] + struct.pack("!IxxxB", pl, nh)
        return s + " " + l4(nh, b[40:40 + pl], b[8:24], b[24:40], pseudo)
    return "ip? " + b[:20].hex()


def eth(f):
    if len(f) < 14:
        return "short " + f.hex()
    s = "%s>%s " % (f[6:12].hex(), f[0:6].hex())
    et = struct.unpack("!H", f[12:14])[0]
    if et == 0x0806 and len(f) >= 42:
        op = struct.unpack("!H", f[20:22])[0]
        return s + "arp op=%d %s %s > %s %s" % (op, f[22:28].hex(), a4(f[28:32]), f[32:38].hex(), a4(f[38:42]))
    if et in (0x0800, 0x86dd):
        return s + ip(f[14:])
    return s + "type=%#x" % et


def main():
    args = sys.argv[1:]
    noarp = args[0] == "-noarp"
    if noarp:
        args = args[1:]
    b = open(args[0], "rb").read()
    seen = set()
    off = 24
    while off + 16 <= len(b):
        n = struct.unpack("<I", b[off + 8:off + 12])[0]
        f = b[off + 16:off + 16 + n]
        off += 16 + n
        line = eth(f)
        if " icmp6 type=143 " in line + " " or " icmp6 type=133 " in line + " ":
            continue  # MLD reports and router solicitations come as timing has it
        if noarp and " | " in line and " arp op=" in line:
            continue
        seen.add(line)
    for line in sorted(seen):
        print(line)


main()
