import Foundation
import LatentCheckpoint
import LatentEval
import LatentRender
import LatentTensor

/// One epoch's figures: one line of metrics.jsonl (snake_case keys there, camelCase here).
public struct EpochMetrics: Codable, Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// Mean training objective per image over the epoch (nats for the VAE).
    public var trainLoss: Double
    /// Mean objective per image on the test set.
    public var testLoss: Double
    /// Training throughput (excluding evaluation).
    public var imagesPerSecond: Double
    /// Wall time of the epoch's training.
    public var seconds: Double
    /// Per-image parts of the test loss (e.g. reconstruction, kl).
    public var testTerms: [String: Double]
    /// Resident memory of the process at the end of the epoch, MB (absent in files of older versions).
    public var rssMegabytes: Double?
    /// Seconds of `seconds` spent assembling batches from the stored pixels or rows (absent in older files).
    public var dataSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss"
        case testLoss = "test_loss"
        case imagesPerSecond = "images_per_second"
        case testTerms = "test_terms"
        case rssMegabytes = "rss_mb"
        case dataSeconds = "data_seconds"
    }

    /// A row of figures.
    public init(
        epoch: Int, trainLoss: Double, testLoss: Double, imagesPerSecond: Double, seconds: Double,
        testTerms: [String: Double], rssMegabytes: Double? = nil
    ) {
        (self.epoch, self.trainLoss, self.testLoss) = (epoch, trainLoss, testLoss)
        (self.imagesPerSecond, self.seconds, self.testTerms, self.rssMegabytes) =
            (imagesPerSecond, seconds, testTerms, rssMegabytes)
    }

    /// The process's resident set size now, in MB (/proc/self/statm), or nil where that file does not exist.
    public static func currentRSSMegabytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Writes all epochs so far as JSON lines, atomically (a crash leaves the previous complete file).
    public static func write(_ rows: [EpochMetrics], to url: URL) throws {
        try AtomicFile.write(lines(rows), to: url)
    }

    /// The rows as JSON lines, keys sorted.
    public static func lines(_ rows: [EpochMetrics]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for row in rows {
            data.append(try encoder.encode(row))
            data.append(0x0A)
        }
        return data
    }

    /// Reads metrics.jsonl.
    public static func read(_ url: URL) throws -> [EpochMetrics] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LatentError(.training, "\(url.path): cannot read")
        }
        return try parse(text, source: url.path)
    }

    /// Metrics from JSON lines; `source` names them in errors.
    public static func parse(_ text: String, source: String) throws -> [EpochMetrics] {
        try text.split(separator: "\n").enumerated().map { i, line in
            do { return try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)) } catch {
                throw LatentError(.training, "\(source):\(i + 1): not a metrics line")
            }
        }
    }

    /// The training curves of these epochs (train and test loss, and the test loss's parts).
    public static func curves(_ rows: [EpochMetrics], format: PictureFormat) throws -> Data {
        let terms = Set(rows.flatMap { $0.testTerms.keys })
        return try Figures.curves(
            epochs: rows.map { Double($0.epoch) }, train: rows.map(\.trainLoss), test: rows.map(\.testLoss),
            terms: Dictionary(uniqueKeysWithValues: terms.map { t in (t, rows.map { $0.testTerms[t] ?? .nan }) }),
            format: format)
    }
}
