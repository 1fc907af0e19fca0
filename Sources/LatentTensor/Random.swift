/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Independent streams come from the same seed with different `stream` numbers, so that, say, the
/// initial weights do not change when the shuffling consumes more numbers.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Float?

    /// A generator for stream `stream` of `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed &+ stream &* 0xD1B5_4A32_D192_ED03
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// The generator's whole state, for checkpoints.
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

    /// A generator resumed from a saved `state`.
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RandomGenerator state has 4 words")
        s = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1), 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal (Box–Muller; the second value of each pair is kept for the next call).
    public mutating func normal() -> Float {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u1: Double
        repeat { u1 = Double(next() >> 11) * 0x1p-53 } while u1 == 0
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * _log(u1)).squareRoot()
        spareNormal = Float(r * _sin(2 * Double.pi * u2))
        return Float(r * _cos(2 * Double.pi * u2))
    }

    /// Gamma(shape a, scale 1) for a > 0 (Marsaglia & Tsang 2000; for a < 1, Gamma(a + 1)·U^(1/a)).
    public mutating func gamma(shape a: Double) -> Double {
        precondition(a > 0, "gamma: shape \(a) must be positive")
        func open() -> Double { Double((next() >> 11) | 1) * 0x1p-53 }  // in (0, 1)
        if a < 1 { return gamma(shape: a + 1) * _LatentLibm.exp(_LatentLibm.log(open()) / a) }
        let d = a - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = Double(normal()), v = (1 + c * x) * (1 + c * x) * (1 + c * x)
            if v <= 0 { continue }
            if _LatentLibm.log(open()) < 0.5 * x * x + d - d * v + d * _LatentLibm.log(v) { return d * v }
        }
    }

    /// Beta(a, b) for a, b > 0, as G_a / (G_a + G_b).
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a)
        return x / (x + gamma(shape: b))
    }

    /// 1 with probability p, else 0.
    public mutating func bernoulli(_ p: Float) -> Float { uniform() < p ? 1 : 0 }

    /// A uniform integer in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }

    /// Fills `t` with U(low, high).
    public mutating func fillUniform(_ t: Tensor, low: Float, high: Float) {
        for i in 0..<t.count { t.data[i] = low + (high - low) * uniform() }
    }

    /// Fills `t` with N(mean, std²).
    public mutating func fillNormal(_ t: Tensor, mean: Float = 0, std: Float = 1) {
        fillNormal(t.data, count: t.count, mean: mean, std: std)
    }

    /// Fills `count` floats at `p` with N(mean, std²): the same draws as the tensor form.
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, std: Float = 1) {
        for i in 0..<count { p[i] = mean + std * normal() }
    }

    /// Fills `t` with Gumbel(0, 1) draws −log(−log u), one uniform u each (kept away from 0 and 1): the noise of
    /// the Gumbel-softmax relaxation.
    public mutating func fillGumbel(_ t: Tensor) {
        for i in 0..<t.count {
            let u = min(max(uniform(), 1e-10), 1 - 1e-7)
            t.data[i] = -VectorMath.log(-VectorMath.log(u))
        }
    }

    /// Fills `t` with Bernoulli(p[i]) draws.
    public mutating func fillBernoulli(_ t: Tensor, probabilities p: Tensor) {
        precondition(p.count == t.count, "bernoulli probabilities \(p.shape) for \(t.shape)")
        for i in 0..<t.count { t.data[i] = uniform() < p.data[i] ? 1 : 0 }
    }

    /// A seeded Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        p.shuffle(using: &self)
        return p
    }
}

// Foundation-free libm access for the Box–Muller transform.
@inline(__always) private func _log(_ x: Double) -> Double { _LatentLibm.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { _LatentLibm.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { _LatentLibm.cos(x) }
