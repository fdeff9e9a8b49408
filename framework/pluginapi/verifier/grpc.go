package verifier

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Service is the verifier kind's gRPC service; Service.Plugin(impl, base) is
// the kind for go-plugin, whose host side dispenses a *GRPCClient.
var Service = pluginapi.Service[Verifier]{
	Kind:     pluginapi.KindVerifier,
	Register: func(s *grpc.Server, impl Verifier) { pb.RegisterVerifierServer(s, &GRPCServer{Impl: impl}) },
	Client: func(base pluginapi.BaseClient, c *grpc.ClientConn) Verifier {
		return &GRPCClient{BaseClient: base, client: pb.NewVerifierClient(c)}
	},
}

// GRPCClient is a Verifier that calls a plugin over gRPC.
type GRPCClient struct {
	pluginapi.BaseClient
	client pb.VerifierClient
}

var _ Verifier = (*GRPCClient)(nil)

// Verify implements Verifier.
func (c *GRPCClient) Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error) {
	p := &pb.VerifyRequest{Items: make([]*pb.VerifyItem, len(req.Items))}
	for i, it := range req.Items {
		p.Items[i] = &pb.VerifyItem{Problem: it.Problem, Response: it.Response, Reference: it.Reference}
	}
	resp, err := c.client.Verify(ctx, p)
	if err != nil {
		return VerifyResponse{}, err
	}
	out := VerifyResponse{Diagnostics: pluginapi.DiagnosticsFromProto(resp.GetDiagnostics())}
	if n := len(resp.GetResults()); n != len(req.Items) && !out.Diagnostics.HasErrors() {
		return VerifyResponse{}, pluginapi.BadResponse("Verify", fmt.Errorf("%d results for %d items", n, len(req.Items)))
	}
	for _, r := range resp.GetResults() {
		res := Result{Reward: r.GetReward(), Answer: r.GetAnswer(), Reason: r.GetReason(), Verdict: r.GetVerdict()}
		for _, s := range r.GetRoles() {
			res.Roles = append(res.Roles, Span{Start: int(s.GetStart()), End: int(s.GetEnd()), Role: s.GetRole()})
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// GRPCServer serves a Verifier over gRPC.
type GRPCServer struct {
	pb.UnimplementedVerifierServer
	Impl Verifier
}

// Verify implements the gRPC service.
func (s *GRPCServer) Verify(ctx context.Context, p *pb.VerifyRequest) (*pb.VerifyResponse, error) {
	req := VerifyRequest{Items: make([]Item, len(p.GetItems()))}
	for i, it := range p.GetItems() {
		req.Items[i] = Item{Problem: it.GetProblem(), Response: it.GetResponse(), Reference: it.GetReference()}
	}
	resp, err := s.Impl.Verify(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &pb.VerifyResponse{Diagnostics: pluginapi.DiagnosticsToProto(resp.Diagnostics)}
	for _, r := range resp.Results {
		res := &pb.VerifyResult{Reward: r.Reward, Answer: r.Answer, Reason: r.Reason, Verdict: r.Verdict}
		for _, s := range r.Roles {
			res.Roles = append(res.Roles, &pb.RoleSpan{Start: uint32(s.Start), End: uint32(s.End), Role: s.Role})
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}
