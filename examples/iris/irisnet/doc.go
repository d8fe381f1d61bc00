package irisnet

// The package documentation is in irisnet_gen.go, generated from irisnet.yaml.
// Regenerate it with go generate after editing the spec.

//go:generate go run github.com/gradgen/gradgen/cmd/gradgen gen -o irisnet_gen.go irisnet.yaml
