#!/usr/bin/env python3
"""Send each frame of in.txt into the private OVS with ovs-ofctl packet-out
(in_port=N actions=table) and record what comes out of the two ports.

  capture.py IN OUT BRIDGE IF1 IF2   (IF1/IF2: the idle peers of ofports 1/2)
"""
import binascii
import select
import socket
import subprocess
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def main(inp, outp, br, if1, if2):
    socks = {}
    for port, ifn in ((1, if1), (2, if2)):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((ifn, 0))
        s.setblocking(False)
        socks[s] = port
    lines = ["# name port frame, as Open vSwitch sent them (capture.py); 'name none' if nothing came out\n"]
    for l in open(inp):
        if not l.strip() or l.startswith("#"):
            continue
        name, inport, frame = l.split()
        for s in socks:  # drain
            try:
                while True:
                    s.recv(65536)
            except BlockingIOError:
                pass
        cmd = ["ovs-ofctl", "packet-out", br, f"in_port={inport} packet={frame} actions=table"]
        for attempt in range(10):  # the management socket refuses now and then
            if subprocess.run(cmd).returncode == 0:
                break
            time.sleep(0.3)
        else:
            sys.exit(f"capture: packet-out of {name} failed")
        got = []
        deadline = time.time() + 0.5
        while time.time() < deadline:
            r, _, _ = select.select(list(socks), [], [], 0.05)
            for s in r:
                data, addr = s.recvfrom(65536)
                if addr[2] == PACKET_OUTGOING:
                    continue
                got.append(f"{name} {socks[s]} {binascii.hexlify(data).decode()}\n")
        lines += got or [f"{name} none\n"]
    open(outp, "w").writelines(lines)


if __name__ == "__main__":
    main(*sys.argv[1:6])
