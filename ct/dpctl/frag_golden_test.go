package dpctl

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gswitch/ct/frag"
	"gswitch/packet"
)

// The fragment commands' golden files live with the reassembler, in
// ct/frag/testdata. They come from real OVS 3.1 (capture.sh there, see
// README.md there): the same frames, sent through ct(commit,zone=9) by
// packet-out, then `ovs-appctl dpctl/ipf-get-status [-m]`.

func fragGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "frag", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fragGoldenFrames(t *testing.T) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	sc := bufio.NewScanner(strings.NewReader(fragGolden(t, "frames.txt")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, hx, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		b, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = b
	}
	return m
}

// sameStatus compares a -m status: everything before the fragment lists
// exactly, the list lines as a set (OVS prints them in hash order).
func sameStatus(t *testing.T, step, got, want string) {
	t.Helper()
	const sep = "        Fragment Lists:\n\n"
	gh, gl, _ := strings.Cut(got, sep)
	wh, wl, _ := strings.Cut(want, sep)
	if gh != wh {
		t.Fatalf("%s: status differs from OVS's\n--- got\n%s--- want\n%s", step, got, want)
	}
	gs, ws := strings.Split(gl, "\n"), strings.Split(wl, "\n")
	slices.Sort(gs)
	slices.Sort(ws)
	if !slices.Equal(gs, ws) {
		t.Fatalf("%s: fragment lists differ from OVS's\n--- got\n%s--- want\n%s", step, gl, wl)
	}
}

func TestFragGoldenStatusDefault(t *testing.T) {
	r := frag.New()
	if got, want := fragStatus(r, false), fragGolden(t, "status_default.txt"); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if got, want := fragStatus(r, true), fragGolden(t, "status_default_m.txt"); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	for _, args := range [][]string{nil, {"netdev@ovs-netdev"}} {
		if got, _ := fragCommand(r, "dpctl/ipf-get-status", args, false); got != fragGolden(t, "status_default.txt") {
			t.Fatalf("Command: %q", got)
		}
	}
}

// TestFragGoldenCommands runs the commands of commands.txt and
// compares each reply with OVS's unixctl reply.
func TestFragGoldenCommands(t *testing.T) {
	r := frag.New()
	lines := strings.Split(strings.TrimSuffix(fragGolden(t, "commands.txt"), "\n"), "\n")
	if len(lines) < 2 || len(lines)%2 != 0 {
		t.Fatalf("commands.txt has %d lines", len(lines))
	}
	for i := 0; i < len(lines); i += 2 {
		cmd, ok := strings.CutPrefix(lines[i], "> ")
		if !ok {
			t.Fatalf("line %d: %q", i+1, lines[i])
		}
		f := strings.Fields(cmd)
		var got string
		out, err := fragCommand(r, f[0], f[1:], false)
		if err != nil {
			got = "error:ovs-vswitchd: " + err.Error() + "\n"
		} else {
			got = "result:" + out
		}
		if want := lines[i+1] + "\n"; got != want {
			t.Errorf("%s:\n got %q\nwant %q", cmd, got, want)
		}
	}
	if got, want := fragStatus(r, false), fragGolden(t, "status_after_commands.txt"); got != want {
		t.Fatalf("status after the commands:\n%s\nwant\n%s", got, want)
	}
}

// TestFragGoldenScenario replays capture.sh's fragment scenario.
func TestFragGoldenScenario(t *testing.T) {
	frames := fragGoldenFrames(t)
	r := frag.New()
	const zone = 9
	send := func(name string, now int64) frag.Verdict {
		t.Helper()
		f, ok := frames[name]
		if !ok {
			t.Fatalf("no frame %s", name)
		}
		pk := packet.New(f)
		packet.Parse(pk)
		_, v := r.Handle(pk, zone, now)
		return v
	}
	if v := send("v4_first", 1e6); v != frag.Held {
		t.Fatal(v)
	}
	sameStatus(t, "one first fragment", fragStatus(r, true), fragGolden(t, "status_one_first.txt"))
	if v := send("v4_last", 2e6); v != frag.Complete {
		t.Fatal(v)
	}
	sameStatus(t, "v4 complete", fragStatus(r, true), fragGolden(t, "status_v4_complete.txt"))
	for i, name := range []string{"v4_other", "v4_lastonly", "v4_small", "v4_ov_first", "v4_ov_over",
		"v6_firstonly", "v6_dup", "v6_small", "v6_first", "v6_last"} {
		send(name, 3e6+int64(i)*1e6)
	}
	sameStatus(t, "mixed", fragStatus(r, true), fragGolden(t, "status_mixed.txt"))
	// capture.sh sleeps 26 s, then pushes batches through ct.
	now := int64(26.5e9)
	for _, name := range []string{"v4_plain", "v6_plain"} {
		if v := send(name, now); v != frag.NotFragment {
			t.Fatalf("%s: %v", name, v)
		}
	}
	r.Expire(now)
	sameStatus(t, "purged", fragStatus(r, true), fragGolden(t, "status_purged.txt"))
	if v := send("v4_first6", 27e9); v != frag.Held {
		t.Fatal(v)
	}
	r.Expire(27e9 + 16e9)
	sameStatus(t, "expired", fragStatus(r, true), fragGolden(t, "status_expired.txt"))
}
