package backend

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Service is the backend kind's gRPC service; Service.Plugin(impl, base) is
// the kind for go-plugin, whose host side dispenses a *GRPCClient.
var Service = pluginapi.Service[Backend]{
	Kind:     pluginapi.KindBackend,
	Register: func(s *grpc.Server, impl Backend) { pb.RegisterBackendServer(s, &GRPCServer{Impl: impl}) },
	Client: func(base pluginapi.BaseClient, c *grpc.ClientConn) Backend {
		return &GRPCClient{BaseClient: base, client: pb.NewBackendClient(c)}
	},
}

// GRPCClient is a Backend that calls a plugin over gRPC.
type GRPCClient struct {
	pluginapi.BaseClient
	client pb.BackendClient
}

var _ Backend = (*GRPCClient)(nil)

// Model implements Backend.
func (c *GRPCClient) Model(ctx context.Context) (ModelInfo, error) {
	r, err := c.client.Model(ctx, &pb.ModelRequest{})
	if err != nil {
		return ModelInfo{}, err
	}
	return ModelInfo{
		VocabSize:     int(r.GetVocabSize()),
		ContextLength: int(r.GetContextLength()),
		Tokenizer:     r.GetTokenizer(),
		Special:       r.GetSpecial(),
		StopTokens:    r.GetStopTokens(),
		Parameters:    r.GetParameters(),
		ValueHead:     r.GetValueHead(),
	}, nil
}

