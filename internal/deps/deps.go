// Package deps pins the project's third-party modules before the packages
// that use them land, so concurrent work shares one go.mod.
package deps

import (
	_ "github.com/dlclark/regexp2/v2"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/hashicorp/hcl/v2"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/zclconf/go-cty/cty"
	_ "go.starlark.net/starlark"
	_ "golang.org/x/sys/cpu"
	_ "golang.org/x/text/unicode/norm"
	_ "gonum.org/v1/gonum/floats"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
)
