import Foundation
import LatentTensor

extension Variable {
    /// The sliced Wasserstein distance SW_p^p between the batch's codes z [n, d] and as many prior draws p [n, d]
    /// along L unit directions θ [L, d] (Kolouri et al. 2019):
    /// (1/L)·Σ_l (1/n)·Σ_i |sort(z·θ_l)_i − sort(p·θ_l)_i|^p,
    /// the one-dimensional optimal transport of each projection pairing the sorted values. The gradient flows into
    /// z through the sorted order (each code's projection is moved toward its partner).
    public static func slicedWasserstein(_ z: Variable, prior: Tensor, directions: Tensor, power: Float) -> Variable {
        let n = z.shape[0], d = z.shape[1], l = directions.shape[0]
        precondition(
            z.shape.rank == 2 && prior.shape == z.shape && directions.shape == [l, d] && l >= 1,
            "sliced Wasserstein: codes \(z.shape), prior \(prior.shape), directions \(directions.shape)")
        // Projections [L, n] of codes and prior draws: θ·zᵀ and θ·pᵀ (BLAS).
        let zp = Tensor.matmul(directions, z.value, transposeB: true)
        let pp = Tensor.matmul(directions, prior, transposeB: true)
        // Per direction: sort both, pair them; keep ∂/∂(z·θ_l)_i for the pullback.
        let slope = Tensor(uninitialized: [l, n])
        var total = 0.0
        var order = [Int](repeating: 0, count: n), sortedPrior = [Float](repeating: 0, count: n)
        let scale = 1 / (Float(l) * Float(n))
        for k in 0..<l {
            let u = zp.data + k * n
            for i in 0..<n { (order[i], sortedPrior[i]) = (i, pp.data[k * n + i]) }
            order.sort { u[$0] < u[$1] }
            sortedPrior.sort()
            for (rank, i) in order.enumerated() {
                let diff = u[i] - sortedPrior[rank], magnitude = Swift.abs(diff)
                total += Double(Foundation.pow(magnitude, power))
                let derivative = power * Foundation.pow(magnitude, power - 1) * (diff < 0 ? -1 : 1)
                slope.data[k * n + i] = magnitude == 0 ? 0 : derivative * scale
            }
        }
        let value = Float(total) * scale
        return Variable(Tensor(scalar: value), parents: [z]) { [directions] g in
            // ∂/∂z = g·slopeᵀ·θ: [n, L]·[L, d] (BLAS).
            let gz = Tensor.matmul(slope, transposeA: true, directions)
            if g.scalar != 1 { gz.scale(by: g.scalar) }
            z.accumulate(gz)
        }
    }
}
