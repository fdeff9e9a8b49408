package math_test

import (
	"fmt"

	mathverifier "github.com/forkrl/forkrl/plugins/verifier/math"
)

func ExampleGrader_Grade() {
	g, err := mathverifier.New(mathverifier.DefaultOptions())
	if err != nil {
		panic(err)
	}
	for _, response := range []string{
		`The roots are 1 and -2, so the answer is \boxed{\{1, -2\}}.`,
		`Hence $x = \boxed{\dfrac{1}{2}}$.`,
		`I think it is 3.`,
	} {
		r := g.Grade(response, "-2, 1")
		fmt.Printf("reward %v, answer %q, reason %q\n", r.Reward(), r.Answer, r.Reason)
	}
	// Output:
	// reward 1, answer "\\{1, -2\\}", reason ""
	// reward 0, answer "\\dfrac{1}{2}", reason "answer \"\\\\dfrac{1}{2}\" is not equivalent to the reference \"-2, 1\""
	// reward 0, answer "", reason "no answer found (looked for: boxed)"
}
