package ct

import (
	"runtime"
	"time"
)

// Sweep removes the expired connections of every shard, one shard at a
// time (each shard's lock is held only while that shard is swept), and
// the expired ALG expectations, and returns how many connections it
// removed. Start runs it in the background.
func (t *Tracker) Sweep(now int64) int {
	n := 0
	for i := range t.shards {
		n += t.sweepShard(&t.shards[i], now)
	}
	t.exps.Sweep(now)
	return n
}

func (t *Tracker) sweepShard(s *shard, now int64) int {
	return t.removeWhere(s, -1, func(c *conn) bool { return c.expired(now) }, &t.cnt.expired, now)
}

// SetSweepInterval sets the base period of the background sweep.
func (t *Tracker) SetSweepInterval(d time.Duration) {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	t.sweepMS.Store(d.Milliseconds())
	// A running sweeper waits the new period from now, not the rest of
	// the old one (up to the 20 s default).
	select {
	case t.sweepWake <- struct{}{}:
	default:
	}
}

// SweepInterval returns the base period of the background sweep.
func (t *Tracker) SweepInterval() time.Duration {
	return time.Duration(t.sweepMS.Load()) * time.Millisecond
}

// Start runs the expiry sweep in a background goroutine until Stop. The
// sweep is incremental and adaptive: each period it walks all shards one at
// a time, yielding between shards; when a pass finds more than a quarter
// of the table expired, the next pass comes after a quarter period (not
// less than 100 ms), as OVS's sweeper hurries when it has work.
func (t *Tracker) Start() {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.stop != nil {
		return
	}
	t.stop = make(chan struct{})
	t.done = make(chan struct{})
	go t.sweepLoop(t.stop, t.done)
}

// Stop ends the background sweep started by Start and waits for it.
func (t *Tracker) Stop() {
	t.stopMu.Lock()
	stop, done := t.stop, t.done
	t.stop, t.done = nil, nil
	t.stopMu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (t *Tracker) sweepLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	wait := t.SweepInterval()
	for {
		timer := time.NewTimer(wait)
		select {
		case <-stop:
			timer.Stop()
			return
		case <-t.sweepWake:
			timer.Stop()
			wait = t.SweepInterval()
			continue
		case <-timer.C:
		}
		before := t.n.Load()
		removed := 0
		for i := range t.shards {
			select {
			case <-stop:
				return
			default:
			}
			removed += t.sweepShard(&t.shards[i], t.Now())
			if i%16 == 15 {
				runtime.Gosched()
			}
		}
		t.exps.Sweep(t.Now())
		wait = t.SweepInterval()
		if before > 0 && int64(removed)*4 > before {
			wait /= 4
			if wait < 100*time.Millisecond {
				wait = 100 * time.Millisecond
			}
		}
	}
}
