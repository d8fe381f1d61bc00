package emit

import (
	"path/filepath"
	"testing"
)

// dropoutSpec is a network with dropout on its input and between its
// layers; plainSpec is the same network without dropout (and nodrop the
// same again with dropout: 0), whose parameters NewModel initialises alike.
const (
	dropoutSpec = `package: drop
dtype: float64
input: 6
layers:
  - dropout: 0.5
  - dense: 8
    activation: tanh
  - dropout: 0.25
  - dense: 3
loss: mse
optimizer:
  adam: {lr: 0.01}
`
	plainSpec = `package: plain
dtype: float64
input: 6
layers:
  - dense: 8
    activation: tanh
  - dense: 3
loss: mse
optimizer:
  adam: {lr: 0.01}
`
	zeroSpec = `package: nodrop
dtype: float64
input: 6
layers:
  - dropout: 0
  - dense: 8
    activation: tanh
  - dropout: 0
  - dense: 3
loss: mse
optimizer:
  adam: {lr: 0.01}
`
)

// TestDropout runs the generated packages of dropoutSpec, plainSpec and
// zeroSpec under the tests of dropoutTest: the gradient under a fixed mask,
// the keep rate, Predict and Loss without dropout, p = 0 as no dropout bit
// for bit, the same masks for every tiling and number of workers, a Save
// and Load that resumes bit for bit, and no allocations.
func TestDropout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of generated packages")
	}
	dir := toyModule(t)
	for pkg, src := range map[string]string{"drop": dropoutSpec, "plain": plainSpec, "nodrop": zeroSpec} {
		writePackage(t, dir, pkg, src)
	}
	writeFile(t, filepath.Join(dir, "drop", "drop_test.go"), dropoutTest)
	testModule(t, dir, "the generated dropout fails its tests", "drop")
}

