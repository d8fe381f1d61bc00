package main

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/digits/digitsnet"
	"github.com/gradgen/gradgen/generic"
)

const (
	pixels   = digitsnet.Inputs  // pixels per image, 8×8 row-major
	classes  = digitsnet.Outputs // the digits 0 to 9
	maxPixel = 16                // the brightest pixel value
)

// digitsFormat is the format of digits.csv.gz: no header, one image per
// line, its pixel values (integers 0 to maxPixel) and then its class, a digit.
var digitsFormat = dataset.Format{Label: -1, ClassNames: digitNames(), Check: checkPixel}

// digitNames returns the labels of the classes: "0" to "9".
func digitNames() []string {
	names := make([]string, classes)
	for c := range names {
		names[c] = strconv.Itoa(c)
	}
	return names
}

// checkPixel accepts the value v of pixel j if it is an integer from 0 to
// maxPixel.
func checkPixel(j int, v float64) error {
	if v != math.Trunc(v) || v < 0 || v > maxPixel {
		return fmt.Errorf("pixel %d is %v, want an integer from 0 to %d", j+1, v, maxPixel)
	}
	return nil
}

// readDigits reads images in the format of digits.csv.gz, compressed or
// not, from data; name names the data in errors.
func readDigits(name string, data []byte) (*dataset.Table, error) {
	t, err := dataset.Read(bytes.NewReader(data), name, digitsFormat)
	if err != nil {
		return nil, err
	}
	if n := len(t.Rows[0]); n != pixels {
		return nil, fmt.Errorf("%s: %d pixels per image, want %d", name, n, pixels)
	}
	return t, nil
}

// set is a set of images ready for training: the pixels of each image,
// scaled to [0, 1], its one-hot target and its class.
type set[T generic.Float] struct {
	xs     [][pixels]T
	ts     [][classes]T
	labels []int
}

// newSet returns the images of t at the indices idx, pixels divided by
// maxPixel.
func newSet[T generic.Float](t *dataset.Table, idx []int) (set[T], error) {
	xs, err := dataset.Vectors[[pixels]T](dataset.Subset(t.Rows, idx))
	if err != nil {
		return set[T]{}, err
	}
	for i := range xs {
		for j := range xs[i] {
			xs[i][j] /= maxPixel
		}
	}
	labels := dataset.Subset(t.Classes, idx)
	ts, err := dataset.OneHot[[classes]T](labels)
	if err != nil {
		return set[T]{}, err
	}
	return set[T]{xs: xs, ts: ts, labels: labels}, nil
}
