package loss

// Value is PPO's clipped value loss: per token
//
//	ℓ = ½·max((v − R)², (clip(v, v_old − ClipRange, v_old + ClipRange) − R)²)
//
// aggregated by Aggregate (selector weights do not apply to the critic).
type Value struct {
	ClipRange float64 // 0 disables clipping
	Aggregate
}

// ValueMetrics are the statistics of one Value.Compute call.
type ValueMetrics struct {
	Loss     float64
	ClipFrac float64 // valid tokens where the clipped branch is strictly larger (verl's vf_clipfrac)
	Tokens   int
}

// Compute writes ∂L/∂v for every token into grad (invalid tokens: 0) and
// returns the loss. values are the critic's predictions, oldValues those at
// rollout time, returns the targets; all share values' shape, mask may be nil.
func (c Value) Compute(grad, values, oldValues, returns [][]float32, mask [][]bool) ValueMetrics {
	sameShape(values, grad, oldValues, returns)
	if oldValues == nil || returns == nil || grad == nil {
		panic("loss: Value.Compute needs grad, oldValues and returns")
	}
	coef := c.Aggregate.coefficients(make([]float64, len(values)), mask, nil, func(i int) int { return len(values[i]) })
	var m ValueMetrics
	var clipped float64
	for i, row := range values {
		for t, v32 := range row {
			if mask != nil && !mask[i][t] {
				grad[i][t] = 0
				continue
			}
			v, old, R := float64(v32), float64(oldValues[i][t]), float64(returns[i][t])
			e1 := v - R
			l := e1 * e1 / 2
			g := e1
			if c.ClipRange > 0 {
				e2 := min(max(v, old-c.ClipRange), old+c.ClipRange) - R
				if l2 := e2 * e2 / 2; l2 > l {
					l, g = l2, 0 // v is outside the clip range, where the clipped branch is flat
					clipped++
				}
			}
			m.Loss += coef[i] * l
			grad[i][t] = float32(coef[i] * g)
			m.Tokens++
		}
	}
	m.ClipFrac = ratioOf(clipped, float64(m.Tokens))
	return m
}
