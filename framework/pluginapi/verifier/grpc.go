package verifier

import (
	"context"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// GRPCPlugin is the verifier kind for go-plugin: on the plugin side it serves
// Impl, on the host side it dispenses a *GRPCClient.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// Impl is the verifier served; only the plugin side sets it.
	Impl Verifier
	// Base serves Info and Configure for all the kinds of one binary; nil: its own.
	Base *pluginapi.BaseServer
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the verifier service (and the base service) on s.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Base == nil {
		p.Base = &pluginapi.BaseServer{}
	}
	p.Base.Register(s, pluginapi.KindVerifier, p.Impl)
	pb.RegisterVerifierServer(s, &GRPCServer{Impl: p.Impl})
	return nil
}

// GRPCClient returns the host side of the connection, a Verifier.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &GRPCClient{
		BaseClient: pluginapi.BaseClient{Kind: pluginapi.KindVerifier, Client: pb.NewPluginClient(c)},
		client:     pb.NewVerifierClient(c),
	}, nil
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
