package main

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/ir"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The optimizer steps of runtime/optim.go over whole vectors. Each kernel
// does exactly the operations of its plain Go twin, in the same order and
// with the same roundings: separate multiplies and adds, never an FMA
// (Go's T(a*b) conversions forbid fusing), and VSQRTPS/VSQRTPD, which are
// correctly rounded like a float32 square root taken in float64. So both
// paths give the same bits.
//
// Options are bits of a flags argument, tested once per call: each
// combination has its own loop, so an option that is off costs nothing
// per element. The bit values are those of runtime/optim.go.
//
// Each kernel comes in two widths from the same body: AVX2 on YMM
// registers (sgdF32, …) and AVX-512 F on ZMM registers (sgdZF32, …), twice
// the elements per instruction. The AVX-512 Adam runs 1.8× faster than the
// AVX2 one on the Zen 5 this was measured on (docs/bench/optim.txt): it is
// bound by its divisions and square roots, which run at full width there.

// width is one vector width: the registers and the instructions that
// differ between AVX2 and AVX-512.
type width struct {
	suffix string // "" for AVX2, "Z" for AVX-512
	what   string // for the documentation
	bytes  int    // per register
	reg    func() VecVirtual
}

var (
	ymm = width{suffix: "", what: "AVX2", bytes: 32, reg: func() VecVirtual { return YMM() }}
	zmm = width{suffix: "Z", what: "AVX-512", bytes: 64, reg: func() VecVirtual { return ZMM() }}
)

func (w width) lanes(k kind) int { return w.bytes / k.size }

// The flags of sgd and momentum.
const (
	optDecay    = 1 << iota // d = g + wd·p (weight_decay, an L2 term)
	optFirst                // momentum: the buffer is d itself (step 1)
	optNesterov             // momentum: d = d + mu·v instead of d = v
)

// The flags of adam.
const (
	adamL2        = 1 << iota // g' = g + wd·p (Adam's weight_decay)
	adamDecoupled             // p = p·keep before the step (AdamW's decay)
)

// optimLoops emits the body of an optimizer kernel: a dispatch on the
// flags parameter to one loop per combination in combos, each running
// step over the n elements of the slices named in ptrs (n being the length
// of the first) after setup broadcasts its scalars. step uses and advances
// nothing itself: optimLoops advances every pointer by one vector.
func optimLoops(name string, k kind, w width, ptrs []string, combos []int,
	setup func(flags int), step func(flags int, ptr map[string]Mem)) {
	n := Load(Param(ptrs[0]).Len(), GP64())
	ptr := map[string]Mem{}
	for _, p := range ptrs {
		ptr[p] = Mem{Base: Load(Param(p).Base(), GP64())}
	}
	flags := Load(Param("flags"), GP64())
	label := func(c int) string { return fmt.Sprintf("%sf%d", name, c) }
	for _, c := range combos[1:] {
		CMPQ(flags, U32(c))
		JE(LabelRef(label(c)))
	}
	for _, c := range combos {
		Label(label(c))
		setup(c)
		// The loops are short: one that straddles a 64-byte line runs a
		// third slower (sgd measured 7.3 µs against 5.5 µs over 100 000
		// float32), so each starts a line, after padding run once.
		Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{U8(64)}})
		Label(label(c) + "loop")
		CMPQ(n, U32(0))
		JE(LabelRef(name + "done"))
		step(c, ptr)
		for _, p := range ptrs {
			ADDQ(U32(w.bytes), ptr[p].Base)
		}
		SUBQ(U32(w.lanes(k)), n)
		JMP(LabelRef(label(c) + "loop"))
	}
	Label(name + "done")
	VZEROUPPER()
	RET()
}

// flagNames spells the combinations for a kernel's documentation.
func flagNames(names []string) string {
	var s []string
	for i, n := range names {
		s = append(s, fmt.Sprintf("%d %s", 1<<i, n))
	}
	return strings.Join(s, ", ")
}

