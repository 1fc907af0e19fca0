import Foundation
import LatentData
import LatentEval
import LatentModels
import LatentTensor

/// Before the first exchange of a distributed training, every process compares what it was given with process
/// 0's: the model's configuration, the training options, the data's provenance and content, and the batch
/// geometry. Processes given different flags would otherwise sum buffers of different sizes (a crash inside Open
/// MPI), stop after different numbers of steps (a hang), or train silently on a mix of two datasets.
public struct ProcessesDisagree: Error, CustomStringConvertible {
    /// The first setting that differs, as an error naming its field (the CLI turns it into the flag).
    public let error: LatentError
    /// The error's line.
    public var description: String { error.description }
}

/// One setting the processes must share: the Swift name of the option (the CLI names its flag) and its value.
public struct SharedSetting: Equatable, Codable, Sendable {
    /// The option's Swift name (`hidden`, `batchSize`), or a description when it is not one flag ("training data").
    public var field: String
    /// Its value as text.
    public var value: String
    /// Whether `field` names an option (so the error names its flag) rather than describing the data.
    public var isOption: Bool

    /// A setting of `field` with `value`.
    public init(_ field: String, _ value: String, isOption: Bool = true) {
        (self.field, self.value, self.isOption) = (field, value, isOption)
    }
}

/// The line the lowest differing process sends to every other.
private struct Told: Codable {
    var field: String?
    var message: String
}

extension ProcessGroup {
    /// Checks that every process holds `settings` equal to process 0's. Every process takes part; when one
    /// differs, every process throws the same `ProcessesDisagree`, naming the first differing setting of the
    /// lowest such process, with its value and process 0's (so no process is left waiting in an exchange).
    public func requireAgreement(_ settings: [SharedSetting]) throws {
        guard size > 1 else { return }
        let mine = try JSONEncoder().encode(settings)
        var length = Int64(mine.count)
        withUnsafeMutableBytes(of: &length) { broadcast($0, from: 0) }
        guard length >= 0, length <= 1 << 26 else {
            throw LatentError(.training, "process 0 sent a settings record of \(length) bytes")
        }
        var first = [UInt8](repeating: 0, count: Int(length))
        if rank == 0 { first = Array(mine) }
        first.withUnsafeMutableBytes { broadcast($0, from: 0) }
        let theirs = (try? JSONDecoder().decode([SharedSetting].self, from: Data(first))) ?? []
        let difference = Self.firstDifference(mine: settings, first: theirs)
        let lowest = Int(range(Double(difference == nil ? size : rank)).min)
        guard lowest < size else { return }
        // The lowest differing process tells everyone what differs, in a record of fixed size.
        var record = [UInt8](repeating: 0, count: 4096)
        if rank == lowest, let difference {
            let line = describe(difference, process: rank)
            let bytes = Array((try? JSONEncoder().encode(line)) ?? Data()).prefix(record.count)
            record.replaceSubrange(0..<bytes.count, with: bytes)
        }
        record.withUnsafeMutableBytes { broadcast($0, from: lowest) }
        let told = (try? JSONDecoder().decode(Told.self, from: Data(record.prefix { $0 != 0 })))
        throw ProcessesDisagree(
            error: LatentError(
                .training, field: told?.field,
                told?.message ?? "process \(lowest) of \(size) was given other settings than process 0"))
    }

    private func describe(_ difference: (mine: SharedSetting?, first: SharedSetting?), process: Int) -> Told {
        let field = difference.mine?.field ?? difference.first?.field ?? "settings"
        let isOption = difference.mine?.isOption ?? difference.first?.isOption ?? false
        let mine = difference.mine?.value ?? "none", first = difference.first?.value ?? "none"
        let what = isOption ? "" : "\(field) "
        let message =
            "process \(process) of \(size) has \(what)\(clip(mine)), process 0 has \(clip(first)); every "
            + "process of a distributed training must be given the same flags and data"
        return Told(field: isOption ? field : nil, message: message)
    }

    private func clip(_ value: String) -> String { value.count > 160 ? String(value.prefix(157)) + "..." : value }

    static func firstDifference(
        mine: [SharedSetting], first: [SharedSetting]
    ) -> (mine: SharedSetting?, first: SharedSetting?)? {
        for i in 0..<max(mine.count, first.count) {
            let a = i < mine.count ? mine[i] : nil, b = i < first.count ? first[i] : nil
            if a != b { return (a, b) }
        }
        return nil
    }
}

extension Trainer {
    /// What the processes of this training must share: the model's configuration field by field, the options,
    /// where the data came from and what it holds, and the batch geometry.
    func sharedSettings(
        _ model: any TrainableModel, data: TrainingData, resume: TrainingState?
    ) throws -> [SharedSetting] {
        var settings = [SharedSetting]()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let config = try JSONSerialization.jsonObject(with: encoder.encode(model.config)) as? [String: Any] ?? [:]
        settings.append(SharedSetting("kind", model.config.kind.rawValue))
        for key in config.keys.sorted() where key != "kind" {
            let value = config[key].flatMap {
                try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed, .sortedKeys])
            }
            settings.append(SharedSetting(key, value.map { String(decoding: $0, as: UTF8.self) } ?? "none"))
        }
        let o = options
        settings += [
            SharedSetting("epochs", "\(o.epochs)"), SharedSetting("batchSize", "\(o.batchSize)"),
            SharedSetting("learningRate", "\(o.learningRate)"), SharedSetting("seed", "\(o.seed)"),
            SharedSetting("learningRateSchedule", o.learningRateSchedule.rawValue),
            SharedSetting("klWarmupEpochs", "\(o.klWarmupEpochs)"), SharedSetting("threads", "\(o.threads)"),
            SharedSetting("clipGradientNorm", o.clipGradientNorm.map { "\($0)" } ?? "none"),
            SharedSetting("engine", o.engine.rawValue),
            SharedSetting("outputDirectory", o.outputDirectory.standardizedFileURL.path),
            SharedSetting("resume", resume.map { "after epoch \($0.epoch)" } ?? "none"),
            SharedSetting("scaling", data.scaling.map { "\($0.kind.rawValue)" } ?? "none"),
        ]
        let provenance = o.provenance
        settings += [
            SharedSetting("data source", provenance?.summary ?? "none", isOption: false),
            SharedSetting("limit", provenance?.limit.map(String.init) ?? "none"),
            SharedSetting("excludeLabel", provenance?.excludeLabel.map(String.init) ?? "none"),
            SharedSetting(
                "training data", "\(data.train.count) examples of \(data.train.featureCount)", isOption: false),
            SharedSetting("test data", "\(data.test.count) examples of \(data.test.featureCount)", isOption: false),
            SharedSetting("batches", "\(effectiveBatchSize(data)) examples a batch", isOption: false),
            SharedSetting("training data", "sha256 \(data.train.contentDigest)", isOption: false),
            SharedSetting("test data", "sha256 \(data.test.contentDigest)", isOption: false),
        ]
        return settings
    }
}
