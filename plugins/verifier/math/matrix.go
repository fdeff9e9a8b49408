package math

// maxProducts bounds the matrix products in one answer.
const maxProducts = 3

// reduceMatrix evaluates sums, differences, scalar multiples and products of
// matrices into one matrix of expressions ("A + B" with both matrices is the
// matrix of entry sums). It reports false when n is not such an expression,
// the shapes do not fit, or it needs more than maxProducts products in all
// (*products counts them).
func reduceMatrix(n *node, products *int) (*node, bool) {
	switch n.kind {
	case nMatrix:
		return n, true
	case nNeg:
		m, ok := reduceMatrix(n.kids[0], products)
		if !ok {
			return nil, false
		}
		return mapEntries(m, func(e *node) *node { return &node{kind: nNeg, kids: []*node{e}} }), true
	case nAdd:
		var acc *node
		for _, k := range n.kids {
			m, ok := reduceMatrix(k, products)
			if !ok {
				return nil, false
			}
			if acc == nil {
				acc = m
				continue
			}
			if !sameShape(acc, m) {
				return nil, false
			}
			out := mapEntries(acc, nil)
			for i, row := range out.kids {
				for j := range row.kids {
					row.kids[j] = &node{kind: nAdd, kids: []*node{acc.kids[i].kids[j], m.kids[i].kids[j]}}
				}
			}
			acc = out
		}
		return acc, acc != nil
	case nMul:
		var acc *node // the product so far: a matrix, or nil while only scalars were seen
		var scalars []*node
		for _, k := range n.kids {
			m, ok := reduceMatrix(k, products)
			if !ok {
				if containsMatrix(k) {
					return nil, false
				}
				scalars = append(scalars, k)
				continue
			}
			if acc == nil {
				acc = m
				continue
			}
			// Each product's entries refer to the previous ones, so a
			// chain of products grows the expressions geometrically.
			if *products++; *products > maxProducts {
				return nil, false
			}
			p, ok := product(acc, m)
			if !ok {
				return nil, false
			}
			acc = p
		}
		if acc == nil {
			return nil, false
		}
		for _, s := range scalars {
			acc = mapEntries(acc, func(e *node) *node { return &node{kind: nMul, kids: []*node{s, e}} })
		}
		return acc, true
	}
	return nil, false
}

func containsMatrix(n *node) bool {
	if n.kind == nMatrix {
		return true
	}
	for _, k := range n.kids {
		if containsMatrix(k) {
			return true
		}
	}
	return false
}

func sameShape(a, b *node) bool {
	return len(a.kids) == len(b.kids) && len(a.kids[0].kids) == len(b.kids[0].kids)
}

// mapEntries copies a matrix, applying f to each entry (f nil: copy).
func mapEntries(m *node, f func(*node) *node) *node {
	out := &node{kind: nMatrix, name: m.name, kids: make([]*node, len(m.kids))}
	for i, row := range m.kids {
		r := &node{kind: nSeq, kids: make([]*node, len(row.kids))}
		for j, e := range row.kids {
			if f != nil {
				e = f(e)
			}
			r.kids[j] = e
		}
		out.kids[i] = r
	}
	return out
}

// product multiplies two matrices of fitting shapes.
func product(a, b *node) (*node, bool) {
	inner := len(a.kids[0].kids)
	if inner != len(b.kids) {
		return nil, false
	}
	out := &node{kind: nMatrix, name: a.name, kids: make([]*node, len(a.kids))}
	for i := range a.kids {
		row := &node{kind: nSeq, kids: make([]*node, len(b.kids[0].kids))}
		for j := range row.kids {
			sum := &node{kind: nAdd}
			for k := 0; k < inner; k++ {
				sum.kids = append(sum.kids, &node{kind: nMul, kids: []*node{a.kids[i].kids[k], b.kids[k].kids[j]}})
			}
			row.kids[j] = sum
		}
		out.kids[i] = row
	}
	return out, true
}
