#!/usr/bin/env bash
# (Bucket and datapath-name variant of capture-ovs31.sh.) Captures OVS 3.1's
# dpctl/ct-bkts (empty, with connections, gt=N) and its answers to datapath
# names that exist or not, as golden files ct/testdata/ovs31/bkts-*.txt
# (output, then "exit=STATUS"), for TestDPCtlBuckets. A private OVS
# (tests/ovsref/ovs-env.sh, namespace s6d-bk, netdev bridge br0, one port)
# commits three UDP connections sent with ovs-ofctl packet-out
# (actions=ct(commit)); no host traffic. Run as root:
#   ct/testdata/capture-ovs31-bkts.sh
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/ovs31
# shellcheck source=../../tests/ovsref/ovs-env.sh
source "$HERE/../../tests/ovsref/ovs-env.sh"
trap ovsenv_stop EXIT
ovsenv_start -n s6d-bk -p s6d-bk1=1 -s || exit 1
cap() { local name=$1; shift; ovsenv_nsx timeout 20 ovs-appctl "$@" >"$OUT/$name.txt" 2>&1; echo "exit=$?" >>"$OUT/$name.txt"; }
cap bkts-empty dpctl/ct-bkts
# An Ethernet/IPv4/UDP frame 198.51.100.1:SPORT -> 198.51.100.2:5353 (IP
# and UDP checksums left 0: OVS's conntrack checks neither on packet-out).
udp() {
	python3 -c '
import struct,sys
sp=int(sys.argv[1])
udp=struct.pack("!HHHH",sp,5353,9,0)+b"x"
ip=struct.pack("!BBHHHBBH4s4s",0x45,0,20+len(udp),1,0,64,17,0,bytes([198,51,100,1]),bytes([198,51,100,2]))
s=sum(struct.unpack("!10H",ip)); s=(s>>16)+(s&0xffff); s+=s>>16
ip=ip[:10]+struct.pack("!H",~s&0xffff)+ip[12:]
print((bytes.fromhex("020000000002020000000001")+b"\x08\x00"+ip+udp).hex())' "$1"
}
for sp in 40000 40001 40002; do
	ovsenv_nsx ovs-ofctl packet-out br0 "in_port=1 packet=$(udp $sp) actions=ct(commit)" || exit 1
done
cap bkts-nconns dpctl/ct-get-nconns
cap bkts dpctl/ct-bkts
cap bkts-gt2 dpctl/ct-bkts gt=2
cap bkts-gt3 dpctl/ct-bkts gt=3
cap bkts-gtbad dpctl/ct-bkts gt=abc
cap bkts-dp dpctl/ct-bkts netdev@ovs-netdev gt=1
cap bkts-dp-only dpctl/ct-bkts netdev@ovs-netdev
cap bkts-nosuch dpctl/ct-bkts nosuch@dp
cap bkts-extra dpctl/ct-bkts a b
cap nconns-nosuch dpctl/ct-get-nconns netdev@nosuch
cap nconns-plain-name dpctl/ct-get-nconns ovs-netdev
cap nconns-system dpctl/ct-get-nconns system@ovs-system
cap maxconns-nosuch dpctl/ct-set-maxconns nosuch@dp 10
cap dump-nosuch-zone dpctl/dump-conntrack nosuch@dp zone=0
cap stats-nosuch dpctl/ct-stats-show nosuch@dp
cap limits-nosuch dpctl/ct-get-limits nosuch@dp zone=0
cap ipf-nosuch dpctl/ipf-get-status nosuch@dp
echo done
