package main

import (
	"io"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestMissingInterface(t *testing.T) {
	c, err := ParseArgs([]string{"--port", "gswnoexist0=1", "--ctl", t.TempDir() + "/c"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewSwitch(c, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "--port gswnoexist0: no such network interface") {
		t.Fatalf("got %v", err)
	}
}
