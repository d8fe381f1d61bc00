// Peer benchmarks: gradgen's training steps written in Gorgonia. A separate
// module so that Gorgonia and its dependencies never enter gradgen's go.mod.
module github.com/gradgen/gradgen/bench/peers

go 1.26.0

require (
	github.com/gradgen/gradgen v0.0.0-00010101000000-000000000000
	github.com/yalue/onnxruntime_go v1.27.0
	gorgonia.org/gorgonia v0.9.18
	gorgonia.org/tensor v0.9.23
)

require (
	github.com/apache/arrow/go/arrow v0.0.0-20211112161151-bc219186db40 // indirect
	github.com/awalterschulze/gographviz v2.0.3+incompatible // indirect
	github.com/chewxy/hm v1.0.0 // indirect
	github.com/chewxy/math32 v1.10.1 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang/protobuf v1.5.2 // indirect
	github.com/google/flatbuffers v2.0.6+incompatible // indirect
	github.com/google/uuid v1.3.0 // indirect
	github.com/leesper/go_rng v0.0.0-20190531154944-a612b043e353 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/xtgo/set v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	gorgonia.org/cu v0.9.4 // indirect
	gorgonia.org/dawson v1.2.0 // indirect
	gorgonia.org/vecf32 v0.9.0 // indirect
	gorgonia.org/vecf64 v0.9.0 // indirect
)

// Dependency overrides, each newer than what gorgonia v0.9.18 asks for.
// gorgonia.org/tensor v0.9.23 pins v0.0.0-20211027215541-db492cf91b37,
// whose init panics on any Go release it does not list ("your version of
// go4.org/unsafe/assume-no-moving-gc hasn't been updated to assert that
// it's safe against the go1.26 runtime"). The latest version asks the
// runtime instead (Go >= 1.21), so it runs on Go 1.26.
require go4.org/unsafe/assume-no-moving-gc v0.0.0-20231121144256-b99613f794b6 // indirect

// gradgen itself, from this checkout: the generated benchmark networks and
// the ONNX exporter the ONNX Runtime peer runs them through.
replace github.com/gradgen/gradgen => ../..
