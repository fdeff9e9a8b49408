// Package forkrlv1 is the generated Go code of the forkrl plugin protocol,
// version 1 (the .proto files next to it). Do not edit the .pb.go files:
// edit the .proto files and run go generate ./framework/proto.
package forkrlv1
