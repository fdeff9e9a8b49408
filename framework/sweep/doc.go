// Package sweep trains the matrix of runs of a recipe on an executor and
// compares its arms.
//
// An arm is a group of runs whose resolved settings differ only in their
// seed (Arms). Runs of different arms with the same seed share their random
// streams: the same prompts and the same evaluation samples. So arms are
// compared paired by seed (Compare): the difference A − B for each seed,
// with a paired Student-t interval and a percentile bootstrap interval over
// seeds, and a verdict that names a winner only when the t interval leaves
// out zero.
//
// Executors: this machine (the command trains the runs itself), or a Slurm
// cluster driven through its own command-line tools (Slurm): the unfinished
// runs go out as one `sbatch --array` job, each task trains one run with
// `forkrl run --resume` and writes its exit status to a result file in the
// sweep directory (Dir), and the sweep polls `squeue` and `scontrol` until
// every task has ended.
package sweep