// sgd: p -= a·d with d = g, or g + wd·p under optDecay, as in runtime.SGD.
func sgd(k kind, w width) {
	T := k.goType
	name := "sgd" + w.suffix + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(p, g []%s, a, wd %s, flags int)", T, T))
	Doc(fmt.Sprintf("%s (%s) subtracts a·d from p, d = g (+ wd·p if flags has %s); len(g) = len(p) is a multiple of %d.",
		name, w.what, flagNames([]string{"decay"}), w.lanes(k)))
	var a, wd VecVirtual
	optimLoops(name, k, w, []string{"p", "g"}, []int{0, optDecay}, func(f int) {
		a = w.reg()
		k.broadcast(addr("a"), a)
		if f&optDecay != 0 {
			wd = w.reg()
			k.broadcast(addr("wd"), wd)
		}
	}, func(f int, ptr map[string]Mem) {
		p, g := ptr["p"], ptr["g"]
		d, q := w.reg(), w.reg()
		if f&optDecay != 0 {
			k.mul(p, wd, d) // d = wd·p
			k.add(g, d, d)  // d = g + d
			k.mul(a, d, d)  // d = a·d
		} else {
			k.mul(g, a, d) // d = a·g
		}
		k.load(p, q)
		k.sub(d, q, q) // p = p - d
		k.store(q, p)
	})
}

// momentum: one step of SGD with momentum, as in runtime.Momentum:
//
//	d = g, or g + wd·p under optDecay
//	v = d under optFirst, else mu·v + c·d
//	d = d + mu·v under optNesterov, else v
//	p -= a·d
func momentum(k kind, w width) {
	T := k.goType
	name := "momentum" + w.suffix + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(p, g, v []%s, a, mu, c, wd %s, flags int)", T, T))
	Doc(fmt.Sprintf("%s (%s) takes one SGD-with-momentum step (flags: %s); every length equals len(p), a multiple of %d.",
		name, w.what, flagNames([]string{"decay", "first", "nesterov"}), w.lanes(k)))
	var a, mu, c, wd VecVirtual
	var combos []int
	for f := range 8 {
		combos = append(combos, f)
	}
	optimLoops(name, k, w, []string{"p", "g", "v"}, combos, func(f int) {
		a = w.reg()
		k.broadcast(addr("a"), a)
		if f&(optFirst|optNesterov) != optFirst {
			mu = w.reg()
			k.broadcast(addr("mu"), mu)
		}
		if f&optFirst == 0 {
			c = w.reg()
			k.broadcast(addr("c"), c)
		}
		if f&optDecay != 0 {
			wd = w.reg()
			k.broadcast(addr("wd"), wd)
		}
	}, func(f int, ptr map[string]Mem) {
		p, g, v := ptr["p"], ptr["g"], ptr["v"]
		d := w.reg()
		if f&optDecay != 0 {
			k.mul(p, wd, d) // d = wd·p
			k.add(g, d, d)  // d = g + d
		} else {
			k.load(g, d)
		}
		b := d // the new buffer
		if f&optFirst == 0 {
			b = w.reg()
			t := w.reg()
			k.mul(v, mu, b) // b = mu·v
			k.mul(c, d, t)  // t = c·d
			k.add(t, b, b)  // b = b + t
		}
		k.store(b, v)
		if f&optNesterov != 0 {
			t := w.reg()
			k.mul(b, mu, t) // t = mu·b
			k.add(t, d, d)  // d = d + t
		} else {
			d = b
		}
		t, q := w.reg(), w.reg()
		k.mul(a, d, t) // t = a·d
		k.load(p, q)
		k.sub(t, q, q) // p = p - t
		k.store(q, p)
	})
}

// flushConsts returns the mask of every bit but the sign and the smallest
// normal number of k in every lane, made in registers.
func flushConsts(k kind, w width) (abs, tiny VecVirtual) {
	abs, tiny = w.reg(), w.reg()
	if w.bytes == 64 { // AVX-512 F broadcasts from a general register
		if k.size == 4 {
			r := GP32()
			MOVL(U32(0x7fffffff), r)
			VPBROADCASTD(r, abs)
			MOVL(U32(0x00800000), r) // 2^-126
			VPBROADCASTD(r, tiny)
		} else {
			r := GP64()
			MOVQ(U64(0x7fffffffffffffff), r)
			VPBROADCASTQ(r, abs)
			MOVQ(U64(0x0010000000000000), r) // 2^-1022
			VPBROADCASTQ(r, tiny)
		}
		return abs, tiny
	}
	VPCMPEQD(abs, abs, abs)
	x := XMM()
	if k.size == 4 {
		VPSRLD(U8(1), abs, abs)
		r := GP32()
		MOVL(U32(0x00800000), r) // 2^-126
		VMOVD(r, x)
		VPBROADCASTD(x, tiny)
	} else {
		VPSRLQ(U8(1), abs, abs)
		r := GP64()
		MOVQ(U64(0x0010000000000000), r) // 2^-1022
		VMOVQ(r, x)
		VPBROADCASTQ(x, tiny)
	}
	return abs, tiny
}

