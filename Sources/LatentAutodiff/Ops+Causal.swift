import LatentTensor

extension Variable {
    /// A causal convolution's input windows over sequences: rows [n · positions, width] (sequence s's
    /// position t at row s · positions + t) → [n · positions, taps · width], row t holding positions
    /// t − taps … t − 1 (a first, "mask A" layer, blind to its own position) or t − taps + 1 … t
    /// (`includeCurrent`, "mask B"), oldest first, zeros before the sequence's start. A linear layer on the
    /// windows is the masked convolution of a PixelCNN along a row (van den Oord et al. 2016); the pullback adds
    /// each window's gradient back to its positions.
    public func causalWindows(positions: Int, taps: Int, includeCurrent: Bool) -> Variable {
        let rows = shape[0], width = shape[1]
        precondition(rows % positions == 0 && taps >= 1, "causalWindows: \(shape) is not sequences of \(positions)")
        let shift = includeCurrent ? taps - 1 : taps
        /// Calls `body(window, source)` for every tap of every row whose position exists: the offset of the tap in
        /// the windows and of its position's row in the input.
        func eachTap(_ body: (Int, Int) -> Void) {
            for row in 0..<rows {
                let t = row % positions
                for j in 0..<taps where t - shift + j >= 0 {
                    body(row * taps * width + j * width, (row - shift + j) * width)
                }
            }
        }
        let out = Tensor(zeros: [rows, taps * width])
        let x = value.data, o = out.data
        eachTap { window, source in (o + window).update(from: x + source, count: width) }
        return Variable(out, parents: [self]) { [self] g in
            let d = Tensor(zeros: [rows, width])
            let gp = g.data, dp = d.data
            eachTap { window, source in for i in 0..<width { dp[source + i] += gp[window + i] } }
            accumulate(d)
        }
    }
}
