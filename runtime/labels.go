package runtime

import "fmt"

// CheckLabels panics unless the class labels ls of a batch of nx samples
// are nx and each in [0, classes), with a message naming the method and,
// for a label out of range, the sample, its label and the range, such as
// "digits: TrainLabels: label of sample 3 is 12, want 0 ≤ label < 10".
// Generated code calls it before a batch with labels touches anything.
func CheckLabels(pkg, method string, nx int, ls []int32, classes int) {
	if nx != len(ls) {
		panic(fmt.Sprintf("%s: %s: len(xs) = %d but len(labels) = %d", pkg, method, nx, len(ls)))
	}
	for i, l := range ls {
		if l < 0 || int(l) >= classes {
			panic(fmt.Sprintf("%s: %s: label of sample %d is %d, want 0 ≤ label < %d", pkg, method, i, l, classes))
		}
	}
}

// Rows returns s[lo:hi], or nil when s is nil: the tile of a batch of
// targets or labels, of which a call passes one and leaves the other nil.
func Rows[S ~[]E, E any](s S, lo, hi int) S {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// Row returns &s[i], or nil when s is nil: one sample's targets.
func Row[S ~[]E, E any](s S, i int) *E {
	if s == nil {
		return nil
	}
	return &s[i]
}

// Label returns ls[i], or -1 when ls is nil: one sample's class, for a call
// with targets instead.
func Label(ls []int32, i int) int32 {
	if ls == nil {
		return -1
	}
	return ls[i]
}
