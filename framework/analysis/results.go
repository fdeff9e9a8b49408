package analysis

// OverlapResult is what forkrl analyze overlap finds: responses sampled
// from a base model, scored under the base and under each checkpoint.
type OverlapResult struct {
	Recipe      string         `json:"recipe"`
	Run         string         `json:"run"`
	Base        string         `json:"base"` // the base checkpoint; "" for the recipe's model
	Dataset     string         `json:"dataset"`
	Problems    int            `json:"problems"`
	K           int            `json:"k"`
	Seed        uint64         `json:"seed"`
	Fraction    float64        `json:"fraction"`
	Responses   int            `json:"responses"`
	Tokens      int            `json:"tokens"`
	BaseMean    float64        `json:"base_mean_entropy"`
	Checkpoints []OverlapPoint `json:"checkpoints"`
}

// OverlapPoint compares one checkpoint with the base model.
type OverlapPoint struct {
	Checkpoint string      `json:"checkpoint"`
	Step       int         `json:"step,omitempty"` // from a run directory's checkpoints/step-NNNNNN
	Overlap    float64     `json:"overlap"`        // TopOverlap at Fraction
	MeanChange float64     `json:"mean_change"`    // mean entropy after − before, over all tokens
	Bins       []BinChange `json:"bins"`
}

// GridResult is what forkrl analyze grid finds: accuracy of entropy-gated
// decoding over (t_high, t_low).
type GridResult struct {
	Recipe     string      `json:"recipe"`
	Run        string      `json:"run"`
	Checkpoint string      `json:"checkpoint,omitempty"`
	Dataset    string      `json:"dataset"`
	Problems   int         `json:"problems"`
	K          int         `json:"k"`
	Seed       uint64      `json:"seed"`
	Threshold  float64     `json:"threshold"`           // the gate's entropy threshold (nats at T = 1)
	Percentile float64     `json:"percentile,omitzero"` // the percentile of the T = 1 entropies it was taken at, when not given
	Plain      float64     `json:"plain_accuracy"`      // accuracy at T = 1 without the gate
	Cells      []GridPoint `json:"cells"`               // t_low-major, in the order asked
}

// GridPoint is the accuracy of one (t_high, t_low).
type GridPoint struct {
	THigh    float64 `json:"t_high"`
	TLow     float64 `json:"t_low"`
	Accuracy float64 `json:"accuracy"`
}
