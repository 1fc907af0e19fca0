import LatentTensor

extension Variable {
    /// A causal convolution's input windows over sequences: rows [n · positions, width] (sequence s's
    /// position t at row s · positions + t) → [n · positions, taps · width], row t holding positions
    /// t − taps … t − 1 (a first, "mask A" layer, blind to its own position) or t − taps + 1 … t
    /// (`includeCurrent`, "mask B"), oldest first, zeros before the sequence's start. A linear layer on the
    /// windows is the masked convolution of a PixelCNN along a row (van den Oord et al. 2016); the pullback adds
    /// each window's gradient back to its positions.
    public func causalWindows(positions: Int, taps: Int, includeCurrent: Bool) -> Variable {
        let rows = shape[0], width = shape[1], n = rows / positions
        precondition(n * positions == rows && taps >= 1, "causalWindows: \(shape) is not sequences of \(positions)")
        let shift = includeCurrent ? taps - 1 : taps
        let out = Tensor(zeros: [rows, taps * width])
        let x = value.data, o = out.data
        for s in 0..<n {
            for t in 0..<positions {
                let row = s * positions + t
                for j in 0..<taps {
                    let source = t - shift + j
                    guard source >= 0, source < positions, source <= t else { continue }
                    let from = x + (s * positions + source) * width
                    (o + row * taps * width + j * width).update(from: from, count: width)
                }
            }
        }
        return Variable(out, parents: [self]) { [self] g in
            let d = Tensor(zeros: [rows, width])
            let gp = g.data, dp = d.data
            for s in 0..<n {
                for t in 0..<positions {
                    let row = s * positions + t
                    for j in 0..<taps {
                        let source = t - shift + j
                        guard source >= 0, source < positions, source <= t else { continue }
                        let into = dp + (s * positions + source) * width, from = gp + row * taps * width + j * width
                        for i in 0..<width { into[i] += from[i] }
                    }
                }
            }
            accumulate(d)
        }
    }
}
