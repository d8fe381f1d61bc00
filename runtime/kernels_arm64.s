//go:build !purego

// NEON kernels for arm64, hand-written: avo, which writes the amd64 ones,
// has no arm64 back end. Each does the steps of its plain Go twin in
// kernels.go, maps.go or optim.go, in the same order and with the same
// roundings, lane by lane, so that both paths give the same bits: Go's
// arm64 compiler turns x*y + z into one fused FMADD, which is FMLA here,
// and a product rounded by an explicit conversion (T(a*b)) into FMUL, then
// FADD. The macros below take the arrangement (S4: four float32s, D2: two
// float64s) and the matching size bit sz (0, 1) of the instructions that
// Go's assembler lacks, which are written as WORDs.

#include "textflag.h"

// The vector instructions Go's assembler lacks, as WORDs; d, n and m are
// the numbers of the registers Vd, Vn, Vm.

// FADD Vd, Vn, Vm
#define VFADD(sz, d, n, m) WORD $(0x4e20d400 | (sz)<<22 | (m)<<16 | (n)<<5 | (d))
// FSUB Vd, Vn, Vm: n − m
#define VFSUB(sz, d, n, m) WORD $(0x4ea0d400 | (sz)<<22 | (m)<<16 | (n)<<5 | (d))
// FMUL Vd, Vn, Vm
#define VFMUL(sz, d, n, m) WORD $(0x6e20dc00 | (sz)<<22 | (m)<<16 | (n)<<5 | (d))
// FDIV Vd, Vn, Vm: n / m
#define VFDIV(sz, d, n, m) WORD $(0x6e20fc00 | (sz)<<22 | (m)<<16 | (n)<<5 | (d))
// FCMGT Vd, Vn, Vm: all ones where n > m
#define VFCMGT(sz, d, n, m) WORD $(0x6ea0e400 | (sz)<<22 | (m)<<16 | (n)<<5 | (d))
// FSQRT Vd, Vn
#define VFSQRT(sz, d, n) WORD $(0x6ea1f800 | (sz)<<22 | (n)<<5 | (d))
// FABS Vd, Vn
#define VFABS(sz, d, n) WORD $(0x4ea0f800 | (sz)<<22 | (n)<<5 | (d))
// FCMLT Vd, Vn, #0.0: all ones where n < 0
#define VFCMLT0(sz, d, n) WORD $(0x4ea0e800 | (sz)<<22 | (n)<<5 | (d))
// FCMLE Vd, Vn, #0.0: all ones where n <= 0
#define VFCMLE0(sz, d, n) WORD $(0x6ea0d800 | (sz)<<22 | (n)<<5 | (d))
// FMLA Vd.4S, Vn.4S, Vm.S[i]: Vd += Vn · Vm[i]
#define FMLAS(d, n, m, i) WORD $(0x4f801000 | (m)<<16 | ((i)&1)<<21 | ((i)>>1)<<11 | (n)<<5 | (d))
// FMLA Vd.2D, Vn.2D, Vm.D[i]
#define FMLAD(d, n, m, i) WORD $(0x4fc01000 | (m)<<16 | (i)<<11 | (n)<<5 | (d))

// Dot's four sums. The loop s_l += a[i]·b[i] (i ≡ l mod 4) is one FMLA
// per four elements into V0 = (s0, s1, s2, s3) for float32, two into
// V0 = (s0, s1) and V1 = (s2, s3) for float64.

