package pluginapi

import "context"

// MockPlugin is a Plugin for tests: Info returns About, Configure runs
// ConfigureFunc (nil: accept any settings). The kinds' mocks embed it.
type MockPlugin struct {
	About         Info
	ConfigureFunc func(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error)
}

// Info returns m.About.
func (m *MockPlugin) Info(context.Context) (Info, error) { return m.About, nil }

// Configure runs m.ConfigureFunc, if any.
func (m *MockPlugin) Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error) {
	if m.ConfigureFunc == nil {
		return ConfigureResponse{}, nil
	}
	return m.ConfigureFunc(ctx, req)
}
