import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentModels
import LatentTensor

extension Trainer {
    /// Continues the run in `directory` on the data its checkpoint records (the named dataset, table or
    /// picture folder, read again), as `resume(_:epochs:train:test:)` does with them.
    @discardableResult
    public static func resume(
        _ directory: URL, epochs: Int, progressBar: Bool = false, processes: (any ProcessGroup)? = nil,
        tensorBoard: URL? = nil, log: @escaping (String) -> Void = { _ in }
    ) throws -> [EpochMetrics] {
        try completeInterruptedSave(directory, log: log)
        let source = try ModelStore.load(directory).data?.source(directory: nil) ?? .named("mnist", directory: nil)
        return try resume(
            directory, epochs: epochs, train: try source.load(.train, notes: log),
            test: try source.load(.test, notes: log), progressBar: progressBar, processes: processes,
            tensorBoard: tensorBoard, log: log)
    }

    /// Continues the interrupted or finished run in `directory` up to `epochs`, exactly as if it had never
    /// stopped: the saved weights, scaling, Adam state, random streams and options (batch size, learning rate,
    /// seed, threads, engine, clipping, warm-up). `train` and `test` are the raw splits the run was started on;
    /// the recorded training subset (a left-out label, a limit) is taken from `train` again here.
    /// Throws if the checkpoint and state disagree (an interrupted save) or the run is already past `epochs`.
    @discardableResult
    public static func resume(
        _ directory: URL, epochs: Int, train: Dataset, test: Dataset, progressBar: Bool = false,
        processes: (any ProcessGroup)? = nil, tensorBoard: URL? = nil, log: @escaping (String) -> Void = { _ in }
    ) throws -> [EpochMetrics] {
        try completeInterruptedSave(directory, log: log)
        let loaded = try ModelStore.load(directory)
        let state = try TrainingState.read(from: directory)
        guard loaded.epochs == state.epoch else {
            throw LatentError(
                .training, field: "resume",
                "\(directory.path) holds a checkpoint of epoch \(loaded.epochs) "
                    + """
                    but training state of epoch \(state.epoch) (interrupted while saving); the checkpoint itself \
                    is loadable
                    """
            )
        }
        guard state.epoch < epochs else {
            throw LatentError(
                .training, field: "epochs",
                "\(directory.path) has already trained \(state.epoch) epochs; "
                    + "give more than that to continue")
        }
        let data = try TrainingData.forModel(
            loaded.config, scaling: loaded.scaling, columns: loaded.data?.columns, classes: loaded.data?.classes,
            train: loaded.data?.trainingSubset(of: train) ?? train, test: test)
        var options = state.options(epochs: epochs, directory: directory)
        options.progressBar = progressBar
        options.tensorBoardDirectory = tensorBoard
        options.scaling = loaded.scaling
        options.provenance = loaded.data
        log(
            "resuming \(loaded.config.kind.rawValue) in \(directory.path) after epoch \(state.epoch), up to epoch "
                + "\(epochs) (batch size \(state.batchSize), lr \(state.learningRate), seed \(state.seed), "
                + "\(state.threads) threads as saved)")
        return try Trainer(options: options, processes: processes, log: log).run(
            loaded.model, data: data, resume: state)
    }

    /// Completes the save of a run whose training state is newer than its checkpoint (a kill or a full disk
    /// between the two files): the checkpoint and metrics.jsonl are written from the state's copies, with a
    /// note. Nothing happens when they agree, or for a directory without a training state.
    public static func completeInterruptedSave(_ directory: URL, log: (String) -> Void = { _ in }) throws {
        let url = directory.appendingPathComponent(TrainingState.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let state = try TrainingState.read(from: directory)
        if try state.completeSave(in: directory) {
            log(
                "note: the save of epoch \(state.epoch) in \(directory.path) was interrupted; completed it from "
                    + "its training state")
        }
    }
}
