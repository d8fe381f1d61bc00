// Code written by hand from golden.json's model list; add a row when golden.py adds a model.

package onnxgold

import (
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce1dynf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce1f64op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce3dynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce3f64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/deepdynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/deepf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattendynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattendynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattenf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flineardynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flinearf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/linearnobiasdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/linearnobiasf64op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/logsoftmaxdynf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/logsoftmaxf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmulinoutdynf64op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmulinoutf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmuloutindynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmuloutinf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapef32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutdynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqidentitydynf64op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqidentityf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqleakyreludynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqleakyreluf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqsigmoiddynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqsigmoidf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqtanhdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqtanhf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/sigheaddynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/sigheadf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/viewdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/viewf64op9"
)

// nets holds the generated package of every model of golden.json, by name.
var nets = map[string]any{
	"bce1_dyn_f32_op17":          adapt(bce1dynf32op17.NewPretrained, func(m *bce1dynf32op17.Model) []float32 { return m.Params.Slice() }, bce1dynf32op17.Layout),
	"bce1_f64_op11":              adapt(bce1f64op11.NewPretrained, func(m *bce1f64op11.Model) []float64 { return m.Params.Slice() }, bce1f64op11.Layout),
	"bce3_dyn_f32_op13":          adapt(bce3dynf32op13.NewPretrained, func(m *bce3dynf32op13.Model) []float32 { return m.Params.Slice() }, bce3dynf32op13.Layout),
	"bce3_f64_op13":              adapt(bce3f64op13.NewPretrained, func(m *bce3f64op13.Model) []float64 { return m.Params.Slice() }, bce3f64op13.Layout),
	"deep_dyn_f64_op17":          adapt(deepdynf64op17.NewPretrained, func(m *deepdynf64op17.Model) []float64 { return m.Params.Slice() }, deepdynf64op17.Layout),
	"deep_f32_op13":              adapt(deepf32op13.NewPretrained, func(m *deepf32op13.Model) []float32 { return m.Params.Slice() }, deepf32op13.Layout),
	"flatten_dyn_f32_op9":        adapt(flattendynf32op9.NewPretrained, func(m *flattendynf32op9.Model) []float32 { return m.Params.Slice() }, flattendynf32op9.Layout),
	"flatten_dyn_f64_op17":       adapt(flattendynf64op17.NewPretrained, func(m *flattendynf64op17.Model) []float64 { return m.Params.Slice() }, flattendynf64op17.Layout),
	"flatten_f32_op13":           adapt(flattenf32op13.NewPretrained, func(m *flattenf32op13.Model) []float32 { return m.Params.Slice() }, flattenf32op13.Layout),
	"flinear_dyn_f64_op13":       adapt(flineardynf64op13.NewPretrained, func(m *flineardynf64op13.Model) []float64 { return m.Params.Slice() }, flineardynf64op13.Layout),
	"flinear_f32_op13":           adapt(flinearf32op13.NewPretrained, func(m *flinearf32op13.Model) []float32 { return m.Params.Slice() }, flinearf32op13.Layout),
	"linear_nobias_dyn_f32_op13": adapt(linearnobiasdynf32op13.NewPretrained, func(m *linearnobiasdynf32op13.Model) []float32 { return m.Params.Slice() }, linearnobiasdynf32op13.Layout),
	"linear_nobias_f64_op9":      adapt(linearnobiasf64op9.NewPretrained, func(m *linearnobiasf64op9.Model) []float64 { return m.Params.Slice() }, linearnobiasf64op9.Layout),
	"logsoftmax_dyn_f32_op11":    adapt(logsoftmaxdynf32op11.NewPretrained, func(m *logsoftmaxdynf32op11.Model) []float32 { return m.Params.Slice() }, logsoftmaxdynf32op11.Layout),
	"logsoftmax_f64_op17":        adapt(logsoftmaxf64op17.NewPretrained, func(m *logsoftmaxf64op17.Model) []float64 { return m.Params.Slice() }, logsoftmaxf64op17.Layout),
	"matmul_inout_dyn_f64_op9":   adapt(matmulinoutdynf64op9.NewPretrained, func(m *matmulinoutdynf64op9.Model) []float64 { return m.Params.Slice() }, matmulinoutdynf64op9.Layout),
	"matmul_inout_f32_op13":      adapt(matmulinoutf32op13.NewPretrained, func(m *matmulinoutf32op13.Model) []float32 { return m.Params.Slice() }, matmulinoutf32op13.Layout),
	"matmul_outin_dyn_f32_op13":  adapt(matmuloutindynf32op13.NewPretrained, func(m *matmuloutindynf32op13.Model) []float32 { return m.Params.Slice() }, matmuloutindynf32op13.Layout),
	"matmul_outin_f64_op17":      adapt(matmuloutinf64op17.NewPretrained, func(m *matmuloutinf64op17.Model) []float64 { return m.Params.Slice() }, matmuloutinf64op17.Layout),
	"reshape_dyn_f32_op13":       adapt(reshapedynf32op13.NewPretrained, func(m *reshapedynf32op13.Model) []float32 { return m.Params.Slice() }, reshapedynf32op13.Layout),
	"reshape_dyn_f32_op9":        adapt(reshapedynf32op9.NewPretrained, func(m *reshapedynf32op9.Model) []float32 { return m.Params.Slice() }, reshapedynf32op9.Layout),
	"reshape_dyn_f64_op13":       adapt(reshapedynf64op13.NewPretrained, func(m *reshapedynf64op13.Model) []float64 { return m.Params.Slice() }, reshapedynf64op13.Layout),
	"reshape_f32_op13":           adapt(reshapef32op13.NewPretrained, func(m *reshapef32op13.Model) []float32 { return m.Params.Slice() }, reshapef32op13.Layout),
	"seq_dropout_dyn_f32_op9":    adapt(seqdropoutdynf32op9.NewPretrained, func(m *seqdropoutdynf32op9.Model) []float32 { return m.Params.Slice() }, seqdropoutdynf32op9.Layout),
	"seq_dropout_dyn_f64_op13":   adapt(seqdropoutdynf64op13.NewPretrained, func(m *seqdropoutdynf64op13.Model) []float64 { return m.Params.Slice() }, seqdropoutdynf64op13.Layout),
	"seq_dropout_f32_op13":       adapt(seqdropoutf32op13.NewPretrained, func(m *seqdropoutf32op13.Model) []float32 { return m.Params.Slice() }, seqdropoutf32op13.Layout),
	"seq_identity_dyn_f64_op11":  adapt(seqidentitydynf64op11.NewPretrained, func(m *seqidentitydynf64op11.Model) []float64 { return m.Params.Slice() }, seqidentitydynf64op11.Layout),
	"seq_identity_f32_op13":      adapt(seqidentityf32op13.NewPretrained, func(m *seqidentityf32op13.Model) []float32 { return m.Params.Slice() }, seqidentityf32op13.Layout),
	"seq_leakyrelu_dyn_f32_op13": adapt(seqleakyreludynf32op13.NewPretrained, func(m *seqleakyreludynf32op13.Model) []float32 { return m.Params.Slice() }, seqleakyreludynf32op13.Layout),
	"seq_leakyrelu_f64_op17":     adapt(seqleakyreluf64op17.NewPretrained, func(m *seqleakyreluf64op17.Model) []float64 { return m.Params.Slice() }, seqleakyreluf64op17.Layout),
	"seq_relu_dyn_f32_op11":      adapt(seqreludynf32op11.NewPretrained, func(m *seqreludynf32op11.Model) []float32 { return m.Params.Slice() }, seqreludynf32op11.Layout),
	"seq_relu_dyn_f32_op17":      adapt(seqreludynf32op17.NewPretrained, func(m *seqreludynf32op17.Model) []float32 { return m.Params.Slice() }, seqreludynf32op17.Layout),
	"seq_relu_dyn_f64_op17":      adapt(seqreludynf64op17.NewPretrained, func(m *seqreludynf64op17.Model) []float64 { return m.Params.Slice() }, seqreludynf64op17.Layout),
	"seq_relu_f32_op13":          adapt(seqreluf32op13.NewPretrained, func(m *seqreluf32op13.Model) []float32 { return m.Params.Slice() }, seqreluf32op13.Layout),
	"seq_relu_f32_op9":           adapt(seqreluf32op9.NewPretrained, func(m *seqreluf32op9.Model) []float32 { return m.Params.Slice() }, seqreluf32op9.Layout),
	"seq_relu_f64_op13":          adapt(seqreluf64op13.NewPretrained, func(m *seqreluf64op13.Model) []float64 { return m.Params.Slice() }, seqreluf64op13.Layout),
	"seq_sigmoid_dyn_f64_op13":   adapt(seqsigmoiddynf64op13.NewPretrained, func(m *seqsigmoiddynf64op13.Model) []float64 { return m.Params.Slice() }, seqsigmoiddynf64op13.Layout),
	"seq_sigmoid_f32_op11":       adapt(seqsigmoidf32op11.NewPretrained, func(m *seqsigmoidf32op11.Model) []float32 { return m.Params.Slice() }, seqsigmoidf32op11.Layout),
	"seq_tanh_dyn_f64_op13":      adapt(seqtanhdynf64op13.NewPretrained, func(m *seqtanhdynf64op13.Model) []float64 { return m.Params.Slice() }, seqtanhdynf64op13.Layout),
	"seq_tanh_f32_op17":          adapt(seqtanhf32op17.NewPretrained, func(m *seqtanhf32op17.Model) []float32 { return m.Params.Slice() }, seqtanhf32op17.Layout),
	"sighead_dyn_f32_op13":       adapt(sigheaddynf32op13.NewPretrained, func(m *sigheaddynf32op13.Model) []float32 { return m.Params.Slice() }, sigheaddynf32op13.Layout),
	"sighead_f64_op17":           adapt(sigheadf64op17.NewPretrained, func(m *sigheadf64op17.Model) []float64 { return m.Params.Slice() }, sigheadf64op17.Layout),
	"softmax_dyn_f32_op13":       adapt(softmaxdynf32op13.NewPretrained, func(m *softmaxdynf32op13.Model) []float32 { return m.Params.Slice() }, softmaxdynf32op13.Layout),
	"softmax_dyn_f64_op13":       adapt(softmaxdynf64op13.NewPretrained, func(m *softmaxdynf64op13.Model) []float64 { return m.Params.Slice() }, softmaxdynf64op13.Layout),
	"softmax_f32_op9":            adapt(softmaxf32op9.NewPretrained, func(m *softmaxf32op9.Model) []float32 { return m.Params.Slice() }, softmaxf32op9.Layout),
	"view_dyn_f32_op13":          adapt(viewdynf32op13.NewPretrained, func(m *viewdynf32op13.Model) []float32 { return m.Params.Slice() }, viewdynf32op13.Layout),
	"view_f64_op9":               adapt(viewf64op9.NewPretrained, func(m *viewf64op9.Model) []float64 { return m.Params.Slice() }, viewf64op9.Layout),
}
