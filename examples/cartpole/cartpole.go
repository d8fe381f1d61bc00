package main

import (
	"math"
	"math/rand/v2"
)

// The constants of the cart-pole, as in Gym's CartPole-v1 (SI units).
const (
	gravity    = 9.8                    // m/s²
	cartMass   = 1.0                    // kg
	poleMass   = 0.1                    // kg
	totalMass  = cartMass + poleMass    // kg
	halfLength = 0.5                    // m: half the pole's length, l in the equations
	poleMoment = poleMass * halfLength  // kg·m: m·l
	forceMag   = 10.0                   // N: the push, to the left or to the right
	tau        = 0.02                   // s between two decisions (one Euler step)
	xLimit     = 2.4                    // m: the episode ends when |x| exceeds it
	thetaLimit = 12 * 2 * math.Pi / 360 // rad (12°, 0.2094): the episode ends when |θ| exceeds it
	maxSteps   = 500                    // CartPole-v1's time limit: the episode is truncated after it
	initSpread = 0.05                   // each state variable starts uniform in ±initSpread
)

// CartPole is the cart-pole balancing task of Barto, Sutton and Anderson,
// "Neuronlike adaptive elements that can solve difficult learning control
// problems", IEEE Transactions on Systems, Man, and Cybernetics SMC-13(5),
// 834–846 (1983), without friction, as Gym's CartPole-v1 simulates it
// (gym/envs/classic_control/cartpole.py): a pole hinged on a cart that moves
// without friction along a track; each step pushes the cart with ±10 N for
// 0.02 s. With F the push, θ the pole's angle from upright (positive
// clockwise, toward +x), and M = m_c + m_p:
//
//	θ̈ = (g sin θ − cos θ (F + m_p l θ̇² sin θ)/M) / (l (4/3 − m_p cos² θ / M))
//	ẍ = (F + m_p l θ̇² sin θ)/M − m_p l θ̈ cos θ / M
//
// integrated with Euler's method as Gym does: the positions advance with the
// old velocities, then the velocities with the accelerations. Every step,
// the last one included, earns a reward of 1. The episode terminates when
// |x| > 2.4 m or |θ| > 12°, and is truncated after 500 steps.
type CartPole struct {
	X, XDot, Theta, ThetaDot float64 // m, m/s, rad, rad/s
	Steps                    int     // steps taken in this episode
}

// Reset starts an episode: each state variable uniform in ±0.05, drawn from
// r in the order x, ẋ, θ, θ̇.
func (c *CartPole) Reset(r *rand.Rand) {
	u := func() float64 { return initSpread * (2*r.Float64() - 1) }
	c.X, c.XDot, c.Theta, c.ThetaDot = u(), u(), u(), u()
	c.Steps = 0
}

// Step pushes the cart left (action 0) or right (any other action) for one
// time step and returns the reward, whether the pole fell or the cart left
// the track (terminated), and whether the time limit ended the episode
// instead (truncated).
func (c *CartPole) Step(action int) (reward float64, terminated, truncated bool) {
	force := forceMag
	if action == 0 {
		force = -forceMag
	}
	sin, cos := math.Sincos(c.Theta)
	temp := (force + poleMoment*c.ThetaDot*c.ThetaDot*sin) / totalMass
	thetaAcc := (gravity*sin - cos*temp) / (halfLength * (4.0/3.0 - poleMass*cos*cos/totalMass))
	xAcc := temp - poleMoment*thetaAcc*cos/totalMass
	c.X += tau * c.XDot
	c.XDot += tau * xAcc
	c.Theta += tau * c.ThetaDot
	c.ThetaDot += tau * thetaAcc
	c.Steps++
	terminated = c.X < -xLimit || c.X > xLimit || c.Theta < -thetaLimit || c.Theta > thetaLimit
	return 1, terminated, !terminated && c.Steps >= maxSteps
}

// obsScale divides each state variable into the network's input: about the
// largest magnitude it reaches in an episode, so that the inputs are of
// order 1.
var obsScale = [4]float64{xLimit, 3, thetaLimit, 3}

// Observe writes the state, scaled by obsScale, to obs.
func (c *CartPole) Observe(obs *[4]float32) {
	for i, v := range [4]float64{c.X, c.XDot, c.Theta, c.ThetaDot} {
		obs[i] = float32(v / obsScale[i])
	}
}
