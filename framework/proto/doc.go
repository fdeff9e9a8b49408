// Package proto holds the forkrl plugin protocol: the .proto files under
// forkrl/v1 and their generated Go code (package forkrlv1), committed so that
// building forkrl needs no protoc.
//
// To regenerate after editing a .proto file (protoc 3.21 or later on PATH):
//
//	go generate ./framework/proto
//
// The go:generate lines below pin the generator versions.
package proto

//go:generate go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//go:generate go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//go:generate sh -c "PATH=$(go env GOPATH)/bin:$PATH protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative forkrl/v1/plugin.proto forkrl/v1/backend.proto forkrl/v1/verifier.proto forkrl/v1/selector.proto"
