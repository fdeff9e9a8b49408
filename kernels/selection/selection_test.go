package selection

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

var (
	factE = [][]float32{{.1, .2, .3, .4, .5, .6}, {.7, .8, .9, 1.0, 1.1, 1.2}}
	factM = [][]bool{{true, true, true, true, true, true}, {true, true, true, true, false, false}}
)

func newWeights(e [][]float32) [][]float32 {
	w := make([][]float32, len(e))
	for i, r := range e {
		w[i] = make([]float32, len(r))
	}
	return w
}

func TestQuantileFacts(t *testing.T) {
	allMasked := [][]bool{make([]bool, 6), make([]bool, 6)}
	tests := []struct {
		name    string
		mask    [][]bool
		rho     float64
		wantThr float64
		want    [][]float32
	}{
		{"rho .2", factM, 0.2, 0.82, [][]float32{{0, 0, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0}}},
		{"rho .5", factM, 0.5, 0.55, [][]float32{{0, 0, 0, 0, 0, 1}, {1, 1, 1, 1, 0, 0}}},
		{"rho 1", factM, 1, 0.1, [][]float32{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}}},
		{"rho 0", factM, 0, 1.0, [][]float32{{0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0}}},
		{"all masked", allMasked, 0.2, 0, [][]float32{{0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}}},
	}
	for _, tt := range tests {
		w := newWeights(factE)
		res := Select(w, factE, tt.mask, Options{Mode: Top, Rule: Quantile, Rho: tt.rho})
		if math.Abs(res.Threshold-tt.wantThr) > 1e-6 || !reflect.DeepEqual(w, tt.want) {
			t.Errorf("%s: threshold %g weights %v, want %g %v", tt.name, res.Threshold, w, tt.wantThr, tt.want)
		}
		if got := count(w); res.Selected != got {
			t.Errorf("%s: Selected=%d, weights hold %d", tt.name, res.Selected, got)
		}
	}
}

func count(w [][]float32) int {
	n := 0
	for _, r := range w {
		for _, v := range r {
			if v != 0 {
				n++
			}
		}
	}
	return n
}

func TestTopKCountFacts(t *testing.T) {
	tests := []struct {
		n    int
		rho  float64
		want int
	}{
		{10, 0.2, 2}, {4096, 0.2, 820}, {16, 0.1, 2}, {16, 0, 1}, {16, 1, 16},
		{10, 0.3, 3},
		{100, 0.07, 7}, {100, 0.55, 55}, // 100·0.07 = 7.000000000000001 and 100·0.55 = 55.00000000000001 in float64: still 7 and 55
		{0, 0.2, 0}, {1, 0.2, 1}, {7, 1.5, 7},
	}
	for _, tt := range tests {
		if got := TopKCount(tt.n, tt.rho); got != tt.want {
			t.Errorf("TopKCount(%d, %g) = %d, want %d", tt.n, tt.rho, got, tt.want)
		}
		e := [][]float32{make([]float32, tt.n)}
		for i := range e[0] {
			e[0][i] = float32(i % 3)
		}
		w := newWeights(e)
		if res := Select(w, e, nil, Options{Mode: Top, Rule: TopK, Rho: tt.rho}); res.Selected != tt.want || count(w) != tt.want {
			t.Errorf("Select top-k n=%d rho=%g: selected %d (%d weights), want %d", tt.n, tt.rho, res.Selected, count(w), tt.want)
		}
	}
}

