// Written from golden.json's spec list; add a row when golden.py adds a spec.

package graphgold

import (
	"github.com/gradgen/gradgen/internal/graphgold/nets/ac32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/ac64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/add3leaky32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/densenet64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/dupfrom64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/embcat32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/embnorm64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/embshared32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/embtwo64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnconst64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lndrop32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnheads64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnone32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnres32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnthree64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/lnwide32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/mixed32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/nolosshead32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/onehead32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/residual32"
	"github.com/gradgen/gradgen/internal/graphgold/nets/residual64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/threeheads64"
	"github.com/gradgen/gradgen/internal/graphgold/nets/twobranch64"
)

// nets holds the generated package of every spec of golden.json, by name.
var nets = map[string]any{
	"ac32":         adapt(ac32.NewModel, func(m *ac32.Model) []float32 { return m.Params.Slice() }, func(m *ac32.Model) []float32 { return m.Grad.Slice() }),
	"ac64":         adapt(ac64.NewModel, func(m *ac64.Model) []float64 { return m.Params.Slice() }, func(m *ac64.Model) []float64 { return m.Grad.Slice() }),
	"add3leaky32":  adapt(add3leaky32.NewModel, func(m *add3leaky32.Model) []float32 { return m.Params.Slice() }, func(m *add3leaky32.Model) []float32 { return m.Grad.Slice() }),
	"densenet64":   adapt(densenet64.NewModel, func(m *densenet64.Model) []float64 { return m.Params.Slice() }, func(m *densenet64.Model) []float64 { return m.Grad.Slice() }),
	"dupfrom64":    adapt(dupfrom64.NewModel, func(m *dupfrom64.Model) []float64 { return m.Params.Slice() }, func(m *dupfrom64.Model) []float64 { return m.Grad.Slice() }),
	"embcat32":     adapt(embcat32.NewModel, func(m *embcat32.Model) []float32 { return m.Params.Slice() }, func(m *embcat32.Model) []float32 { return m.Grad.Slice() }),
	"embnorm64":    adapt(embnorm64.NewModel, func(m *embnorm64.Model) []float64 { return m.Params.Slice() }, func(m *embnorm64.Model) []float64 { return m.Grad.Slice() }),
	"embshared32":  adapt(embshared32.NewModel, func(m *embshared32.Model) []float32 { return m.Params.Slice() }, func(m *embshared32.Model) []float32 { return m.Grad.Slice() }),
	"embtwo64":     adapt(embtwo64.NewModel, func(m *embtwo64.Model) []float64 { return m.Params.Slice() }, func(m *embtwo64.Model) []float64 { return m.Grad.Slice() }),
	"lnconst64":    adapt(lnconst64.NewModel, func(m *lnconst64.Model) []float64 { return m.Params.Slice() }, func(m *lnconst64.Model) []float64 { return m.Grad.Slice() }),
	"lndrop32":     adapt(lndrop32.NewModel, func(m *lndrop32.Model) []float32 { return m.Params.Slice() }, func(m *lndrop32.Model) []float32 { return m.Grad.Slice() }),
	"lnheads64":    adapt(lnheads64.NewModel, func(m *lnheads64.Model) []float64 { return m.Params.Slice() }, func(m *lnheads64.Model) []float64 { return m.Grad.Slice() }),
	"lnone32":      adapt(lnone32.NewModel, func(m *lnone32.Model) []float32 { return m.Params.Slice() }, func(m *lnone32.Model) []float32 { return m.Grad.Slice() }),
	"lnres32":      adapt(lnres32.NewModel, func(m *lnres32.Model) []float32 { return m.Params.Slice() }, func(m *lnres32.Model) []float32 { return m.Grad.Slice() }),
	"lnthree64":    adapt(lnthree64.NewModel, func(m *lnthree64.Model) []float64 { return m.Params.Slice() }, func(m *lnthree64.Model) []float64 { return m.Grad.Slice() }),
	"lnwide32":     adapt(lnwide32.NewModel, func(m *lnwide32.Model) []float32 { return m.Params.Slice() }, func(m *lnwide32.Model) []float32 { return m.Grad.Slice() }),
	"mixed32":      adapt(mixed32.NewModel, func(m *mixed32.Model) []float32 { return m.Params.Slice() }, func(m *mixed32.Model) []float32 { return m.Grad.Slice() }),
	"nolosshead32": adapt(nolosshead32.NewModel, func(m *nolosshead32.Model) []float32 { return m.Params.Slice() }, func(m *nolosshead32.Model) []float32 { return m.Grad.Slice() }),
	"onehead32":    adapt(onehead32.NewModel, func(m *onehead32.Model) []float32 { return m.Params.Slice() }, func(m *onehead32.Model) []float32 { return m.Grad.Slice() }),
	"residual32":   adapt(residual32.NewModel, func(m *residual32.Model) []float32 { return m.Params.Slice() }, func(m *residual32.Model) []float32 { return m.Grad.Slice() }),
	"residual64":   adapt(residual64.NewModel, func(m *residual64.Model) []float64 { return m.Params.Slice() }, func(m *residual64.Model) []float64 { return m.Grad.Slice() }),
	"threeheads64": adapt(threeheads64.NewModel, func(m *threeheads64.Model) []float64 { return m.Params.Slice() }, func(m *threeheads64.Model) []float64 { return m.Grad.Slice() }),
	"twobranch64":  adapt(twobranch64.NewModel, func(m *twobranch64.Model) []float64 { return m.Params.Slice() }, func(m *twobranch64.Model) []float64 { return m.Grad.Slice() }),
}
