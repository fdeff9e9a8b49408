// Package advantage turns rewards into advantages: group baselines for
// outcome rewards (GRPO, Dr.GRPO, RLOO), batch whitening (REINFORCE++), and
// generalised advantage estimation with a critic (GAE, for PPO).
//
// Group estimators take one reward per response and the group (prompt) of
// each response as a slice of group sizes: rewards[0:sizes[0]] is the first
// group, the next sizes[1] rewards the second, and so on. They write one
// advantage per response; a trainer broadcasts it over the response's tokens.
// Semantics follow verl's core_algos, including its handling of groups of one.
package advantage

import "math"

// GRPO writes (r − mean)/(std + eps) within each group, with the unbiased
// (n−1) standard deviation as torch.std computes it. A group of one response
// has mean 0 and std 1, as in verl. Rewards [1,0,0,0] give [1.5, −0.5, −0.5, −0.5]
// (1.499997 with eps = 1e-6).
func GRPO(dst, rewards []float32, sizes []int, eps float64) {
	groups(dst, rewards, sizes, func(d, r []float32) {
		mean, std := 0.0, 1.0
		if len(r) > 1 {
			mean, std = meanStd(r)
		}
		for i, v := range r {
			d[i] = float32((float64(v) - mean) / (std + eps))
		}
	})
}

// DrGRPO writes r − mean within each group (Dr.GRPO drops GRPO's division by
// the standard deviation). A group of one has mean 0, as in verl.
func DrGRPO(dst, rewards []float32, sizes []int) {
	groups(dst, rewards, sizes, func(d, r []float32) {
		mean := 0.0
		if len(r) > 1 {
			mean, _ = meanStd(r)
		}
		for i, v := range r {
			d[i] = float32(float64(v) - mean)
		}
	})
}

// RLOO writes r_i minus the mean of the other rewards of its group (the
// leave-one-out baseline), i.e. n/(n−1)·(r_i − mean). A group of one keeps its
// reward, as in verl.
func RLOO(dst, rewards []float32, sizes []int) {
	groups(dst, rewards, sizes, func(d, r []float32) {
		n := float64(len(r))
		if len(r) == 1 {
			d[0] = r[0]
			return
		}
		mean, _ := meanStd(r)
		for i, v := range r {
			d[i] = float32((float64(v) - mean) * n / (n - 1))
		}
	})
}

// groups calls f on each group's slice of dst and rewards.
func groups(dst, rewards []float32, sizes []int, f func(d, r []float32)) {
	if len(dst) != len(rewards) {
		panic("advantage: len(dst) must equal len(rewards)")
	}
	lo := 0
	for _, n := range sizes {
		if n <= 0 || lo+n > len(rewards) {
			panic("advantage: group sizes must be positive and add up to len(rewards)")
		}
		f(dst[lo:lo+n], rewards[lo:lo+n])
		lo += n
	}
	if lo != len(rewards) {
		panic("advantage: group sizes must add up to len(rewards)")
	}
}

// meanStd returns the mean and the unbiased standard deviation (n ≥ 2).
func meanStd(x []float32) (mean, std float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// ReinforcePlusPlus writes REINFORCE++ advantages for a ragged batch of token
// rewards (an outcome reward sits on a response's last token): each token's
// discounted return G_t = r_t + γ·G_{t+1} within its response, then whitened
// over all valid tokens of the batch, (G − mean)/sqrt(var + 1e-8) with the
// unbiased variance, as verl's masked_whiten. Invalid tokens get 0 and do not
// carry returns. mask may be nil.
func ReinforcePlusPlus(dst, tokenRewards [][]float32, mask [][]bool, gamma float64) {
	sameRagged(dst, tokenRewards, mask)
	for i, r := range tokenRewards {
		g := 0.0
		for t := len(r) - 1; t >= 0; t-- {
			if mask != nil && !mask[i][t] {
				dst[i][t] = 0
				g = 0
				continue
			}
			g = float64(r[t]) + gamma*g
			dst[i][t] = float32(g)
		}
	}
	Whiten(dst, dst, mask, true)
}

// Whiten writes (x − mean)/sqrt(var + 1e-8) over the valid entries of a ragged
// batch (verl's masked_whiten; unbiased variance). With shift false the mean is
// added back, as verl's shift_mean=False. Invalid entries get 0; dst may be x.
// Fewer than two valid entries leave the values centred but unscaled.
func Whiten(dst, x [][]float32, mask [][]bool, shift bool) {
	sameRagged(dst, x, mask)
	var n, sum float64
	for i, r := range x {
		for t, v := range r {
			if mask == nil || mask[i][t] {
				n++
				sum += float64(v)
			}
		}
	}
	if n == 0 {
		for _, r := range dst {
			clear(r)
		}
		return
	}
	mean := sum / n
	var ss float64
	for i, r := range x {
		for t, v := range r {
			if mask == nil || mask[i][t] {
				d := float64(v) - mean
				ss += d * d
			}
		}
	}
	scale := 1.0
	if n > 1 {
		scale = 1 / math.Sqrt(ss/(n-1)+1e-8)
	}
	back := 0.0
	if !shift {
		back = mean
	}
	for i, r := range x {
		for t, v := range r {
			if mask == nil || mask[i][t] {
				dst[i][t] = float32((float64(v)-mean)*scale + back)
			} else {
				dst[i][t] = 0
			}
		}
	}
}

// GAE writes generalised advantage estimates and returns for a ragged batch:
// within each response, δ_t = r_t + γ·V_{t+1} − V_t (V after the last valid
// token is 0), A_t = δ_t + γλ·A_{t+1}, and returns R_t = A_t + V_t. Invalid
// tokens get 0 and end the recursion, so a mask must mark a contiguous
// response. PPO then usually whitens the advantages (Whiten with shift true).
func GAE(adv, returns, rewards, values [][]float32, mask [][]bool, gamma, lambda float64) {
	sameRagged(adv, rewards, mask)
	sameRagged(returns, values, nil)
	sameRagged(adv, values, nil)
	for i, r := range rewards {
		var nextV, nextA float64
		for t := len(r) - 1; t >= 0; t-- {
			if mask != nil && !mask[i][t] {
				adv[i][t], returns[i][t] = 0, 0
				nextV, nextA = 0, 0
				continue
			}
			v := float64(values[i][t])
			delta := float64(r[t]) + gamma*nextV - v
			a := delta + gamma*lambda*nextA
			adv[i][t] = float32(a)
			returns[i][t] = float32(a + v)
			nextV, nextA = v, a
		}
	}
}

func sameRagged(a, b [][]float32, mask [][]bool) {
	if len(a) != len(b) || (mask != nil && len(mask) != len(a)) {
		panic("advantage: ragged inputs have different numbers of rows")
	}
	for i := range a {
		if len(a[i]) != len(b[i]) || (mask != nil && len(mask[i]) != len(a[i])) {
			panic("advantage: ragged inputs have rows of different lengths")
		}
	}
}
