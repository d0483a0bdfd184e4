package tests

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"testing"
)

// TestMain gives the OVS clients (ovs-ofctl monitor makes a unixctl socket
// of its own) a private, writable OVS_RUNDIR unless one is set.
func TestMain(m *testing.M) {
	if addr := os.Getenv(testEchoEnv); addr != "" {
		os.Exit(echoServe(addr))
	}
	if os.Getenv("OVS_RUNDIR") == "" {
		d, err := os.MkdirTemp("", "gswitch-tests-rundir")
		if err == nil {
			os.Setenv("OVS_RUNDIR", d)
			code := m.Run()
			os.RemoveAll(d)
			os.Exit(code)
		}
	}
	os.Exit(m.Run())
}

// testEchoEnv, when set to ADDR:PORT, makes this binary a TCP line echo
// server on it instead of running the tests (TestPrivilegedRestartKeepsState
// puts the outside ends of its many connections in one, so that each
// process stays within its file limit). It serves until it is signalled.
const testEchoEnv = "GSWITCH_TEST_ECHO"

func echoServe(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("listening on", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if _, err := c.Write([]byte(l)); err != nil {
					return
				}
			}
		}()
	}
}
