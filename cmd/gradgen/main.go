// Command gradgen compiles a network spec into Go code that trains and runs it.
//
// Usage:
//
//	gradgen gen [-o FILE] SPEC      write the generated Go file (default: SPEC's name with _gen.go)
//	gradgen check [-o FILE] SPEC    exit 1 with a short diff if FILE is missing or stale
//	gradgen ir [-after PASS] [-format text|dot] SPEC
//	                                print the IR after every pass, or after PASS, or draw it
//	gradgen explain [-format md|tex] SPEC
//	                                print the derivation of the backward pass
//	gradgen version                 print gradgen's version
//
// Exit codes: 0 ok, 1 stale file or failed check, 2 usage or spec error.
// It is meant to run from go generate:
//
//	//go:generate go tool gradgen gen -o net_gen.go net.yaml
package main

import (
	"os"

	"github.com/gradgen/gradgen/cmd/gradgen/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
