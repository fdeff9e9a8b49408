// Package countdown is forkrl's built-in task: reach a target number from a
// few given numbers with +, -, * and exact /, using each number exactly
// once. It holds the problem generator, the verifier plugin, the generator
// of reasoning traces that gives a base model its prior, and the
// character alphabet of the task.
//
// # Format
//
// The format is made for a character-level model with a context of 128
// tokens: a prompt and its trace take at most 126 characters. A prompt lists the numbers, then the target:
//
//	3 7 25>29:
//
// A response is a search: attempts of steps, each step combining two
// numbers (the larger first) into a result, each attempt ending when one
// number is left. A miss is followed by "no"; then comes either another
// attempt or the answer. After a hit, or when the search gives up, the
// answer line follows "ans:" and ends with a newline, the only one of the
// response:
//
//	7*3=21 25+21=46 no 25+7=32 32-3=29 ans:(25+7)-3
//
// The verifier reads only the answer line, unless its check_work setting
// asks it to replay the work too (CheckWork): then a right answer earns the
// reward only when every step takes numbers the attempt has at hand and
// does its arithmetic right and the last attempt ends at the target. A
// policy rewarded for the answer line alone can learn to guess it while its
// work decays. Either way the verifier's verdict (Failure.String: correct,
// unsound_work, wrong_value, ...) judges the work too, and its roles label
// each character (Roles), for forkrl analyze.
//
// In a trace, the choices of numbers and operators, and after each "no" the
// choice between another attempt and the answer, are the uncertain
// characters; the results, the verdicts and the answer follow from them.
//
// # Splits and determinism
//
// Problems with the same seed, split, count and options are the same on
// every machine and Go release (the package has its own random stream).
// Train and eval never overlap: a problem's split is a hash of its numbers
// and target, whatever drew it.
package countdown
