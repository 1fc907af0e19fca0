import Foundation
import LatentData
import LatentModels
import LatentTensor

/// The training and test sets as a model sees them. Holds the rules every front end applies before training
/// or evaluating (the CLI calls these, so a Swift caller gets the same checks): a left-out label, a limit,
/// a table's feature scaling (fitted on the training rows), the class count, the Bernoulli range check, the
/// Gaussian's mean (identity for data outside [0, 1]) and the fixed binarisation of the test set.
public struct TrainingData {
    /// Training examples, prepared.
    public var train: Dataset
    /// Test examples, prepared.
    public var test: Dataset
    /// The feature scaling applied (tables only), to save with the model.
    public var scaling: FeatureScaling?

    /// Splits already prepared, with the scaling applied to them.
    public init(train: Dataset, test: Dataset, scaling: FeatureScaling?) {
        (self.train, self.test, self.scaling) = (train, test, scaling)
    }

    /// Prepares raw splits for a new model and fits `config` to them (input size, image shape, classes).
    /// Throws, naming the property, for a label that is absent, a scaling of images, a conv body on a table,
    /// or a Bernoulli likelihood on data outside [0, 1].
    public static func prepare(
        train rawTrain: Dataset, test rawTest: Dataset, config: inout ModelConfig,
        scaling kind: FeatureScaling.Kind = .none, excludeLabel: Int? = nil,
        limit: Int? = nil
    ) throws -> TrainingData {
        var train = rawTrain, test = rawTest
        if let excludeLabel {
            guard excludeLabel >= 0, train.labels.contains(where: { Int($0) == excludeLabel }) else {
                throw LatentError(
                    .data, field: "excludeLabel",
                    "\(train.name) has no examples labelled \(train.className(excludeLabel))")
            }
        }
        if let limit, limit <= 0 {
            throw LatentError(.data, field: "limit", "expected a positive number, got \(limit)")
        }
        train = train.trainingSubset(excludingLabel: excludeLabel, limit: limit)
        (config.inputSize, config.imageHeight, config.imageWidth) = (train.featureCount, train.height, train.width)
        config.imageChannels = train.channels == 1 ? nil : train.channels
        if train.isLabelled || !train.isImage {
            // Every label of both splits, before any is left out, has a class (a folder may hold 12 classes).
            config.classes = max(2, Int(max(rawTrain.labels.max() ?? 0, rawTest.labels.max() ?? 0)) + 1)
        }
        var scaling: FeatureScaling? = nil
        if !train.isImage {
            guard config.arch == .mlp else {
                throw LatentError(
                    .model, field: "arch", "\(config.arch.rawValue) needs images; \(train.name) is a table (use mlp)")
            }
            let fitted = FeatureScaling.fit(kind, on: train)
            (train, test, scaling) = (train.scaled(fitted), test.scaled(fitted), fitted)
        } else if kind != .none {
            throw LatentError(.data, field: "scaling", "applies to tables; image pixels are already scaled to [0, 1]")
        }
        if config.likelihood == .gaussian && config.outputMean == nil {
            // A mean confined to (0, 1) could not reach standardised or raw values.
            let range = train.valueRange
            config.outputMean = range.lowerBound >= 0 && range.upperBound <= 1 ? .sigmoid : .identity
        }
        try config.validate()
        if config.needsLabels && !train.isLabelled {
            // Where the labels would come from depends on the data: a folder's class folders, a table's column.
            let remedy =
                train.isImage
                ? "give pictures labels: a folder of class folders (DIR/cat/*.png, DIR/dog/*.png), or y in an .npz"
                : "name its label column"
            throw LatentError(
                .data, field: train.isImage ? "data" : "labelColumn",
                "a \(config.kind.rawValue) needs class labels, and \(train.name) has none; \(remedy)")
        }
        try checkRange(train, config)
        // As `eval` (forModel) does: unscaled test data must lie in [0, 1] too (minmax-scaled rows may stray a
        // little past the training rows' range, and are the model's to judge).
        if scaling == nil || scaling?.kind == FeatureScaling.Kind.none { try checkRange(test, config) }
        return TrainingData(train: train, test: binarizedIfNeeded(test, config), scaling: scaling)
    }

    /// Prepares raw splits for a saved model: its scaling applied, its input size checked and, for a model
    /// trained with dynamic binarisation, the test split binarised with the fixed seed.
    public static func forModel(
        _ config: ModelConfig, scaling: FeatureScaling?, columns: [String]? = nil, classes: [String]? = nil,
        train rawTrain: Dataset, test rawTest: Dataset
    ) throws -> TrainingData {
        let train = try forModel(config, scaling: scaling, columns: columns, classes: classes, rawTrain),
            test = try forModel(config, scaling: scaling, columns: columns, classes: classes, rawTest)
        return TrainingData(train: train, test: binarizedIfNeeded(test, config), scaling: scaling)
    }

