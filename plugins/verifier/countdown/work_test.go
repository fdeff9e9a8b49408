package countdown

import (
	"strings"
	"testing"
)

func TestCheckWork(t *testing.T) {
	numbers, target := []int{3, 7, 25}, 29
	tests := []struct {
		name     string
		response string
		failure  Failure
		reason   string // a piece of the reason
	}{
		{"sound", "25+7=32 32-3=29 ans:(25+7)-3\n", Correct, ""},
		{"sound after a miss", "7*3=21 25+21=46 no 25+7=32 32-3=29 ans:(25+7)-3\n", Correct, ""},
		{"sound with another right answer", "25+7=32 32-3=29 ans:25-3+7\n", Correct, ""},
		{"wrong answer is judged as by Check", "25+7=32 32-3=29 ans:(25-7)+3\n", WrongValue, "not the target 29"},
		{"no work", "ans:(25+7)-3\n", UnsoundWork, "no attempt before the answer"},
		{"wrong arithmetic", "25+7=33 33-4=29 ans:(25+7)-3\n", UnsoundWork, `step "25+7=33": 25+7 is 32`},
		{"number not at hand", "25+7=32 32-7=25 ans:(25+7)-3\n", UnsoundWork, `step "32-7=25" uses 7, which the attempt does not have at hand`},
		{"result of a failed attempt reused", "7*3=21 no 21+8=29 ans:(25+7)-3\n", UnsoundWork, "uses 21"},
		{"last attempt misses", "7*3=21 25+21=46 ans:(25+7)-3\n", UnsoundWork, "ends at 46, not the target 29"},
		{"last attempt unfinished", "25+7=32 ans:(25+7)-3\n", UnsoundWork, "stops with 3 32 still at hand"},
		{"miss after a hit", "25+7=32 32-3=29 no ans:(25+7)-3\n", UnsoundWork, `"no" after an attempt that reached the target`},
		{"miss without an attempt", "no 25+7=32 32-3=29 ans:(25+7)-3\n", UnsoundWork, `"no" follows no attempt`},
		{"step after the last number", "25+7=32 32-3=29 29+0=29 ans:(25+7)-3\n", UnsoundWork, "has used every number"},
		{"unreadable step", "25+7=32 32-3 ans:(25+7)-3\n", UnsoundWork, `"32-3" is not a step`},
		{"inexact division", "25/3=8 8+7=15 no 25+7=32 32-3=29 ans:(25+7)-3\n", UnsoundWork, "divides with a remainder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := CheckWork(numbers, target, tt.response)
			if v.Failure != tt.failure {
				t.Fatalf("CheckWork(%q) = %v (%s), want %v", tt.response, v.Failure, v.Reason, tt.failure)
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", v.Reason, tt.reason)
			}
		})
	}
}
