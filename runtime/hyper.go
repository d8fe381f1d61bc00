package runtime

import (
	"errors"
	"fmt"
	"math"
)

// Hyperparams are the settings of a generated Model's optimizer, with
// torch.optim's names. The spec gives their starting values, which NewModel
// copies into the model; a program may change them between steps with the
// model's SetHyperparams or SetLR. The fields an optimizer kind has no use
// for are ignored (Momentum and Nesterov by adam, Beta1 by sgd).
type Hyperparams struct {
	// LR is the base learning rate (lr); the schedule scales it.
	LR float64
	// WeightDecay is weight_decay: an L2 penalty added to the gradient for
	// sgd, momentum and adam, the decoupled decay p ← p·(1 − lr·wd) of adamw.
	WeightDecay float64
	// Momentum, Dampening and Nesterov are those of torch.optim.SGD.
	Momentum, Dampening float64
	Nesterov            bool
	// Beta1, Beta2 and Eps are those of torch.optim.Adam and AdamW.
	Beta1, Beta2, Eps float64
	// ClipGradNorm is the max_norm of torch.nn.utils.clip_grad_norm_,
	// applied to the whole gradient before each step; 0 turns it off.
	ClipGradNorm float64
	// Schedule sets the learning rate of each step from LR.
	Schedule Schedule
}

// ScheduleKind is the shape of a learning-rate schedule after its warm-up.
type ScheduleKind uint8

// The schedules, each as its torch.optim.lr_scheduler twin computes it.
const (
	// Constant keeps the base learning rate.
	Constant ScheduleKind = iota
	// Cosine is CosineAnnealingLR(T_max, eta_min).
	Cosine
	// StepDecay is StepLR(step_size, gamma).
	StepDecay
)

var scheduleNames = [...]string{"constant", "cosine", "step"}

// String is the schedule's name in a spec: constant, cosine or step.
func (k ScheduleKind) String() string {
	if int(k) < len(scheduleNames) {
		return scheduleNames[k]
	}
	return fmt.Sprintf("ScheduleKind(%d)", k)
}

// Schedule is a learning-rate schedule: an optional linear warm-up from 0,
// then Kind. It advances once per optimizer step, as scheduler.step() called
// after every optimizer.step().
type Schedule struct {
	// Warmup is the number of warm-up steps: step t < Warmup (counting from
	// 0) uses lr·t/Warmup, a LambdaLR; Kind then starts from its own step 0,
	// as in SequentialLR([warm-up, Kind], milestones=[Warmup]).
	Warmup int
	Kind   ScheduleKind
	// TMax and EtaMin are cosine's T_max and eta_min.
	TMax   int
	EtaMin float64
	// StepSize and Gamma are step's step_size and gamma.
	StepSize int
	Gamma    float64
}

// LRAt returns the learning rate of the step that follows steps optimizer
// steps (so LR(0) is that of the first step), from the closed forms of
// PyTorch's schedulers: they agree with the recursive forms scheduler.step()
// uses to within float64 rounding.
func (h *Hyperparams) LRAt(steps int) float64 {
	s := &h.Schedule
	t := steps
	if t < s.Warmup {
		return h.LR * float64(t) / float64(s.Warmup)
	}
	t -= s.Warmup
	switch s.Kind {
	case Cosine:
		return s.EtaMin + (h.LR-s.EtaMin)*(1+math.Cos(math.Pi*float64(t)/float64(s.TMax)))/2
	case StepDecay:
		return h.LR * math.Pow(s.Gamma, float64(t/s.StepSize))
	}
	return h.LR
}

// Check returns an error naming every setting of h out of the range
// torch.optim allows for the optimizer kind ("sgd", "momentum", "adam" or
// "adamw"), or nil.
func (h *Hyperparams) Check(kind string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !(h.LR > 0) || math.IsInf(h.LR, 1) {
		bad("lr must be a finite number > 0, got %v", h.LR)
	}
	if !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1) {
		bad("weight_decay must be a finite number >= 0, got %v", h.WeightDecay)
	}
	switch kind {
	case "momentum":
		if !(h.Momentum >= 0 && h.Momentum < 1) {
			bad("momentum must be in [0, 1), got %v", h.Momentum)
		}
		if !(h.Dampening >= 0 && h.Dampening <= 1) {
			bad("dampening must be in [0, 1], got %v", h.Dampening)
		}
		if h.Nesterov && (h.Momentum == 0 || h.Dampening != 0) {
			bad("nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD), got momentum %v and dampening %v", h.Momentum, h.Dampening)
		}
	case "adam", "adamw":
		if !(h.Beta1 >= 0 && h.Beta1 < 1) {
			bad("beta1 must be in [0, 1), got %v", h.Beta1)
		}
		if !(h.Beta2 >= 0 && h.Beta2 < 1) {
			bad("beta2 must be in [0, 1), got %v", h.Beta2)
		}
		if !(h.Eps > 0) || math.IsInf(h.Eps, 1) {
			bad("eps must be a finite number > 0, got %v", h.Eps)
		}
	}
	if !(h.ClipGradNorm >= 0) || math.IsInf(h.ClipGradNorm, 1) {
		bad("clip_grad_norm must be a finite number >= 0 (0: off), got %v", h.ClipGradNorm)
	}
	errs = append(errs, h.Schedule.check())
	return errors.Join(errs...)
}

// check returns an error naming every setting of s out of range, or nil.
func (s *Schedule) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Warmup < 0 {
		bad("schedule warmup: steps must be >= 0, got %d", s.Warmup)
	}
	switch s.Kind {
	case Constant:
	case Cosine:
		if s.TMax < 1 {
			bad("schedule cosine: t_max must be >= 1, got %d", s.TMax)
		}
		if !(s.EtaMin >= 0) || math.IsInf(s.EtaMin, 1) {
			bad("schedule cosine: eta_min must be a finite number >= 0, got %v", s.EtaMin)
		}
	case StepDecay:
		if s.StepSize < 1 {
			bad("schedule step: step_size must be >= 1, got %d", s.StepSize)
		}
		if !(s.Gamma > 0) || math.IsInf(s.Gamma, 1) {
			bad("schedule step: gamma must be a finite number > 0, got %v", s.Gamma)
		}
	default:
		bad("unknown schedule %v", s.Kind)
	}
	return errors.Join(errs...)
}

// SetHyperparams checks next for the optimizer kind and, when every setting
// is in range, copies it to h; else it returns an error naming the package
// pkg and every setting out of range, and h stays as it was. It is the body
// of a generated Model's SetHyperparams.
func SetHyperparams(pkg, kind string, h *Hyperparams, next Hyperparams) error {
	if err := next.Check(kind); err != nil {
		return fmt.Errorf("%s: SetHyperparams: %w", pkg, err)
	}
	*h = next
	return nil
}

// SetLR sets the base learning rate of h, the body of a generated Model's
// SetLR. It panics, naming the package pkg, unless lr is a finite number > 0.
func SetLR(pkg string, h *Hyperparams, lr float64) {
	if !(lr > 0) || math.IsInf(lr, 1) {
		panic(fmt.Sprintf("%s: SetLR(%v): the learning rate must be a finite number > 0", pkg, lr))
	}
	h.LR = lr
}
