// Package plugin is forkrl's plugin host: it opens backends, verifiers and
// selectors, built in or external, and keeps them from hurting the host. It
// also holds the built-in dataset generators, a kind that runs in the host
// (Generators). kinds.go is the table of kinds that drives the registry,
// Open, the guards, Serve and the recipe's schemas.
//
// A host opens one instance per recipe block and calls it through the kind's
// interface:
//
//	inst, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Name: "top", Label: "top20"})
//	if err != nil { ... }           // *plugin.OpenError: names the plugin, says what to do
//	defer inst.Close()
//	sel := inst.Selector()           // selector.Selector; Backend(), Verifier() for the other kinds
//	_, err = sel.Configure(ctx, pluginapi.ConfigureRequest{Settings: ...})
//	resp, err := sel.Select(ctx, req) // err: *plugin.CallError naming plugin, call and last stderr lines
//
// and calls CloseAll before it exits.
//
// # Where plugins run
//
// Built-in plugins are compiled into the forkrl binary and registered with
// Register (cmd/forkrl/builtins.go holds the list). By default (Isolation
// Process) a built-in runs in its own process: the host re-executes its own
// binary as `forkrl plugin serve KIND NAME` (ServeArgs, ServeCommand), so
// `go run ./cmd/forkrl` needs no build step. Isolation Inproc runs a built-in
// inside the host through the same interface and the same guard.
//
// External plugins are executables named by Spec.Source whose main calls
// Serve. They are started only when the file's sha256 equals Spec.SHA256
// (checked by the host and again by go-plugin's SecureConfig).
//
// # Containment
//
//   - Every call is bounded by Spec.CallTimeout. A plugin that crashes or
//     hangs gives a *CallError that names the plugin, the call and quotes the
//     last lines of its stderr; a hung plugin is stopped. A panic in an
//     in-process plugin becomes a *CallError too.
//   - The plugin's stderr, and its stdout after the handshake, go to
//     Spec.Log line by line, prefixed with "[kind label] ".
//   - Serve keeps stdout clean before the handshake: file descriptor 1 is
//     pointed at stderr, and only go-plugin's handshake line reaches the host.
//   - Plugin processes die with the host: CloseAll stops them, and on Linux
//     they are started with Pdeathsig = SIGKILL from a thread that lives as
//     long as the host, so even a SIGKILLed host leaves no orphan.
//   - gRPC message limits are raised to pluginapi.MaxMessageBytes on both
//     sides, with flow-control windows sized for tensors of tens of MiB.
//   - Refusals — unknown built-in, missing or non-executable binary, missing
//     or wrong sha256, bad handshake (anything but the handshake line on
//     stdout), another protocol version — are *OpenError values.
//
// # Tests
//
// The host serves a built-in by re-executing its own binary, so a test
// binary that opens built-ins with Process isolation calls ServeIfAsked
// first in its TestMain; a process started as a plugin refuses to start
// built-ins itself rather than recurse.
//
// # Speed
//
// Measured on the shared 2-core development machine (AMD EPYC) while other
// people's builds and tests ran (the load average is given with each
// figure), so wall-clock figures are pessimistic.
//
//   - Selector call on 8,192 tokens (16 × 512, with entropies, log-probs,
//     advantages and masks; an echoing selector, so it is transport cost):
//     median round trip 2–5 µs in process; through a plugin process, at a
//     load average of 12–17, the per-run medians were 434, 449, 497 µs and
//     656, 743, 786 µs (means 0.77–1.5 ms); at a load of 7, with
//     pluginapi.Codec and pluginapi.FramePool installed (at about 100 KiB
//     the message goes through gRPC's default codec), 455, 457, 461 µs
//     against 424, 431, 469 µs without them (alternating runs).
//   - 64 MiB of float32 (16M values) to a plugin process and back, counting
//     both directions. Plugin connections use pluginapi.Codec (a tensor's
//     bytes are sent from the caller's memory and received with one copy,
//     into memory that DecodeTensor then uses in place) and
//     pluginapi.FramePool (frame buffers are not cleared before gRPC fills
//     them). Ten runs of the second command below, in two sets of five
//     alternating with the code before them (gRPC's default codec and buffer
//     pool), at a load average of 6–7: 482–731 MB/s (median 636) against
//     360–487 MB/s (median 416), while the same bytes through a bare pipe
//     with no encoding (BenchmarkPipe64MB) ran at 1,270–2,230 MB/s (median
//     about 2,000). Three of the ten runs were below 500 MB/s; earlier, at a
//     load average of 8–10, five runs of ten round trips gave a median of
//     469 MB/s (412–553) against 370 MB/s, so under such load the goal is
//     not met every time. CPU (perf stat, both processes) fell from about
//     225 to 165 ms per round trip; what is left is gRPC's own copies (into
//     its 1 MiB write buffer, out of its read buffer into 16 KiB frames),
//     the kernel's copies through the socket, and page faults on the fresh
//     64 MiB that each receiving side allocates (the received tensor is the
//     caller's to keep, so it cannot come from a pool).
//
// The commands:
//
//	go test -run '^$' -bench 'Select8192' -benchtime 2s ./framework/plugin
//	go test -run '^$' -bench 'Tensor64|Pipe64' -benchtime 5x ./framework/plugin
package plugin
