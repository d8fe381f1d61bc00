package runtime

import (
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitGroup: Wait returns once every Done has run, whether the others
// finish while it polls or after it has blocked, also on one processor.
func TestWaitGroup(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(1))
	for _, delay := range []time.Duration{0, 100 * time.Microsecond, 5 * pollFor} {
		var g WaitGroup
		var done atomic.Int32
		g.Add(3)
		for range 3 {
			go func() {
				time.Sleep(delay)
				done.Add(1)
				g.Done()
			}()
		}
		g.Wait()
		if n := done.Load(); n != 3 {
			t.Fatalf("delay %v: Wait returned after %d of 3", delay, n)
		}
	}
}

// TestReceive: Receive gets values sent while it polls and after it has
// blocked, in order, and reports a closed channel.
func TestReceive(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(1))
	ch := make(chan int, 1)
	go func() {
		for i, delay := range []time.Duration{0, 100 * time.Microsecond, 5 * pollFor} {
			time.Sleep(delay)
			ch <- i
		}
		close(ch)
	}()
	for want := range 3 {
		if v, ok := Receive(ch); v != want || !ok {
			t.Fatalf("Receive = %d, %v; want %d, true", v, ok, want)
		}
	}
	if _, ok := Receive(ch); ok {
		t.Fatal("Receive on a closed channel reported a value")
	}
}