func TestRulesDiffer(t *testing.T) {
	tests := []struct {
		name    string
		e       []float32
		rho     float64
		rule    Rule
		want    []float32
		wantThr float64
	}{
		{"quantile .3", []float32{1, 2, 3, 4}, 0.3, Quantile, []float32{0, 0, 0, 1}, 3.1},
		{"topk .3", []float32{1, 2, 3, 4}, 0.3, TopK, []float32{0, 0, 1, 1}, 3},
		{"quantile ties", []float32{1, 1, 1, 1, 1}, 0.2, Quantile, []float32{1, 1, 1, 1, 1}, 1},
		{"topk ties keep earliest", []float32{1, 1, 1, 1, 1}, 0.2, TopK, []float32{1, 0, 0, 0, 0}, 1},
		{"topk ties after larger", []float32{2, 5, 2, 2, 5, 1}, 0.5, TopK, []float32{1, 1, 0, 0, 1, 0}, 2},
	}
	for _, tt := range tests {
		e := [][]float32{tt.e}
		w := newWeights(e)
		res := Select(w, e, nil, Options{Mode: Top, Rule: tt.rule, Rho: tt.rho})
		if !reflect.DeepEqual(w[0], tt.want) || math.Abs(res.Threshold-tt.wantThr) > 1e-6 {
			t.Errorf("%s: weights %v threshold %g, want %v %g", tt.name, w[0], res.Threshold, tt.want, tt.wantThr)
		}
	}
}

func TestTieBreakAcrossSequences(t *testing.T) {
	// Equal entropies: the earlier sequence wins, then the earlier position.
	e := [][]float32{{0.5, 0.9}, {0.9, 0.9, 0.1}, {0.9}}
	w := newWeights(e)
	Select(w, e, nil, Options{Mode: Top, Rule: TopK, Rho: 0.5}) // n=6 → k=3
	want := [][]float32{{0, 1}, {1, 1, 0}, {0}}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("weights %v, want %v", w, want)
	}
}

