package hooks

import (
	"fmt"
	mrand "math/rand/v2"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/forkrl/forkrl/framework/seeds"
)

const randLocal = "forkrl.rand"

// newRand derives the random stream of one call from the run seed, the hook,
// the step and the index of the call within the step, so that a run replays
// the same numbers, and a resumed run continues them.
func newRand(seed uint64, hook string, step int, call uint64) *mrand.Rand {
	return mrand.New(mrand.NewPCG(seeds.Stream(seed, "hooks", hook, step, call), 0))
}

func threadRand(th *starlark.Thread) *mrand.Rand {
	if r, ok := th.Local(randLocal).(*mrand.Rand); ok {
		return r
	}
	return mrand.New(mrand.NewPCG(0, 0))
}

// randModule is the predeclared rand module: random(), uniform(a, b),
// randint(a, b) (both ends included) and choice(seq).
var randModule = &starlarkstruct.Module{
	Name: "rand",
	Members: starlark.StringDict{
		"random": starlark.NewBuiltin("rand.random", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kw, 0); err != nil {
				return nil, err
			}
			return starlark.Float(threadRand(th).Float64()), nil
		}),
		"uniform": starlark.NewBuiltin("rand.uniform", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var lo, hi float64
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kw, 2, &lo, &hi); err != nil {
				return nil, err
			}
			return starlark.Float(lo + (hi-lo)*threadRand(th).Float64()), nil
		}),
		"randint": starlark.NewBuiltin("rand.randint", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var lo, hi int
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kw, 2, &lo, &hi); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, fmt.Errorf("rand.randint: empty range [%d, %d]", lo, hi)
			}
			return starlark.MakeInt(lo + threadRand(th).IntN(hi-lo+1)), nil
		}),
		"choice": starlark.NewBuiltin("rand.choice", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var seq starlark.Indexable
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kw, 1, &seq); err != nil {
				return nil, err
			}
			if seq.Len() == 0 {
				return nil, fmt.Errorf("rand.choice: empty sequence")
			}
			return seq.Index(threadRand(th).IntN(seq.Len())), nil
		}),
	},
}
