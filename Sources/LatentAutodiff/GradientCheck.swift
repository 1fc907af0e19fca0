import LatentTensor

/// Compares the analytic gradient of a scalar function with central finite differences, the test every
/// op in Latent passes.
public enum GradientCheck {
    /// The largest mismatch |analytic − numeric| / max(1, |numeric|) over every element of every input.
    ///
    /// `f` builds a scalar from the given variables; it is evaluated in float32, so `step` should stay
    /// around 1e-2…1e-3 and tolerances around 1e-2.
    public static func maxError(inputs: [Tensor], step: Float = 1e-2, _ f: ([Variable]) -> Variable) -> Float {
        let vars = inputs.map { Variable($0, requiresGrad: true) }
        f(vars).backward()
        var worst: Float = 0
        for (k, input) in inputs.enumerated() {
            let analytic = vars[k].grad ?? Tensor(zeros: input.shape)
            for i in 0..<input.count {
                let saved = input.data[i]
                input.data[i] = saved + step
                let plus = Double(f(inputs.map { Variable($0) }).value.scalar)
                input.data[i] = saved - step
                let minus = Double(f(inputs.map { Variable($0) }).value.scalar)
                input.data[i] = saved
                let numeric = Float((plus - minus) / (2 * Double(step)))
                worst = max(worst, abs(analytic.data[i] - numeric) / max(1, abs(numeric)))
            }
        }
        return worst
    }
}
