package trainer

import (
	"fmt"
	"strconv"

	"github.com/forkrl/forkrl/framework/data"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/seeds"
)

// LoadDatasets reads or generates the datasets a run declares: files are
// read, their fields mapped, duplicates dropped, the held-out split drawn
// with the seeded stream "split/NAME", and prompts rendered from the
// template; generators come from generators by name.
func LoadDatasets(cfg *recipe.Config, generators map[string]generator.Generator) ([]Dataset, error) {
	out := make([]Dataset, 0, len(cfg.Datasets))
	for i := range cfg.Datasets {
		spec := &cfg.Datasets[i]
		ds, err := loadDataset(cfg, spec, generators)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", spec.Name, err)
		}
		out = append(out, ds)
	}
	return out, nil
}

func loadDataset(cfg *recipe.Config, spec *recipe.Dataset, generators map[string]generator.Generator) (Dataset, error) {
	ds := Dataset{Name: spec.Name, Verifier: spec.Verifier}
	var prompt *data.Prompt
	if spec.PromptTemplate != "" {
		var err error
		if prompt, err = data.NewPrompt(spec.PromptTemplate); err != nil {
			return ds, err
		}
	}
	if g := spec.Generator; g != nil {
		gen, ok := generators[g.Type]
		if !ok {
			return ds, fmt.Errorf("no built-in generator %q", g.Type)
		}
		train, eval, diags := gen.Generate(g.Settings)
		if err := diags.Err(); err != nil {
			return ds, fmt.Errorf("generator %q: %w", g.Type, err)
		}
		for _, part := range [][]Problem{train, eval} {
			for j := range part {
				if prompt != nil {
					var err error
					if part[j].Prompt, err = prompt.Render(data.Record{ID: part[j].ID, Problem: part[j].Problem, Answer: part[j].Answer}); err != nil {
						return ds, err
					}
				}
			}
		}
		ds.Train, ds.Eval = limit(train, spec.Limit), eval
		return ds, nil
	}
	var recs []data.Record
	for _, f := range spec.Files {
		rows, err := data.ReadFile(f, spec.Format)
		if err != nil {
			return ds, err
		}
		r, err := data.Map(rows, data.Fields{Problem: spec.Fields.Problem, Answer: spec.Fields.Answer, ID: spec.Fields.ID}, f)
		if err != nil {
			return ds, err
		}
		recs = append(recs, r...)
	}
	recs, _ = data.Dedup(recs)
	recs = limit(recs, spec.Limit)
	seed := cfg.Seed
	if spec.Seed != 0 {
		seed = spec.Seed
	}
	nEval := spec.Split.EvalCount
	if spec.Split.EvalFraction > 0 {
		nEval = int(spec.Split.EvalFraction * float64(len(recs)))
	}
	// Records are drawn by position: ids need not be unique across files.
	byPos := make([]data.Record, len(recs))
	for i := range recs {
		byPos[i] = data.Record{ID: strconv.Itoa(i), Problem: recs[i].Problem}
	}
	held := map[string]bool{}
	for _, r := range data.Shuffle(byPos, seeds.Stream(seed, "split", spec.Name))[:min(nEval, len(recs))] {
		held[r.ID] = true
	}
	for i, r := range recs {
		p := Problem{ID: r.ID, Prompt: r.Problem, Problem: r.Problem, Answer: r.Answer}
		if prompt != nil {
			var err error
			if p.Prompt, err = prompt.Render(r); err != nil {
				return ds, err
			}
		}
		if held[strconv.Itoa(i)] {
			ds.Eval = append(ds.Eval, p)
		} else {
			ds.Train = append(ds.Train, p)
		}
	}
	return ds, nil
}

// limit keeps the first n elements; n = 0 keeps them all.
func limit[T any](xs []T, n int) []T {
	if n > 0 && n < len(xs) {
		return xs[:n]
	}
	return xs
}
