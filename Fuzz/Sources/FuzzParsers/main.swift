import Foundation
import Latent

// libFuzzer target for Latent's file parsers. $LATENT_FUZZ_PARSER picks the one fed with arbitrary bytes
// (idx, npy, npz, csv, safetensors, checkpoint, image,
// cache); it must return a value or throw, never crash, hang or
// over-allocate.
let parser = ProcessInfo.processInfo.environment["LATENT_FUZZ_PARSER"] ?? ""
let parse: ([UInt8]) -> Void
switch parser {
case "idx": parse = { _ = try? IDXArray(bytes: $0, name: "fuzz.idx") }
case "npy": parse = { _ = try? ArrayReaders.npy(Data($0), name: "fuzz.npy") }
case "npz": parse = { _ = try? ArrayReaders.npz(NPZ.read(Data($0), name: "fuzz.npz"), name: "fuzz.npz") }
case "csv":  // the table, then its last column as labels (names, class numbers or other numbers numbered)
    parse = {
        guard let table = try? ArrayReaders.csv(Data($0), name: "fuzz.csv") else { return }
        _ = try? TableDataset.make(table, source: URL(fileURLWithPath: "fuzz.csv"), labelColumn: "last")
    }
case "safetensors": parse = { _ = try? SafeTensors.decode(Data($0), source: "fuzz.safetensors") }
case "checkpoint":  // a checkpoint's configuration checked against its tensors, before any model is built
    parse = { _ = try? ModelStore.validate(Checkpoint.decode(Data($0), source: "fuzz.safetensors"), source: "fuzz") }
case "image":  // PNG or JPEG through libpng/TurboJPEG and Latent's checks, then the resize
    parse = {
        guard let image = try? ImageDecoder.decode(Data($0), name: "fuzz.png", channels: 3) else { return }
        _ = ImageResize.fit(image, width: 8, height: 6)
    }
case "cache":  // a decoded-picture store from the cache (key "k"): sizes, overflow, checksum, labels
    parse = { _ = ImageStore.parse(Data($0), name: "fuzz", key: "k") }
default:
    FileHandle.standardError.write(
        Data("set LATENT_FUZZ_PARSER to idx, npy, npz, csv, safetensors, checkpoint, image or cache\n".utf8))
    exit(2)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    parse(Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}

// SwiftPM links its own entry point for an executable, so libFuzzer's driver is started from here.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, fuzz))
