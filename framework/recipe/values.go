package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// toJSONValue converts a known cty value into float64, string, bool, nil,
// []any and map[string]any, the forms that Settings and Run.Variables hold.
func toJSONValue(v cty.Value) (any, error) {
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("the value is not known")
	}
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	var x any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return x, nil
}
