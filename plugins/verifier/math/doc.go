// Package math is forkrl's math verifier: it finds the final answer of a
// model's response (the last \boxed{}, an "Answer:" line, the last number or
// free text), normalises it (LaTeX spellings, units, thousands separators,
// percent and degree signs) and decides whether it is mathematically
// equivalent to a reference answer: exactly in rational arithmetic where it
// can, numerically within a relative tolerance, and for expressions with
// variables by evaluation at seeded points. Tuples, intervals, sets, lists,
// matrices, equations and inequalities are compared by structure.
//
// Everything is deterministic and bounded: extraction reads the last 16 KB
// of a text, and answers longer than a set length and comparisons that
// exceed a work budget get reward 0 with a reason.
//
// # Conventions, and where the graders of record disagree
//
// Three public graders set the conventions: math-verify (Hugging Face), the
// Hendrycks MATH grader (is_equiv, string normalisation) and the paper's
// grader (DAPO's, which takes the last box or "Answer:" line and normalises
// it as Minerva does; Qwen2.5-Math's math_equal for the reference verdicts
// of data/graded-outputs). Where they differ, forkrl follows the reading
// that decides mathematical equality, and the one that does not reward a
// hedge:
//
//   - Decimal commas: "3,5" is both the number 3.5 (math-verify) and the
//     list 3, 5 (the Hendrycks grader compares its text); it equals either.
//     A group of three digits after a leading group without a leading zero
//     is a thousands group ("7,425,000", "12{,}345"), as all three read it;
//     "0,111" is 0.111. In free text a number's thousands may also be
//     separated by LaTeX's "{,}" or thin space "\," ("12{,}345", "1\,000"),
//     as math-verify reads them.
//   - Lists: a bare list of answers is a set (math-verify); the Hendrycks
//     grader compares its text, so "10, 4, -2" differs there from
//     "4, 10, -2". "3, 5, and 8" is the list 3, 5, 8 (DAPO's normalisation
//     turns "\text{and}" into a comma).
//   - Times of day: none of the three reads them (each compares text);
//     forkrl compares "19:45", "19:45:00" and "7:45 PM" as times (ISO 8601 and
//     the 12-hour clock), a time without a.m./p.m. matching either half of
//     the day, and reads any other "a:b" as the ratio a/b and "a:b:c" as a
//     ratio equal to any other with proportional parts. A time written as
//     text, "\text{7:45 p.m.}", is a time.
//   - Relations: "x = 4", "4 = x" and "x \approx 4" are 4 (math-verify takes
//     the value of an assignment; the Hendrycks grader drops a short left
//     side of "="); an inequality of one variable, an absolute-value
//     inequality included, is the set of intervals it describes (math-verify
//     converts a relation to its set when the other side is a set, and with
//     allow_set_relation_comp in both directions, which forkrl always
//     does); "x > -3 and x < 3" is the interval where both hold, while "or"
//     between conditions, like a list of solutions, is their union; a
//     system (cases, aligned) is the tuple of its equations, matched by
//     name.
//   - Units: text after a value is a unit and is dropped ("5\text{ m}" is 5),
//     as the Hendrycks grader and math-verify drop it; two different unit
//     symbols (m against cm) are two different answers, where both those
//     graders would accept. A bare letter after a number is a variable: "5m"
//     is 5·m, not 5 metres; inside \text{}, "\text{5 m}", it is a unit.
//     "20\text{ percent}" is 20\%, which equals both 20 and 0.2 (MARIO's
//     grader; the Hendrycks grader drops "\%").
//   - Several boxes: the paper's grader and the Hendrycks grader take the
//     last box; forkrl joins the last boxes that only punctuation, "and",
//     "or" (bare or in \text{}) or labels separate, as math-verify joins the
//     boxes of a list, so
//     that "\boxed{2} or \boxed{3}" is not rewarded for 3. Boxes with a
//     sentence between them are a revision: the last one counts. One answer
//     boxed in several forms counts when every form is right.
//   - Gold answers: a reference without a box that is a whole solution (has
//     several lines or announces its answer, "#### 72") is read for its final
//     answer, as math-verify extracts the gold; the paper's grader and the
//     Hendrycks grader expect the reference to be the answer.
//   - Numbers: equal within a relative tolerance of 1e-4 (Qwen2.5-Math's
//     math_equal and the paper's setting); rationals without a decimal point
//     compare exactly. math-verify rounds to a number of digits instead.
//
// testdata/equivalence-disagreements.json and graded-disagreements.json list,
// case by case, where forkrl parts from the reference verdicts of the shipped
// sets and why.
package math
