// Package hooks runs a recipe's Starlark hooks: functions with known names in
// a .star file that the training loop calls at fixed points.
//
// The hook points, each a function of one parameter that a script defines
// only if it needs it:
//
//	reward(sample)     -> number        shape the verifier's reward
//	select(batch)      -> weights       a token-selection policy
//	schedule(step)     -> dict          settings for this step (rho, lr, temperature, ...)
//	keep_group(group)  -> bool          a custom dynamic-sampling filter
//	on_step(metrics)   -> None | "stop" | dict of metrics (logged as hook/NAME)
//	on_eval(results)   -> None | "stop" | dict of metrics
//
// A schedule sets the trainer's settings (ScheduleKeys) and the number
// settings of the run's selector as its schema declares them (rho for the
// built-in top, bottom and random; none for all), which the trainer passes
// to the selector's Configure.
//
// A script is loaded once per run and its globals are frozen. Each call runs
// on a fresh thread with a step budget and a memory budget (the heap it may
// grow by, DefaultMemoryBudget, read every millisecond by one watcher for
// all running calls; builtins such as zeros refuse a larger allocation
// outright) and is cancelled with its context, so a script can neither
// hang a run, nor exhaust the machine's memory, nor carry state from one
// call to the next. print() output is cut at MaxPrintPerCall bytes a call
// and MaxPrintPerRun in all.
// Scripts are deterministic: there is no clock, and the predeclared rand
// module is seeded from the run seed, the hook's name, the step and the
// call's index within the step.
//
// Per-token data reaches select as read-only vectors (flat over the batch's
// tokens, response after response) with Go builtins — mean, quantile, topk,
// count, ge/gt/le/lt, scatter and element-wise arithmetic — so that a script
// never loops over a million floats in Starlark.
//
// Every error (syntax, a runtime error, a wrong return type, an exceeded
// step or memory budget, a hook with the wrong number of parameters) is an *Error with
// the script's file:line:col and backtrace; Diagnostic renders it the way
// recipe diagnostics are rendered.
package hooks
