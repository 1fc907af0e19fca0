import Foundation
import LatentStats
import LatentTensor

/// t-distributed stochastic neighbour embedding to 2-D (van der Maaten & Hinton 2008), the way openTSNE
/// runs it: input affinities from the exact k = 3·perplexity nearest neighbours, PCA initialisation scaled
/// to a standard deviation of 10⁻⁴, 250 iterations with early exaggeration 12, then plain iterations;
/// learning rate n / exaggeration, momentum 0.8, gains (+0.2 / ×0.8 + 0.01) and steps clipped to norm 5.
/// The repulsion is exact below 1,000 points, Barnes-Hut below 18,000 and FFT interpolation above (measured
/// crossover on 2 cores: Barnes-Hut 14.8 s vs FFT 19.9 s at 15k points, 22.1 s vs 19.6 s at 20k).
public struct TSNE: Sendable {
    /// How the all-pairs repulsion is computed.
    public enum Method: String, CaseIterable, Sendable {
        case auto, exact
        case barnesHut = "bh"
        case fft
    }

    /// Effective number of neighbours.
    public var perplexity: Double = 30
    /// Iterations in all, the early-exaggeration ones included.
    public var iterations = 750
    /// Iterations with early exaggeration.
    public var earlyExaggerationIterations = 250
    /// Attraction multiplier during early exaggeration.
    public var earlyExaggeration: Float = 12
    /// Attraction multiplier afterwards.
    public var exaggeration: Float = 1
    /// Learning rate; nil for n / exaggeration.
    public var learningRate: Float? = nil
    /// Momentum of the gradient steps.
    public var momentum: Float = 0.8
    /// Largest step of any point in one iteration.
    public var maxStepNorm: Float = 5
    /// Barnes-Hut accuracy.
    public var theta: Float = 0.5
    /// How the repulsion is computed.
    public var method: Method = .auto
    /// Threads to use.
    public var threads = 1

    /// openTSNE's defaults.
    public init() {}

    /// The method used for `n` points.
    public func resolvedMethod(points n: Int) -> Method {
        guard method == .auto else { return method }
        return n < 1_000 ? .exact : (n < 18_000 ? .barnesHut : .fft)
    }

    /// Reports during `embed`: the stage, or the iteration with the current KL divergence.
    public enum Progress: Sendable {
        case stage(String)
        case iteration(Int, kl: Double)
    }

    /// The fewest rows `embed` takes.
    public static let minimumPoints = 4

    /// Embeds the rows of `data` ([n, d]) in 2-D; returns [n, 2].
    public func embed(_ data: Tensor, progress: (Progress) -> Void = { _ in }) throws -> Tensor {
        let n = data.shape[0]
        guard data.shape.rank == 2, n >= Self.minimumPoints else {
            throw LatentError(.embedding, "t-SNE needs at least \(Self.minimumPoints) points, got \(n)")
        }
        guard perplexity > 0, perplexity.isFinite, perplexity <= 1e6 else {
            throw LatentError(.embedding, field: "perplexity", "expected a positive number, got \(perplexity)")
        }
        guard iterations >= 1 else {
            throw LatentError(.embedding, field: "iterations", "expected a positive number, got \(iterations)")
        }
        guard data.array.allSatisfy({ $0.isFinite }) else {
            throw LatentError(.embedding, "the input holds NaN or infinite values")
        }
        let method = resolvedMethod(points: n)
        let k = method == .exact ? n - 1 : min(n - 1, Int(3 * perplexity))
        let effectivePerplexity = min(perplexity, Double(k) / 3)
        progress(.stage("finding \(k) nearest neighbours of \(n) points"))
        let graph = NeighborGraph(exact: data, k: k, threads: threads)
        progress(
            .stage(
                String(format: "affinities at perplexity %.1f", effectivePerplexity)
                    + (effectivePerplexity < perplexity
                        ? String(format: " (%.1f asked; at most a third of the %d neighbours)", perplexity, k) : "")))
        let p = Affinities(neighbors: graph, perplexity: effectivePerplexity, threads: threads)
        let start = try Self.pcaInitialization(data)
        return Tensor(optimize(p, initial: start, method: method, progress: progress), shape: [n, 2])
    }

    /// The first two principal components, scaled so the first has standard deviation 10⁻⁴. One-dimensional
    /// data has one: the second coordinate is then a fixed low-discrepancy spread at that scale, so the map can
    /// still open into two dimensions (a zero column would keep every point on a line).
    public static func pcaInitialization(_ data: Tensor) throws -> [Float] {
        let n = data.shape[0]
        var y = try PCA(fitting: data, components: min(2, data.shape[1])).transform(data)
        if y.shape[1] == 1 {
            let line = y, width = max(line.array.map(abs).max() ?? 1, 1e-6)
            y = Tensor(uninitialized: [n, 2])
            for i in 0..<n {
                let spread = (Double(i) * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1) - 0.5
                (y[i, 0], y[i, 1]) = (line[i, 0], Float(spread) * width)
            }
        }
        var mean = 0.0, sq = 0.0
        for i in 0..<n { mean += Double(y[i, 0]) }
        mean /= Double(n)
        for i in 0..<n { sq += (Double(y[i, 0]) - mean) * (Double(y[i, 0]) - mean) }
        let std = (sq / Double(n)).squareRoot()
        let scale = std > 0 ? Float(1e-4 / std) : 1
        return y.array.map { $0 * scale }
    }

