// Package dataset prepares tabular data for the networks gradgen generates:
// it reads CSV files, standardises features, splits and shuffles samples,
// fills minibatches without allocating, and scores the predictions.
//
// A generated package works on arrays, [Inputs]T and [Outputs]T with T
// float32 or float64. Vectors and OneHot convert the float64 rows and class
// indices of a Table into slices of those arrays, checking once, when they
// are called, that the array type fits the data.
//
//	t, err := dataset.ReadFile("iris.csv", dataset.Format{Header: dataset.SklearnHeader, Label: -1})
//	if err != nil {
//		return err // iris.csv:7:5: "x" is not a finite number
//	}
//	train, test := dataset.StratifiedSplit(t.Classes, 0.2, 1)
//	std, err := dataset.NewStandardizer(dataset.Subset(t.Rows, train))
//	if err != nil {
//		return err
//	}
//	xs, err := dataset.Vectors[[irisnet.Inputs]float32](std.Standardize(dataset.Subset(t.Rows, train)))
//	if err != nil {
//		return err
//	}
//	ts, err := dataset.OneHot[[irisnet.Outputs]float32](dataset.Subset(t.Classes, train))
//	if err != nil {
//		return err
//	}
//	m := irisnet.NewModel(1)
//	b := dataset.NewBatches(xs, ts, 16, 1)
//	for range 100 {
//		b.Shuffle()
//		for k := range b.Len() {
//			m.Train(b.Batch(k)) // no allocation
//		}
//	}
//	// then the test split: std.Standardize(dataset.Subset(t.Rows, test)), Argmax, Accuracy
//
// Randomness is deterministic: StratifiedSplit and Batches draw from a PCG
// of math/rand/v2 seeded with (seed, 0), so a seed gives the same split and
// the same order on every platform.
//
// The functions return errors for problems in the data: Read for anything
// wrong in a file, with its line and column; Vectors, OneHot and Targets when
// the data do not fit the array type. They panic on arguments that break
// their documented preconditions, such as slices of different lengths or a
// batch size below 1, as indexing out of range does.
package dataset

// Float is the element type of a generated network: float32 or float64.
type Float interface{ ~float32 | ~float64 }

// Subset returns a new slice of the elements of s at the indices idx, in
// that order, such as the rows or classes of a split. The elements are copied
// as values, so Subset of a [][]float64 shares the rows with s.
func Subset[S ~[]E, E any](s S, idx []int) S {
	out := make(S, len(idx))
	for k, i := range idx {
		out[k] = s[i]
	}
	return out
}
