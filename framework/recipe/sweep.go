package recipe

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Sweep is the recipe's sweep block: what forkrl sweep reports about the
// recipe's matrix.
//
//	sweep {
//	  compare = [["top20", "all"], ["top20", "bottom80"]]
//	}
type Sweep struct {
	// Compare lists pairs of arms, A and B, that forkrl sweep compares
	// paired by seed (A − B). An arm is named by the part of its runs'
	// names that they share: "top20" for top20-seed1 … top20-seed3.
	Compare [][2]string
	// CompareRange is where compare is set, for errors about its names.
	CompareRange hcl.Range
}

// decodeSweep decodes the sweep block, whose values are literals.
func decodeSweep(b *hcl.Block) (Sweep, hcl.Diagnostics) {
	var s Sweep
	if b == nil {
		return s, nil
	}
	compare := spec{"compare", func(v cty.Value, attr *hcl.Attribute) hcl.Diagnostics {
		v, err := convert.Convert(v, cty.List(cty.List(cty.String)))
		if err != nil || !v.IsWhollyKnown() {
			return typeError(attr, fmt.Errorf("compare is a list of pairs of arm names, such as [[\"top20\", \"all\"]]"))
		}
		for _, pair := range v.AsValueSlice() {
			names := pair.AsValueSlice()
			if len(names) != 2 {
				return hcl.Diagnostics{invalid("compare", attr.Expr.Range().Ptr(), "Each element of compare is a pair of arm names, A and B; got %d names.", len(names))}
			}
			s.Compare = append(s.Compare, [2]string{names[0].AsString(), names[1].AsString()})
		}
		s.CompareRange = attr.Expr.Range()
		return nil
	}}
	_, diags := decodeBody("sweep", b.Body, b.DefRange, nil, []spec{compare})
	return s, diags
}
