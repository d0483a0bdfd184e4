#!/usr/bin/env bash
# capture.sh OUT.pcap - record real FTP sessions (pyftpdlib server, curl
# client) between two network namespaces joined by a veth pair, for
# TestRealFTPCapture: passive (PASV, EPSV) and active (PORT, EPRT) transfers
# over IPv4, and EPSV/EPRT over IPv6. Control packets are kept whole, data
# packets cut at 256 bytes. As root. Packages: iproute2 tcpdump curl
# python3-pyftpdlib.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: capture.sh OUT.pcap}")
NC=gal-capc NS=gal-caps
TMP=$(mktemp -d /tmp/galcap.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del $NC 2>/dev/null || true; ip netns del $NS 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
for n in $NC $NS; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
ip -n $NC link add gal-c type veth peer name gal-s netns $NS
ip -n $NC link set gal-c up; ip -n $NS link set gal-s up
ip -n $NC addr add 198.51.100.1/24 dev gal-c; ip -n $NC addr add 2001:db8::1/64 dev gal-c nodad
ip -n $NS addr add 198.51.100.2/24 dev gal-s; ip -n $NS addr add 2001:db8::2/64 dev gal-s nodad
mkdir "$TMP/srv"; head -c 3000 /dev/zero | tr '\0' x >"$TMP/srv/f.txt"
ip netns exec $NS timeout 60 /usr/bin/python3 -m pyftpdlib -i 198.51.100.2 -p 21 -d "$TMP/srv" -r 20100-20199 >"$TMP/ftpd.log" 2>&1 &
PIDS+=($!)
ip netns exec $NS timeout 60 /usr/bin/python3 -m pyftpdlib -i 2001:db8::2 -p 21 -d "$TMP/srv" -r 20100-20199 >"$TMP/ftpd6.log" 2>&1 &
PIDS+=($!)
ip netns exec $NC tcpdump -U -s 256 -i gal-c -w "$TMP/cap.pcap" 'tcp' >/dev/null 2>&1 &
PIDS+=($!)
sleep 1.5
c() { ip netns exec $NC timeout 15 curl -sS --max-time 10 -o /dev/null "$@"; }
c --disable-epsv ftp://198.51.100.2/f.txt                                  # PASV / 227
c ftp://198.51.100.2/f.txt                                                 # EPSV / 229
c --disable-eprt --ftp-port 198.51.100.1:20040-20049 ftp://198.51.100.2/f.txt # PORT
c --ftp-port 198.51.100.1:20050-20059 ftp://198.51.100.2/f.txt             # EPRT |1|
c 'ftp://[2001:db8::2]/f.txt'                                              # EPSV over IPv6
c --ftp-port '2001:db8::1' 'ftp://[2001:db8::2]/f.txt'                     # EPRT |2|
sleep 1
kill "${PIDS[2]}"; wait "${PIDS[2]}" 2>/dev/null || true
cp "$TMP/cap.pcap" "$OUT"
echo "capture.sh: wrote $OUT ($(stat -c %s "$OUT") bytes)"
