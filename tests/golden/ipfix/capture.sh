#!/usr/bin/env bash
# capture.sh - what OVS 3.1's per-flow IPFIX sampling sends for the frames
# of frames.py: a private OVS (tests/ovsref/ovs-env.sh) with a
# Flow_Sample_Collector_Set (id 2, IPFIX target 127.0.0.1:19810 in its
# namespace), a flow sampling every packet from port 1 (observation point
# 258, default direction, probability 65535) and one from port 2 (259,
# egress); each frame goes in by packet-out from port 1,
# then from port 2 (actions=table); tshark captures the UDP messages. Writes
# templates.txt: per template id, its elements as "id/length" (enterprise
# elements as "id/length@PEN"; length 65535: variable), in OVS's order, and
# data-records.txt: each data set, "TEMPLATE-ID HEX", in the frames' order
# (frames.txt), from port 1 then port 2. (With two sample actions in one
# flow OVS 3.1 exported only one of the two records per packet, not always
# the same one; hence one sample per flow here.)
# Usage (as root): tests/golden/ipfix/capture.sh [NAMESPACE-PREFIX]
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
P=${1:-s7l}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$HERE/frames.py" >"$tmp/frames"
cp "$tmp/frames" "$HERE/frames.txt"
"$ROOT/tests/ovsref/ovs-env.sh" -n "$P-ipfix" -p "$P-p1=1" -p "$P-p2=2" -- sh -c '
	set -e
	ip link set lo up
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	tshark -q -i lo -f "udp port 19810" -w '"$tmp"'/cap.pcapng 2>/dev/null &
	ts=$!
	sleep 6
	ovs-vsctl -- --id=@br get Bridge br0 -- --id=@i create IPFIX targets=\"127.0.0.1:19810\" \
		-- create Flow_Sample_Collector_Set id=2 bridge=@br ipfix=@i >/dev/null
	ovs-ofctl add-flow br0 "priority=10,in_port=1,actions=sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=258),output:2"
	ovs-ofctl add-flow br0 "priority=10,in_port=2,actions=sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=259,egress),output:1"
	# A first frame (Ethernet type 0x88b5, observation point 999, not
	# recorded) brings OVS'"'"'s burst of template messages; the recorded
	# frames follow.
	ovs-ofctl add-flow br0 "priority=20,dl_type=0x88b5,actions=sample(probability=65535,collector_set_id=2,obs_domain_id=1,obs_point_id=999)"
	sleep 1
	ovs-ofctl packet-out br0 "in_port=1 packet=020000000002020000000001$(printf 88b5)0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 actions=table"
	sleep 2
	while read -r name hex; do
		for p in 1 2; do
			ovs-ofctl packet-out br0 "in_port=$p packet=$hex actions=table"
			sleep 0.2
		done
	done <'"$tmp"'/frames
	sleep 1
	kill -INT $ts
	wait $ts || true
	true
' || true
test -s "$tmp/cap.pcapng"
tshark -r "$tmp/cap.pcapng" -T fields -e udp.payload 2>/dev/null | python3 -c '
import struct, sys
out = {}
for line in sys.stdin:
    b = bytes.fromhex(line.strip())
    if len(b) < 16 or struct.unpack("!H", b[:2])[0] != 10:
        continue
    o = 16
    while o + 4 <= len(b):
        sid, n = struct.unpack("!HH", b[o:o+4])
        body, o = b[o+4:o+n], o + n
        if sid != 2:
            continue
        while len(body) >= 4:
            tid, cnt = struct.unpack("!HH", body[:4])
            body, fs = body[4:], []
            for _ in range(cnt):
                fid, flen = struct.unpack("!HH", body[:4])
                body = body[4:]
                if fid & 0x8000:
                    fs.append("%d/%d@%d" % (fid & 0x7fff, flen, struct.unpack("!I", body[:4])[0]))
                    body = body[4:]
                else:
                    fs.append("%d/%d" % (fid, flen))
            out[tid] = fs
for tid in sorted(out):
    print("%d: %s" % (tid, " ".join(out[tid])))
' >"$HERE/templates.txt"
tshark -r "$tmp/cap.pcapng" -T fields -e udp.payload 2>/dev/null | python3 -c '
import struct, sys
for line in sys.stdin:
    b = bytes.fromhex(line.strip())
    o = 16
    while o + 4 <= len(b):
        sid, n = struct.unpack("!HH", b[o:o+4])
        if sid >= 256:
            if b[o+4:o+8] in (bytes.fromhex("00000102"), bytes.fromhex("00000103")):  # observation points 258, 259
                print(sid, b[o+4:o+n].hex())
        o += n
' >"$HERE/data-records.txt"
