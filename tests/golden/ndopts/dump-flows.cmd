# setup: private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1 2001:db8::1) ggo-p2=2 (ggo-right 198.51.100.2 2001:db8::2); 2 s later flows tests/golden/flows/nd-options.flows; from ggo-left: traffic.py send ggo-l1 nd-ns-sll nd-ns-dad nd-ns-tll nd-ns-tll-sll nd-ns-sll-sll nd-na-tll nd-na nd-na-sll-tll nd-na-tll-tll nd-na-sll (0.05 s apart); ip neigh del 2001:db8::2 dev ggo-l1; ping -6 -c 1 2001:db8::2; 0.5 s later ovs-appctl revalidator/wait
# normalize: flows
# exit status: 0
ovs-ofctl -O OpenFlow13 --sort dump-flows br0 icmp6
