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
