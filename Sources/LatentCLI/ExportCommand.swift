import ArgumentParser
import Foundation
import Latent

/// `latent export`: a saved model in formats other programs run (ONNX).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a saved model's encoder and decoder as ONNX files (encoder.onnx, decoder.onnx; opset 17).")
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Option(help: "Output directory for encoder.onnx and decoder.onnx (created if missing).") var onnx: String
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Replace encoder.onnx and decoder.onnx in the output directory even if Latent did not write them.")
    var force = false

    func run() throws {
        humanLinesToStderr = json
        let loaded = try ModelStore.load(URL(fileURLWithPath: directory))
        guard loaded.config.isReconstructing else {
            throw ValidationError("\(directory): a classifier has no encoder and decoder to export")
        }
        let files = try ONNXExport.files(
            of: loaded.model, scaling: loaded.scaling, producerVersion: LatentVersion.current)
        let urls = try ONNXExport.write(files, to: URL(fileURLWithPath: onnx), overwrite: force)
        if json {
            try printJSON([
                "encoder": urls[0].path, "decoder": urls[1].path, "encoder_bytes": files.encoder.count,
                "decoder_bytes": files.decoder.count, "kind": loaded.config.kind.rawValue, "opset": ONNXExport.opset,
            ])
        } else {
            say(
                "wrote \(urls[0].path) (\(files.encoder.count) bytes) and \(urls[1].path) "
                    + "(\(files.decoder.count) bytes)"
            )
        }
    }
}
