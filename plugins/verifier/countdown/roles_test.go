package countdown

import (
	"strings"
	"testing"
)

// roleCodes writes one letter per role, to write expected labels compactly.
var roleCodes = map[Role]byte{
	RoleOperand: 'O', RoleOperandDigit: 'd', RoleOperator: '+', RoleEquals: '=',
	RoleResult: 'r', RoleSpace: '_', RoleVerdict: 'v', RoleGoOn: 'G',
	RoleAnswerMark: 'm', RoleAnswer: 'a', RoleEnd: 'e', RoleOther: '?',
}

func TestRoles(t *testing.T) {
	tests := []struct{ completion, want string }{
		{
			"7*3=21 25+21=46 no 25+7=32 32-3=29 ans:(25+7)-3\n",
			"O+O=rr_Od+Od=rr_vv_Gd+O=rr_Od+O=rr_vmmmaaaaaaaae",
		},
		{
			"12/4=3 3+9=12 no ans:12+9-4\n",
			"Od+O=r_O+O=rr_vv_Gmmmaaaaaae",
		},
		{"hello ans:1", "?????_vmmma"},
		{"7*=3 no 5", "O+??_vv_G"},
		{"", ""},
	}
	for _, tt := range tests {
		roles := Roles(tt.completion)
		var got strings.Builder
		for _, r := range roles {
			got.WriteByte(roleCodes[r])
		}
		if got.String() != tt.want {
			t.Errorf("Roles(%q)\n got %s\nwant %s", tt.completion, got.String(), tt.want)
		}
	}
}

// TestRolesOfTraces checks that the roles of generated traces are all in
// the format: no character of a trace is RoleOther.
func TestRolesOfTraces(t *testing.T) {
	ex, err := Traces(4, 300, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		for i, r := range Roles(e.Completion) {
			if r == RoleOther {
				t.Fatalf("character %d of %q has no role", i, e.Completion)
			}
		}
	}
}
