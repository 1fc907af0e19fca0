import Foundation
import LatentCheckpoint

/// One line of metrics.jsonl.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    /// Mean training objective per image over the epoch (nats for the VAE).
    public var train_loss: Double
    /// Mean objective per image on the test set.
    public var test_loss: Double
    /// Training throughput (excluding evaluation).
    public var images_per_second: Double
    /// Wall time of the epoch's training.
    public var seconds: Double
    /// Per-image parts of the test loss (e.g. reconstruction, kl).
    public var test_terms: [String: Double]
    /// Resident memory of the process at the end of the epoch, MB (absent in files of older versions).
    public var rss_mb: Double?

    /// The process's resident set size now, in MB (/proc/self/statm), or nil where that file does not exist.
    public static func currentRSSMegabytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Writes all epochs so far as JSON lines, atomically (a crash leaves the previous complete file).
    public static func write(_ rows: [EpochMetrics], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for row in rows {
            data.append(try encoder.encode(row))
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: url)
    }

    /// Reads metrics.jsonl.
    public static func read(_ url: URL) throws -> [EpochMetrics] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw TrainingError("\(url.path): cannot read") }
        return try text.split(separator: "\n").enumerated().map { i, line in
            do { return try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)) } catch {
                throw TrainingError("\(url.path):\(i + 1): not a metrics line")
            }
        }
    }
}
