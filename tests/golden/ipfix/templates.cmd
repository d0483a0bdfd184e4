# setup: private OVS 3.1 (tests/ovsref/ovs-env.sh -n PFX-ipfix -p PFX-p1=1 -p PFX-p2=2), Flow_Sample_Collector_Set id=2 with IPFIX targets="127.0.0.1:19810", flows and packet-outs as tests/golden/ipfix/capture.sh says, tshark on lo
# normalize: plain
# exit status: 0
tests/golden/ipfix/capture.sh   # templates.txt: the templates OVS sent (id: elements)
