package ink_test

import (
	"testing"

	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/examples/web/ink/inktest"
)

func TestNothingDrawn(t *testing.T) {
	for _, strokes := range [][]ink.Stroke{nil, {}, {{}, {}}} {
		if img, ok := ink.Digitize(strokes); ok || img != (ink.Image{}) {
			t.Errorf("Digitize(%v) = %v, %v; want an empty image, false", strokes, img, ok)
		}
	}
}

// TestInk: every drawing sets about TargetInk pixels of the bitmap, as the
// UCI digits do, and fills its height (the digits here are taller than
// wide), and the image counts them.
func TestInk(t *testing.T) {
	for d, strokes := range inktest.Digits() {
		b, ok := ink.Render(strokes)
		if !ok {
			t.Fatalf("digit %d: Render found nothing drawn", d)
		}
		if n := b.Ink(); n < ink.TargetInk-40 || n > ink.TargetInk+40 {
			t.Errorf("digit %d: %d pixels set, want about %d", d, n, ink.TargetInk)
		}
		if !rowSet(&b, 0) || !rowSet(&b, ink.Frame-1) {
			t.Errorf("digit %d: the drawing does not reach the top and bottom rows of the bitmap", d)
		}
		img := b.Downsample()
		sum := 0
		for _, v := range img {
			if v > ink.MaxCount {
				t.Fatalf("digit %d: pixel value %d > %d", d, v, ink.MaxCount)
			}
			sum += int(v)
		}
		if sum != b.Ink() {
			t.Errorf("digit %d: the image's pixels sum to %d, the bitmap has %d set", d, sum, b.Ink())
		}
	}
}

// rowSet reports whether row r of b has a pixel set.
func rowSet(b *ink.Bitmap, r int) bool {
	for _, set := range b[r] {
		if set {
			return true
		}
	}
	return false
}

// TestOneIsACentredColumn: a vertical stroke becomes a thick column in the
// middle of the image, as the 1s of the UCI digits (the pen's round ends
// leave the top and bottom rows not quite full).
func TestOneIsACentredColumn(t *testing.T) {
	img, _ := ink.Digitize([]ink.Stroke{inktest.Path(ink.Point{X: 5, Y: 0}, ink.Point{X: 5, Y: 60})})
	for r := 1; r < ink.Side-1; r++ {
		row := img[r*ink.Side : (r+1)*ink.Side]
		if row[3] != ink.MaxCount || row[4] != ink.MaxCount || row[0] != 0 || row[7] != 0 {
			t.Fatalf("row %d of the image of a vertical stroke is %v, want columns 3 and 4 full, 0 and 7 empty", r, row)
		}
	}
}

// TestSizeAndPlace: a drawing gives the same image at any size and place.
// Halving is exact in floating point, so the images are equal; a shift
// rounds the coordinates, which may move a pixel at the edge of a stroke.
func TestSizeAndPlace(t *testing.T) {
	for d, strokes := range inktest.Digits() {
		want, _ := ink.Digitize(strokes)
		if got, _ := ink.Digitize(inktest.Scale(strokes, 0.5, ink.Point{})); got != want {
			t.Errorf("digit %d at half size: image\n%v\nwant\n%v", d, got, want)
		}
		got, _ := ink.Digitize(inktest.Scale(strokes, 0.3, ink.Point{X: 123.4, Y: -56.7}))
		if diff := distance(got, want); diff > 4 {
			t.Errorf("digit %d smaller and elsewhere: image\n%v\ndiffers by %d from\n%v", d, got, diff, want)
		}
	}
}

// distance returns the sum of the absolute differences of the pixels of a
// and b.
func distance(a, b ink.Image) int {
	n := 0
	for i := range a {
		n += max(int(a[i])-int(b[i]), int(b[i])-int(a[i]))
	}
	return n
}

// TestDot: a click without a move still draws, as a blob of the widest pen.
func TestDot(t *testing.T) {
	b, ok := ink.Render([]ink.Stroke{{{X: 10, Y: 10}}})
	if !ok || b.Ink() == 0 {
		t.Fatalf("a dot: ok %v, %d pixels set; want some", ok, b.Ink())
	}
	if !b[ink.Frame/2][ink.Frame/2] {
		t.Error("a dot does not set the centre of the bitmap")
	}
}

func TestDownsample(t *testing.T) {
	var b ink.Bitmap
	b[0][0], b[3][3], b[4][4], b[31][31] = true, true, true, true
	img := b.Downsample()
	want := ink.Image{}
	want[0], want[ink.Side+1], want[len(want)-1] = 2, 1, 1
	if img != want {
		t.Errorf("Downsample = %v, want %v", img, want)
	}
}
