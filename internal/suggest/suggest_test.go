package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"rho", "lr", "temperature", "clip_low", "clip_high", "on_step", "on_eval"}
	for _, tt := range []struct{ name, want string }{
		{"rhoo", "rho"},
		{"Temperatur", "temperature"},
		{"on_steps", "on_step"},
		{"clip_hi", "clip_high"},
		{"learning_rate", ""},
		{"xyz", ""},
	} {
		if got := Closest(tt.name, names); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance = %d, want 3", d)
	}
}
