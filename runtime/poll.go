package runtime

import (
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The hand-offs between a model's workers (SetWorkers) poll before they
// block. A goroutine that blocks puts its thread to sleep, and waking it
// costs the waker a system call and the sleeper the time its core takes to
// wake: tens of microseconds, and more on a virtual machine, whose idle
// virtual core the host has to wake. A training step hands work over twice
// (the shares of the batch, then the ranges of the parameters to sum), so
// blocking cost the 0.4 ms step of a 784→128→10 network at batch 128 more
// than its second worker saved. Polling keeps each hand-off to the time the
// other side needs.

// pollFor is how long a hand-off polls before it blocks: long enough to
// span a caller's work between two steps, short enough that workers left
// idle soon stop using their cores.
const pollFor = time.Millisecond

// poll calls done until it returns true, yielding the processor now and
// then (so that on one processor the goroutine it waits for runs), for at
// most pollFor. It reports whether done returned true.
func poll(done func() bool) bool {
	start := time.Now()
	for i := 1; ; i++ {
		if done() {
			return true
		}
		if i%64 == 0 {
			if time.Since(start) > pollFor {
				return false
			}
			goruntime.Gosched()
		}
	}
}

// Receive receives a value from ch, as v, ok := <-ch does, after polling
// ch for up to a millisecond: a worker waiting for its next share.
func Receive[T any](ch <-chan T) (v T, ok bool) {
	received := false
	poll(func() bool {
		select {
		case v, ok = <-ch:
			received = true
		default:
		}
		return received
	})
	if !received {
		v, ok = <-ch
	}
	return v, ok
}

// WaitGroup is a sync.WaitGroup whose Wait polls the count for up to a
// millisecond before it blocks: a training step waiting for its workers'
// shares.
type WaitGroup struct {
	left atomic.Int64
	wg   sync.WaitGroup
}

// Add adds n to the count of goroutines to wait for.
func (g *WaitGroup) Add(n int) {
	g.wg.Add(n)
	g.left.Add(int64(n))
}

// Done counts one goroutine as finished.
func (g *WaitGroup) Done() {
	g.wg.Done()
	g.left.Add(-1) // after wg.Done, so that Wait finds wg at 0 once left is
}

// Wait returns when the count is 0.
func (g *WaitGroup) Wait() {
	poll(func() bool { return g.left.Load() == 0 })
	g.wg.Wait()
}
