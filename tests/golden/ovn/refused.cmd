# setup: gswitch (bin/gswitch) replaying the OVN capture of this directory, one message per line (tests/ovn_test.go, TestPrivilegedOVNReplay)
# normalize: plain
# exit status: 0
GSWITCH_OVN_UPDATE_REFUSED=1 GSWITCH_PRIV=1 GSWITCH_BIN=$PWD/bin/gswitch go test -count=1 -run TestPrivilegedOVNReplay ./tests/