    /// Gradient descent on KL(P ‖ Q) from `initial` ([n·2], interleaved).
    public func optimize(
        _ p: Affinities, initial: [Float], method: Method, progress: (Progress) -> Void = { _ in }
    ) -> [Float] {
        let n = p.count
        var y = initial
        var update = [Float](repeating: 0, count: 2 * n)
        var gains = [Float](repeating: 1, count: 2 * n)
        var grad = [Float](repeating: 0, count: 2 * n)
        var forces = [Float](repeating: 0, count: 2 * n)
        let bh = BarnesHutRepulsion(theta: theta)
        let fft = InterpolationRepulsion()
        let pLogP = p.negativeEntropy
        progress(.stage("optimising (\(method == .barnesHut ? "Barnes-Hut, θ = \(theta)" : method.rawValue))"))
        for iteration in 0..<iterations {
            let early = iteration < earlyExaggerationIterations
            let alpha = early ? earlyExaggeration : exaggeration
            let rate = learningRate ?? Float(n) / alpha
            let measure = (iteration + 1) % 50 == 0 || iteration == iterations - 1
            let logW: Double = y.withUnsafeBufferPointer { yb in
                grad.withUnsafeMutableBufferPointer { g in
                    g.update(repeating: 0)
                    return TSNEGradient.attractive(
                        p, y: yb.baseAddress!, exaggeration: alpha, into: g.baseAddress!,
                        measure: measure, threads: threads)
                }
            }
            let z: Double = y.withUnsafeBufferPointer { yb in
                forces.withUnsafeMutableBufferPointer { f in
                    switch method {
                    case .exact, .auto:
                        return TSNEGradient.exactRepulsion(
                            y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                    case .barnesHut:
                        return bh.repulsion(y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                    case .fft:
                        return fft.repulsion(y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                    }
                }
            }
            if measure { progress(.iteration(iteration + 1, kl: pLogP - logW + log(z))) }
            let invZ = Float(1 / z)
            for e in 0..<(2 * n) {
                let g = grad[e] - forces[e] * invZ
                if (g > 0) != (update[e] > 0) { gains[e] += 0.2 } else { gains[e] = gains[e] * 0.8 + 0.01 }
                update[e] = momentum * update[e] - rate * gains[e] * g
            }
            var mx: Float = 0, my: Float = 0
            for i in 0..<n {
                var ux = update[2 * i], uy = update[2 * i + 1]
                let norm = (ux * ux + uy * uy).squareRoot()
                if norm > maxStepNorm {
                    ux *= maxStepNorm / norm
                    uy *= maxStepNorm / norm
                    update[2 * i] = ux
                    update[2 * i + 1] = uy
                }
                y[2 * i] += ux
                y[2 * i + 1] += uy
                mx += y[2 * i]
                my += y[2 * i + 1]
            }
            mx /= Float(n)
            my /= Float(n)
            for i in 0..<n {
                y[2 * i] -= mx
                y[2 * i + 1] -= my
            }
        }
        return y
    }

    /// The gradient (without the factor 4) and KL divergence of an embedding, with a chosen repulsion: for
    /// tests and for comparing the methods.
    public static func gradient(
        _ p: Affinities, embedding y: [Float], method: Method, theta: Float = 0.5,
        exaggeration: Float = 1, threads: Int = 1
    ) -> (gradient: [Float], kl: Double) {
        let n = p.count
        var grad = [Float](repeating: 0, count: 2 * n), forces = grad
        let logW = y.withUnsafeBufferPointer { yb in
            grad.withUnsafeMutableBufferPointer { g in
                TSNEGradient.attractive(
                    p, y: yb.baseAddress!, exaggeration: exaggeration, into: g.baseAddress!, measure: true,
                    threads: threads)
            }
        }
        let z = y.withUnsafeBufferPointer { yb in
            forces.withUnsafeMutableBufferPointer { f in
                switch method {
                case .exact, .auto:
                    return TSNEGradient.exactRepulsion(
                        y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                case .barnesHut:
                    return BarnesHutRepulsion(theta: theta).repulsion(
                        y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                case .fft:
                    return InterpolationRepulsion().repulsion(
                        y: yb.baseAddress!, count: n, into: f.baseAddress!, threads: threads)
                }
            }
        }
        for e in 0..<(2 * n) { grad[e] -= forces[e] / Float(z) }
        return (grad, p.negativeEntropy - logW + log(z))
    }
}