// func dotLanesF32(a, b []float32) (s0, s1, s2, s3 float32)
TEXT ·dotLanesF32(SB), NOSPLIT, $0-64
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R2
	MOVD b_base+24(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	LSR  $4, R2, R3
	AND  $15, R2, R2
	CBZ  R3, dotLanesF32tail

dotLanesF32loop16:
	VLD1.P 64(R0), [V1.S4, V2.S4, V3.S4, V4.S4]
	VLD1.P 64(R1), [V5.S4, V6.S4, V7.S4, V8.S4]
	VFMLA  V5.S4, V1.S4, V0.S4
	VFMLA  V6.S4, V2.S4, V0.S4
	VFMLA  V7.S4, V3.S4, V0.S4
	VFMLA  V8.S4, V4.S4, V0.S4
	SUBS   $1, R3, R3
	BNE    dotLanesF32loop16

dotLanesF32tail:
	CBZ R2, dotLanesF32done

dotLanesF32loop4:
	VLD1.P 16(R0), [V1.S4]
	VLD1.P 16(R1), [V5.S4]
	VFMLA  V5.S4, V1.S4, V0.S4
	SUBS   $4, R2, R2
	BNE    dotLanesF32loop4

dotLanesF32done:
	MOVD $s0+48(FP), R3
	VST1 [V0.S4], (R3)
	RET

// func dotLanesF64(a, b []float64) (s0, s1, s2, s3 float64)
TEXT ·dotLanesF64(SB), NOSPLIT, $0-80
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R2
	MOVD b_base+24(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	LSR  $3, R2, R3
	AND  $7, R2, R2
	CBZ  R3, dotLanesF64tail

dotLanesF64loop8:
	VLD1.P 64(R0), [V2.D2, V3.D2, V4.D2, V5.D2]
	VLD1.P 64(R1), [V6.D2, V7.D2, V8.D2, V9.D2]
	VFMLA  V6.D2, V2.D2, V0.D2
	VFMLA  V7.D2, V3.D2, V1.D2
	VFMLA  V8.D2, V4.D2, V0.D2
	VFMLA  V9.D2, V5.D2, V1.D2
	SUBS   $1, R3, R3
	BNE    dotLanesF64loop8

dotLanesF64tail:
	CBZ R2, dotLanesF64done
	VLD1 (R0), [V2.D2, V3.D2]
	VLD1 (R1), [V6.D2, V7.D2]
	VFMLA V6.D2, V2.D2, V0.D2
	VFMLA V7.D2, V3.D2, V1.D2

dotLanesF64done:
	MOVD $s0+48(FP), R3
	VST1 [V0.D2, V1.D2], (R3)
	RET

// TRANSPOSE4S sets w, x, y, z to the columns of the 4×4 float32 matrix
// whose rows are a, b, c, d (t0…t3 are scratch).
#define TRANSPOSE4S(a, b, c, d, w, x, y, z, t0, t1, t2, t3) \
	VTRN1 b.S4, a.S4, t0.S4;  \
	VTRN2 b.S4, a.S4, t1.S4;  \
	VTRN1 d.S4, c.S4, t2.S4;  \
	VTRN2 d.S4, c.S4, t3.S4;  \
	VTRN1 t2.D2, t0.D2, w.D2; \
	VTRN1 t3.D2, t1.D2, x.D2; \
	VTRN2 t2.D2, t0.D2, y.D2; \
	VTRN2 t3.D2, t1.D2, z.D2

// Dot4 and Dot4x3 sum each product in order, one element after the other,
// so the vectors run across the sums instead: for float32 the four sums
// of w·x0…w·x3 are the lanes of one register. Each step transposes four
// elements of x0…x3 (TRANSPOSE4S: column t is (x0[t], x1[t], x2[t],
// x3[t])) and multiplies column t by w[t] (FMLA by element), so every lane
// adds its products in the order of the plain loop.

// func dot4F32(w, x0, x1, x2, x3 []float32) (s0, s1, s2, s3 float32)
TEXT ·dot4F32(SB), NOSPLIT, $0-136
	MOVD w_base+0(FP), R0
	MOVD w_len+8(FP), R6
	MOVD x0_base+24(FP), R1
	MOVD x1_base+48(FP), R2
	MOVD x2_base+72(FP), R3
	MOVD x3_base+96(FP), R4
	VEOR V0.B16, V0.B16, V0.B16
	CBZ  R6, dot4F32done

dot4F32loop:
	VLD1.P 16(R0), [V1.S4]
	VLD1.P 16(R1), [V2.S4]
	VLD1.P 16(R2), [V3.S4]
	VLD1.P 16(R3), [V4.S4]
	VLD1.P 16(R4), [V5.S4]
	TRANSPOSE4S(V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13)
	FMLAS(0, 6, 1, 0)
	FMLAS(0, 7, 1, 1)
	FMLAS(0, 8, 1, 2)
	FMLAS(0, 9, 1, 3)
	SUBS $4, R6, R6
	BNE  dot4F32loop

dot4F32done:
	MOVD $s0+120(FP), R5
	VST1 [V0.S4], (R5)
	RET

// dot4F64: V0 = (s0, s1), V1 = (s2, s3); two elements per step, the 2×2
// blocks of x0, x1 and of x2, x3 transposed.
//
// func dot4F64(w, x0, x1, x2, x3 []float64) (s0, s1, s2, s3 float64)
TEXT ·dot4F64(SB), NOSPLIT, $0-152
	MOVD w_base+0(FP), R0
	MOVD w_len+8(FP), R6
	MOVD x0_base+24(FP), R1
	MOVD x1_base+48(FP), R2
	MOVD x2_base+72(FP), R3
	MOVD x3_base+96(FP), R4
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	CBZ  R6, dot4F64done

dot4F64loop:
	VLD1.P 16(R0), [V2.D2]
	VLD1.P 16(R1), [V3.D2]
	VLD1.P 16(R2), [V4.D2]
	VLD1.P 16(R3), [V5.D2]
	VLD1.P 16(R4), [V6.D2]
	VTRN1  V4.D2, V3.D2, V7.D2  // (x0[0], x1[0])
	VTRN2  V4.D2, V3.D2, V8.D2  // (x0[1], x1[1])
	VTRN1  V6.D2, V5.D2, V9.D2  // (x2[0], x3[0])
	VTRN2  V6.D2, V5.D2, V10.D2 // (x2[1], x3[1])
	FMLAD(0, 7, 2, 0)
	FMLAD(1, 9, 2, 0)
	FMLAD(0, 8, 2, 1)
	FMLAD(1, 10, 2, 1)
	SUBS $2, R6, R6
	BNE  dot4F64loop

dot4F64done:
	MOVD $s0+120(FP), R5
	VST1 [V0.D2, V1.D2], (R5)
	RET

// dot4x3F32: V0, V1, V2 hold the sums of w0, w1, w2 with x0…x3.
//
// func dot4x3F32(w0, w1, w2, x0, x1, x2, x3 []float32) (s00, …, s23 float32)
TEXT ·dot4x3F32(SB), NOSPLIT, $0-216
	MOVD w0_base+0(FP), R0
	MOVD w0_len+8(FP), R7
	MOVD w1_base+24(FP), R1
	MOVD w2_base+48(FP), R2
	MOVD x0_base+72(FP), R3
	MOVD x1_base+96(FP), R4
	MOVD x2_base+120(FP), R5
	MOVD x3_base+144(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	CBZ  R7, dot4x3F32done

dot4x3F32loop:
	VLD1.P 16(R0), [V3.S4]
	VLD1.P 16(R1), [V4.S4]
	VLD1.P 16(R2), [V5.S4]
	VLD1.P 16(R3), [V6.S4]
	VLD1.P 16(R4), [V7.S4]
	VLD1.P 16(R5), [V8.S4]
	VLD1.P 16(R6), [V9.S4]
	TRANSPOSE4S(V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16, V17)
	FMLAS(0, 10, 3, 0)
	FMLAS(1, 10, 4, 0)
	FMLAS(2, 10, 5, 0)
	FMLAS(0, 11, 3, 1)
	FMLAS(1, 11, 4, 1)
	FMLAS(2, 11, 5, 1)
	FMLAS(0, 12, 3, 2)
	FMLAS(1, 12, 4, 2)
	FMLAS(2, 12, 5, 2)
	FMLAS(0, 13, 3, 3)
	FMLAS(1, 13, 4, 3)
	FMLAS(2, 13, 5, 3)
	SUBS $4, R7, R7
	BNE  dot4x3F32loop

dot4x3F32done:
	MOVD $s00+168(FP), R8
	VST1 [V0.S4, V1.S4, V2.S4], (R8)
	RET

// dot4x3F64: V0…V5 hold (s00, s01), (s02, s03), (s10, s11), …, (s22, s23).
//
// func dot4x3F64(w0, w1, w2, x0, x1, x2, x3 []float64) (s00, …, s23 float64)
TEXT ·dot4x3F64(SB), NOSPLIT, $0-264
	MOVD w0_base+0(FP), R0
	MOVD w0_len+8(FP), R7
	MOVD w1_base+24(FP), R1
	MOVD w2_base+48(FP), R2
	MOVD x0_base+72(FP), R3
	MOVD x1_base+96(FP), R4
	MOVD x2_base+120(FP), R5
	MOVD x3_base+144(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	CBZ  R7, dot4x3F64done

dot4x3F64loop:
	VLD1.P 16(R0), [V6.D2]
	VLD1.P 16(R1), [V7.D2]
	VLD1.P 16(R2), [V8.D2]
	VLD1.P 16(R3), [V9.D2]
	VLD1.P 16(R4), [V10.D2]
	VLD1.P 16(R5), [V11.D2]
	VLD1.P 16(R6), [V12.D2]
	VTRN1  V10.D2, V9.D2, V13.D2  // (x0[0], x1[0])
	VTRN2  V10.D2, V9.D2, V14.D2  // (x0[1], x1[1])
	VTRN1  V12.D2, V11.D2, V15.D2 // (x2[0], x3[0])
	VTRN2  V12.D2, V11.D2, V16.D2 // (x2[1], x3[1])
	FMLAD(0, 13, 6, 0)
	FMLAD(1, 15, 6, 0)
	FMLAD(2, 13, 7, 0)
	FMLAD(3, 15, 7, 0)
	FMLAD(4, 13, 8, 0)
	FMLAD(5, 15, 8, 0)
	FMLAD(0, 14, 6, 1)
	FMLAD(1, 16, 6, 1)
	FMLAD(2, 14, 7, 1)
	FMLAD(3, 16, 7, 1)
	FMLAD(4, 14, 8, 1)
	FMLAD(5, 16, 8, 1)
	SUBS $2, R7, R7
	BNE  dot4x3F64loop

dot4x3F64done:
	MOVD $s00+168(FP), R8
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R8)
	ADD  $64, R8
	VST1 [V4.D2, V5.D2], (R8)
	RET

// The element-wise kernels below share one body per float type, a macro of
// the arrangement arr (S4, D2), its size bit sz and the elements per
// vector, lanes: four vectors per step while they last, then one. The
// caller loads the arguments; labels are local to each function.

// AXPY: y += a·x (FMLA); y at R0, x at R2, R1 elements, a in every lane of V0.
#define AXPY(arr, lanes) \
axpy4: \
	CMP    $(4*lanes), R1; \
	BLT    axpy1; \
	VLD1   (R0), [V1.arr, V2.arr, V3.arr, V4.arr]; \
	VLD1.P 64(R2), [V5.arr, V6.arr, V7.arr, V8.arr]; \
	VFMLA  V5.arr, V0.arr, V1.arr; \
	VFMLA  V6.arr, V0.arr, V2.arr; \
	VFMLA  V7.arr, V0.arr, V3.arr; \
	VFMLA  V8.arr, V0.arr, V4.arr; \
	VST1.P [V1.arr, V2.arr, V3.arr, V4.arr], 64(R0); \
	SUB    $(4*lanes), R1, R1; \
	B      axpy4; \
axpy1: \
	CBZ    R1, axpydone; \
	VLD1   (R0), [V1.arr]; \
	VLD1.P 16(R2), [V5.arr]; \
	VFMLA  V5.arr, V0.arr, V1.arr; \
	VST1.P [V1.arr], 16(R0); \
	SUB    $lanes, R1, R1; \
	B      axpy1; \
axpydone: \
	RET

// func axpyF32(y []float32, a float32, x []float32)
TEXT ·axpyF32(SB), NOSPLIT, $0-56
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVS a+24(FP), F0
	MOVD  x_base+32(FP), R2
	VDUP  V0.S[0], V0.S4
	AXPY(S4, 4)

// func axpyF64(y []float64, a float64, x []float64)
TEXT ·axpyF64(SB), NOSPLIT, $0-56
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVD a+24(FP), F0
	MOVD  x_base+32(FP), R2
	VDUP  V0.D[0], V0.D2
	AXPY(D2, 2)

// SCALE: y = a·x (FMUL); registers as in AXPY.
#define SCALE(arr, sz, lanes) \
scale4: \
	CMP    $(4*lanes), R1; \
	BLT    scale1; \
	VLD1.P 64(R2), [V5.arr, V6.arr, V7.arr, V8.arr]; \
	VFMUL(sz, 1, 0, 5); \
	VFMUL(sz, 2, 0, 6); \
	VFMUL(sz, 3, 0, 7); \
	VFMUL(sz, 4, 0, 8); \
	VST1.P [V1.arr, V2.arr, V3.arr, V4.arr], 64(R0); \
	SUB    $(4*lanes), R1, R1; \
	B      scale4; \
scale1: \
	CBZ    R1, scaledone; \
	VLD1.P 16(R2), [V5.arr]; \
	VFMUL(sz, 1, 0, 5); \
	VST1.P [V1.arr], 16(R0); \
	SUB    $lanes, R1, R1; \
	B      scale1; \
scaledone: \
	RET

// func scaleF32(y []float32, a float32, x []float32)
TEXT ·scaleF32(SB), NOSPLIT, $0-56
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVS a+24(FP), F0
	MOVD  x_base+32(FP), R2
	VDUP  V0.S[0], V0.S4
	SCALE(S4, 0, 4)

// func scaleF64(y []float64, a float64, x []float64)
TEXT ·scaleF64(SB), NOSPLIT, $0-56
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVD a+24(FP), F0
	MOVD  x_base+32(FP), R2
	VDUP  V0.D[0], V0.D2
	SCALE(D2, 1, 2)

// AXPY4: y += s with s = a0·x0 (FMUL), s += a1·x1, s += a2·x2, s += a3·x3
// (FMLA), then y + s (FADD), as Axpy4's loop; two vectors per step, then
// one. y at R0, R1 elements, x0…x3 at R2…R5, a0…a3 in V0…V3.
#define AXPY4(arr, sz, lanes) \
axpy4two: \
	CMP    $(2*lanes), R1; \
	BLT    axpy4one; \
	VLD1.P 32(R2), [V4.arr, V5.arr]; \
	VLD1.P 32(R3), [V6.arr, V7.arr]; \
	VLD1.P 32(R4), [V8.arr, V9.arr]; \
	VLD1.P 32(R5), [V10.arr, V11.arr]; \
	VLD1   (R0), [V12.arr, V13.arr]; \
	VFMUL(sz, 14, 0, 4); \
	VFMUL(sz, 15, 0, 5); \
	VFMLA  V6.arr, V1.arr, V14.arr; \
	VFMLA  V7.arr, V1.arr, V15.arr; \
	VFMLA  V8.arr, V2.arr, V14.arr; \
	VFMLA  V9.arr, V2.arr, V15.arr; \
	VFMLA  V10.arr, V3.arr, V14.arr; \
	VFMLA  V11.arr, V3.arr, V15.arr; \
	VFADD(sz, 12, 12, 14); \
	VFADD(sz, 13, 13, 15); \
	VST1.P [V12.arr, V13.arr], 32(R0); \
	SUB    $(2*lanes), R1, R1; \
	B      axpy4two; \
axpy4one: \
	CBZ    R1, axpy4done; \
	VLD1.P 16(R2), [V4.arr]; \
	VLD1.P 16(R3), [V6.arr]; \
	VLD1.P 16(R4), [V8.arr]; \
	VLD1.P 16(R5), [V10.arr]; \
	VLD1   (R0), [V12.arr]; \
	VFMUL(sz, 14, 0, 4); \
	VFMLA  V6.arr, V1.arr, V14.arr; \
	VFMLA  V8.arr, V2.arr, V14.arr; \
	VFMLA  V10.arr, V3.arr, V14.arr; \
	VFADD(sz, 12, 12, 14); \
	VST1.P [V12.arr], 16(R0); \
axpy4done: \
	RET

// func axpy4F32(y []float32, a0, a1, a2, a3 float32, x0, x1, x2, x3 []float32)
TEXT ·axpy4F32(SB), NOSPLIT, $0-136
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVS a0+24(FP), F0
	FMOVS a1+28(FP), F1
	FMOVS a2+32(FP), F2
	FMOVS a3+36(FP), F3
	MOVD  x0_base+40(FP), R2
	MOVD  x1_base+64(FP), R3
	MOVD  x2_base+88(FP), R4
	MOVD  x3_base+112(FP), R5
	VDUP  V0.S[0], V0.S4
	VDUP  V1.S[0], V1.S4
	VDUP  V2.S[0], V2.S4
	VDUP  V3.S[0], V3.S4
	AXPY4(S4, 0, 4)

// func axpy4F64(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64)
TEXT ·axpy4F64(SB), NOSPLIT, $0-152
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	FMOVD a0+24(FP), F0
	FMOVD a1+32(FP), F1
	FMOVD a2+40(FP), F2
	FMOVD a3+48(FP), F3
	MOVD  x0_base+56(FP), R2
	MOVD  x1_base+80(FP), R3
	MOVD  x2_base+104(FP), R4
	MOVD  x3_base+128(FP), R5
	VDUP  V0.D[0], V0.D2
	VDUP  V1.D[0], V1.D2
	VDUP  V2.D[0], V2.D2
	VDUP  V3.D[0], V3.D2
	AXPY4(D2, 1, 2)

// GER: out = d xᵀ (set: FMUL) or out += d xᵀ (add: FMLA), row by row:
// d[i] in every lane of V0, then the row. out at R0, d at R1, R2 rows, x
// at R3, R4 columns (a multiple of lanes).
#define GER(arr, sz, size, lanes, STEP4, STEP1) \
	CBZ    R2, gerdone; \
gerrow: \
	VLD1R.P size(R1), [V0.arr]; \
	MOVD   R3, R5; \
	MOVD   R4, R6; \
ger4: \
	CMP    $(4*lanes), R6; \
	BLT    ger1; \
	VLD1.P 64(R5), [V1.arr, V2.arr, V3.arr, V4.arr]; \
	STEP4(arr, sz); \
	VST1.P [V5.arr, V6.arr, V7.arr, V8.arr], 64(R0); \
	SUB    $(4*lanes), R6, R6; \
	B      ger4; \
ger1: \
	CBZ    R6, gernext; \
	VLD1.P 16(R5), [V1.arr]; \
	STEP1(arr, sz); \
	VST1.P [V5.arr], 16(R0); \
	SUB    $lanes, R6, R6; \
	B      ger1; \
gernext: \
	SUBS   $1, R2, R2; \
	BNE    gerrow; \
gerdone: \
	RET

// The steps of GER: V5… = d[i]·x (set) or V5… = out + d[i]·x (add).
#define GERSET4(arr, sz) \
	VFMUL(sz, 5, 0, 1); \
	VFMUL(sz, 6, 0, 2); \
	VFMUL(sz, 7, 0, 3); \
	VFMUL(sz, 8, 0, 4)
#define GERSET1(arr, sz) \
	VFMUL(sz, 5, 0, 1)
#define GERADD4(arr, sz) \
	VLD1  (R0), [V5.arr, V6.arr, V7.arr, V8.arr]; \
	VFMLA V1.arr, V0.arr, V5.arr; \
	VFMLA V2.arr, V0.arr, V6.arr; \
	VFMLA V3.arr, V0.arr, V7.arr; \
	VFMLA V4.arr, V0.arr, V8.arr
#define GERADD1(arr, sz) \
	VLD1  (R0), [V5.arr]; \
	VFMLA V1.arr, V0.arr, V5.arr

// func gerSetF32(out, d, x []float32)
TEXT ·gerSetF32(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD d_base+24(FP), R1
	MOVD d_len+32(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	GER(S4, 0, 4, 4, GERSET4, GERSET1)

// func gerSetF64(out, d, x []float64)
TEXT ·gerSetF64(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD d_base+24(FP), R1
	MOVD d_len+32(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	GER(D2, 1, 8, 2, GERSET4, GERSET1)

// func gerAddF32(out, d, x []float32)
TEXT ·gerAddF32(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD d_base+24(FP), R1
	MOVD d_len+32(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	GER(S4, 0, 4, 4, GERADD4, GERADD1)

// func gerAddF64(out, d, x []float64)
TEXT ·gerAddF64(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD d_base+24(FP), R1
	MOVD d_len+32(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	GER(D2, 1, 8, 2, GERADD4, GERADD1)

// GEMVT: out[j] += dy[k]·w[k][j] for k = 0, 1, … in order (FMLA), a block
// of eight vectors of out in V0…V7 through all of dy, then the next; the
// last columns one vector at a time. out at R0, R1 columns, w at R2 (the
// block's column in row 0), dy at R3, R4 rows; R5 is a row of w in bytes.
#define GEMVT(arr, size, lanes, shift) \
	CBZ    R4, gemvtdone; \
	LSL    $shift, R1, R5; \
gemvt8: \
	CMP    $(8*lanes), R1; \
	BLT    gemvt1; \
	ADD    $64, R0, R6; \
	VLD1   (R0), [V0.arr, V1.arr, V2.arr, V3.arr]; \
	VLD1   (R6), [V4.arr, V5.arr, V6.arr, V7.arr]; \
	MOVD   R2, R7; \
	MOVD   R3, R8; \
	MOVD   R4, R9; \
gemvt8k: \
	VLD1R.P size(R8), [V16.arr]; \
	ADD    $64, R7, R10; \
	VLD1   (R7), [V8.arr, V9.arr, V10.arr, V11.arr]; \
	VLD1   (R10), [V12.arr, V13.arr, V14.arr, V15.arr]; \
	ADD    R5, R7, R7; \
	VFMLA  V8.arr, V16.arr, V0.arr; \
	VFMLA  V9.arr, V16.arr, V1.arr; \
	VFMLA  V10.arr, V16.arr, V2.arr; \
	VFMLA  V11.arr, V16.arr, V3.arr; \
	VFMLA  V12.arr, V16.arr, V4.arr; \
	VFMLA  V13.arr, V16.arr, V5.arr; \
	VFMLA  V14.arr, V16.arr, V6.arr; \
	VFMLA  V15.arr, V16.arr, V7.arr; \
	SUBS   $1, R9, R9; \
	BNE    gemvt8k; \
	VST1.P [V0.arr, V1.arr, V2.arr, V3.arr], 64(R0); \
	VST1.P [V4.arr, V5.arr, V6.arr, V7.arr], 64(R0); \
	ADD    $128, R2, R2; \
	SUB    $(8*lanes), R1, R1; \
	B      gemvt8; \
gemvt1: \
	CBZ    R1, gemvtdone; \
	VLD1   (R0), [V0.arr]; \
	MOVD   R2, R7; \
	MOVD   R3, R8; \
	MOVD   R4, R9; \
gemvt1k: \
	VLD1R.P size(R8), [V16.arr]; \
	VLD1   (R7), [V8.arr]; \
	ADD    R5, R7, R7; \
	VFMLA  V8.arr, V16.arr, V0.arr; \
	SUBS   $1, R9, R9; \
	BNE    gemvt1k; \
	VST1.P [V0.arr], 16(R0); \
	ADD    $16, R2, R2; \
	SUB    $lanes, R1, R1; \
	B      gemvt1; \
gemvtdone: \
	RET

// func gemvTF32(out, w, dy []float32)
TEXT ·gemvTF32(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD out_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD dy_base+48(FP), R3
	MOVD dy_len+56(FP), R4
	GEMVT(S4, 4, 4, 2)

// func gemvTF64(out, w, dy []float64)
TEXT ·gemvTF64(SB), NOSPLIT, $0-72
	MOVD out_base+0(FP), R0
	MOVD out_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD dy_base+48(FP), R3
	MOVD dy_len+56(FP), R4
	GEMVT(D2, 8, 2, 3)

// ZEROWHERE sets to +0 the lanes of register y where the mask m is all ones
// (BIT: insert the bits of zero V31 where m is set).
#define ZEROWHERE(m, y) VBIT m.B16, V31.B16, y.B16

// RELU: y = +0 where y < 0 (FCMLT: false for −0 and NaN, which stay); y at
// R0, R1 elements; with a at R2 (RELUGRAD), y = +0 where a <= 0 (FCMLE:
// false for NaN).
#define RELU(arr, sz, lanes, LOAD4, LOAD1) \
	VEOR   V31.B16, V31.B16, V31.B16; \
relu4: \
	CMP    $(4*lanes), R1; \
	BLT    relu1; \
	VLD1   (R0), [V0.arr, V1.arr, V2.arr, V3.arr]; \
	LOAD4(arr, sz); \
	ZEROWHERE(V4, V0); \
	ZEROWHERE(V5, V1); \
	ZEROWHERE(V6, V2); \
	ZEROWHERE(V7, V3); \
	VST1.P [V0.arr, V1.arr, V2.arr, V3.arr], 64(R0); \
	SUB    $(4*lanes), R1, R1; \
	B      relu4; \
relu1: \
	CBZ    R1, reludone; \
	VLD1   (R0), [V0.arr]; \
	LOAD1(arr, sz); \
	ZEROWHERE(V4, V0); \
	VST1.P [V0.arr], 16(R0); \
	SUB    $lanes, R1, R1; \
	B      relu1; \
reludone: \
	RET

// The masks of RELU: V4… = y < 0 (ReLU) or a <= 0 (ReLUGrad).
#define NEG4(arr, sz) \
	VFCMLT0(sz, 4, 0); \
	VFCMLT0(sz, 5, 1); \
	VFCMLT0(sz, 6, 2); \
	VFCMLT0(sz, 7, 3)
#define NEG1(arr, sz) \
	VFCMLT0(sz, 4, 0)
#define NONPOS4(arr, sz) \
	VLD1.P 64(R2), [V8.arr, V9.arr, V10.arr, V11.arr]; \
	VFCMLE0(sz, 4, 8); \
	VFCMLE0(sz, 5, 9); \
	VFCMLE0(sz, 6, 10); \
	VFCMLE0(sz, 7, 11)
#define NONPOS1(arr, sz) \
	VLD1.P 16(R2), [V8.arr]; \
	VFCMLE0(sz, 4, 8)

// func reluF32(y []float32)
TEXT ·reluF32(SB), NOSPLIT, $0-24
	MOVD y_base+0(FP), R0
	MOVD y_len+8(FP), R1
	RELU(S4, 0, 4, NEG4, NEG1)

// func reluF64(y []float64)
TEXT ·reluF64(SB), NOSPLIT, $0-24
	MOVD y_base+0(FP), R0
	MOVD y_len+8(FP), R1
	RELU(D2, 1, 2, NEG4, NEG1)

// func reluGradF32(y, a []float32)
TEXT ·reluGradF32(SB), NOSPLIT, $0-48
	MOVD y_base+0(FP), R0
	MOVD y_len+8(FP), R1
	MOVD a_base+24(FP), R2
	RELU(S4, 0, 4, NONPOS4, NONPOS1)

// func reluGradF64(y, a []float64)
TEXT ·reluGradF64(SB), NOSPLIT, $0-48
	MOVD y_base+0(FP), R0
	MOVD y_len+8(FP), R1
	MOVD a_base+24(FP), R2
	RELU(D2, 1, 2, NONPOS4, NONPOS1)

// The optimizer steps of optim.go, one vector per step, in its order and
// roundings: every product rounded (FMUL) before it is added, as Go's T(a*b)
// conversions demand, and FSQRT, which rounds like the float32 square root
// taken in float64. Options are bits of flags in R9, tested per step (TBZ),
// a branch that always goes the same way.

// SGD: p -= a·d, d = g or, with flag 1 (decay), g + wd·p. p at R0, R1
// elements, g at R2; a, wd in V0, V1.
#define SGD(arr, sz, lanes) \
	CBZ    R1, sgddone; \
sgdloop: \
	VLD1   (R0), [V2.arr]; \
	VLD1.P 16(R2), [V3.arr]; \
	TBZ    $0, R9, sgdstep; \
	VFMUL(sz, 4, 1, 2); \
	VFADD(sz, 3, 3, 4); \
sgdstep: \
	VFMUL(sz, 3, 0, 3); \
	VFSUB(sz, 2, 2, 3); \
	VST1.P [V2.arr], 16(R0); \
	SUBS   $lanes, R1, R1; \
	BNE    sgdloop; \
sgddone: \
	RET

// func sgdF32(p, g []float32, a, wd float32, flags int)
TEXT ·sgdF32(SB), NOSPLIT, $0-64
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R1
	MOVD  g_base+24(FP), R2
	FMOVS a+48(FP), F0
	FMOVS wd+52(FP), F1
	MOVD  flags+56(FP), R9
	VDUP  V0.S[0], V0.S4
	VDUP  V1.S[0], V1.S4
	SGD(S4, 0, 4)

// func sgdF64(p, g []float64, a, wd float64, flags int)
TEXT ·sgdF64(SB), NOSPLIT, $0-72
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R1
	MOVD  g_base+24(FP), R2
	FMOVD a+48(FP), F0
	FMOVD wd+56(FP), F1
	MOVD  flags+64(FP), R9
	VDUP  V0.D[0], V0.D2
	VDUP  V1.D[0], V1.D2
	SGD(D2, 1, 2)

// MOMENTUM, flags 1 decay, 2 first, 4 nesterov:
//
//	d = g, plus wd·p with decay
//	b = d on the first step, else mu·v + c·d; v = b
//	d = d + mu·b with nesterov, else b
//	p -= a·d
//
// p at R0, R1 elements, g at R2, v at R3; a, mu, c, wd in V0…V3.
#define MOMENTUM(arr, sz, lanes) \
	CBZ    R1, momdone; \
momloop: \
	VLD1.P 16(R2), [V4.arr]; \
	VLD1   (R0), [V5.arr]; \
	TBZ    $0, R9, momnodecay; \
	VFMUL(sz, 6, 3, 5); \
	VFADD(sz, 4, 4, 6); \
momnodecay: \
	TBZ    $1, R9, momlater; \
	VORR   V4.B16, V4.B16, V7.B16; \
	B      momstore; \
momlater: \
	VLD1   (R3), [V7.arr]; \
	VFMUL(sz, 7, 1, 7); \
	VFMUL(sz, 6, 2, 4); \
	VFADD(sz, 7, 7, 6); \
momstore: \
	VST1.P [V7.arr], 16(R3); \
	TBZ    $2, R9, momstep; \
	VFMUL(sz, 6, 1, 7); \
	VFADD(sz, 7, 4, 6); \
momstep: \
	VFMUL(sz, 6, 0, 7); \
	VFSUB(sz, 5, 5, 6); \
	VST1.P [V5.arr], 16(R0); \
	SUBS   $lanes, R1, R1; \
	BNE    momloop; \
momdone: \
	RET

// func momentumF32(p, g, v []float32, a, mu, c, wd float32, flags int)
TEXT ·momentumF32(SB), NOSPLIT, $0-96
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R1
	MOVD  g_base+24(FP), R2
	MOVD  v_base+48(FP), R3
	FMOVS a+72(FP), F0
	FMOVS mu+76(FP), F1
	FMOVS c+80(FP), F2
	FMOVS wd+84(FP), F3
	MOVD  flags+88(FP), R9
	VDUP  V0.S[0], V0.S4
	VDUP  V1.S[0], V1.S4
	VDUP  V2.S[0], V2.S4
	VDUP  V3.S[0], V3.S4
	MOMENTUM(S4, 0, 4)

// func momentumF64(p, g, v []float64, a, mu, c, wd float64, flags int)
TEXT ·momentumF64(SB), NOSPLIT, $0-112
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R1
	MOVD  g_base+24(FP), R2
	MOVD  v_base+48(FP), R3
	FMOVD a+72(FP), F0
	FMOVD mu+80(FP), F1
	FMOVD c+88(FP), F2
	FMOVD wd+96(FP), F3
	MOVD  flags+104(FP), R9
	VDUP  V0.D[0], V0.D2
	VDUP  V1.D[0], V1.D2
	VDUP  V2.D[0], V2.D2
	VDUP  V3.D[0], V3.D2
	MOMENTUM(D2, 1, 2)

// FLUSH sets to +0 the lanes of register X (number x) whose magnitude is
// below the smallest normal number in V8 (FCMGT: false for NaN, which
// stays).
#define FLUSH(sz, x, X) \
	VFABS(sz, 13, x); \
	VFCMGT(sz, 13, 8, 13); \
	ZEROWHERE(V13, X)

// ADAM, flags 1 L2, 2 decoupled:
//
//	g' = g, plus wd·p with L2
//	m += w·(g' − m);          flushed
//	v = v·b2 + (c2·g')·g';    flushed
//	p = p, times keep if decoupled
//	p -= (stepSize·m) / (sqrt(v)/bc2sqrt + eps)
//
// p at R0, R1 elements, g at R2, m at R3, v at R4; w, b2, c2, stepSize,
// bc2sqrt, eps, wd, keep in V0…V7, the smallest normal number in V8.
#define ADAM(arr, sz, lanes) \
	CBZ    R1, adamdone; \
	VEOR   V31.B16, V31.B16, V31.B16; \
adamloop: \
	VLD1.P 16(R2), [V9.arr]; \
	VLD1   (R0), [V10.arr]; \
	TBZ    $0, R9, adamm; \
	VFMUL(sz, 11, 6, 10); \
	VFADD(sz, 9, 9, 11); \
adamm: \
	VLD1   (R3), [V12.arr]; \
	VFSUB(sz, 11, 9, 12); \
	VFMUL(sz, 11, 0, 11); \
	VFADD(sz, 12, 12, 11); \
	FLUSH(sz, 12, V12); \
	VST1.P [V12.arr], 16(R3); \
	VLD1   (R4), [V14.arr]; \
	VFMUL(sz, 14, 14, 1); \
	VFMUL(sz, 11, 2, 9); \
	VFMUL(sz, 11, 11, 9); \
	VFADD(sz, 14, 14, 11); \
	FLUSH(sz, 14, V14); \
	VST1.P [V14.arr], 16(R4); \
	VFSQRT(sz, 15, 14); \
	VFDIV(sz, 15, 15, 4); \
	VFADD(sz, 15, 15, 5); \
	VFMUL(sz, 11, 3, 12); \
	VFDIV(sz, 11, 11, 15); \
	TBZ    $1, R9, adamp; \
	VFMUL(sz, 10, 10, 7); \
adamp: \
	VFSUB(sz, 10, 10, 11); \
	VST1.P [V10.arr], 16(R0); \
	SUBS   $lanes, R1, R1; \
	BNE    adamloop; \
adamdone: \
	RET

// func adamF32(p, g, m, v []float32, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float32, flags int)
TEXT ·adamF32(SB), NOSPLIT, $0-136
	MOVD p_base+0(FP), R0
	MOVD p_len+8(FP), R1
	MOVD g_base+24(FP), R2
	MOVD m_base+48(FP), R3
	MOVD v_base+72(FP), R4
	FMOVS w+96(FP), F0
	FMOVS b2+100(FP), F1
	FMOVS c2+104(FP), F2
	FMOVS stepSize+108(FP), F3
	FMOVS bc2sqrt+112(FP), F4
	FMOVS eps+116(FP), F5
	FMOVS wd+120(FP), F6
	FMOVS keep+124(FP), F7
	MOVD  flags+128(FP), R9
	VDUP  V0.S[0], V0.S4
	VDUP  V1.S[0], V1.S4
	VDUP  V2.S[0], V2.S4
	VDUP  V3.S[0], V3.S4
	VDUP  V4.S[0], V4.S4
	VDUP  V5.S[0], V5.S4
	VDUP  V6.S[0], V6.S4
	VDUP  V7.S[0], V7.S4
	MOVW  $0x00800000, R10 // 2^-126
	VDUP  R10, V8.S4
	ADAM(S4, 0, 4)

// func adamF64(p, g, m, v []float64, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float64, flags int)
TEXT ·adamF64(SB), NOSPLIT, $0-168
	MOVD p_base+0(FP), R0
	MOVD p_len+8(FP), R1
	MOVD g_base+24(FP), R2
	MOVD m_base+48(FP), R3
	MOVD v_base+72(FP), R4
	FMOVD w+96(FP), F0
	FMOVD b2+104(FP), F1
	FMOVD c2+112(FP), F2
	FMOVD stepSize+120(FP), F3
	FMOVD bc2sqrt+128(FP), F4
	FMOVD eps+136(FP), F5
	FMOVD wd+144(FP), F6
	FMOVD keep+152(FP), F7
	MOVD  flags+160(FP), R9
	VDUP  V0.D[0], V0.D2
	VDUP  V1.D[0], V1.D2
	VDUP  V2.D[0], V2.D2
	VDUP  V3.D[0], V3.D2
	VDUP  V4.D[0], V4.D2
	VDUP  V5.D[0], V5.D2
	VDUP  V6.D[0], V6.D2
	VDUP  V7.D[0], V7.D2
	MOVD  $0x0010000000000000, R10 // 2^-1022
	VDUP  R10, V8.D2
	ADAM(D2, 1, 2)

// The micro-kernel of MulNT (gemm_arm64.go): for each of groups groups of
// four rows of b, the sums of a tile of four vectors of rows of a by those
// four rows, the rows of a in the lanes, each summed in order over k steps
// as Dot4x3 and Dot4 sum them. pack holds the tile's rows of a transposed
// (step p's four vectors at pack + 64·p); b the groups' rows of b, ldb
// elements apart; acc the sums, in and out, group by group and column by
// column (four vectors each), in V0…V15 while a group runs. The main loop
// takes a vector of steps of b at once (four float32s, two float64s) and
// multiplies by its elements (FMLA by element, NTSTEP); the steps past the
// last whole vector broadcast b's elements one at a time (LD1R).
//
// R0 k, R1 pack, R2 b, R3 ldb, R4 acc, R9 groups on entry.
#define NTKERNEL(arr, size, shift, lanes, MAIN) \
	LSL    $shift, R3, R3; \
	LSL    $2, R3, R11; \
	MOVD   R1, R10; \
	MOVD   R0, R13; \
ntgroup: \
	MOVD   R2, R12; \
	ADD    R3, R2, R5; \
	ADD    R3, R5, R6; \
	ADD    R3, R6, R7; \
	MOVD   R10, R1; \
	MOVD   R13, R0; \
	MOVD   R4, R8; \
	VLD1.P 64(R8), [V0.arr, V1.arr, V2.arr, V3.arr]; \
	VLD1.P 64(R8), [V4.arr, V5.arr, V6.arr, V7.arr]; \
	VLD1.P 64(R8), [V8.arr, V9.arr, V10.arr, V11.arr]; \
	VLD1   (R8), [V12.arr, V13.arr, V14.arr, V15.arr]; \
ntmain: \
	CMP    $lanes, R0; \
	BLT    nttail; \
	VLD1.P 16(R2), [V20.arr]; \
	VLD1.P 16(R5), [V21.arr]; \
	VLD1.P 16(R6), [V22.arr]; \
	VLD1.P 16(R7), [V23.arr]; \
	MAIN; \
	SUB    $lanes, R0, R0; \
	B      ntmain; \
nttail: \
	CBZ    R0, ntstore; \
	VLD1.P 64(R1), [V16.arr, V17.arr, V18.arr, V19.arr]; \
	VLD1R.P size(R2), [V20.arr]; \
	VLD1R.P size(R5), [V21.arr]; \
	VLD1R.P size(R6), [V22.arr]; \
	VLD1R.P size(R7), [V23.arr]; \
	VFMLA  V16.arr, V20.arr, V0.arr; \
	VFMLA  V17.arr, V20.arr, V1.arr; \
	VFMLA  V18.arr, V20.arr, V2.arr; \
	VFMLA  V19.arr, V20.arr, V3.arr; \
	VFMLA  V16.arr, V21.arr, V4.arr; \
	VFMLA  V17.arr, V21.arr, V5.arr; \
	VFMLA  V18.arr, V21.arr, V6.arr; \
	VFMLA  V19.arr, V21.arr, V7.arr; \
	VFMLA  V16.arr, V22.arr, V8.arr; \
	VFMLA  V17.arr, V22.arr, V9.arr; \
	VFMLA  V18.arr, V22.arr, V10.arr; \
	VFMLA  V19.arr, V22.arr, V11.arr; \
	VFMLA  V16.arr, V23.arr, V12.arr; \
	VFMLA  V17.arr, V23.arr, V13.arr; \
	VFMLA  V18.arr, V23.arr, V14.arr; \
	VFMLA  V19.arr, V23.arr, V15.arr; \
	SUB    $1, R0, R0; \
	B      nttail; \
ntstore: \
	VST1.P [V0.arr, V1.arr, V2.arr, V3.arr], 64(R4); \
	VST1.P [V4.arr, V5.arr, V6.arr, V7.arr], 64(R4); \
	VST1.P [V8.arr, V9.arr, V10.arr, V11.arr], 64(R4); \
	VST1.P [V12.arr, V13.arr, V14.arr, V15.arr], 64(R4); \
	ADD    R11, R12, R2; \
	SUBS   $1, R9, R9; \
	BNE    ntgroup; \
	RET

// NTSTEP is step i of NTKERNEL's main loop: the step's four vectors of a
// times element i of each of b's four vectors V20…V23.
#define NTSTEP(arr, FMLAE, i) \
	VLD1.P 64(R1), [V16.arr, V17.arr, V18.arr, V19.arr]; \
	FMLAE(0, 16, 20, i); \
	FMLAE(1, 17, 20, i); \
	FMLAE(2, 18, 20, i); \
	FMLAE(3, 19, 20, i); \
	FMLAE(4, 16, 21, i); \
	FMLAE(5, 17, 21, i); \
	FMLAE(6, 18, 21, i); \
	FMLAE(7, 19, 21, i); \
	FMLAE(8, 16, 22, i); \
	FMLAE(9, 17, 22, i); \
	FMLAE(10, 18, 22, i); \
	FMLAE(11, 19, 22, i); \
	FMLAE(12, 16, 23, i); \
	FMLAE(13, 17, 23, i); \
	FMLAE(14, 18, 23, i); \
	FMLAE(15, 19, 23, i)

#define NTMAINS NTSTEP(S4, FMLAS, 0); NTSTEP(S4, FMLAS, 1); NTSTEP(S4, FMLAS, 2); NTSTEP(S4, FMLAS, 3)
#define NTMAIND NTSTEP(D2, FMLAD, 0); NTSTEP(D2, FMLAD, 1)

// func ntKernelF32(k int, pack, b *float32, ldb int, acc *float32, groups int)
TEXT ·ntKernelF32(SB), NOSPLIT, $0-48
	MOVD k+0(FP), R0
	MOVD pack+8(FP), R1
	MOVD b+16(FP), R2
	MOVD ldb+24(FP), R3
	MOVD acc+32(FP), R4
	MOVD groups+40(FP), R9
	NTKERNEL(S4, 4, 2, 4, NTMAINS)

// func ntKernelF64(k int, pack, b *float64, ldb int, acc *float64, groups int)
TEXT ·ntKernelF64(SB), NOSPLIT, $0-48
	MOVD k+0(FP), R0
	MOVD pack+8(FP), R1
	MOVD b+16(FP), R2
	MOVD ldb+24(FP), R3
	MOVD acc+32(FP), R4
	MOVD groups+40(FP), R9
	NTKERNEL(D2, 8, 3, 2, NTMAIND)
