// Package inktest draws digits as a person would with a mouse, for the
// tests of the browser demo: each is strokes of points a few units apart on
// a surface of Size×Size units, y growing downwards.
package inktest

import (
	"math"

	"github.com/gradgen/gradgen/examples/web/ink"
)

// Size is the side of the drawing surface of the digits, in units.
const Size = 100

// step is the distance between successive points of a stroke, in units, as
// mouse events come a few pixels apart.
const step = 3

// Digits returns drawings of some digits, by digit: a 1 as one vertical
// stroke, a 0 as a closed loop, a 7 as a bar and a slanted stroke, a 4 as
// two strokes.
func Digits() map[int][]ink.Stroke {
	return map[int][]ink.Stroke{
		0: {Loop(ink.Point{X: 50, Y: 50}, 27, 38)},
		1: {Path(ink.Point{X: 52, Y: 12}, ink.Point{X: 48, Y: 88})},
		4: {
			Path(ink.Point{X: 55, Y: 10}, ink.Point{X: 22, Y: 60}, ink.Point{X: 78, Y: 60}),
			Path(ink.Point{X: 62, Y: 35}, ink.Point{X: 62, Y: 90}),
		},
		7: {Path(ink.Point{X: 25, Y: 12}, ink.Point{X: 75, Y: 12}, ink.Point{X: 42, Y: 88})},
	}
}

// Path returns the stroke along the polyline through corners, with a point
// every few units.
func Path(corners ...ink.Point) ink.Stroke {
	s := ink.Stroke{corners[0]}
	for i := 1; i < len(corners); i++ {
		p, q := corners[i-1], corners[i]
		n := max(1, int(math.Ceil(math.Hypot(q.X-p.X, q.Y-p.Y)/step)))
		for k := 1; k <= n; k++ {
			t := float64(k) / float64(n)
			s = append(s, ink.Point{X: p.X + t*(q.X-p.X), Y: p.Y + t*(q.Y-p.Y)})
		}
	}
	return s
}

// Loop returns the closed stroke around the ellipse of centre c and radii
// rx and ry, from its top, anticlockwise on the screen.
func Loop(c ink.Point, rx, ry float64) ink.Stroke {
	n := int(math.Ceil(2 * math.Pi * max(rx, ry) / step))
	s := make(ink.Stroke, 0, n+1)
	for k := 0; k <= n; k++ {
		a := 2 * math.Pi * float64(k) / float64(n)
		s = append(s, ink.Point{X: c.X - rx*math.Sin(a), Y: c.Y - ry*math.Cos(a)})
	}
	return s
}

// Scale returns strokes scaled by f about the origin and then moved by d:
// the same drawing, smaller or larger, elsewhere.
func Scale(strokes []ink.Stroke, f float64, d ink.Point) []ink.Stroke {
	out := make([]ink.Stroke, len(strokes))
	for i, s := range strokes {
		for _, p := range s {
			out[i] = append(out[i], ink.Point{X: p.X*f + d.X, Y: p.Y*f + d.Y})
		}
	}
	return out
}
