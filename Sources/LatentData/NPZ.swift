import CZlib
import Foundation
import LatentTensor

/// NumPy's .npz archives (`numpy.savez` and `savez_compressed`): a ZIP file of .npy members, stored or
/// deflated (inflated with zlib), each member's CRC-32 checked. ZIP64 archives (members over 4 GB) are refused with a
/// clear message.
public enum NPZ {
    /// The arrays of an archive by member name without ".npy", in archive order.
    public static func read(_ data: Data, name: String) throws -> [(name: String, table: NumericTable)] {
        let b = [UInt8](data)
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        let eocd = try endOfDirectory(b, name: name)
        let entries = u16(eocd + 10), directorySize = u32(eocd + 12), directoryStart = u32(eocd + 16)
        guard entries != 0xFFFF, directoryStart != 0xFFFF_FFFF else {
            throw LatentError(.data, "\(name): ZIP64 archives are not supported")
        }
        guard directoryStart + directorySize <= eocd else {
            throw LatentError(.data, "\(name): truncated or corrupt ZIP directory")
        }
        var arrays: [(String, NumericTable)] = []
        var p = directoryStart
        for _ in 0..<entries {
            guard p + 46 <= eocd, u32(p) == 0x0201_4B50 else {
                throw LatentError(.data, "\(name): corrupt ZIP directory entry")
            }
            let method = u16(p + 10), crc = u32(p + 16), compressed = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32), local = u32(p + 42)
            guard p + 46 + nameLength <= eocd else { throw LatentError(.data, "\(name): corrupt ZIP directory entry") }
            let member = String(decoding: b[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            p += 46 + nameLength + extraLength + commentLength
            guard local + 30 <= b.count, u32(local) == 0x0403_4B50 else {
                throw LatentError(.data, "\(name): \(member): corrupt local header")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + compressed <= b.count else {
                throw LatentError(.data, "\(name): \(member): truncated (needs \(compressed) bytes)")
            }
            let bytes = try memberBytes(
                Array(b[start..<(start + compressed)]), method: method, size: size, crc: crc, name: "\(name): \(member)"
            )
            let key = member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
            arrays.append((key, try ArrayReaders.npy(Data(bytes), name: "\(name): \(member)")))
        }
        guard !arrays.isEmpty else { throw LatentError(.data, "\(name): the archive holds no arrays") }
        return arrays
    }

    /// The offset of the end-of-central-directory record: 22 bytes plus a comment of up to 65,535, at the end.
    private static func endOfDirectory(_ b: [UInt8], name: String) throws -> Int {
        guard b.count >= 22 else { throw LatentError(.data, "\(name): not an NPZ (ZIP) file: too short") }
        var eocd = -1
        var o = b.count - 22
        while o >= max(0, b.count - 22 - 65_535) {
            if b[o] == 0x50 && b[o + 1] == 0x4B && b[o + 2] == 0x05 && b[o + 3] == 0x06 {
                eocd = o
                break
            }
            o -= 1
        }
        guard eocd >= 0 else { throw LatentError(.data, "\(name): not an NPZ (ZIP) file: no end-of-archive record") }
        return eocd
    }

    /// A member's content: stored, or inflated, its CRC-32 checked; `name` names it in errors.
    private static func memberBytes(_ input: [UInt8], method: Int, size: Int, crc: Int, name: String) throws -> [UInt8]
    {
        let bytes: [UInt8]
        switch method {
        case 0:
            guard size == input.count else {
                throw LatentError(
                    .data, "\(name): stored member sizes disagree (\(size) vs \(input.count))")
            }
            bytes = input
        case 8:
            // Deflate expands at most ~1032:1: a larger declared size is a lie, refused before allocating.
            guard size <= input.count * 1032 + 65_536 else {
                throw LatentError(
                    .data,
                    """
                    \(name): declares \(size) bytes from \(input.count) compressed bytes (corrupt \
                    archive)
                    """
                )
            }
            bytes = try inflate(input, size: size, name: name)
        default:
            throw LatentError(
                .data,
                "\(name): ZIP compression method \(method) is not supported (expected stored or deflate)"
            )
        }
        let actual = bytes.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
        guard actual == crc else {
            throw LatentError(.data, "\(name): CRC mismatch (the archive is corrupt)")
        }
        return bytes
    }

    /// Raw deflate → `size` bytes.
    static func inflate(_ input: [UInt8], size: Int, name: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LatentError(.data, "\(name): zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw LatentError(.data, "\(name): corrupt deflate data")
        }
        return out
    }
}