    /// One dataset prepared for a saved model: its scaling applied and its input size checked (no binarisation);
    /// with the training table's `columns` (`DataProvenance.columns`), a table whose header names other columns,
    /// or the same in another order, is refused (its values would silently land in the wrong features); with the
    /// training data's `classes` (`DataProvenance.classes`), named labels are numbered as the model numbers them.
    public static func forModel(
        _ config: ModelConfig, scaling: FeatureScaling?, columns: [String]? = nil, classes: [String]? = nil,
        _ raw: Dataset
    ) throws -> Dataset {
        let raw = try classes.map { try raw.relabelled(to: $0) } ?? raw
        let data = scaling.map { raw.scaled($0) } ?? raw
        guard data.featureCount == config.inputSize else {
            throw LatentError(
                .data,
                "\(data.name) has \(data.featureCount) features per example; the model expects \(config.inputSize)")
        }
        if let columns, let names = raw.featureNames, names != columns {
            let order = Set(names) == Set(columns) ? "the same columns in another order: " : ""
            let (theirs, ours) = (Dataset.listed(names, noun: "columns"), Dataset.listed(columns, noun: "columns"))
            throw LatentError(
                .data, field: "data", "\(raw.name) has \(order)\(theirs); the model was trained on \(ours)")
        }
        if config.needsLabels, let label = data.labels.max(),
            Int(label) >= config.classes
        {
            throw LatentError(
                .data, field: "data",
                "\(data.name) has label \(label); the \(config.kind.rawValue) knows classes 0…\(config.classes - 1)")
        }
        // Unscaled data must fit the likelihood; a saved scaling may map new rows just outside [0, 1].
        if scaling == nil || scaling?.kind == FeatureScaling.Kind.none { try checkRange(data, config) }
        return data
    }

    /// The data a saved model reads when the caller names some. The table the model was trained on keeps the
    /// test table it was given. The folder of pictures the model was trained on
    /// is read with the recorded size, channels and test split wherever `given` leaves them open; another folder
    /// is scaled to the model's size and channels unless `given` sets them (so an MNIST model reads a folder of
    /// the user's digits at 28 × 28 in grey).
    public static func source(_ given: DataSource, for config: ModelConfig, recorded: DataProvenance?) -> DataSource {
        if case .table(let url, let column, let csv, nil) = given, let file = recorded?.file,
            let test = recorded?.testFile, URL(fileURLWithPath: file).canonicalPath == url.canonicalPath
        {
            return .table(url, labelColumn: column, csv: csv, test: URL(fileURLWithPath: test))  // its own test table
        }
        guard case .images(let folder, var options) = given else { return given }
        let open = options.width == nil && options.height == nil
        if let file = recorded?.file, let saved = recorded?.images,
            URL(fileURLWithPath: file).canonicalPath == folder.canonicalPath
        {
            if open { (options.width, options.height) = (saved.width, saved.height) }
            (options.channels, options.testFiles) = (options.channels ?? saved.channels, saved.testFiles)
        } else if config.imageHeight > 1, config.imageHeight * config.imageWidth * config.channels == config.inputSize {
            if open { (options.width, options.height) = (config.imageWidth, config.imageHeight) }
            options.channels = options.channels ?? config.channels
        }
        return .images(folder, options)
    }

    /// The test split a model is judged on: binarised once with the fixed seed if it trained on binarised data.
    public static func binarizedIfNeeded(_ test: Dataset, _ config: ModelConfig) -> Dataset {
        config.binarize == .dynamic ? test.binarized(seed: ModelConfig.testBinarizationSeed) : test
    }

    /// A Bernoulli likelihood needs data in [0, 1].
    static func checkRange(_ train: Dataset, _ config: ModelConfig) throws {
        guard config.likelihood == .bernoulli && config.isReconstructing else { return }
        let range = train.valueRange
        guard range.lowerBound >= 0 && range.upperBound <= 1 else {
            throw LatentError(
                .data,
                "\(train.name) holds values in [\(range.lowerBound), \(range.upperBound)] but a "
                    + "Bernoulli likelihood needs data in [0, 1]: add `scaling` minmax, or use `likelihood` gaussian "
                    + "(with `scaling` standard)")
        }
    }
}
