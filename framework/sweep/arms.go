package sweep

import (
	"encoding/json"
	"strings"

	"github.com/forkrl/forkrl/framework/recipe"
)

// Arm is a group of runs of a recipe whose resolved settings are equal but
// for their name, seed and variables: one arm of an ablation, run once per
// seed.
type Arm struct {
	// Name is the part of the runs' names (split at "-") that they share:
	// "top20" for top20-seed1 … top20-seed3; a lone run's own name.
	Name string
	Runs []int // indices into the recipe's runs, in run order
}

// Arms groups the runs of a recipe into arms, in the order of their first
// runs.
func Arms(runs []recipe.Config) []Arm {
	var arms []Arm
	index := map[string]int{}
	for i := range runs {
		r := runs[i]
		r.Name, r.Seed, r.Train.Seed, r.Variables = "", 0, 0, nil
		key := runs[i].Name
		if b, err := json.Marshal(&r); err == nil {
			key = string(b)
		}
		j, ok := index[key]
		if !ok {
			j = len(arms)
			index[key] = j
			arms = append(arms, Arm{})
		}
		arms[j].Runs = append(arms[j].Runs, i)
	}
	for j := range arms {
		arms[j].Name = sharedName(runs, arms[j].Runs)
	}
	return arms
}

// sharedName joins the "-"-separated parts of the runs' names that all of
// them have at the same place.
func sharedName(runs []recipe.Config, idx []int) string {
	first := strings.Split(runs[idx[0]].Name, "-")
	var keep []string
	for j, part := range first {
		same := true
		for _, i := range idx[1:] {
			parts := strings.Split(runs[i].Name, "-")
			if j >= len(parts) || parts[j] != part {
				same = false
			}
		}
		if same {
			keep = append(keep, part)
		}
	}
	if len(keep) == 0 {
		return runs[idx[0]].Name + "…"
	}
	return strings.Join(keep, "-")
}
