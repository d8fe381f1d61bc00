package dataset

import (
	"fmt"
	"math"
	"reflect"
)

// Vectors returns rows as a slice of X, an array type of float32 or float64
// elements such as [Inputs]float32 of a generated package, converting each
// value to the element type. It returns an error if X is not such an array
// type, a row's length differs from X's, or a value is not finite in the
// element type (such as 1e300 in float32). The check, and the reflection it
// takes, happen once per call, when the data are set up; the result is
// ordinary Go arrays.
//
// Vectors also makes regression targets, [Outputs]T, from rows of target
// values.
func Vectors[X any](rows [][]float64) ([]X, error) {
	typ, n, err := floatArray[X]("Vectors")
	if err != nil {
		return nil, err
	}
	xs := make([]X, len(rows))
	v := reflect.ValueOf(xs)
	for i, row := range rows {
		if len(row) != n {
			return nil, fmt.Errorf("dataset.Vectors: row %d has %d values, but %v holds %d", i, len(row), typ, n)
		}
		a := v.Index(i)
		for j, x := range row {
			if err := set(a.Index(j), x); err != nil {
				return nil, fmt.Errorf("dataset.Vectors: row %d, value %d: %w", i, j, err)
			}
		}
	}
	return xs, nil
}

// OneHot returns the one-hot targets of classes as a slice of Y, an array
// type of float32 or float64 elements such as [Outputs]float32 of a generated
// package: element c of target i is 1 if classes[i] is c, else 0, as
// softmax_cross_entropy expects them. It returns an error if Y is not such an
// array type or a class does not index it.
func OneHot[Y any](classes []int) ([]Y, error) {
	typ, n, err := floatArray[Y]("OneHot")
	if err != nil {
		return nil, err
	}
	ts := make([]Y, len(classes))
	v := reflect.ValueOf(ts)
	for i, c := range classes {
		if c < 0 || c >= n {
			return nil, fmt.Errorf("dataset.OneHot: sample %d has class %d, but %v holds classes 0 to %d", i, c, typ, n-1)
		}
		v.Index(i).Index(c).SetFloat(1)
	}
	return ts, nil
}

// Targets returns values, such as Table.Targets, as a slice of Y, an array
// type of one float32 or float64 element such as [Outputs]float32 of a
// generated package with one output: the targets of a regression. It returns
// an error if Y is not such an array type or a value is not finite in its
// element type. For several outputs, use Vectors.
func Targets[Y any](values []float64) ([]Y, error) {
	typ, n, err := floatArray[Y]("Targets")
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, fmt.Errorf("dataset.Targets: %v holds %d values, want 1 (use Vectors for several)", typ, n)
	}
	ts := make([]Y, len(values))
	v := reflect.ValueOf(ts)
	for i, x := range values {
		if err := set(v.Index(i).Index(0), x); err != nil {
			return nil, fmt.Errorf("dataset.Targets: value %d: %w", i, err)
		}
	}
	return ts, nil
}

// floatArray returns the type A and its length if it is an array of float32
// or float64 elements (or of types defined on them), else an error naming
// the function fn.
func floatArray[A any](fn string) (reflect.Type, int, error) {
	typ := reflect.TypeFor[A]()
	if typ.Kind() == reflect.Array {
		if k := typ.Elem().Kind(); k == reflect.Float32 || k == reflect.Float64 {
			return typ, typ.Len(), nil
		}
	}
	return typ, 0, fmt.Errorf("dataset.%s: %v is not an array of float32 or float64, such as [Inputs]float32 of a generated package", fn, typ)
}

// set sets e, a float32 or float64, to x, and returns an error if the result
// is not finite.
func set(e reflect.Value, x float64) error {
	e.SetFloat(x)
	if y := e.Float(); math.IsInf(y, 0) || math.IsNaN(y) {
		return fmt.Errorf("%v is not finite in %v", x, e.Type())
	}
	return nil
}
