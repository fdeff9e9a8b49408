// Package proto holds the forkrl plugin protocol: the .proto files under
// forkrl/v1 and their generated Go code (package forkrlv1), committed so that
// building forkrl needs no protoc.
//
// A plugin serves forkrl.v1.Plugin (Info and Configure, routed by kind) and
// one service per kind it serves: forkrl.v1.Backend, forkrl.v1.Verifier,
// forkrl.v1.Selector. Per-token values travel as Tensor (little-endian
// bytes, a dtype and a shape) inside Ragged (the rows concatenated, and
// their lengths), never as repeated scalars, so that any language decodes
// them with one call (numpy.frombuffer(data, "<f4")). On a connection with
// shared memory, a large tensor's bytes lie in the sender's half of it and
// Tensor.shared says where: framework/plugin/shm.go describes the region,
// which the host passes to the plugin as the file descriptor that
// FORKRL_PLUGIN_SHM_FD names; a plugin that ignores it gets and sends every
// tensor inline. A verifier's roles of a response's bytes travel as RoleSpan
// messages, one per run of bytes with the same role. Settings travel as a
// JSON object, diagnostics as Diagnostic messages inside responses; an
// error status is a transport failure.
//
// A plugin in another language speaks hashicorp/go-plugin's gRPC protocol:
// when started with FORKRL_PLUGIN=forkrl-plugin-protocol in its environment,
// it listens on a socket, serves the services above and grpc.health.v1
// (service "plugin", SERVING), prints one line on stdout,
// "1|1|unix|SOCKET|grpc|", and nothing else on stdout before it. It must
// accept messages of up to 2 GiB; forkrl's plugin.Handshake and
// framework/plugin hold the Go side.
//
// To regenerate after editing a .proto file (protoc 3.21 or later on PATH):
//
//	go generate ./framework/proto
//
// The go:generate lines below pin the generator versions. The last one
// writes the Python message classes that forkrl's Python plugins use
// (plugins/backend/torch/python/forkrl/v1; protoc 3.21 matches Debian 12's
// python3-protobuf).
package proto

//go:generate go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//go:generate go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//go:generate sh -c "PATH=$(go env GOPATH)/bin:$PATH protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative forkrl/v1/plugin.proto forkrl/v1/backend.proto forkrl/v1/verifier.proto forkrl/v1/selector.proto"
//go:generate protoc --python_out=../../plugins/backend/torch/python forkrl/v1/plugin.proto forkrl/v1/backend.proto forkrl/v1/selector.proto