// Encode implements Backend.
func (c *GRPCClient) Encode(ctx context.Context, req EncodeRequest) (EncodeResponse, error) {
	r, err := c.client.Encode(ctx, &pb.EncodeRequest{Texts: req.Texts})
	if err != nil {
		return EncodeResponse{}, err
	}
	ids, err := pluginapi.DecodeRagged[int32](r.GetIds())
	if err != nil {
		return EncodeResponse{}, pluginapi.BadResponse("Encode", err)
	}
	return EncodeResponse{IDs: ids, Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// Decode implements Backend.
func (c *GRPCClient) Decode(ctx context.Context, req DecodeRequest) (DecodeResponse, error) {
	r, err := c.client.Decode(ctx, &pb.DecodeRequest{Ids: pluginapi.EncodeRagged(req.IDs)})
	if err != nil {
		return DecodeResponse{}, err
	}
	return DecodeResponse{Texts: r.GetTexts(), Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// Generate implements Backend.
func (c *GRPCClient) Generate(ctx context.Context, req GenerateRequest) (GenerateResponse, error) {
	p := &pb.GenerateRequest{
		Prompts: pluginapi.EncodeRagged(req.Prompts),
		N:       int64(req.N),
		Seed:    req.Seed,
		Sampling: &pb.Sampling{
			Temperature: req.Sampling.Temperature,
			TopP:        req.Sampling.TopP,
			MaxTokens:   int64(req.Sampling.MaxTokens),
			StopTokens:  req.Sampling.StopTokens,
		},
	}
	if g := req.Sampling.EntropyGate; g != nil {
		p.Sampling.EntropyGate = &pb.EntropyGate{Threshold: g.Threshold, THigh: g.THigh, TLow: g.TLow}
	}
	r, err := c.client.Generate(ctx, p)
	if err != nil {
		return GenerateResponse{}, err
	}
	out, err := generateResponseFromProto(r)
	if err != nil {
		return GenerateResponse{}, pluginapi.BadResponse("Generate", err)
	}
	return out, nil
}

func generateResponseFromProto(r *pb.GenerateResponse) (GenerateResponse, error) {
	out := GenerateResponse{Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}
	tokens, err := pluginapi.DecodeRagged[int32](r.GetTokens())
	if err != nil {
		return out, pluginapi.FieldError("tokens", err)
	}
	logps, err := pluginapi.DecodeRagged[float32](r.GetLogProbs())
	if err != nil {
		return out, pluginapi.FieldError("log_probs", err)
	}
	ents, err := pluginapi.DecodeRagged[float32](r.GetEntropies())
	if err != nil {
		return out, pluginapi.FieldError("entropies", err)
	}
	n := len(tokens)
	if len(r.GetPrompts()) != n || len(r.GetFinish()) != n || len(logps) != n || len(ents) != n {
		return out, fmt.Errorf("responses disagree in number: %d token rows, %d prompts, %d finish reasons, %d log-prob rows, %d entropy rows",
			n, len(r.GetPrompts()), len(r.GetFinish()), len(logps), len(ents))
	}
	pieces := r.GetPieces()
	out.Responses = make([]Response, n)
	off := 0
	for i := range out.Responses {
		k := len(tokens[i])
		if len(logps[i]) != k || len(ents[i]) != k || off+k > len(pieces) {
			return out, fmt.Errorf("response %d: %d tokens, %d log-probs, %d entropies, pieces left %d", i, k, len(logps[i]), len(ents[i]), len(pieces)-off)
		}
		text := make([]string, k)
		for j, p := range pieces[off : off+k] {
			text[j] = string(p)
		}
		out.Responses[i] = Response{
			Prompt:    int(r.GetPrompts()[i]),
			Tokens:    tokens[i],
			Pieces:    text,
			LogProbs:  logps[i],
			Entropies: ents[i],
			Finish:    r.GetFinish()[i],
		}
		off += k
	}
	return out, nil
}

// Score implements Backend.
func (c *GRPCClient) Score(ctx context.Context, req ScoreRequest) (ScoreResponse, error) {
	r, err := c.client.Score(ctx, scoreRequestToProto(req))
	if err != nil {
		return ScoreResponse{}, err
	}
	out, err := scoreResponseFromProto(r)
	if err != nil {
		return ScoreResponse{}, pluginapi.BadResponse("Score", err)
	}
	return out, nil
}

// Forward implements Backend.
func (c *GRPCClient) Forward(ctx context.Context, req ScoreRequest) (ForwardResponse, error) {
	r, err := c.client.Forward(ctx, scoreRequestToProto(req))
	if err != nil {
		return ForwardResponse{}, err
	}
	s, err := scoreResponseFromProto(r.GetScore())
	if err != nil {
		return ForwardResponse{}, pluginapi.BadResponse("Forward", err)
	}
	return ForwardResponse{ScoreResponse: s, Handle: r.GetHandle()}, nil
}

func scoreRequestToProto(req ScoreRequest) *pb.ScoreRequest {
	prompts := make([][]int32, len(req.Sequences))
	responses := make([][]int32, len(req.Sequences))
	for i, s := range req.Sequences {
		prompts[i], responses[i] = s.Prompt, s.Response
	}
	return &pb.ScoreRequest{
		Prompts:     pluginapi.EncodeRagged(prompts),
		Responses:   pluginapi.EncodeRagged(responses),
		Temperature: req.Temperature,
		WithValues:  req.WithValues,
	}
}

func scoreRequestFromProto(p *pb.ScoreRequest) (ScoreRequest, error) {
	req := ScoreRequest{Temperature: p.GetTemperature(), WithValues: p.GetWithValues()}
	prompts, err := pluginapi.DecodeRagged[int32](p.GetPrompts())
	if err != nil {
		return req, pluginapi.FieldError("prompts", err)
	}
	responses, err := pluginapi.DecodeRagged[int32](p.GetResponses())
	if err != nil {
		return req, pluginapi.FieldError("responses", err)
	}
	if len(prompts) != len(responses) {
		return req, fmt.Errorf("%d prompts for %d responses", len(prompts), len(responses))
	}
	req.Sequences = make([]Sequence, len(prompts))
	for i := range prompts {
		req.Sequences[i] = Sequence{Prompt: prompts[i], Response: responses[i]}
	}
	return req, nil
}

func scoreResponseToProto(r ScoreResponse) *pb.ScoreResponse {
	return &pb.ScoreResponse{
		LogProbs:    pluginapi.EncodeRagged(r.LogProbs),
		Entropies:   pluginapi.EncodeRagged(r.Entropies),
		Values:      pluginapi.EncodeRagged(r.Values),
		Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics),
	}
}

func scoreResponseFromProto(p *pb.ScoreResponse) (ScoreResponse, error) {
	out := ScoreResponse{Diagnostics: pluginapi.DiagnosticsFromProto(p.GetDiagnostics())}
	var err error
	if out.LogProbs, err = pluginapi.DecodeRagged[float32](p.GetLogProbs()); err != nil {
		return out, pluginapi.FieldError("log_probs", err)
	}
	if out.Entropies, err = pluginapi.DecodeRagged[float32](p.GetEntropies()); err != nil {
		return out, pluginapi.FieldError("entropies", err)
	}
	if out.Values, err = pluginapi.DecodeRagged[float32](p.GetValues()); err != nil {
		return out, pluginapi.FieldError("values", err)
	}
	return out, nil
}

// Backward implements Backend.
func (c *GRPCClient) Backward(ctx context.Context, req BackwardRequest) (BackwardResponse, error) {
	r, err := c.client.Backward(ctx, &pb.BackwardRequest{
		Handle:        req.Handle,
		GradLogProbs:  pluginapi.EncodeRagged(req.GradLogProbs),
		GradEntropies: pluginapi.EncodeRagged(req.GradEntropies),
		GradValues:    pluginapi.EncodeRagged(req.GradValues),
	})
	if err != nil {
		return BackwardResponse{}, err
	}
	return BackwardResponse{Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// Step implements Backend.
func (c *GRPCClient) Step(ctx context.Context, req StepRequest) (StepResponse, error) {
	r, err := c.client.Step(ctx, &pb.StepRequest{
		LearningRate: req.LearningRate, Beta1: req.Beta1, Beta2: req.Beta2,
		Epsilon: req.Epsilon, WeightDecay: req.WeightDecay, MaxGradNorm: req.MaxGradNorm,
	})
	if err != nil {
		return StepResponse{}, err
	}
	return StepResponse{GradNorm: r.GetGradNorm(), Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// Save implements Backend.
func (c *GRPCClient) Save(ctx context.Context, req SaveRequest) (SaveResponse, error) {
	r, err := c.client.Save(ctx, &pb.SaveRequest{Dir: req.Dir})
	if err != nil {
		return SaveResponse{}, err
	}
	return SaveResponse{Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// Load implements Backend.
func (c *GRPCClient) Load(ctx context.Context, req LoadRequest) (LoadResponse, error) {
	r, err := c.client.Load(ctx, &pb.LoadRequest{Dir: req.Dir})
	if err != nil {
		return LoadResponse{}, err
	}
	return LoadResponse{Diagnostics: pluginapi.DiagnosticsFromProto(r.GetDiagnostics())}, nil
}

// GRPCServer serves a Backend over gRPC.
type GRPCServer struct {
	pb.UnimplementedBackendServer
	Impl Backend
}

// Model implements the gRPC service.
func (s *GRPCServer) Model(ctx context.Context, _ *pb.ModelRequest) (*pb.ModelResponse, error) {
	m, err := s.Impl.Model(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.ModelResponse{
		VocabSize:     int64(m.VocabSize),
		ContextLength: int64(m.ContextLength),
		Tokenizer:     m.Tokenizer,
		Special:       m.Special,
		StopTokens:    m.StopTokens,
		Parameters:    m.Parameters,
		ValueHead:     m.ValueHead,
	}, nil
}

// Encode implements the gRPC service.
func (s *GRPCServer) Encode(ctx context.Context, p *pb.EncodeRequest) (*pb.EncodeResponse, error) {
	r, err := s.Impl.Encode(ctx, EncodeRequest{Texts: p.GetTexts()})
	if err != nil {
		return nil, err
	}
	return &pb.EncodeResponse{Ids: pluginapi.EncodeRagged(r.IDs), Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}

// Decode implements the gRPC service.
func (s *GRPCServer) Decode(ctx context.Context, p *pb.DecodeRequest) (*pb.DecodeResponse, error) {
	ids, err := pluginapi.DecodeRagged[int32](p.GetIds())
	if err != nil {
		return nil, pluginapi.BadRequest("Decode", err)
	}
	r, err := s.Impl.Decode(ctx, DecodeRequest{IDs: ids})
	if err != nil {
		return nil, err
	}
	return &pb.DecodeResponse{Texts: r.Texts, Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}

// Generate implements the gRPC service.
func (s *GRPCServer) Generate(ctx context.Context, p *pb.GenerateRequest) (*pb.GenerateResponse, error) {
	prompts, err := pluginapi.DecodeRagged[int32](p.GetPrompts())
	if err != nil {
		return nil, pluginapi.BadRequest("Generate", pluginapi.FieldError("prompts", err))
	}
	ps := p.GetSampling()
	req := GenerateRequest{
		Prompts: prompts,
		N:       int(p.GetN()),
		Seed:    p.GetSeed(),
		Sampling: Sampling{
			Temperature: ps.GetTemperature(),
			TopP:        ps.GetTopP(),
			MaxTokens:   int(ps.GetMaxTokens()),
			StopTokens:  ps.GetStopTokens(),
		},
	}
	if g := ps.GetEntropyGate(); g != nil {
		req.Sampling.EntropyGate = &EntropyGate{Threshold: g.GetThreshold(), THigh: g.GetTHigh(), TLow: g.GetTLow()}
	}
	r, err := s.Impl.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &pb.GenerateResponse{Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}
	tokens := make([][]int32, len(r.Responses))
	logps := make([][]float32, len(r.Responses))
	ents := make([][]float32, len(r.Responses))
	for i, resp := range r.Responses {
		if len(resp.Pieces) != len(resp.Tokens) || len(resp.LogProbs) != len(resp.Tokens) || len(resp.Entropies) != len(resp.Tokens) {
			return nil, fmt.Errorf("Generate: response %d has %d tokens but %d pieces, %d log-probs and %d entropies",
				i, len(resp.Tokens), len(resp.Pieces), len(resp.LogProbs), len(resp.Entropies))
		}
		tokens[i], logps[i], ents[i] = resp.Tokens, resp.LogProbs, resp.Entropies
		out.Prompts = append(out.Prompts, int64(resp.Prompt))
		for _, p := range resp.Pieces {
			out.Pieces = append(out.Pieces, []byte(p))
		}
		out.Finish = append(out.Finish, resp.Finish)
	}
	out.Tokens = pluginapi.EncodeRagged(tokens)
	out.LogProbs = pluginapi.EncodeRagged(logps)
	out.Entropies = pluginapi.EncodeRagged(ents)
	return out, nil
}

// Score implements the gRPC service.
func (s *GRPCServer) Score(ctx context.Context, p *pb.ScoreRequest) (*pb.ScoreResponse, error) {
	req, err := scoreRequestFromProto(p)
	if err != nil {
		return nil, pluginapi.BadRequest("Score", err)
	}
	r, err := s.Impl.Score(ctx, req)
	if err != nil {
		return nil, err
	}
	return scoreResponseToProto(r), nil
}

// Forward implements the gRPC service.
func (s *GRPCServer) Forward(ctx context.Context, p *pb.ScoreRequest) (*pb.ForwardResponse, error) {
	req, err := scoreRequestFromProto(p)
	if err != nil {
		return nil, pluginapi.BadRequest("Forward", err)
	}
	r, err := s.Impl.Forward(ctx, req)
	if err != nil {
		return nil, err
	}
	return &pb.ForwardResponse{Score: scoreResponseToProto(r.ScoreResponse), Handle: r.Handle}, nil
}

// Backward implements the gRPC service.
func (s *GRPCServer) Backward(ctx context.Context, p *pb.BackwardRequest) (*pb.BackwardResponse, error) {
	req := BackwardRequest{Handle: p.GetHandle()}
	var err error
	if req.GradLogProbs, err = pluginapi.DecodeRagged[float32](p.GetGradLogProbs()); err != nil {
		return nil, pluginapi.BadRequest("Backward", pluginapi.FieldError("grad_log_probs", err))
	}
	if req.GradEntropies, err = pluginapi.DecodeRagged[float32](p.GetGradEntropies()); err != nil {
		return nil, pluginapi.BadRequest("Backward", pluginapi.FieldError("grad_entropies", err))
	}
	if req.GradValues, err = pluginapi.DecodeRagged[float32](p.GetGradValues()); err != nil {
		return nil, pluginapi.BadRequest("Backward", pluginapi.FieldError("grad_values", err))
	}
	r, err := s.Impl.Backward(ctx, req)
	if err != nil {
		return nil, err
	}
	return &pb.BackwardResponse{Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}

// Step implements the gRPC service.
func (s *GRPCServer) Step(ctx context.Context, p *pb.StepRequest) (*pb.StepResponse, error) {
	r, err := s.Impl.Step(ctx, StepRequest{
		LearningRate: p.GetLearningRate(), Beta1: p.GetBeta1(), Beta2: p.GetBeta2(),
		Epsilon: p.GetEpsilon(), WeightDecay: p.GetWeightDecay(), MaxGradNorm: p.GetMaxGradNorm(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.StepResponse{GradNorm: r.GradNorm, Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}

// Save implements the gRPC service.
func (s *GRPCServer) Save(ctx context.Context, p *pb.SaveRequest) (*pb.SaveResponse, error) {
	r, err := s.Impl.Save(ctx, SaveRequest{Dir: p.GetDir()})
	if err != nil {
		return nil, err
	}
	return &pb.SaveResponse{Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}

// Load implements the gRPC service.
func (s *GRPCServer) Load(ctx context.Context, p *pb.LoadRequest) (*pb.LoadResponse, error) {
	r, err := s.Impl.Load(ctx, LoadRequest{Dir: p.GetDir()})
	if err != nil {
		return nil, err
	}
	return &pb.LoadResponse{Diagnostics: pluginapi.DiagnosticsToProto(r.Diagnostics)}, nil
}
