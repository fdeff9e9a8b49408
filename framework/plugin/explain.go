package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// exitWait is how long a failed call waits for a dying plugin process to be
// reaped, so that the error can say it exited and quote its last stderr lines.
const exitWait = 2 * time.Second

// explain turns the error of a call into a *CallError that says, in words,
// what happened. parent is the caller's context, cctx the call's (with the
// instance's deadline).
func (in *Instance) explain(parent, cctx context.Context, name string, err error) error {
	var ce *CallError
	if errors.As(err, &ce) {
		return err
	}
	e := &CallError{Plugin: in.Spec.String(), Call: name, Err: err}
	st, isStatus := status.FromError(err)
	switch {
	case parent.Err() != nil:
		e.What = "cancelled by the host: " + parent.Err().Error()
		e.Err = parent.Err()
	case errors.Is(cctx.Err(), context.DeadlineExceeded) || pastDeadline(cctx):
		e.What = fmt.Sprintf("the plugin did not answer within %s, so forkrl stopped it (if the call is legitimately this slow, raise the timeout setting of its recipe block, e.g. timeout = \"30m\")", in.Spec.CallTimeout)
		e.Err = context.DeadlineExceeded
		in.stop("it hung in " + name)
	case in.client == nil:
		e.What = "the plugin failed: " + err.Error()
	case !isStatus:
		e.What = "the call failed: " + err.Error()
	case st.Code() == codes.Unavailable || st.Code() == codes.Canceled:
		if in.waitExited(exitWait) {
			e.What = "the plugin process exited during the call (it crashed or was killed)"
			in.stop("its process exited during " + name)
		} else {
			e.What = "the plugin stopped responding: " + st.Message()
		}
	case st.Code() == codes.Unimplemented:
		e.What = "the plugin does not implement this call (it may be built for another version of the plugin protocol): " + st.Message()
	case st.Code() == codes.Internal && strings.HasPrefix(st.Message(), unmarshalFailed):
		e.What = "the plugin sent a malformed response: " + strings.TrimPrefix(st.Message(), unmarshalFailed)
	case st.Code() == codes.ResourceExhausted:
		e.What = "a message was too large for the plugin connection: " + st.Message()
	default:
		e.What = "the plugin failed: " + st.Message()
	}
	if in.client != nil || e.Err == context.DeadlineExceeded {
		e.Stderr = in.log.lastLines()
	}
	return e
}

// unmarshalFailed opens gRPC's message when a response cannot be decoded.
const unmarshalFailed = "grpc: failed to unmarshal the received message: "

// stop closes the instance after a failure that leaves it unusable, and
// remembers why for the calls that follow.
func (in *Instance) stop(reason string) {
	in.stopReason.Store(reason)
	go func() { _ = in.Close() }()
}

// waitExited waits up to d for the plugin process to be gone and reaped.
func (in *Instance) waitExited(d time.Duration) bool { return waitReaped(in.client, d) }

// pastDeadline reports whether ctx's deadline has passed, even if its timer
// has not fired yet: on a loaded machine the plugin, which gets the same
// deadline, can end the call first.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
