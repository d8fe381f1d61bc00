// Package ink turns a digit drawn with a pen into the 8×8 image that the
// digits network reads, made the way the UCI "Optical Recognition of
// Handwritten Digits" images were made from their 32×32 bitmaps: each pixel
// of the image counts the set pixels of a 4×4 block of the bitmap, 0 to 16.
//
// The bitmaps of the UCI data were normalised by NIST's programs: every
// digit fills the height of the frame, is centred, and has strokes so thick
// that about 30% of the bitmap is set, whatever the digit. Render does the
// same with the pen's path: it scales the drawing's bounding box into the
// frame, keeping its aspect ratio, and picks the pen width that sets about
// TargetInk pixels, so a small or thin drawing gives the same image as a
// large or thick one.
package ink

import "math"

const (
	// Frame is the side of the bitmap, in pixels.
	Frame = 32
	// Block is the side of the block of bitmap pixels one image pixel counts.
	Block = 4
	// Side is the side of the image, in pixels: 8.
	Side = Frame / Block
	// MaxCount is the value of an image pixel whose block is all set: 16.
	MaxCount = Block * Block
	// TargetInk is the number of set bitmap pixels Render aims for: about
	// the mean of the UCI digits (307 to 330 of 1024, by class).
	TargetInk = 310
)

// The pen widths Render tries, in bitmap pixels.
const (
	minPen  = 1.5
	maxPen  = 12
	penStep = 0.25
)

// Point is a position on the drawing surface. The unit does not matter
// (CSS pixels, say); y grows downwards, as on a screen.
type Point struct{ X, Y float64 }

// Stroke is the path of the pen from pressing it to lifting it. A stroke of
// one point is a dot.
type Stroke []Point

// Bitmap is a binary image of Frame×Frame pixels, [row][column].
type Bitmap [Frame][Frame]bool

// Image is the network's view of a drawing: Side×Side pixels, row-major,
// each the number of set pixels of its block of the bitmap, 0 to MaxCount.
type Image [Side * Side]uint8

// Digitize returns the image of the drawing made of strokes, and false if
// they hold no point.
func Digitize(strokes []Stroke) (Image, bool) {
	b, ok := Render(strokes)
	return b.Downsample(), ok
}

// Render draws strokes into a bitmap, centred and scaled as the UCI digits
// were, with the pen width that sets the number of pixels closest to
// TargetInk (the widest pen, for a mere dot). It returns false, and an empty
// bitmap, if the strokes hold no point.
func Render(strokes []Stroke) (Bitmap, bool) {
	box, ok := bounds(strokes)
	if !ok {
		return Bitmap{}, false
	}
	var best Bitmap
	bestMiss := math.MaxInt
	for pen := minPen; pen <= maxPen; pen += penStep {
		b := draw(strokes, box, pen)
		miss := abs(b.Ink() - TargetInk)
		if miss < bestMiss {
			best, bestMiss = b, miss
		}
		if b.Ink() >= TargetInk {
			break // a wider pen sets more pixels: its strokes widen faster than the drawing shrinks
		}
	}
	return best, true
}

// Ink returns the number of set pixels of b.
func (b *Bitmap) Ink() int {
	n := 0
	for _, row := range b {
		for _, set := range row {
			if set {
				n++
			}
		}
	}
	return n
}

// Downsample returns the image of b: the number of set pixels of each
// Block×Block block.
func (b *Bitmap) Downsample() Image {
	var img Image
	for r, row := range b {
		for c, set := range row {
			if set {
				img[(r/Block)*Side+c/Block]++
			}
		}
	}
	return img
}

// box is a bounding box of points.
type box struct{ minX, minY, maxX, maxY float64 }

// bounds returns the bounding box of the points of strokes, and false if
// there are none.
func bounds(strokes []Stroke) (box, bool) {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	found := false
	for _, s := range strokes {
		for _, p := range s {
			b.minX, b.maxX = min(b.minX, p.X), max(b.maxX, p.X)
			b.minY, b.maxY = min(b.minY, p.Y), max(b.maxY, p.Y)
			found = true
		}
	}
	return b, found
}

// draw draws strokes with a round pen pen pixels wide into a bitmap, after
// mapping box's centre to the bitmap's and its longer side to Frame − pen
// pixels, so the ink just fills the frame that way.
func draw(strokes []Stroke, bx box, pen float64) Bitmap {
	size := max(bx.maxX-bx.minX, bx.maxY-bx.minY)
	scale := 1.0
	if size > 0 {
		scale = (Frame - pen) / size
	}
	cx, cy := (bx.minX+bx.maxX)/2, (bx.minY+bx.maxY)/2
	toFrame := func(p Point) Point {
		return Point{(p.X-cx)*scale + Frame/2, (p.Y-cy)*scale + Frame/2}
	}
	var b Bitmap
	for _, s := range strokes {
		for i := range s {
			a := toFrame(s[i])
			if i > 0 {
				b.segment(toFrame(s[i-1]), a, pen/2)
			} else if len(s) == 1 {
				b.segment(a, a, pen/2)
			}
		}
	}
	return b
}

// segment sets the pixels whose centres lie within radius of the segment
// from p to q.
func (b *Bitmap) segment(p, q Point, radius float64) {
	r0 := clamp(int(math.Floor(min(p.Y, q.Y)-radius)), 0, Frame-1)
	r1 := clamp(int(math.Ceil(max(p.Y, q.Y)+radius)), 0, Frame-1)
	c0 := clamp(int(math.Floor(min(p.X, q.X)-radius)), 0, Frame-1)
	c1 := clamp(int(math.Ceil(max(p.X, q.X)+radius)), 0, Frame-1)
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			centre := Point{float64(c) + 0.5, float64(r) + 0.5}
			if distance2(centre, p, q) <= radius*radius {
				b[r][c] = true
			}
		}
	}
}

// distance2 returns the square of the distance from x to the segment from
// p to q.
func distance2(x, p, q Point) float64 {
	dx, dy := q.X-p.X, q.Y-p.Y
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((x.X-p.X)*dx+(x.Y-p.Y)*dy)/l2))
	}
	ex, ey := x.X-(p.X+t*dx), x.Y-(p.Y+t*dy)
	return ex*ex + ey*ey
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
