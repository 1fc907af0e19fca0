import Foundation
import LatentData
import LatentModels
import LatentNN
import LatentTensor

/// Exports a model's encoder and decoder as ONNX files (opset 17) for ONNX Runtime and other ONNX consumers.
/// The files take and give what Latent does: rows of `inputSize` values (an image's pixels channels last, H·W·C,
/// in [0, 1]; a table's features after the scaling stored in the metadata), the encoder gives `mean` and
/// `log_variance` (VAE, CVAE, IWAE) or `code` (AE, SAE, DAE), the decoder maps `code` to `probabilities` (the
/// output distribution's mean: Bernoulli probabilities, or a Gaussian's mean, in [0, 1]). A CVAE's files take
/// `label` too (int64 class indices). Convolutions run in ONNX's NCHW layout between transposes, so the
/// weights are PyTorch's and the rows Latent's.
public enum ONNXExport {
    /// The two files of a model.
    public struct Files: Sendable {
        /// `encoder.onnx`'s bytes.
        public let encoder: Data
        /// `decoder.onnx`'s bytes.
        public let decoder: Data
    }

    /// The encoder and decoder of `model` as ONNX files; `scaling` (a table's) and `producerVersion` go into
    /// the metadata beside the model's configuration. Throws for a model without an encoder and decoder.
    public static func files(
        of model: any TrainableModel, scaling: FeatureScaling? = nil, producerVersion: String
    ) throws -> Files {
        let c = model.config
        var metadata = [("latent.kind", c.kind.rawValue), ("latent.config", c.json)]
        metadata.append(("latent.input", "rows of \(c.inputSize) float32 values: \(inputDescription(c))"))
        if let scaling, scaling.kind != .none {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: (try? encoder.encode(scaling)) ?? Data(), as: UTF8.self)
            metadata.append(("latent.scaling", json))
        }
        func file(_ g: ONNXGraph, _ doc: String) -> Data {
            Data(g.model(doc: doc, metadata: metadata, producerVersion: producerVersion))
        }
        if let vae = model as? VariationalAutoencoder {
            let encoder = try encoderGraph(
                c, body: vae.body, heads: [("mean", vae.meanHead), ("log_variance", vae.logVarianceHead)])
            return Files(
                encoder: file(
                    encoder, "Latent \(c.kind.rawValue) encoder: the posterior q(z|x) = N(mean, exp(log_variance))"),
                decoder: file(try decoderGraph(c, vae.decoder), decoderDoc(c)))
        }
        if let categorical = model as? CategoricalAutoencoder {
            return Files(
                encoder: file(
                    try categoricalEncoderGraph(c, categorical),
                    "Latent \(c.kind.rawValue) encoder: each categorical variable's class probabilities"),
                decoder: file(try decoderGraph(c, categorical.decoder), decoderDoc(c)))
        }
        if let spherical = model as? HypersphericalAutoencoder {
            return Files(
                encoder: file(
                    try sphericalEncoderGraph(c, spherical),
                    "Latent \(c.kind.rawValue) encoder: the von Mises-Fisher posterior's direction and concentration"),
                decoder: file(try decoderGraph(c, spherical.decoder), decoderDoc(c)))
        }
        if let poincare = model as? PoincareAutoencoder {
            return Files(
                encoder: file(
                    try poincareEncoderGraph(c, poincare),
                    "Latent \(c.kind.rawValue) encoder: the wrapped normal's centre in the Poincaré ball, log σ²"),
                decoder: file(try decoderGraph(c, poincare.decoder), decoderDoc(c)))
        }
        if model is VectorQuantizedAutoencoder {
            throw LatentError(
                .model, field: "kind",
                "ONNX export does not cover a vqvae's codebook yet (its decoder reads quantized codes): use the "
                    + "checkpoint or python/latent_torch.py")
        }
        if let ae = model as? Autoencoder {
            let encoder = try encoderGraph(c, body: ae.body, heads: [("code", ae.codeLayer)])
            return Files(
                encoder: file(encoder, "Latent \(c.kind.rawValue) encoder: the code of each row"),
                decoder: file(try decoderGraph(c, ae.decoder), decoderDoc(c)))
        }
        throw LatentError(
            .model, field: "kind",
            model is any ReconstructingModel
                ? "ONNX export does not cover a \(c.kind.rawValue)'s mixed continuous and categorical code"
                : "a \(c.kind.rawValue) has no encoder and decoder to export")
    }

    /// Writes `encoder.onnx` and `decoder.onnx` into `directory` (created if missing), both or neither. A file
    /// already there that Latent did not write (its producer is not "latent") is replaced only with `overwrite`.
    /// Returns the two files' URLs.
    @discardableResult
    public static func write(_ files: Files, to directory: URL, overwrite: Bool = false) throws -> [URL] {
        try AtomicFile.makeDirectory(directory)
        let urls = [directory.appendingPathComponent("encoder.onnx"), directory.appendingPathComponent("decoder.onnx")]
        for url in urls where !overwrite && FileManager.default.fileExists(atPath: url.path) {
            guard let head = FileHandle(forReadingAtPath: url.path).flatMap({ try? $0.read(upToCount: 64) }),
                isLatentExport(head)
            else {
                throw LatentError(
                    .model, field: "overwrite",
                    "\(url.path) exists and was not written by `latent export`; choose another directory or pass "
                        + "`overwrite` to replace it")
            }
        }
        try AtomicFile.writeAll([(files.encoder, urls[0]), (files.decoder, urls[1])])
        return urls
    }

    /// Whether the first bytes of a file are those of a ModelProto whose producer is "latent" (ir_version, then
    /// producer_name, as `ONNXGraph.model` writes them).
    static func isLatentExport(_ head: Data) -> Bool {
        let bytes = [UInt8](head)
        guard bytes.count > 2, bytes[0] == 0x08 else { return false }
        var i = 1
        while i < bytes.count && bytes[i] & 0x80 != 0 { i += 1 }  // the ir_version varint
        let producer: [UInt8] = [0x12, 0x06] + Array("latent".utf8)
        return i + 1 + producer.count <= bytes.count && Array(bytes[(i + 1)..<(i + 1 + producer.count)]) == producer
    }

    static func inputDescription(_ c: ModelConfig) -> String {
        c.imageHeight == 1
            ? "a table's features (after the scaling in latent.scaling, if any)"
            : "\(c.imageHeight)x\(c.imageWidth)x\(c.channels) pixels in [0, 1], row by row, channels last"
    }

    static func decoderDoc(_ c: ModelConfig) -> String {
        "Latent \(c.kind.rawValue) decoder: the mean of p(x|z) for each code ("
            + (c.likelihood == .bernoulli ? "Bernoulli probabilities" : "Gaussian means") + ")"
    }

    /// x (+ label) → body → one Gemm per head.
    static func encoderGraph(_ c: ModelConfig, body: EncoderBody, heads: [(String, Linear)]) throws -> ONNXGraph {
        var g = ONNXGraph(name: "latent_encoder")
        g.input("x", .float, columns: [c.inputSize], doc: inputDescription(c))
        var h = try lower(body.features, from: "x", into: &g, prefix: "encoder.conv")
        if c.isConditional { h = g.node("Concat", [h, oneHot(c, into: &g)], [("axis", .int(1))]) }
        h = try lower(body.dense, from: h, into: &g, prefix: "encoder")
        for (name, layer) in heads {
            let stem = name == "log_variance" ? "logvar" : name
            linear(layer, from: h, into: &g, name: stem, output: name)
            g.output(name, columns: [c.latent], doc: name.replacingOccurrences(of: "_", with: " ") + " per row")
        }
        return g
    }

    /// x → body → logits → a softmax over each categorical variable's classes → `code` [N, latent].
    static func categoricalEncoderGraph(_ c: ModelConfig, _ model: CategoricalAutoencoder) throws -> ONNXGraph {
        var g = ONNXGraph(name: "latent_encoder")
        g.input("x", .float, columns: [c.inputSize], doc: inputDescription(c))
        var h = try lower(model.body.features, from: "x", into: &g, prefix: "encoder.conv")
        h = try lower(model.body.dense, from: h, into: &g, prefix: "encoder")
        let logits = linear(model.logitsHead, from: h, into: &g, name: "code")
        let grouped = g.node("Reshape", [logits, g.int64s("groups", [-1, model.settings.categories])])
        let probabilities = g.node("Softmax", [grouped], [("axis", .int(-1))])
        g.node("Reshape", [probabilities, g.int64s("rows", [-1, c.latent])], output: "code")
        g.output("code", columns: [c.latent], doc: "class probabilities of each categorical variable, per row")
        return g
    }

    /// x → body → the direction e/‖e‖ (`direction` [N, latent]) and κ = softplus(h) + 1
    /// (`concentration` [N, 1]).
    static func sphericalEncoderGraph(_ c: ModelConfig, _ model: HypersphericalAutoencoder) throws -> ONNXGraph {
        var g = ONNXGraph(name: "latent_encoder")
        g.input("x", .float, columns: [c.inputSize], doc: inputDescription(c))
        var h = try lower(model.body.features, from: "x", into: &g, prefix: "encoder.conv")
        h = try lower(model.body.dense, from: h, into: &g, prefix: "encoder")
        let e = linear(model.directionHead, from: h, into: &g, name: "direction")
        g.node("LpNormalization", [e], output: "direction", [("axis", .int(-1)), ("p", .int(2))])
        let k = g.node("Softplus", [linear(model.concentrationHead, from: h, into: &g, name: "concentration")])
        g.node("Add", [k, g.floats("one", [1])], output: "concentration")
        g.output("direction", columns: [c.latent], doc: "the posterior's mean direction, a unit vector per row")
        g.output("concentration", columns: [1], doc: "the posterior's concentration κ per row")
        return g
    }

    /// x → body → `centre` = exp₀(mean) = tanh(√c‖m‖)·m/(√c‖m‖) [N, latent] and `log_variance`
    /// [N, latent].
    static func poincareEncoderGraph(_ c: ModelConfig, _ model: PoincareAutoencoder) throws -> ONNXGraph {
        var g = ONNXGraph(name: "latent_encoder")
        g.input("x", .float, columns: [c.inputSize], doc: inputDescription(c))
        var h = try lower(model.body.features, from: "x", into: &g, prefix: "encoder.conv")
        h = try lower(model.body.dense, from: h, into: &g, prefix: "encoder")
        let mean = linear(model.meanHead, from: h, into: &g, name: "mean")
        let norm = g.node("ReduceL2", [mean], [("axes", .ints([1])), ("keepdims", .int(1))])
        let scaled = g.node(
            "Mul",
            [g.node("Max", [norm, g.floats("tiny", [1e-15])]), g.floats("sqrt_c", [model.curvature.squareRoot()])])
        g.node("Mul", [mean, g.node("Div", [g.node("Tanh", [scaled]), scaled])], output: "centre")
        linear(model.logVarianceHead, from: h, into: &g, name: "logvar", output: "log_variance")
        g.output("centre", columns: [c.latent], doc: "the posterior's centre in the Poincaré ball per row")
        g.output("log_variance", columns: [c.latent], doc: "log σ² of the wrapped normal's tangent Gaussian per row")
        return g
    }

    /// code (+ label) → dense → (transposed convolutions) → sigmoid (identity for a Gaussian on the real line).
    static func decoderGraph(_ c: ModelConfig, _ decoder: Decoder) throws -> ONNXGraph {
        var g = ONNXGraph(name: "latent_decoder")
        g.input("code", .float, columns: [c.latent], doc: "codes (z), one per row")
        var h = "code"
        if c.isConditional { h = g.node("Concat", [h, oneHot(c, into: &g)], [("axis", .int(1))]) }
        h = try lower(decoder.dense, from: h, into: &g, prefix: "decoder")
        h = try lower(decoder.deconv, from: h, into: &g, prefix: "decoder.conv")
        g.node(c.hasIdentityMean ? "Identity" : "Sigmoid", [h], output: "probabilities")
        g.output("probabilities", columns: [c.inputSize], doc: inputDescription(c))
        return g
    }

    /// The CVAE's `label` input as one-hot float rows.
    static func oneHot(_ c: ModelConfig, into g: inout ONNXGraph) -> String {
        g.input("label", .int64, columns: [], doc: "class index per row, 0…\(c.classes - 1)")
        let depth = g.int64s("depth", [c.classes]), values = g.floats("off_on", [0, 1])
        return g.node("OneHot", ["label", depth, values], [("axis", .int(-1))])
    }

    @discardableResult
    static func linear(
        _ l: Linear, from x: String, into g: inout ONNXGraph, name: String, output: String? = nil
    )
        -> String
    {
        var inputs = [x, g.weight(name + ".weight", l.weight.value)]
        if let b = l.bias { inputs.append(g.weight(name + ".bias", b.value)) }
        return g.node("Gemm", inputs, output: output, [("transB", .int(1))])
    }
}

extension ONNXExport {
    /// The ONNX operator set the files are written for.
    public static var opset: Int { ONNXGraph.opset }
}
