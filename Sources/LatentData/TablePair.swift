import Foundation
import LatentTensor

/// A training table and a test table of the same columns, as data often comes (train.csv and test.csv): every
/// row of the first is training, every row of the second is test. The test table's classes are numbered as the
/// training table's, by name, and its columns must be the training table's.
struct TablePair {
    let train: URL, test: URL, labelColumn: String?, csv: CSVFormat

    init(train: URL, test: URL, labelColumn: String?, csv: CSVFormat) throws {
        guard train.canonicalPath != test.canonicalPath else {
            throw LatentError(.data, field: "testData", "\(test.path) is also the training table; give another file")
        }
        (self.train, self.test, self.labelColumn, self.csv) = (train, test, labelColumn, csv)
    }

    /// All rows of the training table, or all rows of the test table numbered and checked against it.
    func load(_ split: Split, notes: (String) -> Void) throws -> Dataset {
        let training = try trainingRows(notes: notes)
        guard split == .test else { return training.subset(Array(0..<training.count), name: "\(training.name)-train") }
        return try testRows(numberedAs: training)
    }

    /// Every row of both tables in order, each file read once.
    func loadAll(notes: (String) -> Void) throws -> Dataset {
        let training = try trainingRows(notes: notes)
        return training.appending(try testRows(numberedAs: training))
    }

    /// The training table's rows; throws for a file that holds a split of its own.
    private func trainingRows(notes: (String) -> Void) throws -> Dataset {
        let (training, ownTest) = try DataSource.loadTable(
            train, labelColumn: labelColumn, csv: csv, notes: notes, minimumRows: 1)
        if ownTest != nil {
            throw LatentError(
                .data, field: "testData",
                "\(train.path) holds its own test split (x_test); leave out the test table or give x_train alone")
        }
        return training
    }

    /// The test table's rows, checked against the training table's and numbered by its class names.
    private func testRows(numberedAs training: Dataset) throws -> Dataset {
        let (rows, theirs) = try DataSource.loadTable(
            test, labelColumn: labelColumn, csv: csv, notes: { _ in }, minimumRows: 1)
        guard theirs == nil else {
            throw LatentError(.data, field: "testData", "\(test.path) holds a split of its own (x_test); give a table")
        }
        let shape = { (d: Dataset) in d.isImage ? "\(d.width)x\(d.height)x\(d.channels) pictures" : "rows" }
        guard shape(rows) == shape(training) || !(rows.isImage || training.isImage) else {
            throw LatentError(
                .data, field: "testData", "\(test.path) holds \(shape(rows)); \(train.path) holds \(shape(training))")
        }
        guard rows.featureCount == training.featureCount else {
            throw LatentError(
                .data, field: "testData",
                "\(test.path) has \(rows.featureCount) features per row; \(train.path) has \(training.featureCount)")
        }
        if let mine = training.featureNames, let other = rows.featureNames, mine != other {
            throw LatentError(
                .data, field: "testData",
                """
                \(test.path) names its columns \(Dataset.listed(other, noun: "columns")); \(train.path) names them \
                \(Dataset.listed(mine, noun: "columns"))
                """)
        }
        if training.isLabelled != rows.isLabelled {
            throw LatentError(.data, field: "testData", "\(test.path) has no label column '\(labelColumn ?? "")'")
        }
        var numbered = rows
        if let names = training.classNames {
            let unknown = rows.classes(missingFrom: names)
            guard unknown.isEmpty else {
                let (missing, known) = (
                    Dataset.listed(unknown, noun: "classes"), Dataset.listed(names, noun: "classes")
                )
                throw LatentError(
                    .data, field: "testData",
                    "\(test.path) has classes \(train.lastPathComponent) lacks: \(missing) (it has \(known))")
            }
            numbered = try rows.relabelled(to: names)
        }
        return numbered.subset(Array(0..<numbered.count), name: "\(training.name)-test")
    }
}
