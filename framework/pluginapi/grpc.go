package pluginapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// MaxMessageBytes is the largest gRPC message either side of a plugin
// connection accepts (gRPC's default is 4 MiB; a 16M-token float32 batch is 64 MiB).
const MaxMessageBytes = math.MaxInt32

// BaseServer serves the base service (forkrl.v1.Plugin) for every kind that
// one plugin binary serves: Info and Configure are routed by kind. The kinds'
// GRPCPlugin values of one binary share one BaseServer.
type BaseServer struct {
	pb.UnimplementedPluginServer

	mu         sync.Mutex
	kinds      []Kind
	impls      map[Kind]Plugin
	registered map[*grpc.Server]bool
}

// Register adds the implementation of a kind and registers the base service
// on s the first time it is called for s.
func (b *BaseServer) Register(s *grpc.Server, kind Kind, impl Plugin) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.impls == nil {
		b.impls = map[Kind]Plugin{}
		b.registered = map[*grpc.Server]bool{}
	}
	if _, ok := b.impls[kind]; !ok {
		b.kinds = append(b.kinds, kind)
	}
	b.impls[kind] = impl
	if !b.registered[s] {
		pb.RegisterPluginServer(s, b)
		b.registered[s] = true
	}
}

func (b *BaseServer) lookup(kind string) (Plugin, []Kind, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.kinds) == 0 {
		return nil, nil, status.Error(codes.FailedPrecondition, "the plugin serves no kind")
	}
	if kind == "" {
		return b.impls[b.kinds[0]], append([]Kind(nil), b.kinds...), nil
	}
	impl, ok := b.impls[Kind(kind)]
	if !ok {
		return nil, nil, status.Errorf(codes.NotFound, "the plugin does not serve the %s kind", kind)
	}
	return impl, nil, nil
}

// Info implements forkrl.v1.Plugin.
func (b *BaseServer) Info(ctx context.Context, req *pb.InfoRequest) (*pb.InfoResponse, error) {
	impl, all, err := b.lookup(req.GetKind())
	if err != nil {
		return nil, err
	}
	info, err := impl.Info(ctx)
	if err != nil {
		return nil, err
	}
	if all != nil {
		info.Kinds = all
	}
	return InfoToProto(info)
}

// Configure implements forkrl.v1.Plugin.
func (b *BaseServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	impl, _, err := b.lookup(req.GetKind())
	if err != nil {
		return nil, err
	}
	settings := Settings{}
	if js := req.GetSettingsJson(); js != "" {
		if err := json.Unmarshal([]byte(js), &settings); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "settings are not a JSON object: %v", err)
		}
	}
	resp, err := impl.Configure(ctx, ConfigureRequest{Settings: settings, Seed: req.GetSeed(), Dir: req.GetDir()})
	if err != nil {
		return nil, err
	}
	return &pb.ConfigureResponse{Diagnostics: DiagnosticsToProto(resp.Diagnostics)}, nil
}

// Service is a kind's gRPC service, both sides of it: Register serves an
// implementation on a plugin's gRPC server, Client makes the host's client
// of a connection. Each kind sub-package declares its own (selector.Service).
type Service[T Plugin] struct {
	Kind     Kind
	Register func(s *grpc.Server, impl T)
	Client   func(base BaseClient, c *grpc.ClientConn) T
}

// Plugin returns the kind for go-plugin: on the plugin side it serves impl
// (Info and Configure through base; nil: a base of its own), on the host
// side (a nil impl) it dispenses the kind's gRPC client.
func (svc Service[T]) Plugin(impl T, base *BaseServer) goplugin.Plugin {
	return &grpcPlugin[T]{svc: svc, impl: impl, base: base}
}

// grpcPlugin is a Service's go-plugin plugin (gRPC only).
type grpcPlugin[T Plugin] struct {
	goplugin.NetRPCUnsupportedPlugin
	svc  Service[T]
	impl T
	base *BaseServer
}

var _ goplugin.GRPCPlugin = (*grpcPlugin[Plugin])(nil)

// GRPCServer registers the kind's service (and the base service) on s.
func (p *grpcPlugin[T]) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.base == nil {
		p.base = &BaseServer{}
	}
	p.base.Register(s, p.svc.Kind, p.impl)
	p.svc.Register(s, p.impl)
	return nil
}

// GRPCClient returns the host side of the connection, a T.
func (p *grpcPlugin[T]) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return p.svc.Client(BaseClient{Kind: p.svc.Kind, Client: pb.NewPluginClient(c)}, c), nil
}

// BaseClient calls the base service for one kind; the kinds' gRPC clients embed it.
type BaseClient struct {
	Kind   Kind
	Client pb.PluginClient
}

