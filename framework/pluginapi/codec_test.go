package pluginapi_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// rows are n rows of float32 with the given lengths, filled from seed.
func rows(seed uint64, lengths ...int) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float32, len(lengths))
	for i, n := range lengths {
		out[i] = make([]float32, n)
		for j := range out[i] {
			out[i][j] = rng.Float32()*10 - 5
		}
	}
	return out
}

// masks are rows of booleans with the given lengths.
func masks(lengths ...int) [][]bool {
	out := make([][]bool, len(lengths))
	for i, n := range lengths {
		out[i] = make([]bool, n)
		for j := range out[i] {
			out[i][j] = (i+j)%3 != 0
		}
	}
	return out
}

// large is the number of float32 values in pluginapi.LargeMessageBytes,
// field the number in pluginapi.LargeBytes.
const (
	large = pluginapi.LargeMessageBytes / 4
	field = pluginapi.LargeBytes / 4
)

// codecMessages are messages below and above pluginapi.LargeMessageBytes:
// ragged batches with empty rows and odd sizes, fields just below and above
// pluginapi.LargeBytes, a large field between small ones, a repeated message
// with large and small elements, unknown fields.
func codecMessages() map[string]proto.Message {
	big := strings.Repeat("x", pluginapi.LargeMessageBytes+3)
	items := []*pb.VerifyItem{{Problem: "p"}, {Problem: strings.Repeat("y", pluginapi.LargeBytes)}}
	for range pluginapi.LargeMessageBytes / (pluginapi.LargeBytes / 2) {
		items = append(items, &pb.VerifyItem{Response: strings.Repeat("z", pluginapi.LargeBytes/2)})
	}
	withUnknown := &pb.SelectRequest{Step: 3, Entropies: pluginapi.EncodeRagged(rows(9, large, 0, 7))}
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), make([]byte, 3)))
	return map[string]proto.Message{
		"empty":         &pb.SelectRequest{},
		"small":         &pb.SelectRequest{Entropies: pluginapi.EncodeRagged(rows(1, 3, 0, 5)), Step: 7, Seed: 1},
		"one large row": &pb.SelectRequest{Entropies: pluginapi.EncodeRagged(rows(2, large+1))},
		"ragged, odd sizes": &pb.SelectRequest{
			Entropies:  pluginapi.EncodeRagged(rows(3, 0, 12345, 1, 0, large+333, 7)),
			LogProbs:   pluginapi.EncodeRagged(rows(4, 0, 12345, 1, 0, large+333, 7)),
			Advantages: pluginapi.EncodeRagged(rows(5, 10, 20)),
			Masks:      pluginapi.EncodeRagged(masks(0, 12345, 1, 0, large+333, 7)),
			Step:       -2, Seed: 1 << 63,
		},
		"bytes just large": &pb.SelectResponse{Weights: &pb.Ragged{Values: &pb.Tensor{Dtype: pb.DType_DTYPE_FLOAT32, Shape: []int64{large}, Data: make([]byte, pluginapi.LargeMessageBytes)}, Lengths: []int64{large}},
			Threshold: 0.5, Selected: 3, Diagnostics: []*pb.Diagnostic{{Summary: "a"}, {Summary: "b"}}},
		"int32 ragged": &pb.GenerateResponse{Prompts: []int64{0, 0, 1}, Tokens: pluginapi.EncodeRagged([][]int32{make([]int32, large+5), {1, 2, 3}, {}}),
			Pieces: [][]byte{[]byte("a"), {0xe2, 0x82}}, Finish: []string{"stop"}},
		"repeated message, one large": &pb.VerifyRequest{Items: []*pb.VerifyItem{{Problem: "p"}, {Problem: big, Response: "r"}, {Reference: "3"}}},
		"unknown fields":              withUnknown,
		"fields around LargeBytes": &pb.SelectRequest{
			Entropies:  pluginapi.EncodeRagged(rows(12, field-8)),
			LogProbs:   pluginapi.EncodeRagged(rows(13, field)),
			Advantages: pluginapi.EncodeRagged(rows(14, field+1)),
			Masks:      pluginapi.EncodeRagged(masks(large)),
		},
		"many small elements, one large": &pb.VerifyRequest{Items: items},
	}
}

// split cuts b into buffers of the sizes given, in turn, as received gRPC
// frames are.
func split(b []byte, sizes ...int) mem.BufferSlice {
	var out mem.BufferSlice
	for i := 0; len(b) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(b))
		out = append(out, mem.SliceBuffer(bytes.Clone(b[:n])))
		b = b[n:]
	}
	return out
}

// TestCodecMatchesProtobuf checks that Codec writes what proto.Marshal
// writes, and reads it back to an equal message whatever the frame sizes.
func TestCodecMatchesProtobuf(t *testing.T) {
	for name, m := range codecMessages() {
		t.Run(name, func(t *testing.T) {
			want, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			data, err := pluginapi.Codec.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := data.Materialize(); !bytes.Equal(got, want) {
				t.Fatalf("Codec wrote %d bytes that differ from proto.Marshal's %d", len(got), len(want))
			}
			for _, sizes := range [][]int{{len(want) + 1}, {16384}, {1, 7, 16384, 3}} {
				got := m.ProtoReflect().New().Interface()
				if err := pluginapi.Codec.Unmarshal(split(want, sizes...), got); err != nil {
					t.Fatalf("frames of %v bytes: %v", sizes, err)
				}
				if !proto.Equal(got, m) {
					t.Errorf("frames of %v bytes: read back a different message", sizes)
				}
				if !bytes.Equal(got.ProtoReflect().GetUnknown(), m.ProtoReflect().GetUnknown()) {
					t.Errorf("frames of %v bytes: unknown fields %x, want %x", sizes, got.ProtoReflect().GetUnknown(), m.ProtoReflect().GetUnknown())
				}
			}
		})
	}
}

