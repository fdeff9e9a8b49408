package selector

import (
	"context"

	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Service is the selector kind's gRPC service; Service.Plugin(impl, base) is
// the kind for go-plugin, whose host side dispenses a *GRPCClient.
var Service = pluginapi.Service[Selector]{
	Kind:     pluginapi.KindSelector,
	Register: func(s *grpc.Server, impl Selector) { pb.RegisterSelectorServer(s, &GRPCServer{Impl: impl}) },
	Client: func(base pluginapi.BaseClient, c *grpc.ClientConn) Selector {
		return &GRPCClient{BaseClient: base, client: pb.NewSelectorClient(c)}
	},
}

// GRPCClient is a Selector that calls a plugin over gRPC.
type GRPCClient struct {
	pluginapi.BaseClient
	client pb.SelectorClient
}

var _ Selector = (*GRPCClient)(nil)

// Select implements Selector.
func (c *GRPCClient) Select(ctx context.Context, req SelectRequest) (SelectResponse, error) {
	resp, err := c.client.Select(ctx, SelectRequestToProto(req))
	if err != nil {
		return SelectResponse{}, err
	}
	w, err := pluginapi.DecodeRagged[float32](resp.GetWeights())
	if err != nil {
		return SelectResponse{}, pluginapi.BadResponse("Select", err)
	}
	return SelectResponse{
		Weights:     w,
		Threshold:   resp.GetThreshold(),
		Selected:    int(resp.GetSelected()),
		Diagnostics: pluginapi.DiagnosticsFromProto(resp.GetDiagnostics()),
	}, nil
}

// GRPCServer serves a Selector over gRPC.
type GRPCServer struct {
	pb.UnimplementedSelectorServer
	Impl Selector
}

// Select implements the gRPC service.
func (s *GRPCServer) Select(ctx context.Context, p *pb.SelectRequest) (*pb.SelectResponse, error) {
	req, err := SelectRequestFromProto(p)
	if err != nil {
		return nil, pluginapi.BadRequest("Select", err)
	}
	resp, err := s.Impl.Select(ctx, req)
	if err != nil {
		return nil, err
	}
	return &pb.SelectResponse{
		Weights:     pluginapi.EncodeRagged(resp.Weights),
		Threshold:   resp.Threshold,
		Selected:    int64(resp.Selected),
		Diagnostics: pluginapi.DiagnosticsToProto(resp.Diagnostics),
	}, nil
}

// SelectRequestToProto converts a request for the wire.
func SelectRequestToProto(req SelectRequest) *pb.SelectRequest {
	return &pb.SelectRequest{
		Entropies:  pluginapi.EncodeRagged(req.Entropies),
		LogProbs:   pluginapi.EncodeRagged(req.LogProbs),
		Advantages: pluginapi.EncodeRagged(req.Advantages),
		Masks:      pluginapi.EncodeRagged(req.Masks),
		Step:       int64(req.Step),
		Seed:       req.Seed,
	}
}

// SelectRequestFromProto converts a request from the wire.
func SelectRequestFromProto(p *pb.SelectRequest) (SelectRequest, error) {
	req := SelectRequest{Step: int(p.GetStep()), Seed: p.GetSeed()}
	var err error
	if req.Entropies, err = pluginapi.DecodeRagged[float32](p.GetEntropies()); err != nil {
		return req, pluginapi.FieldError("entropies", err)
	}
	if req.LogProbs, err = pluginapi.DecodeRagged[float32](p.GetLogProbs()); err != nil {
		return req, pluginapi.FieldError("log_probs", err)
	}
	if req.Advantages, err = pluginapi.DecodeRagged[float32](p.GetAdvantages()); err != nil {
		return req, pluginapi.FieldError("advantages", err)
	}
	if req.Masks, err = pluginapi.DecodeRagged[bool](p.GetMasks()); err != nil {
		return req, pluginapi.FieldError("masks", err)
	}
	return req, nil
}
