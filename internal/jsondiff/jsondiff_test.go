package jsondiff

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	got, err := Diff([]byte(`{"name":"a","selectors":[{"settings":{"rho":0.2}},{"name":"x"}],"sizes":[3,4],"gone":null,"same":{"k":[1]}}`),
		[]byte(`{"name":"b","selectors":[{"settings":{"rho":0.1}}],"sizes":[3,5],"extra":{"on":true},"same":{"k":[1]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{"extra.on", "", "true"},
		{"gone", "null", ""},
		{"name", `"a"`, `"b"`},
		{"selectors.0.settings.rho", "0.2", "0.1"},
		{"selectors.1.name", `"x"`, ""},
		{"sizes", "[3,4]", "[3,5]"}, // a list of plain values is one leaf
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff =\n%q\nwant\n%q", got, want)
	}
	if d, err := Diff([]byte(`{"a":1.0}`), []byte(`{"a":1}`)); err != nil || len(d) != 0 {
		t.Errorf("1.0 and 1: %q, %v; want no change", d, err)
	}
	if _, err := Diff([]byte(`{}`), []byte(`{`)); err == nil || !strings.HasPrefix(err.Error(), "B: ") {
		t.Errorf("B not JSON: %v", err)
	}
}
