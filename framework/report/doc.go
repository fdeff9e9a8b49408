// Package report reads run directories leniently (Load) and renders them as
// one self-contained HTML page (Write): the run's settings, training and
// evaluation curves, entropy percentiles over steps and the entropy
// distribution of saved rollouts, the analyses of its checkpoints that
// forkrl analyze saved in its analysis folder (overlap with the base model,
// entropy change by bin, the decoding grid), a comparison across runs, and a
// token view of sampled responses coloured by entropy with the selected
// tokens marked.
// Charts are inline SVG (package figure); the page loads nothing.
package report
