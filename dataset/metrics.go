package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gradgen/gradgen/runtime"
)

// Argmax returns the index of the largest element of y, the first one on
// ties: the class a classifier's outputs y predict, as the generated
// Classify and torch.argmax pick it. A NaN counts as larger than every number,
// as in torch.argmax, so the first NaN's index is returned. It returns -1 if y
// is empty.
func Argmax[T Float](y []T) int { return runtime.Argmax(y) }

// Accuracy returns the share of samples whose predicted class equals their
// actual class, NaN if there are none. It panics if the slices differ in
// length.
func Accuracy(actual, predicted []int) float64 {
	if len(actual) != len(predicted) {
		panic(fmt.Sprintf("dataset: Accuracy: %d actual classes but %d predicted", len(actual), len(predicted)))
	}
	correct := 0
	for i, c := range actual {
		if predicted[i] == c {
			correct++
		}
	}
	return float64(correct) / float64(len(actual))
}

// MeanSquaredError returns the mean over the elements of (y − t)², computed
// in float64, as the mse loss (PyTorch's nn.MSELoss) does over a batch; NaN
// if y is empty. For a batch of array outputs, pass each sample's y[:] and
// t[:] and average, or keep them in one flat slice. It panics if y and t
// differ in length.
func MeanSquaredError[T Float](y, t []T) float64 {
	if len(y) != len(t) {
		panic(fmt.Sprintf("dataset: MeanSquaredError: %d outputs but %d targets", len(y), len(t)))
	}
	var sum float64
	for i, v := range y {
		d := float64(v) - float64(t[i])
		sum += d * d
	}
	return sum / float64(len(y))
}

// Confusion is a confusion matrix: how often the samples of each actual
// class were predicted as each class.
type Confusion struct {
	// Counts[a][p] counts the samples of actual class a predicted as p.
	Counts [][]int
	// Names, if not nil, label the classes in String, by class; nil labels
	// them by number.
	Names []string
}

// NewConfusion returns an empty confusion matrix of the given number of
// classes.
func NewConfusion(classes int) *Confusion {
	c := &Confusion{Counts: make([][]int, classes)}
	flat := make([]int, classes*classes)
	for a := range c.Counts {
		c.Counts[a] = flat[a*classes : (a+1)*classes : (a+1)*classes]
	}
	return c
}

// Add counts one sample of class actual predicted as predicted. It panics
// if a class is out of range.
func (c *Confusion) Add(actual, predicted int) { c.Counts[actual][predicted]++ }

// AddAll counts the samples with the classes actual, predicted as predicted.
// It panics if the slices differ in length or a class is out of range.
func (c *Confusion) AddAll(actual, predicted []int) {
	if len(actual) != len(predicted) {
		panic(fmt.Sprintf("dataset: Confusion.AddAll: %d actual classes but %d predicted", len(actual), len(predicted)))
	}
	for i, a := range actual {
		c.Add(a, predicted[i])
	}
}

// Accuracy returns the share of the counted samples predicted as their
// actual class, NaN if there are none.
func (c *Confusion) Accuracy() float64 {
	correct, total := 0, 0
	for a, row := range c.Counts {
		for p, n := range row {
			total += n
			if a == p {
				correct += n
			}
		}
	}
	return float64(correct) / float64(total)
}

// String returns the matrix as an aligned table, a line per actual class
// and a column per predicted class, each headed by the class's name or
// number:
//
//	      0   1   2
//	0    12   0   0
//	1     0  11   1
//	2     0   2  10
func (c *Confusion) String() string {
	label := func(k int) string {
		if c.Names != nil {
			return c.Names[k]
		}
		return strconv.Itoa(k)
	}
	lw, cw := 0, 3 // the widths of the row labels and the columns
	for k, row := range c.Counts {
		lw = max(lw, len([]rune(label(k))))
		cw = max(cw, len([]rune(label(k))))
		for _, n := range row {
			cw = max(cw, len(strconv.Itoa(n)))
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", 2+lw+2))
	for k := range c.Counts {
		fmt.Fprintf(&b, " %*s", cw, label(k))
	}
	b.WriteByte('\n')
	for k, row := range c.Counts {
		fmt.Fprintf(&b, "  %-*s  ", lw, label(k))
		for _, n := range row {
			fmt.Fprintf(&b, " %*d", cw, n)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
