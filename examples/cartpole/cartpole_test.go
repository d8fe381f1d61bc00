package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStepByHand checks one step from rest against the equations worked
// out by hand. With θ = θ̇ = 0 and F = +10 N: temp = F/M = 100/11,
// θ̈ = −temp/(l·(4/3 − m_p/M)) = −(100/11)/(41/66) = −600/41 and
// ẍ = temp − m_p·l·θ̈/M = 100/11 + 300/451 = 400/41; Euler's method leaves
// the positions at 0 (the velocities were 0) and sets ẋ = 0.02·400/41 =
// 8/41 and θ̇ = −12/41. The next step moves the positions with those
// velocities.
func TestStepByHand(t *testing.T) {
	var c CartPole
	reward, terminated, truncated := c.Step(1)
	if reward != 1 || terminated || truncated {
		t.Errorf("Step = %v, %v, %v, want 1, false, false", reward, terminated, truncated)
	}
	want := CartPole{X: 0, XDot: 8.0 / 41, Theta: 0, ThetaDot: -12.0 / 41, Steps: 1}
	if !near(c, want, 1e-12) {
		t.Errorf("after pushing right from rest: %+v, want %+v", c, want)
	}
	c.Step(0)
	if x, theta := 0.02*8.0/41, -0.02*12.0/41; math.Abs(c.X-x) > 1e-12 || math.Abs(c.Theta-theta) > 1e-12 {
		t.Errorf("after the second step x = %v, θ = %v, want %v, %v", c.X, c.Theta, x, theta)
	}
}

// TestMirror: the physics is symmetric, so the mirrored state under the
// mirrored push stays the mirror image, step after step.
func TestMirror(t *testing.T) {
	a := CartPole{X: 0.3, XDot: -0.2, Theta: 0.05, ThetaDot: 0.4}
	b := CartPole{X: -a.X, XDot: -a.XDot, Theta: -a.Theta, ThetaDot: -a.ThetaDot}
	for i := range 8 {
		action := i % 3 % 2
		a.Step(action)
		b.Step(1 - action)
		m := CartPole{X: -b.X, XDot: -b.XDot, Theta: -b.Theta, ThetaDot: -b.ThetaDot, Steps: b.Steps}
		if !near(a, m, 1e-12) {
			t.Fatalf("step %d: %+v is not the mirror of %+v", i+1, a, b)
		}
	}
}

// TestPoleFalls: pushing the same way every step, the cart accelerates and
// the pole falls the other way, past 12° in 8 to 12 steps (CartPole
// episodes of a constant action last about 9 or 10), with the cart still
// on the track; with the pole leaning right at the start, pushing left
// topples it sooner.
func TestPoleFalls(t *testing.T) {
	steps := func(c CartPole, action int) (n int, last CartPole) {
		for {
			n++
			_, terminated, truncated := c.Step(action)
			if truncated {
				t.Fatalf("truncated after %d steps: %+v", n, c)
			}
			if terminated {
				return n, c
			}
		}
	}
	n, c := steps(CartPole{}, 1)
	if n < 8 || n > 12 || c.Theta > -thetaLimit || math.Abs(c.X) > xLimit {
		t.Errorf("pushing right from rest: ended after %d steps at %+v, want 8 to 12 steps, θ < −12°, |x| ≤ 2.4", n, c)
	}
	t.Logf("pushing right from rest: the pole passes 12° after %d steps (x = %.3f m, θ = %.3f rad)", n, c.X, c.Theta)
	m, c := steps(CartPole{}, 0)
	if m != n || c.Theta < thetaLimit {
		t.Errorf("pushing left from rest: ended after %d steps at %+v, want %d steps, θ > 12°", m, c, n)
	}
	if k, _ := steps(CartPole{Theta: 0.1}, 0); k >= n {
		t.Errorf("pushing left with the pole leaning right: %d steps, want fewer than %d", k, n)
	}
}

// TestLimits: the episode terminates when the cart leaves the track or the
// pole passes 12°, and is truncated, not terminated, after 500 steps.
func TestLimits(t *testing.T) {
	for _, c := range []CartPole{
		{X: 2.39, XDot: 1},
		{X: -2.39, XDot: -1},
		{Theta: 0.209, ThetaDot: 1},
		{Theta: -0.209, ThetaDot: -1},
	} {
		start := c
		if _, terminated, truncated := c.Step(0); !terminated || truncated {
			t.Errorf("from %+v: terminated %v, truncated %v, want true, false", start, terminated, truncated)
		}
	}
	c := CartPole{Steps: maxSteps - 2}
	if _, terminated, truncated := c.Step(1); terminated || truncated {
		t.Errorf("step %d: terminated %v, truncated %v, want false, false", c.Steps, terminated, truncated)
	}
	if _, terminated, truncated := c.Step(0); terminated || !truncated {
		t.Errorf("step %d: terminated %v, truncated %v, want false, true", c.Steps, terminated, truncated)
	}
}

// TestReset: each state variable starts within ±0.05, drawn from the
// generator, and the step count at 0.
func TestReset(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var lo, hi float64
	for range 1000 {
		c := CartPole{Steps: 7}
		c.Reset(r)
		for _, v := range []float64{c.X, c.XDot, c.Theta, c.ThetaDot} {
			if math.Abs(v) > initSpread {
				t.Fatalf("Reset gave %+v, want every variable within ±%g", c, initSpread)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		if c.Steps != 0 {
			t.Fatalf("Reset left Steps %d", c.Steps)
		}
	}
	if lo > -0.049 || hi < 0.049 {
		t.Errorf("1000 resets spanned [%g, %g], want about ±0.05", lo, hi)
	}
}

// near reports whether a and b have the same step count and state
// variables within tol.
func near(a, b CartPole, tol float64) bool {
	return a.Steps == b.Steps && math.Abs(a.X-b.X) <= tol && math.Abs(a.XDot-b.XDot) <= tol &&
		math.Abs(a.Theta-b.Theta) <= tol && math.Abs(a.ThetaDot-b.ThetaDot) <= tol
}
