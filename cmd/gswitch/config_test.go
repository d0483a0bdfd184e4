package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	c, err := ParseArgs([]string{"--port", "veth-a=1", "--port=veth-b", "--tap", "tap0=3", "--port", "eth9", "--of-listen", "ptcp:6653:127.0.0.1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []PortSpec{{"veth-a", 1, false, false}, {"veth-b", 2, false, true}, {"tap0", 3, true, false}, {"eth9", 4, false, true}}
	if len(c.Ports) != len(want) {
		t.Fatalf("ports %+v", c.Ports)
	}
	for i := range want {
		if c.Ports[i] != want[i] {
			t.Errorf("port %d: got %+v want %+v", i, c.Ports[i], want[i])
		}
	}
	if c.Bridge != "br0" || c.BridgeSet || c.FailMode != "standalone" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseArgsErrors(t *testing.T) {
	cases := map[string][]string{
		"port number must be 1":   {"--port", "a=0"},
		"already taken by a":      {"--port", "a=1", "--port", "b=1"},
		"given twice":             {"--port", "a", "--tap", "a"},
		"expected tcp:HOST:PORT":  {"--controller", "127.0.0.1:6653"},
		"expected ptcp:PORT[:IP]": {"--of-listen", "ptcp:x"},
		"expected standalone":     {"--fail-mode", "open"},
		"expected up to 16 hex":   {"--datapath-id", "xyz"},
		"not a valid interface":   {"--port", "a/b"},
		"unexpected argument":     {"stray"},
		"expected debug, info":    {"--log-level", "loud"},
		"expected ADDR:PORT":      {"--metrics-listen", "9476"},
		"port must be 1 to 65535": {"--metrics-listen", "127.0.0.1:0"},
		"ADDR must be an IP":      {"--metrics-listen", "localhost:9476"},
		"expected bridge or port": {"--rx-threads", "core"},
	}
	for want, args := range cases {
		t.Run(want, func(t *testing.T) {
			_, err := ParseArgs(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v: got %v, want error containing %q", args, err, want)
			}
		})
	}
}

func TestParseProtocols(t *testing.T) {
	c, err := ParseArgs([]string{"--port", "veth-a=1", "--protocols", "OpenFlow10,OpenFlow15"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Protocols != 1<<1|1<<6 {
		t.Fatalf("protocols %#x", c.Protocols)
	}
	if _, err := ParseArgs([]string{"--port", "veth-a=1", "--protocols", "OpenFlow14"}, io.Discard); err == nil {
		t.Fatal("OpenFlow14 accepted")
	}
}

func TestParseArgsMetrics(t *testing.T) {
	c, err := ParseArgs([]string{"--port", "a", "--metrics-listen", "127.0.0.1:9476"}, io.Discard)
	if err != nil || c.MetricsListen != "127.0.0.1:9476" {
		t.Fatalf("%v %q", err, c.MetricsListen)
	}
	if c, err = ParseArgs([]string{"--port", "a"}, io.Discard); err != nil || c.MetricsListen != "" {
		t.Fatalf("metrics on by default: %v %q", err, c.MetricsListen)
	}
}
