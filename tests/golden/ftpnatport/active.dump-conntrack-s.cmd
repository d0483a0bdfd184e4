# setup: private OVS 3.1 in ggo-sw, ports eth0=1 (to ggo-left 198.51.100.1, FTP client) veth1=2 (to ggo-right 198.51.100.2, FTP server); flows tests/golden/flows/ftp-nat-port.flows; in ggo-right: python3 -m pyftpdlib -i 198.51.100.2 -p 2121 -r 20100-20100 (anonymous, 100000-byte file.txt); in ggo-left: curl --disable-eprt --ftp-port 198.51.100.1:20040-20040 --local-port 20021-20022 ftp://198.51.100.2:2121/file.txt (PORT; server connects to 198.51.100.1:20040); 0.7 s later
# normalize: conntrack
# exit status: 0
ovs-appctl dpctl/dump-conntrack -s
