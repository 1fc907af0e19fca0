import Foundation
import Latent
import Testing

/// `latent export --onnx`: the files' protocol-buffer structure as read back here (ONNX Runtime and
/// onnx.checker read them in Scripts/interop/check_interop.py), and what cannot be exported.
@Suite struct ExportTests {
    /// A protocol-buffer message read back: each field number's values (varints as UInt64, the rest as bytes).
    struct Message {
        var varints: [Int: [UInt64]] = [:]
        var bytes: [Int: [[UInt8]]] = [:]

        init(_ data: [UInt8]) throws {
            var i = 0
            func varint() throws -> UInt64 {
                var value: UInt64 = 0, shift: UInt64 = 0
                while true {
                    guard i < data.count, shift < 64 else { throw LatentError(.model, "truncated varint") }
                    let b = data[i]
                    i += 1
                    value |= UInt64(b & 0x7F) << shift
                    if b < 0x80 { return value }
                    shift += 7
                }
            }
            while i < data.count {
                let key = try varint(), field = Int(key >> 3)
                switch key & 7 {
                case 0: varints[field, default: []].append(try varint())
                case 1, 5:
                    let n = key & 7 == 1 ? 8 : 4
                    bytes[field, default: []].append(Array(data[i..<(i + n)]))
                    i += n
                case 2:
                    let n = Int(try varint())
                    guard i + n <= data.count else { throw LatentError(.model, "truncated field \(field)") }
                    bytes[field, default: []].append(Array(data[i..<(i + n)]))
                    i += n
                default: throw LatentError(.model, "wire type \(key & 7)")
                }
            }
        }

        func strings(_ field: Int) -> [String] { (bytes[field] ?? []).map { String(decoding: $0, as: UTF8.self) } }
        func messages(_ field: Int) throws -> [Message] { try (bytes[field] ?? []).map(Message.init) }
    }

    static func vae(_ configure: (inout ModelConfig) -> Void = { _ in }) -> VariationalAutoencoder {
        var c = ModelConfig(kind: .vae)
        (c.hidden, c.latent) = ([32], 4)
        configure(&c)
        var rng = RandomGenerator(seed: 1)
        return VariationalAutoencoder(c, rng: &rng)
    }

    @Test func mlpVAEEncoderIsAModelProtoWithNamedInputsOutputsAndWeights() throws {
        let vae = Self.vae()
        let files = try ONNXExport.files(of: vae, producerVersion: "test")
        let model = try Message(Array(files.encoder))
        #expect(model.varints[1] == [8])  // ir_version
        let opset = try #require(try model.messages(8).first)
        #expect(opset.varints[2] == [17])
        let graph = try #require(try model.messages(7).first)
        #expect(try graph.messages(1).map { $0.strings(4)[0] } == ["Gemm", "Relu", "Gemm", "Gemm"])
        #expect(try graph.messages(11).map { $0.strings(1)[0] } == ["x"])
        #expect(try graph.messages(12).map { $0.strings(1)[0] } == ["mean", "log_variance"])
        let weights = try graph.messages(5)
        let first = try #require(weights.first { $0.strings(8) == ["encoder.0.weight"] })
        #expect(first.varints[1] == [32, 784] && first.varints[2] == [1])  // dims, FLOAT
        let raw = try #require(first.bytes[9]?.first)
        let values = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == vae.body.dense.namedParameters[0].parameter.value.array)
        let metadata = try model.messages(14).map { ($0.strings(1)[0], $0.strings(2)[0]) }
        #expect(metadata.contains { $0 == ("latent.kind", "vae") })
        #expect(try ModelConfig.from(json: try #require(metadata.first { $0.0 == "latent.config" }?.1)) == vae.config)
    }

    @Test func deepConvCVAEDecoderTransposesAroundItsConvolutions() throws {
        let cvae = Self.vae {
            ($0.kind, $0.arch, $0.hidden, $0.convChannels) = (.cvae, .deepconv, [], [4, 8])
            ($0.imageHeight, $0.imageWidth, $0.imageChannels, $0.inputSize) = (8, 8, 3, 192)
        }
        let graph = try #require(
            try Message(Array(try ONNXExport.files(of: cvae, producerVersion: "t").decoder)).messages(7).first)
        let ops = try graph.messages(1).map { $0.strings(4)[0] }
        #expect(
            ops == [
                "OneHot", "Concat", "Gemm", "Reshape", "Transpose", "ConvTranspose", "BatchNormalization", "Relu",
                "ConvTranspose", "BatchNormalization", "Relu", "Conv", "Transpose", "Reshape", "Sigmoid",
            ])
        #expect(try graph.messages(11).map { $0.strings(1)[0] } == ["code", "label"])
        #expect(try graph.messages(12).map { $0.strings(1)[0] } == ["probabilities"])
    }

    @Test func classifiersAreRefusedByNameAndFilesAreWrittenWhole() throws {
        var rng = RandomGenerator(seed: 1)
        let classifier = Classifier(inputSize: 784, hidden: [16], classes: 10, rng: &rng)
        #expect(throws: LatentError.self) { try ONNXExport.files(of: classifier, producerVersion: "t") }
        let dir = Support.temporaryDirectory().appendingPathComponent("onnx")
        let urls = try ONNXExport.write(try ONNXExport.files(of: Self.vae(), producerVersion: "t"), to: dir)
        #expect(urls.map(\.lastPathComponent) == ["encoder.onnx", "decoder.onnx"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["decoder.onnx", "encoder.onnx"])
    }
}
