package dataset

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Standardizer shifts and scales each feature to mean 0 and standard
// deviation 1 on the rows it was fitted to, usually a training split, and
// applies the same shift and scale to other rows, such as a test split, so
// that nothing about those leaks into training.
type Standardizer struct {
	// Mean holds the mean of each column of the fitted rows.
	Mean []float64
	// Std holds the population standard deviation of each column of the
	// fitted rows (divided by n, not n − 1, as scikit-learn's StandardScaler
	// does). It is 0 for a constant column, whose Mean is then its value.
	Std []float64
}

// NewStandardizer returns the Standardizer of the columns of rows, computed
// with gonum's stat.PopMeanStdDev. It returns an error if there are no rows
// or their lengths differ.
func NewStandardizer(rows [][]float64) (*Standardizer, error) {
	if len(rows) == 0 {
		return nil, errors.New("dataset.NewStandardizer: no rows")
	}
	w := len(rows[0])
	s := &Standardizer{Mean: make([]float64, w), Std: make([]float64, w)}
	col := make([]float64, len(rows))
	for j := range w {
		for i, r := range rows {
			if len(r) != w {
				return nil, fmt.Errorf("dataset.NewStandardizer: row %d has %d values, row 0 has %d", i, len(r), w)
			}
			col[i] = r[j]
		}
		if lo, hi := floats.Min(col), floats.Max(col); lo == hi {
			// Constant: exactly, where a computed mean could be off in
			// the last bit and leave a tiny Std to divide by.
			s.Mean[j], s.Std[j] = lo, 0
			continue
		}
		s.Mean[j], s.Std[j] = stat.PopMeanStdDev(col, nil)
	}
	return s, nil
}

// Standardize returns new rows holding (x − Mean[j]) / Std[j] for each value
// x in column j of rows, or x − Mean[j] where Std[j] is 0, so that a constant
// column gives zeros rather than NaN. rows are left unchanged. It panics if a
// row's length differs from that of the fitted rows.
func (s *Standardizer) Standardize(rows [][]float64) [][]float64 {
	w := len(s.Mean)
	flat := make([]float64, len(rows)*w)
	out := make([][]float64, len(rows))
	for i, r := range rows {
		if len(r) != w {
			panic(fmt.Sprintf("dataset: Standardize: row %d has %d values, the Standardizer was fitted to rows of %d", i, len(r), w))
		}
		o := flat[i*w : (i+1)*w : (i+1)*w]
		for j, x := range r {
			o[j] = x - s.Mean[j]
			if s.Std[j] != 0 {
				o[j] /= s.Std[j]
			}
		}
		out[i] = o
	}
	return out
}
