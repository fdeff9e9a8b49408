package recipe

import (
	"encoding/json"
	"fmt"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// selectorHostSettings are the attributes of a selector block that the host
// reads itself and that settings.json once also listed among the block's
// plugin settings.
var selectorHostSettings = []string{"scope", "entropy"}

// UpgradeSettings brings a run's settings.json, as an earlier forkrl
// recorded it, to the current format, so that the run can be resumed,
// compared and replayed: a selector block's scope and entropy, which the
// host reads itself, are no longer among its plugin settings (a block
// recorded with them there has them at the block's level too; where it does
// not, they move there). Settings in the current format come back as they
// are; values are never re-encoded.
func UpgradeSettings(settings []byte) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(settings, &doc); err != nil {
		return nil, fmt.Errorf("the settings do not parse as JSON: %w", err)
	}
	raw, ok := doc["selectors"]
	if !ok {
		return settings, nil
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, fmt.Errorf("the settings' selectors: %w", err)
	}
	changed := false
	for _, b := range blocks {
		var kind pluginapi.Kind
		if err := json.Unmarshal(b["kind"], &kind); err != nil || kind != pluginapi.KindSelector {
			continue
		}
		var set map[string]json.RawMessage
		if err := json.Unmarshal(b["settings"], &set); err != nil || set == nil {
			continue
		}
		for _, name := range selectorHostSettings {
			v, ok := set[name]
			if !ok {
				continue
			}
			if _, ok := b[name]; !ok {
				b[name] = v
			}
			delete(set, name)
			changed = true
		}
		var err error
		if b["settings"], err = json.Marshal(set); err != nil {
			return nil, err
		}
	}
	if !changed {
		return settings, nil
	}
	var err error
	if doc["selectors"], err = json.Marshal(blocks); err != nil {
		return nil, err
	}
	return json.MarshalIndent(doc, "", "  ")
}