// TestCodecValues decodes the tensors that Codec read to the rows that were
// sent, and checks that a large tensor's data needed no further copy.
func TestCodecValues(t *testing.T) {
	ent, msk := rows(7, 0, large+1, 5, 0), masks(3, large+1, 0)
	wire, err := proto.Marshal(&pb.SelectRequest{Entropies: pluginapi.EncodeRagged(ent), Masks: pluginapi.EncodeRagged(msk)})
	if err != nil {
		t.Fatal(err)
	}
	var got pb.SelectRequest
	if err := pluginapi.Codec.Unmarshal(split(wire, 16384), &got); err != nil {
		t.Fatal(err)
	}
	gotEnt, err := pluginapi.DecodeRagged[float32](got.Entropies)
	if err != nil {
		t.Fatal(err)
	}
	gotMsk, err := pluginapi.DecodeRagged[bool](got.Masks)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotEnt, ent) || !reflect.DeepEqual(gotMsk, msk) {
		t.Fatal("decoded rows differ from the rows sent")
	}
	if data := got.Entropies.Values.Data; unsafe.Pointer(&gotEnt[1][0]) != unsafe.Pointer(&data[0]) {
		t.Error("DecodeRagged copied the data that Codec read; want it used in place")
	}
}

// TestCodecRefusesMalformed checks that truncated or overlong large
// messages give errors.
func TestCodecRefusesMalformed(t *testing.T) {
	wire, err := proto.Marshal(&pb.SelectRequest{Entropies: pluginapi.EncodeRagged(rows(8, large+10)), Step: 1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated in the data", wire[:len(wire)-100]},
		{"truncated in a varint", append(bytes.Clone(wire), 0x28, 0x80)},
		{"group wire type", append(bytes.Clone(wire), 0x3b)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := pluginapi.Codec.Unmarshal(split(tt.data, 16384), new(pb.SelectRequest)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// echoSelector returns the entropies as weights and the request's
// content-type as its one diagnostic.
type echoSelector struct{ pb.UnimplementedSelectorServer }

func (echoSelector) Select(ctx context.Context, req *pb.SelectRequest) (*pb.SelectResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return &pb.SelectResponse{Weights: req.Entropies, Diagnostics: []*pb.Diagnostic{{Summary: strings.Join(md.Get("content-type"), ",")}}}, nil
}

// TestCodecInteroperates calls a selector over gRPC with Codec on one side
// and gRPC's default protobuf codec on the other, both ways round: the
// content-type is plain protobuf and large tensors cross intact.
func TestCodecInteroperates(t *testing.T) {
	ent := rows(11, 5, large+3, 0, 3)
	tests := []struct {
		name   string
		server []grpc.ServerOption
		client []grpc.DialOption
	}{
		{"Codec client, default server", nil, []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.ForceCodecV2(pluginapi.Codec))}},
		{"default client, Codec server", []grpc.ServerOption{grpc.ForceServerCodecV2(pluginapi.Codec)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lis := bufconn.Listen(1 << 20)
			srv := grpc.NewServer(tt.server...)
			pb.RegisterSelectorServer(srv, echoSelector{})
			go func() { _ = srv.Serve(lis) }()
			defer srv.Stop()
			dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
			conn, err := grpc.NewClient("passthrough:///bufnet", append(tt.client, grpc.WithContextDialer(dial), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			resp, err := pb.NewSelectorClient(conn).Select(context.Background(), &pb.SelectRequest{Entropies: pluginapi.EncodeRagged(ent)})
			if err != nil {
				t.Fatal(err)
			}
			if ct := resp.Diagnostics[0].Summary; ct != "application/grpc+proto" && ct != "application/grpc" {
				t.Errorf("content-type %q, want protobuf", ct)
			}
			got, err := pluginapi.DecodeRagged[float32](resp.Weights)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, ent) {
				t.Error("the tensor came back changed")
			}
		})
	}
}

// BenchmarkCodec marshals and unmarshals a message with Codec and with
// gRPC's default codec, the received bytes in 16 KiB frames: 64 MiB of
// float32 in one row, and a selector batch of 64 responses of 1,200 tokens
// (about 1.1 MiB).
func BenchmarkCodec(b *testing.B) {
	lengths := make([]int, 64)
	for i := range lengths {
		lengths[i] = 1200
	}
	for _, m := range []struct {
		name string
		msg  *pb.SelectRequest
	}{
		{"64MiB", &pb.SelectRequest{Entropies: pluginapi.EncodeRagged(rows(1, 16<<20))}},
		{"batch", &pb.SelectRequest{Entropies: pluginapi.EncodeRagged(rows(1, lengths...)), LogProbs: pluginapi.EncodeRagged(rows(2, lengths...)),
			Advantages: pluginapi.EncodeRagged(rows(3, lengths...)), Masks: pluginapi.EncodeRagged(masks(lengths...))}},
	} {
		wire, err := proto.Marshal(m.msg)
		if err != nil {
			b.Fatal(err)
		}
		frames := split(wire, 16384)
		for _, c := range []struct {
			name  string
			codec encoding.CodecV2
		}{{"Codec", pluginapi.Codec}, {"default", encoding.GetCodecV2("proto")}} {
			b.Run(m.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(2 * int64(len(wire)))
				for b.Loop() {
					data, err := c.codec.Marshal(m.msg)
					if err != nil {
						b.Fatal(err)
					}
					data.Free()
					if err := c.codec.Unmarshal(frames, new(pb.SelectRequest)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
