package seeds

import "testing"

func TestStream(t *testing.T) {
	tests := []struct {
		name  string
		a, b  uint64
		equal bool
	}{
		{"same name", Stream(1, "rollout", 3), Stream(1, "rollout", 3), true},
		{"parts are joined by slash", Stream(1, "rollout", 3), Stream(1, "rollout/3"), true},
		{"other step", Stream(1, "rollout", 3), Stream(1, "rollout", 4), false},
		{"other name", Stream(1, "rollout", 3), Stream(1, "select", 3), false},
		{"other run seed", Stream(1, "rollout", 3), Stream(2, "rollout", 3), false},
	}
	for _, tt := range tests {
		if (tt.a == tt.b) != tt.equal {
			t.Errorf("%s: %d vs %d, want equal=%v", tt.name, tt.a, tt.b, tt.equal)
		}
	}
}
