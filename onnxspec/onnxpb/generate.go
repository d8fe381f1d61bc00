// Package onnxpb is the Go code protoc-gen-go generates from onnx.proto, the
// ONNX format's protobuf schema (ONNX 1.12, IR version 8, as Debian's
// libonnx-dev ships it in /usr/include/onnx/onnx.proto, copied here). The
// generated code is checked in, so building needs neither protoc nor the
// schema; to regenerate, with Debian's protobuf-compiler and protoc-gen-go at
// the version google.golang.org/protobuf has in go.mod:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./onnxspec/onnxpb
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/gradgen/gradgen/onnxspec/onnxpb onnx.proto
