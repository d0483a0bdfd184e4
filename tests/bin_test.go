package tests

import (
	"testing"

	"gswitch/tests/netns"
)

func netnsBin(t *testing.T) string { return netns.Bin(t) }
