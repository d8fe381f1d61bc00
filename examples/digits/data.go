package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gradgen/gradgen/examples/digits/digitsnet"
	"github.com/gradgen/gradgen/generic"
)

const (
	pixels   = digitsnet.Inputs  // pixels per image, 8×8 row-major
	classes  = digitsnet.Outputs // the digits 0 to 9
	maxPixel = 16                // the brightest pixel value
)

// images is a data set as read: the pixel values 0 to maxPixel of each image
// and its class.
type images struct {
	pixels [][pixels]uint8
	labels []int
}

// parseGzipCSV decompresses a gzip-compressed CSV file and parses it with
// parseCSV.
func parseGzipCSV(data []byte) (*images, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("data are not gzip-compressed: %w", err)
	}
	defer zr.Close()
	return parseCSV(zr)
}

// parseCSV reads one image per line: 64 comma-separated integer pixel values
// 0 to 16, then the class 0 to 9. There is no header; blank lines are
// skipped. Its errors name the line at fault.
func parseCSV(r io.Reader) (*images, error) {
	d := &images{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		x, label, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		d.pixels = append(d.pixels, x)
		d.labels = append(d.labels, label)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(d.labels) == 0 {
		return nil, fmt.Errorf("no images in the data")
	}
	return d, nil
}

// parseLine parses the fields of one image.
func parseLine(text string) (x [pixels]uint8, label int, err error) {
	fields := strings.Split(text, ",")
	if len(fields) != pixels+1 {
		return x, 0, fmt.Errorf("%d fields, want %d (%d pixels and the class)", len(fields), pixels+1, pixels)
	}
	for i := range x {
		v, err := strconv.Atoi(strings.TrimSpace(fields[i]))
		if err != nil || v < 0 || v > maxPixel {
			return x, 0, fmt.Errorf("pixel %d: %q is not an integer in [0, %d]", i+1, fields[i], maxPixel)
		}
		x[i] = uint8(v)
	}
	label, err = strconv.Atoi(strings.TrimSpace(fields[pixels]))
	if err != nil || label < 0 || label >= classes {
		return x, 0, fmt.Errorf("class %q is not an integer in [0, %d]", fields[pixels], classes-1)
	}
	return x, label, nil
}

// split divides the indices of d's images into a training set and a test set
// that holds testShare of each class (rounded to the nearest image), drawn by a
// PCG seeded with seed. Both sets are in the order of d.
func split(d *images, testShare float64, seed uint64) (train, test []int) {
	byClass := make([][]int, classes)
	for i, l := range d.labels {
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := int(testShare*float64(len(idx)) + 0.5)
		test = append(test, idx[:n]...)
		train = append(train, idx[n:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// dataset is a set of images ready for training, flat and row-major: xs holds
// the pixels of image k, scaled to [0, 1], at xs[k*pixels:(k+1)*pixels], and
// ts its one-hot target at ts[k*classes:(k+1)*classes].
type dataset[T generic.Float] struct {
	xs, ts []T
	labels []int
}

// newDataset returns the images of d at the indices idx, pixels divided by
// maxPixel.
func newDataset[T generic.Float](d *images, idx []int) dataset[T] {
	s := dataset[T]{xs: make([]T, 0, len(idx)*pixels), ts: make([]T, len(idx)*classes)}
	for k, i := range idx {
		for _, p := range d.pixels[i] {
			s.xs = append(s.xs, T(p)/maxPixel)
		}
		s.ts[k*classes+d.labels[i]] = 1
		s.labels = append(s.labels, d.labels[i])
	}
	return s
}

// len returns the number of images in s.
func (s dataset[T]) len() int { return len(s.labels) }

// x returns the pixels of image k.
func (s dataset[T]) x(k int) []T { return s.xs[k*pixels : (k+1)*pixels] }