// Info asks the plugin to describe its kind.
func (c BaseClient) Info(ctx context.Context) (Info, error) {
	resp, err := c.Client.Info(ctx, &pb.InfoRequest{Kind: string(c.Kind)})
	if err != nil {
		return Info{}, err
	}
	return InfoFromProto(resp)
}

// Configure sends the kind's settings.
func (c BaseClient) Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error) {
	js, err := json.Marshal(req.Settings)
	if err != nil {
		return ConfigureResponse{}, fmt.Errorf("settings cannot be sent as JSON: %w", err)
	}
	resp, err := c.Client.Configure(ctx, &pb.ConfigureRequest{Kind: string(c.Kind), SettingsJson: string(js), Seed: req.Seed, Dir: req.Dir})
	if err != nil {
		return ConfigureResponse{}, err
	}
	return ConfigureResponse{Diagnostics: DiagnosticsFromProto(resp.GetDiagnostics())}, nil
}

// InfoToProto converts an Info for the wire.
func InfoToProto(info Info) (*pb.InfoResponse, error) {
	out := &pb.InfoResponse{
		Name:        info.Name,
		Version:     info.Version,
		Protocol:    int32(info.Protocol),
		Description: info.Description,
		Settings:    &pb.Schema{},
	}
	for _, k := range info.Kinds {
		out.Kinds = append(out.Kinds, string(k))
	}
	for _, a := range info.Settings.Attributes {
		pa := &pb.Attribute{Name: a.Name, Type: a.Type, Description: a.Description, Required: a.Required, Enum: a.Enum, Min: a.Min, Max: a.Max}
		if a.Default != nil {
			js, err := json.Marshal(a.Default)
			if err != nil {
				return nil, fmt.Errorf("default of setting %q cannot be sent as JSON: %w", a.Name, err)
			}
			pa.DefaultJson = string(js)
		}
		out.Settings.Attributes = append(out.Settings.Attributes, pa)
	}
	return out, nil
}

// InfoFromProto converts an Info from the wire.
func InfoFromProto(p *pb.InfoResponse) (Info, error) {
	info := Info{Name: p.GetName(), Version: p.GetVersion(), Protocol: int(p.GetProtocol()), Description: p.GetDescription()}
	for _, k := range p.GetKinds() {
		info.Kinds = append(info.Kinds, Kind(k))
	}
	for _, pa := range p.GetSettings().GetAttributes() {
		a := Attribute{Name: pa.GetName(), Type: pa.GetType(), Description: pa.GetDescription(), Required: pa.GetRequired(), Enum: pa.GetEnum(), Min: pa.Min, Max: pa.Max}
		if js := pa.GetDefaultJson(); js != "" {
			if err := json.Unmarshal([]byte(js), &a.Default); err != nil {
				return Info{}, fmt.Errorf("default of setting %q is not JSON: %w", a.Name, err)
			}
		}
		info.Settings.Attributes = append(info.Settings.Attributes, a)
	}
	return info, nil
}

// DiagnosticsToProto converts diagnostics for the wire.
func DiagnosticsToProto(d Diagnostics) []*pb.Diagnostic {
	if len(d) == 0 {
		return nil
	}
	out := make([]*pb.Diagnostic, len(d))
	for i, x := range d {
		sev := pb.Severity_SEVERITY_ERROR
		if x.Severity == Warning {
			sev = pb.Severity_SEVERITY_WARNING
		}
		out[i] = &pb.Diagnostic{Severity: sev, Summary: x.Summary, Detail: x.Detail, Attribute: x.Attribute}
	}
	return out
}

// DiagnosticsFromProto converts diagnostics from the wire.
func DiagnosticsFromProto(p []*pb.Diagnostic) Diagnostics {
	if len(p) == 0 {
		return nil
	}
	out := make(Diagnostics, len(p))
	for i, x := range p {
		sev := Error
		if x.GetSeverity() == pb.Severity_SEVERITY_WARNING {
			sev = Warning
		}
		out[i] = Diagnostic{Severity: sev, Summary: x.GetSummary(), Detail: x.GetDetail(), Attribute: x.GetAttribute()}
	}
	return out
}

// BadRequest is the error a server shim returns when a request cannot be
// decoded: the host sent a malformed message.
func BadRequest(call string, err error) error {
	return status.Errorf(codes.InvalidArgument, "%s: malformed request: %v", call, err)
}

// BadResponse is the error a client shim returns when a response cannot be decoded.
func BadResponse(call string, err error) error {
	return fmt.Errorf("%s: malformed response from the plugin: %w", call, err)
}

// FieldError says which field of a message could not be decoded.
func FieldError(field string, err error) error {
	return fmt.Errorf("field %s: %w", field, err)
}
