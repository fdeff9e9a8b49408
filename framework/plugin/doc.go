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
// # Transport
//
// Calls travel as gRPC messages over a unix socket. A tensor of 1 MiB or
// more crosses through shared memory instead, with only its place in the
// message: on Linux the host creates one region per plugin process (a memfd,
// sealed so that neither side can shrink it), passes it to the process as
// an inherited file descriptor, and both map it. Each side writes into its
// own half, in blocks that it allocates and that the receiver frees once it
// has copied the bytes out, so calls in flight at once never share a block.
// The receiver checks the offset and length a message gives against the
// region and the block's header: a plugin that sends wrong ones gets a
// *CallError that names it and the call, and the host reads nothing outside
// the region. The host unmaps the region when the plugin is closed; the memfd
// has no name in any file system, so nothing is left behind. shm.go
// describes the layout, for plugins in other languages.
//
// Tensors go inline, inside the message, where the system has no shared
// memory (not Linux, or memfd or mmap refused), to a plugin that does not
// map the region (the host uses it only once the plugin has written its
// half's header), and when the host's environment has FORKRL_PLUGIN_SHM=off.
// Go plugins (Serve) and Python plugins written with forkrl_plugin
// (plugins/backend/torch/python) map it. Inline, messages of 1 MiB or more
// go through pluginapi.Codec and pluginapi.FramePool, smaller ones through
// gRPC's default codec.
//
// Instance.SharedTensors counts the tensors that went each way through
// shared memory.
//
// # Speed
//
// BENCHMARKS.md ("Plugin transport") holds the figures, measured with:
//
//	go test -run '^$' -bench 'Select8192$' -benchtime 2s ./framework/plugin
//	go test -run '^$' -bench 'Select8192SharedVsInline' -benchtime 3000x ./framework/plugin
//	go test -run '^$' -bench 'Tensor64|Pipe64' -benchtime 5x ./framework/plugin
package plugin
