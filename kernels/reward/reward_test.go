package reward

import "testing"

func TestOverlongFacts(t *testing.T) {
	o := Overlong{MaxLength: 20480, Buffer: 4096, Factor: 1}
	tests := []struct {
		length int
		want   float64
	}{
		{100, 0}, {16384, 0}, {16385, -0.000244140625}, {18432, -0.5}, {20480, -1.0}, {24576, -2},
	}
	for _, tt := range tests {
		if got := o.Penalty(tt.length); got != tt.want {
			t.Errorf("Penalty(%d) = %g, want %g", tt.length, got, tt.want)
		}
	}
	if got := (Overlong{MaxLength: 100, Factor: 1}).Penalty(200); got != 0 {
		t.Errorf("no buffer: penalty %g, want 0", got)
	}
}

func TestHasSignal(t *testing.T) {
	tests := []struct {
		group []float32
		want  bool
	}{
		{[]float32{1, 0, 0, 0}, true},
		{[]float32{0, 0, 0, 0}, false},
		{[]float32{1, 1, 1}, false},
		{[]float32{0.5, 0.5, 0.25}, true},
		{[]float32{1}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := HasSignal(tt.group); got != tt.want {
			t.Errorf("HasSignal(%v) = %v, want %v", tt.group, got, tt.want)
		}
	}
}
