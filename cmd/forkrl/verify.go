package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	mathverifier "github.com/forkrl/forkrl/plugins/verifier/math"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "grade a JSONL of answers with the math verifier and report its agreement with a reference grader",
		run:     runVerify,
	})
}

// verifyLine is one line of the file that `forkrl verify` reads.
type verifyLine struct {
	ID       any     `json:"id"`
	Response *string `json:"response"` // a full model response
	Pred     *string `json:"pred"`     // a bare answer; response wins where both are given
	Gold     *string `json:"gold"`
	Equal    *bool   `json:"equal"` // the reference grader's verdict, if any
	Kind     string  `json:"kind"`  // "extract": both sides are free text; "response": pred is a full response
}

func runVerify(args []string) int {
	fs := usage{
		name:  "verify",
		flags: "[flags]",
		args:  "FILE.jsonl",
		about: []string{
			"Grades each line with the math verifier. A line carries \"gold\" and either \"response\" (a full",
			"model response, from which the answer is extracted) or \"pred\" (a bare answer); \"response\" wins",
			"where a line has both. Lines with kind \"extract\" are read as free text on both sides; the",
			"\"pred\" of a line with kind \"response\" is a full response. Where lines carry a boolean",
			"\"equal\" (a reference grader's verdict), the disagreements are listed and the report ends with",
			"\"agreement: N/M (P%)\"; it always gives \"correct: N/M (P%)\", the share the verifier accepts.",
		},
	}.flagSet(os.Stderr)
	extract := fs.String("extract", mathverifier.ExtractBoxed, "extraction methods tried in order on responses, comma-separated: boxed, answer_line, last_number, free_text")
	relTol := fs.Float64("rel-tol", mathverifier.DefaultOptions().RelTol, "relative tolerance of numeric comparison")
	all := fs.Bool("all", false, "print the verdict of every line, not only disagreements")
	file, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	o := mathverifier.DefaultOptions()
	o.Extract = strings.Split(*extract, ",")
	o.RelTol = *relTol
	g, err := mathverifier.New(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkrl verify:", err)
		return 2
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkrl verify:", err)
		return 1
	}
	defer f.Close()
	if err := verifyFile(os.Stdout, f, file, g, *all); err != nil {
		fmt.Fprintln(os.Stderr, "forkrl verify:", err)
		return 1
	}
	return 0
}

// verifyFile grades every line of r and writes the report to w.
func verifyFile(w io.Writer, r io.Reader, name string, g *mathverifier.Grader, all bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	var total, correct, judged, agree int
	for lineNo := 1; sc.Scan(); lineNo++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l verifyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("%s:%d: not a JSON object: %v", name, lineNo, err)
		}
		if l.Gold == nil {
			return fmt.Errorf("%s:%d: the line has no \"gold\" field (the reference answer)", name, lineNo)
		}
		var res mathverifier.Result
		switch {
		case l.Kind == "extract":
			text := l.Response
			if text == nil {
				text = l.Pred
			}
			if text == nil {
				return fmt.Errorf("%s:%d: the line has neither \"response\" nor \"pred\"", name, lineNo)
			}
			res = g.GradeExtracted(*text, *l.Gold)
		case l.Response != nil:
			res = g.Grade(*l.Response, *l.Gold)
		case l.Kind == "response" && l.Pred != nil:
			res = g.Grade(*l.Pred, *l.Gold)
		case l.Pred != nil:
			res = g.Equal(*l.Pred, *l.Gold)
			res.Answer = *l.Pred
		default:
			res = mathverifier.Result{Reason: "the line has neither \"response\" nor \"pred\""}
		}
		total++
		if res.Correct {
			correct++
		}
		label := fmt.Sprintf("%s:%d", name, lineNo)
		if l.ID != nil {
			label += fmt.Sprintf(" (%v)", l.ID)
		}
		if l.Equal != nil {
			judged++
			if res.Correct == *l.Equal {
				agree++
			} else {
				fmt.Fprintf(w, "%s: verifier says %s, reference says %s: answer %q, gold %q", label, verdictWord(res.Correct), verdictWord(*l.Equal), clipText(res.Answer), clipText(*l.Gold))
				if res.Reason != "" {
					fmt.Fprintf(w, ": %s", res.Reason)
				}
				fmt.Fprintln(w)
				continue
			}
		}
		if all {
			fmt.Fprintf(w, "%s: %s: answer %q, gold %q", label, verdictWord(res.Correct), clipText(res.Answer), clipText(*l.Gold))
			if res.Reason != "" {
				fmt.Fprintf(w, ": %s", res.Reason)
			}
			fmt.Fprintln(w)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if total == 0 {
		return fmt.Errorf("%s: no lines to grade", name)
	}
	if judged > 0 {
		fmt.Fprintf(w, "correct: %d/%d (%.1f%%)\n", correct, total, percent(correct, total))
		fmt.Fprintf(w, "agreement: %d/%d (%.1f%%)\n", agree, judged, percent(agree, judged))
	} else {
		fmt.Fprintf(w, "correct: %d/%d (%.1f%%)\n", correct, total, percent(correct, total))
	}
	return nil
}

func verdictWord(ok bool) string {
	if ok {
		return "equal"
	}
	return "not equal"
}

func percent(n, m int) float64 { return 100 * float64(n) / float64(m) }

func clipText(s string) string {
	if len(s) > 100 {
		return s[:97] + "..."
	}
	return s
}