// flush sets the lanes of x whose magnitude is below tiny (zeros and
// subnormals) to +0. AVX2: a compare of |x| with tiny (LT_OQ: false for a
// NaN, which is kept) and an and-not. AVX-512: a compare of |x| with tiny
// into a mask (NLT_UQ: the lanes to keep, a NaN among them) and a move
// that zeroes the others.
func flush(k kind, w width, x, abs, tiny VecVirtual) {
	small := w.reg()
	if w.bytes == 64 {
		VPANDD(x, abs, small) // small = |x| (VANDPS on ZMM needs AVX-512 DQ)
		keep := K()
		k.cmp(U8(0x15), tiny, small, keep) // keep = !(|x| < tiny)
		k.movZ(x, keep, x)                 // x = keep ? x : +0
		return
	}
	k.and(x, abs, small)                // small = |x|
	k.cmp(U8(0x11), tiny, small, small) // small = |x| < tiny (LT_OQ)
	k.andn(x, small, x)                 // x = x &^ small
}

// adam: one Adam step over vectors, as in runtime.Adam and AdamW:
//
//	g' = g, or g + wd·p under adamL2
//	m += w·(g' − m);               m = 0 where |m| < the smallest normal
//	v = v·b2 + (c2·g')·g';         v = 0 where |v| < the smallest normal
//	p = p, or p·keep under adamDecoupled
//	p -= (stepSize·m) / (sqrt(v)/bc2sqrt + eps)
func adam(k kind, wv width) {
	T := k.goType
	name := "adam" + wv.suffix + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(p, g, m, v []%s, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep %s, flags int)", T, T))
	Doc(fmt.Sprintf("%s (%s) takes one Adam step, flushing subnormal moments to zero (flags: %s); every length equals len(p), a multiple of %d.",
		name, wv.what, flagNames([]string{"L2", "decoupled"}), wv.lanes(k)))
	scal := map[string]VecVirtual{}
	var abs, tiny VecVirtual
	optimLoops(name, k, wv, []string{"p", "g", "m", "v"}, []int{0, adamL2, adamDecoupled}, func(f int) {
		names := []string{"w", "b2", "c2", "stepSize", "bc2sqrt", "eps"}
		if f&adamL2 != 0 {
			names = append(names, "wd")
		}
		if f&adamDecoupled != 0 {
			names = append(names, "keep")
		}
		for _, n := range names {
			scal[n] = wv.reg()
			k.broadcast(addr(n), scal[n])
		}
		abs, tiny = flushConsts(k, wv)
	}, func(f int, ptr map[string]Mem) {
		g, m, v, t, u := wv.reg(), wv.reg(), wv.reg(), wv.reg(), wv.reg()
		if f&adamL2 != 0 {
			k.mul(ptr["p"], scal["wd"], g) // g = wd·p
			k.add(ptr["g"], g, g)          // g = g + g'
		} else {
			k.load(ptr["g"], g)
		}
		k.load(ptr["m"], m)
		k.sub(m, g, t)         // t = g - m
		k.mul(scal["w"], t, t) // t = w·t
		k.add(t, m, m)         // m = m + t
		flush(k, wv, m, abs, tiny)
		k.store(m, ptr["m"])
		k.load(ptr["v"], v)
		k.mul(scal["b2"], v, v) // v = v·b2
		k.mul(scal["c2"], g, t) // t = c2·g
		k.mul(g, t, t)          // t = t·g
		k.add(t, v, v)          // v = v + t
		flush(k, wv, v, abs, tiny)
		k.store(v, ptr["v"])
		k.sqrt(v, u)                  // u = sqrt(v)
		k.div(scal["bc2sqrt"], u, u)  // u = u / bc2sqrt
		k.add(scal["eps"], u, u)      // u = u + eps
		k.mul(scal["stepSize"], m, t) // t = stepSize·m
		k.div(u, t, t)                // t = t / u
		k.load(ptr["p"], v)
		if f&adamDecoupled != 0 {
			k.mul(scal["keep"], v, v) // p = p·keep
		}
		k.sub(t, v, v) // p = p - t
		k.store(v, ptr["p"])
	})
}