func TestModesAndNames(t *testing.T) {
	for _, m := range []Mode{Top, Bottom, Random, All} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	for _, r := range []Rule{TopK, Quantile} {
		got, err := ParseRule(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRule(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseMode("highest"); err == nil {
		t.Error("ParseMode accepted an unknown name")
	}
	if _, err := ParseRule("exact"); err == nil {
		t.Error("ParseRule accepted an unknown name")
	}
	w := newWeights(factE)
	if res := Select(w, factE, factM, Options{Mode: All}); res.Selected != 10 || res.Valid != 10 {
		t.Errorf("All: %+v", res)
	}
	if res := Select(w, factE, factM, Options{Mode: Bottom, Rule: Quantile, Rho: 0.8}); res.Selected != 8 || count(w) != 8 || w[1][2] != 0 || w[0][0] != 1 {
		t.Errorf("Bottom 0.8 quantile: %+v %v", res, w)
	}
}

// randomBatch draws a ragged batch with a mask and plenty of ties.
func randomBatch(rng *rand.Rand) ([][]float32, [][]bool) {
	rows := rng.IntN(6)
	e := make([][]float32, rows)
	m := make([][]bool, rows)
	levels := 1 + rng.IntN(20)
	for i := range e {
		n := rng.IntN(40)
		e[i] = make([]float32, n)
		m[i] = make([]bool, n)
		for j := range e[i] {
			e[i][j] = float32(rng.IntN(levels)) * 0.25
			m[i][j] = rng.IntN(5) > 0
		}
	}
	return e, m
}

// sortedTopK is the reference: sort valid tokens by (entropy desc, batch order) and keep k.
func sortedTopK(e [][]float32, m [][]bool, k int) [][]float32 {
	type tok struct {
		e    float32
		i, j int
	}
	var toks []tok
	for i := range e {
		for j := range e[i] {
			if m[i][j] {
				toks = append(toks, tok{e[i][j], i, j})
			}
		}
	}
	slices.SortStableFunc(toks, func(a, b tok) int {
		switch {
		case a.e > b.e:
			return -1
		case a.e < b.e:
			return 1
		}
		return 0
	})
	w := newWeights(e)
	for _, t := range toks[:min(k, len(toks))] {
		w[t.i][t.j] = 1
	}
	return w
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for it := range 2000 {
		e, m := randomBatch(rng)
		rho := rng.Float64()
		if it%10 == 0 {
			rho = float64(rng.IntN(11)) / 10
		}
		n := 0
		for _, r := range m {
			for _, v := range r {
				if v {
					n++
				}
			}
		}
		for _, rule := range []Rule{TopK, Quantile} {
			top, bot, rnd := newWeights(e), newWeights(e), newWeights(e)
			rt := Select(top, e, m, Options{Mode: Top, Rule: rule, Rho: rho})
			rb := Select(bot, e, m, Options{Mode: Bottom, Rule: rule, Rho: 1 - rho})
			rr := Select(rnd, e, m, Options{Mode: Random, Rule: rule, Rho: rho, Seed: uint64(it)})
			if rule == TopK {
				if rt.Selected != TopKCount(n, rho) {
					t.Fatalf("top-k selected %d of %d at rho %g", rt.Selected, n, rho)
				}
				if want := sortedTopK(e, m, rt.Selected); !reflect.DeepEqual(top, want) {
					t.Fatalf("top-k differs from the sorted reference:\n%v\n%v", top, want)
				}
			}
			if rr.Selected != rt.Selected || count(rnd) != rr.Selected {
				t.Fatalf("%v: random selected %d, top %d", rule, rr.Selected, rt.Selected)
			}
			if rt.Selected+rb.Selected != n {
				t.Fatalf("%v: top %g (%d) and bottom %g (%d) do not partition %d valid tokens", rule, rho, rt.Selected, 1-rho, rb.Selected, n)
			}
			for i := range e {
				for j := range e[i] {
					if !m[i][j] && (top[i][j] != 0 || bot[i][j] != 0 || rnd[i][j] != 0) {
						t.Fatal("an invalid token was selected")
					}
					if m[i][j] && top[i][j]+bot[i][j] != 1 {
						t.Fatal("top and bottom overlap or miss a token")
					}
				}
			}
		}
	}
}

func TestPermutationInvariance(t *testing.T) {
	// Permuting the sequences permutes the selection, as long as no ties straddle
	// the cut (ties are broken by order by design): use distinct entropies.
	rng := rand.New(rand.NewPCG(13, 14))
	for range 200 {
		rows := 1 + rng.IntN(5)
		e := make([][]float32, rows)
		for i := range e {
			e[i] = make([]float32, rng.IntN(30))
			for j := range e[i] {
				e[i][j] = rng.Float32()
			}
		}
		perm := rng.Perm(rows)
		pe := make([][]float32, rows)
		for i, p := range perm {
			pe[i] = e[p]
		}
		rho := rng.Float64()
		for _, rule := range []Rule{TopK, Quantile} {
			w, pw := newWeights(e), newWeights(pe)
			r1 := Select(w, e, nil, Options{Rule: rule, Rho: rho})
			r2 := Select(pw, pe, nil, Options{Rule: rule, Rho: rho})
			if r1 != r2 {
				t.Fatalf("%v: results differ under permutation: %+v %+v", rule, r1, r2)
			}
			for i, p := range perm {
				if !reflect.DeepEqual(pw[i], w[p]) {
					t.Fatalf("%v: selection is not permuted with the sequences", rule)
				}
			}
		}
	}
}

func TestRandomIsSeeded(t *testing.T) {
	e := [][]float32{make([]float32, 1000)}
	a, b, c := newWeights(e), newWeights(e), newWeights(e)
	Select(a, e, nil, Options{Mode: Random, Rho: 0.2, Seed: 1})
	Select(b, e, nil, Options{Mode: Random, Rho: 0.2, Seed: 1})
	Select(c, e, nil, Options{Mode: Random, Rho: 0.2, Seed: 2})
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Error("random selection is not a function of its seed")
	}
}

func TestQuantileAndKthLargestAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var s Selector
	for range 500 {
		n := 1 + rng.IntN(3000)
		x := make([]float32, n)
		for i := range x {
			switch rng.IntN(3) {
			case 0:
				x[i] = float32(rng.NormFloat64())
			case 1:
				x[i] = float32(rng.IntN(5))
			default:
				x[i] = float32(rng.ExpFloat64() * 1e-3)
			}
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		k := 1 + rng.IntN(n)
		v, above := s.KthLargest(x, k)
		wantAbove := 0
		for _, u := range x {
			if u > sorted[n-k] {
				wantAbove++
			}
		}
		if v != sorted[n-k] || above != wantAbove {
			t.Fatalf("KthLargest(k=%d) = %g, %d; want %g, %d", k, v, above, sorted[n-k], wantAbove)
		}
		q := rng.Float64()
		if got, want := s.Quantile(x, q), sortedQuantile(sorted, q); got != want {
			t.Fatalf("Quantile(%g) = %g, want %g", q, got, want)
		}
	}
}

// TestLargeInputs covers the sampled bracket of large inputs, including
// inputs built so that the sample misses the rank (the fallback path).
func TestLargeInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 200_003
	stride := n / sampleSize
	shapes := map[string]func(i int) float32{
		"entropy-like": func(int) float32 {
			if rng.IntN(5) > 0 {
				return float32(rng.ExpFloat64() * 0.02)
			}
			return float32(rng.Float64() * 3)
		},
		"sorted":     func(i int) float32 { return float32(i) },
		"reversed":   func(i int) float32 { return float32(n - i) },
		"few levels": func(int) float32 { return float32(rng.IntN(3)) },
		"one value":  func(int) float32 { return 0.5 },
		"sample misses": func(i int) float32 {
			return map[bool]float32{true: 9, false: float32(rng.Float64())}[i%stride == stride/2]
		},
	}
	var s Selector
	for name, f := range shapes {
		x := make([]float32, n)
		for i := range x {
			x[i] = f(i)
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		for _, k := range []int{1, 2, n / 5, n / 2, n - 1, n} {
			v, above := s.KthLargest(x, k)
			wantAbove, _ := slices.BinarySearch(sorted, math.Nextafter32(sorted[n-k], float32(math.Inf(1))))
			if v != sorted[n-k] || above != n-wantAbove {
				t.Errorf("%s: KthLargest(k=%d) = %g, %d; want %g, %d", name, k, v, above, sorted[n-k], n-wantAbove)
			}
		}
		for _, q := range []float64{0, 0.2, 0.8, 0.123456, 1} {
			if got, want := s.Quantile(x, q), sortedQuantile(sorted, q); got != want {
				t.Errorf("%s: Quantile(%g) = %g, want %g", name, q, got, want)
			}
		}
	}
}

// sortedQuantile is torch.quantile's arithmetic on sorted float32 values
// (aten's quantile: ranks = q·last_index, weights = ranks − floor, lerp),
// by sorting: the reference of Quantile's selection without sorting.
func sortedQuantile(sorted []float32, q float64) float32 {
	pos := float32(float32(q) * float32(len(sorted)-1))
	lo := int(pos)
	hi := int(math.Ceil(float64(pos)))
	w := float32(pos - float32(lo))
	a, b := sorted[lo], sorted[hi]
	if w < 0.5 {
		return a + float32(w*float32(b-a))
	}
	return b - float32(float32(b-a)*float32(1-w))
}

// TestQuantileMatchesTorch compares Quantile with torch.quantile (PyTorch
// 1.13, float32) on values sqrt((7919·j mod n) + 1)·0.37, j < n, at
// q = 1 − ρ as TRL's get_high_entropy_mask takes it. The table holds the bits
// of torch's results, from
//
//	x = torch.tensor([math.sqrt((j*7919)%n+1)*0.37 for j in range(n)], dtype=torch.float32)
//	torch.quantile(x, 1-rho)
//
// Many of these positions fall on a data point, some only up to float64's
// rounding (n = 21, ρ = 0.7: 20·0.30000000000000004).
func TestQuantileMatchesTorch(t *testing.T) {
	rhos := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	torch := map[int]string{
		2:    "3f0207e8 3efc3704 3ef45e38 3eec856c 3ee4aca0 3edcd3d4 3ed4fb08 3ecd223c 3ec54970",
		3:    "3f1e09eb 3f180484 3f11ff1c 3f0bf9b5 3f05f44e 3efc3704 3eec856c 3edcd3d4 3ecd223c",
		5:    "3f4adb31 3f41e97e 3f385d2d 3f2e3640 3f240f52 3f180484 3f0bf9b5 3efc3704 3edcd3d4",
		10:   "3f8ed93a 3f879457 3f7fcbe6 3f6f739e 3f5de874 3f4adb31 3f35d372 3f1e09eb 3f0207e8",
		11:   "3f95c3f6 3f8e147b 3f85f44e 3f7a9b06 3f680403 3f53cce4 3f3d70a4 3f240f52 3f05f44e",
		20:   "3fc97b68 3fbe9b27 3fb3121e 3fa6bd4e 3f996ba0 3f8ad469 3f750752 3f4f540a 3f210c9e",
		21:   "3fce6ffd 3fc34531 3fb76cab 3faac248 3f9d134a 3f8e147b 3f7a9b06 3f53cce4 3f240f52",
		41:   "40100a31 40080800 3fff0a9a 3feccccd 3fd907e2 3fc34531 3faac248 3f8e147b 3f53cce4",
		101:  "4061e48f 40551eb8 404787fe 4038f25c 40291be9 4017a040 4003d83c 3fd907e2 3f9d134a",
		1001: "4131b2da 41278c29 411cbd85 4111216e 410481ee 40ed1887 40cd6a94 40a7dc69 406dfb26",
	}
	var s Selector
	for n, row := range torch {
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(math.Sqrt(float64((j*7919)%n+1)) * 0.37)
		}
		for i, hex := range strings.Fields(row) {
			bits, err := strconv.ParseUint(hex, 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			want := math.Float32frombits(uint32(bits))
			if got := s.Quantile(x, 1-rhos[i]); got != want {
				t.Errorf("n=%d ρ=%g: Quantile = %.9g (%08x), torch.quantile %.9g (%s)", n, rhos[i], got, math.Float32bits(got), want, hex)
			}
		}
	}
}

// TestQuantilePositionOnDataPoint checks the quantile rule where the
// position of the (1−ρ)-quantile falls on a data point, or within rounding
// of one, on values 10⁻⁴·2^((37j) mod n) (far apart, so float64 arithmetic
// puts the interpolated quantile past the data point whenever the position
// is past it). The counts are torch's: (torch.tensor(e) >= torch.quantile(
// torch.tensor(e), 1-rho)).sum(). With n = 21 and ρ = 0.7 float64 puts the
// position at 20·0.30000000000000004 = 6.000000000000001 and would leave
// the 7th smallest value out; torch's float32 puts it at 6 and keeps it. With
// n = 101 and ρ = 0.7 torch's float32 position is 30.000002, past the data
// point, and torch leaves it out.
func TestQuantilePositionOnDataPoint(t *testing.T) {
	for _, tc := range []struct {
		n, selected int
		rho         float64
	}{{21, 15, 0.7}, {11, 8, 0.7}, {6, 4, 0.6}, {11, 10, 0.9}, {51, 16, 0.3}, {101, 70, 0.7}, {5, 2, 0.25}, {41, 13, 0.3}, {31, 28, 0.9}} {
		e := make([]float32, tc.n)
		for j := range e {
			e[j] = float32(1e-4 * math.Pow(2, float64((j*37)%tc.n)))
		}
		w := newWeights([][]float32{e})
		res := Select(w, [][]float32{e}, nil, Options{Mode: Top, Rule: Quantile, Rho: tc.rho})
		if res.Selected != tc.selected || count(w) != tc.selected {
			t.Errorf("n=%d ρ=%g: %d selected (threshold %.9g), torch selects %d", tc.n, tc.rho, res.Selected, res.Threshold, tc.selected)
		}
	}
}

func TestQuantileInfinities(t *testing.T) {
	var s Selector
	inf := float32(math.Inf(1))
	tests := []struct {
		x    []float32
		q    float64
		want float32
	}{
		{[]float32{-inf, 1}, 0.5, -inf},
		{[]float32{1, inf}, 0.5, inf},
		{[]float32{inf, inf}, 0.5, inf},
		{[]float32{-inf, inf}, 0.5, -inf},
		{[]float32{1, inf}, 0.25, inf},
	}
	for _, tt := range tests {
		if got := s.Quantile(tt.x, tt.q); got != tt.want {
			t.Errorf("Quantile(%v, %g) = %g, want %g", tt.x, tt.q, got, tt.want)
		}
	}
}

func FuzzSelect(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(3), 0.2, uint8(0), uint8(0), uint64(1))
	f.Add([]byte{}, uint8(0), 0.0, uint8(1), uint8(1), uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, rows uint8, rho float64, mode, rule uint8, seed uint64) {
		// Bytes become a ragged batch: 4 bytes per float32, row lengths cycle.
		nrows := int(rows%8) + 1
		e := make([][]float32, nrows)
		m := make([][]bool, nrows)
		for i := 0; len(data) >= 4; i = (i + 1) % nrows {
			u := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
			e[i] = append(e[i], math.Float32frombits(u))
			m[i] = append(m[i], data[0]&1 == 0)
			data = data[4:]
		}
		w := newWeights(e)
		for i := range w {
			for j := range w[i] {
				w[i][j] = 7 // must be overwritten
			}
		}
		opt := Options{Mode: Mode(mode % 4), Rule: Rule(rule % 2), Rho: rho, Seed: seed}
		res := Select(w, e, m, opt)
		n, valid := 0, 0
		for i := range w {
			for j, v := range w[i] {
				if v != 0 && v != 1 {
					t.Fatalf("weight %g is not 0/1", v)
				}
				ok := m[i][j] && !math.IsNaN(float64(e[i][j]))
				if ok {
					valid++
				}
				if v == 1 {
					if !ok {
						t.Fatal("an invalid token was selected")
					}
					n++
				}
			}
		}
		if n != res.Selected || valid != res.Valid || n > valid {
			t.Fatalf("result %+v, weights select %d of %d valid", res, n, valid)
		}
		if valid > 0 && opt.Mode == Top && n == 0 {
			t.Fatal("top selected nothing from a non-empty valid set")
		}
	})
}

// TestImplEnv checks that FORKRL_SELECTION forces each path in a fresh
// process and that an unknown name stops it.
func TestImplEnv(t *testing.T) {
	kernelpath.TestEnv(t, ImplEnv, paths, func() string { return Impl }, setImpl)
}

func TestGatherBracketMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, n := range []int{0, 7, 8, 9, 100, 4099} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		if n > 3 {
			x[1], x[2] = float32(math.Inf(-1)), float32(math.Copysign(0, -1))
		}
		for _, b := range [][2]float32{{-0.5, 0.5}, {0, 0}, {-3, -1}, {2, 9}} {
			lo, hi := key(b[0]), key(b[1])
			c1, c2 := make([]uint32, n), make([]uint32, n)
			below1, n1 := gatherBracket(x, lo, hi, c1)
			below2, n2 := gatherBracketGo(x, lo, hi, c2)
			if below1 != below2 || n1 != n2 || !slices.Equal(c1[:n1], c2[:n2]) {
				t.Fatalf("n=%d bracket %v: (%d, %d) vs Go (%d, %d)", n, b, below1, n1, below2, n2)
			}
		}
	}
}
