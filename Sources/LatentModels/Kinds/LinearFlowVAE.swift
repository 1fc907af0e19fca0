import LatentAutodiff
import LatentNN
import LatentTensor

/// The VAE with planar normalising flows on its posterior (Rezende & Mohamed 2015; Pythae's `VAE_LinNF` with
/// "Planar" flows): z₀ ~ q(z|x) passes through K planar maps f(z) = z + u·tanh(w·z + b), each a global set of
/// parameters ("flows.k.w", "flows.k.u", "flows.k.b", drawn from N(0, 1) as Pythae's), so that
/// log q(z_K|x) = log q(z₀|x) − Σ_k log |det ∂f_k/∂z|, with
/// log |det| = log(|1 + (1 − tanh²(w·z + b))·w·u| + 10⁻⁴) as Pythae computes it (no constraint on u). The KL
/// term is the one-sample estimate.
public enum LinearFlowVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its N(0, I) prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// K under "flows".
    public static let settingKeys = ["flows"]

    /// A `PlanarFlowAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        PlanarFlowAutoencoder(config, rng: &rng)
    }

    /// 1 … 64 flows; no free bits.
    public static func validate(_ c: ModelConfig) throws {
        guard let k = c.flows, (1...64).contains(k) else {
            throw LatentError(.model, field: "flows", "expected 1…64 planar flows for a linnf")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// Each flow's w, u (latent each) and b.
    public static func extraParameterCount(_ c: ModelConfig) -> Double { Double((c.flows ?? 2) * (2 * c.latent + 1)) }
}

extension ModelConfig {
    /// The planar flows K of a `linnf`.
    public var flows: Int? {
        get { setting("flows") }
        set { setSetting("flows", newValue) }
    }
}

/// One planar flow's parameters: w and u [1, latent], b [1].
public final class PlanarFlow: Module {
    /// The hyperplane's normal.
    public let w: Parameter
    /// The direction the flow moves codes along.
    public let u: Parameter
    /// The hyperplane's offset.
    public let b: Parameter

    /// A flow on codes of `latent` values, its parameters drawn from N(0, 1).
    public init(latent: Int, rng: inout RandomGenerator) {
        let w0 = Tensor(uninitialized: [1, latent]), u0 = Tensor(uninitialized: [1, latent])
        let b0 = Tensor([0], shape: [1])
        rng.fillNormal(w0)
        rng.fillNormal(u0)
        rng.fillNormal(b0)
        (w, u, b) = (Parameter(w0), Parameter(u0), Parameter(b0))
    }

    /// w, u and b.
    public var ownParameters: [(name: String, parameter: Parameter)] { [("w", w), ("u", u), ("b", b)] }

    /// f(z) and log |det ∂f/∂z| per row [n, 1].
    public func callAsFunction(_ z: Variable) -> (z: Variable, logDeterminant: Variable) {
        let t = Variable.linear(z, weight: w.variable, bias: b.variable).tanh()  // [n, 1]
        let moved = z + Variable.matmul(t, u.variable)
        let wu = Variable.linear(w.variable, weight: u.variable, bias: nil)  // [1, 1]
        let slope = Variable.matmul((t.square() * -1) + 1, wu)  // (1 − tanh²)·w·u, [n, 1]
        return (moved, ((slope + 1).abs() + 1e-4).log())
    }
}

/// A VAE whose posterior draws pass through planar flows before the decoder.
public final class PlanarFlowAutoencoder: PosteriorFlowAutoencoder {
    /// The flows, applied in order.
    public let planarFlows: [PlanarFlow]

    /// A new model of configuration `c`: the VAE's networks initialised as PyTorch's, then the flows.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        var flowRNG = RandomGenerator(seed: rng.next())
        planarFlows = (0..<(c.flows ?? 2)).map { _ in PlanarFlow(latent: c.latent, rng: &flowRNG) }
        super.init(c, rng: &rng)
    }

    /// The VAE's networks and the flows ("flows.0", "flows.1", … as Pythae's `net` list holds them).
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + planarFlows.enumerated().map { ("flows.\($0.offset)", $0.element) }
    }

    /// z_K from z₀ and Σ_k log |det| per row [n, 1].
    public override func flow(_ z: Variable) -> (z: Variable, logDeterminant: Variable?) {
        var z = z, total: Variable? = nil
        for f in planarFlows {
            let (next, logDet) = f(z)
            z = next
            total = total.map { $0 + logDet } ?? logDet
        }
        return (z, total)
    }
}