// dropoutTest is the test file of TestDropout's package drop.
const dropoutTest = `package drop

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"example.com/toy/nodrop"
	"example.com/toy/plain"
)

func batch(n int) ([][Inputs]float64, [][Outputs]float64) {
	xs, ts := make([][Inputs]float64, n), make([][Outputs]float64, n)
	for i := range xs {
		for j := range xs[i] {
			xs[i][j] = math.Sin(float64(7*(i*Inputs+j) + 1))
		}
		for j := range ts[i] {
			ts[i][j] = 0.5 * math.Cos(float64(3*(i*Outputs+j)))
		}
	}
	return xs, ts
}

// Under one mask (SetSeed before each call), Backward's gradient is the
// derivative of the loss it returns, the loss with that mask.
func TestBackwardIsTheDerivativeUnderAMask(t *testing.T) {
	for _, n := range []int{3, 70} { // per sample and tiled
		m := NewModel(1)
		xs, ts := batch(n)
		m.SetSeed(7)
		m.Backward(xs, ts)
		p, g := m.Params.Slice(), slices.Clone(m.Grad.Slice())
		for i := range p {
			const h = 1e-6
			old := p[i]
			p[i] = old + h
			m.SetSeed(7)
			up := m.Backward(xs, ts)
			p[i] = old - h
			m.SetSeed(7)
			down := m.Backward(xs, ts)
			p[i] = old
			if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("batch %d, parameter %d: Backward %.10g, central difference %.10g", n, i, g[i], fd)
			}
		}
	}
}

// The input's dropout (p = 0.5) zeroes the first weight's gradient in the
// columns of the dropped inputs: over many calls of one sample, about half.
func TestKeepRate(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch(1)
	zero, total := 0, 0
	for range 2000 {
		m.Backward(xs, ts)
		for j := range Inputs {
			total++
			dropped := true // a zero column: x_j dropped (or, at 0.25⁸, every hidden unit)
			for k := range m.Grad.W2 {
				dropped = dropped && m.Grad.W2[k][j] == 0
			}
			if dropped {
				zero++
			}
		}
	}
	// 12 000 draws: the rate's standard deviation is 0.0046.
	if rate := float64(zero) / float64(total); math.Abs(rate-0.5) > 0.02 {
		t.Errorf("%.3f of the inputs dropped, want 0.5", rate)
	}
}

// Predict and Loss never drop: they equal those of the network without
// dropout, whose parameters NewModel makes alike; Backward's loss differs.
func TestPredictNeverDrops(t *testing.T) {
	m, q := NewModel(1), plain.NewModel(1)
	if !slices.Equal(m.Params.Slice(), q.Params.Slice()) {
		t.Fatal("the initial parameters differ from the network's without dropout")
	}
	xs, ts := batch(40)
	var y, z [Outputs]float64
	for i := range xs {
		m.Predict(&xs[i], &y)
		q.Predict(&xs[i], &z)
		if y != z {
			t.Fatalf("sample %d: Predict %v, without dropout %v", i, y, z)
		}
	}
	if a, b := m.Loss(xs, ts), q.Loss(xs, ts); a != b {
		t.Errorf("Loss %v, without dropout %v", a, b)
	}
	if a, b := m.Backward(xs, ts), q.Backward(xs, ts); a == b {
		t.Errorf("Backward's loss %v is the loss without dropout", a)
	}
}

// dropout: 0 trains bit for bit as no dropout layer.
func TestZeroIsNoDropout(t *testing.T) {
	m, q := nodrop.NewModel(1), plain.NewModel(1)
	for _, n := range []int{5, 100} {
		xs, ts := batch(n)
		for range 3 {
			if a, b := m.Train(xs, ts), q.Train(xs, ts); a != b {
				t.Fatalf("batch %d: loss %v with dropout 0, %v without", n, a, b)
			}
		}
	}
	if !slices.Equal(m.Params.Slice(), q.Params.Slice()) {
		t.Error("dropout 0 trains other parameters than no dropout")
	}
}

// The masks depend on the call, the layer, the sample and the column, not on
// the path: tiled on one goroutine or shared by two workers, a batch trains
// to the same loss and parameters but for the order of the sums; two runs
// give the same bits.
func TestSameMasksEveryPath(t *testing.T) {
	xs, ts := batch(2 * tileRows + 5)
	run := func(workers int) ([]float64, float64) {
		m := NewModel(1)
		m.SetWorkers(workers)
		defer m.Close()
		var loss float64
		for range 4 {
			loss = m.Train(xs, ts)
		}
		return slices.Clone(m.Params.Slice()), loss
	}
	p1, l1 := run(1)
	p1b, l1b := run(1)
	if !slices.Equal(p1, p1b) || l1 != l1b {
		t.Error("two runs differ")
	}
	p2, l2 := run(2)
	if d := math.Abs(l1 - l2); d > 1e-12 {
		t.Errorf("loss %v on one worker, %v on two: other masks", l1, l2)
	}
	for i := range p1 {
		if math.Abs(p1[i]-p2[i]) > 1e-9 {
			t.Fatalf("parameter %d: %v on one worker, %v on two: other masks", i, p1[i], p2[i])
		}
	}
}

// Save and Load keep the dropout generator: a resumed model trains to the
// bits of one that never stopped.
func TestResumeBitForBit(t *testing.T) {
	xs, ts := batch(30)
	m := NewModel(1)
	m.SetSeed(42)
	for range 3 {
		m.Train(xs, ts)
	}
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		m.Train(xs, ts)
	}
	r := NewModel(2)
	if err := r.Load(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r.Train(xs, ts)
	}
	if !slices.Equal(m.Params.Slice(), r.Params.Slice()) {
		t.Error("the resumed model trains to other parameters")
	}
}

func TestTrainAllocatesNothing(t *testing.T) {
	m := NewModel(1)
	for _, n := range []int{3, 70} {
		xs, ts := batch(n)
		if a := testing.AllocsPerRun(5, func() { m.Train(xs, ts) }); a != 0 {
			t.Errorf("batch %d: Train allocates %v times", n, a)
		}
	}
}
`
