package runtime

import "fmt"

// PanicBatchLengths panics with a message naming both lengths, such as
// "tiny: Backward: len(xs) = 3 but len(ts) = 4". Generated code calls it when
// the inputs xs and targets ts of a batch differ in length.
func PanicBatchLengths(pkg, method string, nx, nt int) {
	panic(fmt.Sprintf("%s: %s: len(xs) = %d but len(ts) = %d", pkg, method, nx, nt))
}

// checkLen panics unless the slice named b has the length na of the slice
// named a. The message is formatted only on failure, so a passing check does
// not allocate.
func checkLen(fn, a, b string, na, nb int) {
	if na != nb {
		panic(fmt.Sprintf("gradgen: %s: len(%s) = %d but len(%s) = %d", fn, a, na, b, nb))
	}
}

// PanicID panics with a message naming the sample, the integer input, its
// id and the ids it may take, such as "rec: Train: sample 3: item is 57,
// want 0 ≤ item < 50". Generated code calls it before anything changes when
// an id of a batch is out of range, so no table is read out of bounds.
func PanicID(pkg, method, input string, sample int, id int32, categories int) {
	panic(fmt.Sprintf("%s: %s: sample %d: %s is %d, want 0 ≤ %s < %d", pkg, method, sample, input, id, input, categories))
}
