import Foundation
import LatentTensor

/// Writes a run's figures as TensorBoard event files (`tensorboard --logdir DIR` shows them), without TensorFlow:
/// TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data) around `Event`
/// protocol buffers. The few messages and fields Latent writes — Event {wall_time 1, step 2, file_version 3,
/// summary 5}, Summary {value 1}, Summary.Value {tag 1, simple_value 2, image 4}, Summary.Image {height 1,
/// width 2, colorspace 3, encoded_image_string 4} — are encoded by hand (tensorboard's own reader checks them,
/// `Scripts/tensorboard/check_events.py`), which spares the package a code generator.
public final class TensorBoardWriter {
    /// The event file being written.
    public let file: URL
    private let handle: FileHandle

    /// Starts a new event file in `directory` (created if missing), named as TensorFlow names them.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let seconds = Int(Date().timeIntervalSince1970)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        file = directory.appendingPathComponent(
            "events.out.tfevents.\(seconds).\(host).\(ProcessInfo.processInfo.processIdentifier).latent")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw LatentError(.training, field: "tensorboard", "cannot create \(file.path)")
        }
        handle = try FileHandle(forWritingTo: file)
        var event = ProtoWriter()
        event.double(1, Date().timeIntervalSince1970)
        event.string(3, "brain.Event:2")
        try write(event.bytes)
    }

    deinit { try? handle.close() }

    /// A scalar `value` under `tag` at `step`.
    public func scalar(_ tag: String, _ value: Double, step: Int) throws {
        var item = ProtoWriter()
        item.string(1, tag)
        item.float(2, Float(value))
        try write(summary(item, step: step))
    }

    /// A PNG picture under `tag` at `step` (its size is read from the PNG's header).
    public func image(_ tag: String, png: Data, step: Int) throws {
        let bytes = [UInt8](png.prefix(26))
        guard bytes.count == 26 else { throw LatentError(.training, field: "tensorboard", "not a PNG") }
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let channels = bytes[25] == 0 ? 1 : bytes[25] == 2 ? 3 : 4  // PNG colour type: grey, RGB, RGBA
        var image = ProtoWriter()
        image.varint(1, UInt64(be32(20)))
        image.varint(2, UInt64(be32(16)))
        image.varint(3, UInt64(channels))
        image.lengthDelimited(4, png)
        var item = ProtoWriter()
        item.string(1, tag)
        item.message(4, image)
        try write(summary(item, step: step))
    }

    /// An Event at `step` holding a Summary with one value.
    private func summary(_ value: ProtoWriter, step: Int) -> [UInt8] {
        var summary = ProtoWriter()
        summary.message(1, value)
        var event = ProtoWriter()
        event.double(1, Date().timeIntervalSince1970)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.message(5, summary)
        return event.bytes
    }

    /// One TFRecord: length, its masked CRC, the data, its masked CRC (all little-endian).
    private func write(_ data: [UInt8]) throws {
        var record = [UInt8]()
        record.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian, Array.init)
        record += data
        record += withUnsafeBytes(of: CRC32C.masked(data).littleEndian, Array.init)
        try handle.write(contentsOf: record)
    }
}

/// CRC-32C (Castagnoli), as TFRecord frames use it: hand-written (a byte table) because none of the libraries
/// Latent links has it (zlib's crc32 is the other polynomial).
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32C of `data`.
    public static func checksum(_ data: some Sequence<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC: rotated right by 15 bits plus a constant.
    public static func masked(_ data: some Sequence<UInt8>) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
