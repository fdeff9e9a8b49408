package trainer

import "github.com/forkrl/forkrl/framework/rundir"

// means accumulates, over the calls of a step, the weighted sums of named
// metrics and their weights, from which into takes the means. A step's is
// named sums (not acc, which the progress line uses for accuracy).
type means map[string]*[2]float64

// add adds value v with weight w to the mean named name.
func (a means) add(name string, v, w float64) {
	s, ok := a[name]
	if !ok {
		s = new([2]float64)
		a[name] = s
	}
	s[0] += v * w
	s[1] += w
}

// into writes every mean with a positive total weight into m.
func (a means) into(m rundir.Metrics) {
	for name, s := range a {
		if s[1] > 0 {
			m[name] = s[0] / s[1]
		}
	}
}

// stats are the mean, max and min of a list of values.
func stats(m rundir.Metrics, prefix string, xs []float64) {
	if len(xs) == 0 {
		return
	}
	lo, hi, sum := xs[0], xs[0], 0.0
	for _, x := range xs {
		lo, hi, sum = min(lo, x), max(hi, x), sum+x
	}
	m[prefix+"/mean"], m[prefix+"/max"], m[prefix+"/min"] = sum/float64(len(xs)), hi, lo
}
