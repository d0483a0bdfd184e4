module gswitch

go 1.26.0

require (
	github.com/contiv/libOpenflow v0.0.0-20210609050114-d967b14cc688 // indirect
	github.com/google/gopacket v1.1.19 // indirect
	github.com/songgao/water v0.0.0-20200317203138-2b4b6d7c09d8 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
