package trainer

import (
	mrand "math/rand/v2"

	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/seeds"
)

// Problem is one item of a dataset as the trainer sees it: the same as a
// generated problem, whether a generator made it or a data file held it.
type Problem = generator.Problem

// Dataset is a named dataset split into the problems trained on and the
// problems held out for evaluation.
type Dataset struct {
	Name     string
	Verifier string // the label of the verifier that scores it
	Train    []Problem
	Eval     []Problem
}

// trainOrder is the order in which training problems are drawn: file order,
// or with shuffle a fresh seeded permutation per pass over the data
// ("epoch"), so that the problem at any position follows from the seed and
// the position alone.
type trainOrder struct {
	shuffle bool
	seed    uint64
	name    string
	n       int
	epoch   int
	perm    []int
}

// at returns the index of the problem drawn at position pos (0, 1, 2, ...).
func (o *trainOrder) at(pos int) int {
	if !o.shuffle {
		return pos % o.n
	}
	epoch := pos / o.n
	if o.perm == nil || epoch != o.epoch {
		r := mrand.New(mrand.NewPCG(seeds.Stream(o.seed, "data", o.name, epoch), 0))
		o.perm = r.Perm(o.n)
		o.epoch = epoch
	}
	return o.perm[pos%o.n]
}
