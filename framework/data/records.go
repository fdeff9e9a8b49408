package data

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Fields names the record fields that the roles of a problem come from.
// Each is a field path (see Row.Lookup).
type Fields struct {
	Problem string // default "problem"
	Answer  string // default "answer"
	ID      string // default: none; the record's index in the set is its id
}

func (f Fields) withDefaults() Fields {
	if f.Problem == "" {
		f.Problem = "problem"
	}
	if f.Answer == "" {
		f.Answer = "answer"
	}
	return f
}

// Record is one problem of a data set.
type Record struct {
	ID      string
	Problem string
	Answer  string // the reference answer given to the verifier
	Row     Row    // all the fields, for prompt templates
}

// Map turns rows into records. Every row must have the problem and answer
// fields; numbers are written as Go writes them (27, not 27.0). name labels
// errors.
func Map(rows []Row, f Fields, name string) ([]Record, error) {
	f = f.withDefaults()
	out := make([]Record, len(rows))
	for i, row := range rows {
		p, err := field(row, f.Problem, "problem", name, i)
		if err != nil {
			return nil, err
		}
		a, err := field(row, f.Answer, "answer", name, i)
		if err != nil {
			return nil, err
		}
		id := strconv.Itoa(i)
		if f.ID != "" {
			if id, err = field(row, f.ID, "id", name, i); err != nil {
				return nil, err
			}
		}
		out[i] = Record{ID: id, Problem: p, Answer: a, Row: row}
	}
	return out, nil
}

func field(row Row, path, role, name string, i int) (string, error) {
	v, ok := row.Lookup(path)
	if !ok || v == nil {
		return "", fmt.Errorf("%s: record %d has no %s field %q (map the %s role to one of its fields: %s)", name, i+1, role, path, role, strings.Join(fieldNames(row), ", "))
	}
	return text(v), nil
}

// text writes a field value as the text a prompt or verifier sees.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func fieldNames(row Row) []string {
	names := make([]string, 0, len(row))
	for k := range row {
		names = append(names, strconv.Quote(k))
	}
	sort.Strings(names)
	return names
}

// Dedup keeps the first record of each problem text (compared with runs of
// white space collapsed) and returns how many it dropped.
func Dedup(recs []Record) ([]Record, int) {
	seen := make(map[string]bool, len(recs))
	out := recs[:0:0]
	for _, r := range recs {
		k := strings.Join(strings.Fields(r.Problem), " ")
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out, len(recs) - len(out)
}

// Shuffle returns the records in a random order that depends only on seed
// (a permutation drawn with PCG and Fisher-Yates), leaving recs unchanged.
func Shuffle(recs []Record, seed uint64) []Record {
	out := append([]Record(nil), recs...)
	r := rand.New(rand.NewPCG(seed, 0x6461746120736565)) // "data see"
	for i := len(out) - 1; i > 0; i-- {
		j := int(bounded(r, uint64(i+1)))
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// bounded draws uniformly from [0, n) by rejection, so that the order does
// not depend on the standard library's choice of algorithm.
func bounded(r *rand.Rand, n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0)%n+1)%n
	for {
		v := r.Uint64()
		if v <= limit {
			return v % n
		}
	}
}
