# setup: private OVS 3.1, ports ggo-p1=1 ggo-p2=2 (veth peers idle), flows tests/golden/flows/ctflush.flows; the steps of tests/golden/flows/ctflush.steps in order (capture.sh section_ctflush); after each ofctl/appctl step its output, exit status and dpctl/dump-conntrack (normalized as conntrack)
# normalize: plain (each dump: conntrack)
# exit status: 0
tests/ovsref/capture.sh ctflush
