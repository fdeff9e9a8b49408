// Package rundir is the run directory of a forkrl training run: where a run's
// inputs, logs, samples, checkpoints and summary live, how they are written
// so that a killed run never leaves a torn file, and the progress line.
//
// Layout of runs/NAME/:
//
//	recipe.hcl              the recipe as given (and any hooks files beside it)
//	settings.json           the fully resolved settings of this run
//	metrics.jsonl           one line per training step
//	eval.jsonl              one line per dataset per evaluation
//	samples/step-NNNNNN.jsonl  a sample of the step's rollouts with per-token entropies
//	checkpoints/step-NNNNNN/   the trainer's state and each model's checkpoint
//	summary.json            wall time, tokens trained, initial/final/best evaluation
//	log.txt                 messages of the run (hook prints, warnings)
//	.lock                   held by the process training the run, with its pid
//
// Every file is written whole to a temporary name and renamed into place, and
// a checkpoint directory is renamed into place only once complete, so after a
// SIGKILL the directory holds the state of the last completed write. Resuming
// truncates the logs back to the last checkpoint (Dir.Rewind). The random
// streams of a run are framework/seeds'.
package rundir
