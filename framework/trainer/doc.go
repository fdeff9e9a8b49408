// Package trainer is forkrl's RLVR training loop. One step, as
// ARCHITECTURE.md draws it, reads top to bottom in Trainer.step:
//
//	rollout        backend.Generate: G responses per prompt       (rollout.go)
//	verify         verifier + overlong shaping + reward hook       (reward.go)
//	filter         dynamic sampling, refilled up to a limit         (filter.go)
//	score          the old policy's (and reference's) scoring pass  (score.go)
//	advantages     GRPO / Dr.GRPO / RLOO / GAE                      (advantage.go)
//	update         mini-batches of micro-batches:                   (update.go)
//	                 Forward → selector → loss kernels → Backward; Step
//
// sft is the same update with dL/dlogp = −1/N on reference tokens (sft.go).
// Evaluation (avg@k, unbiased pass@k, mean length, mean entropy) runs at
// the start, at intervals and at the end (eval.go); checkpoints hold the
// trainer's state and each model's own checkpoint (checkpoint.go).
//
// Every random stream derives from the run seed by name with seeds.Stream,
// afresh from the step number, so a run resumed from a checkpoint draws the
// same numbers as one that never stopped. All numerics are done by the
// kernels packages; this package only composes them.
package trainer
