module gswitch

go 1.26.0

require (
	github.com/contiv/libOpenflow v0.0.0-20210609050114-d967b14cc688
	github.com/google/gopacket v1.1.19
	github.com/vishvananda/netlink v1.3.1
	go.uber.org/zap v1.28.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/sirupsen/logrus v1.10.2 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	go.uber.org/multierr v1.10.0 // indirect
)
