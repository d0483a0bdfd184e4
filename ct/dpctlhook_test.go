package ct

// runDPCtl runs a control command of package ct/dpctl. That package
// imports ct, so only this package's external tests may import it:
// dpctlhook_ext_test.go sets runDPCtl to dpctl.Run, and the tests here,
// which build connections from their own frames, check the commands'
// replies through Tracker.DPCtl.
var runDPCtl func(t *Tracker, cmd string, args []string) (string, error)

// SetDPCtlForTest sets the function Tracker.DPCtl calls.
func SetDPCtlForTest(f func(t *Tracker, cmd string, args []string) (string, error)) { runDPCtl = f }

// DPCtl runs the control command cmd (dpctl.Run) on t.
func (t *Tracker) DPCtl(cmd string, args []string) (string, error) { return runDPCtl(t, cmd, args) }
