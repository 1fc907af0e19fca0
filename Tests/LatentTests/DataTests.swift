import Foundation
import Latent
import Testing

@Suite struct DataTests {
    @Test func bundledMNISTLoads() throws {
        let train = try MNIST.load(.train), test = try MNIST.load(.test)
        #expect(train.count == 60_000 && test.count == 10_000)
        #expect(train.height == 28 && train.width == 28)
        #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        let batch = test.batch(0..<2)
        #expect(batch.shape == [2, 784])
        #expect(batch.array.allSatisfy { $0 >= 0 && $0 <= 1 } && batch.array.max() == 1)
        // Mean pixel intensity of the MNIST training set, a well-known constant (0.1307).
        let mean = Double(train.pixels.reduce(0) { $0 + Int($1) }) / Double(train.pixels.count) / 255
        #expect(abs(mean - 0.1307) < 1e-4)
    }

    static func writeIDX(_ bytes: [UInt8], to dir: URL, name: String) -> URL {
        let url = dir.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }

    static func header(_ dims: [Int], type: UInt8 = 8) -> [UInt8] {
        [0, 0, type, UInt8(dims.count)] + dims.flatMap { d in [24, 16, 8, 0].map { UInt8((d >> $0) & 0xFF) } }
    }

    @Test func rawIDXFilesRead() throws {
        let dir = Support.temporaryDirectory()
        let url = Self.writeIDX(Self.header([2, 2, 3]) + Array(0..<12), to: dir, name: "x")
        let idx = try IDXArray(contentsOf: url)
        #expect(idx.dimensions == [2, 2, 3] && idx.bytes == Array(0..<12))
    }

    @Test(arguments: [
        ("wrongMagic", [1, 0, 8, 1, 0, 0, 0, 1, 5] as [UInt8], "not an IDX file"),
        ("wrongType", [0, 0, 0x0D, 1, 0, 0, 0, 1, 5], "element type"),
        ("truncated", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3], "truncated"),
        ("tooLong", [0, 0, 8, 1, 0, 0, 0, 1, 5, 6], "holds 2"),
        ("tiny", [0, 0], "too short"),
        ("badRank", [0, 0, 8, 0], "rank 0"),
    ])
    func badIDXFilesGiveClearErrors(name: String, bytes: [UInt8], message: String) throws {
        let dir = Support.temporaryDirectory()
        let url = Self.writeIDX(bytes, to: dir, name: name)
        let error = #expect(throws: LatentError.self) { try IDXArray(contentsOf: url) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(url.path) == true)
    }

    @Test func corruptGzipIsReported() throws {
        let dir = Support.temporaryDirectory()
        let original = try Data(contentsOf: MNIST.bundledDirectory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let url = dir.appendingPathComponent("cut.gz")
        try original.prefix(original.count / 2).write(to: url)
        #expect(throws: LatentError.self) { try IDXArray(contentsOf: url) }
    }

    @Test func mismatchedImageAndLabelCountsAreRejected() throws {
        let dir = Support.temporaryDirectory()
        _ = Self.writeIDX(
            Self.header([2, 2, 2]) + [UInt8](repeating: 1, count: 8), to: dir, name: "t10k-images-idx3-ubyte")
        _ = Self.writeIDX(Self.header([3]) + [1, 2, 3], to: dir, name: "t10k-labels-idx1-ubyte")
        let error = #expect(throws: LatentError.self) { try MNIST.load(.test, directory: dir) }
        #expect(error?.description.contains("2 images but") == true)
        let missing = #expect(throws: LatentError.self) { try MNIST.load(.train, directory: dir) }
        #expect(missing?.description.contains("train-images-idx3-ubyte") == true)
    }

    @Test func batchOrderIsSeededAndComplete() {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let x = BatchOrder(count: 10, batchSize: 4, shuffle: true, rng: &a)
        let y = BatchOrder(count: 10, batchSize: 4, shuffle: true, rng: &b)
        #expect(x.map(Array.init) == y.map(Array.init))
        #expect(x.map(\.count) == [4, 4, 2] && x.batchCount == 3)
        #expect(x.flatMap { Array($0) }.sorted() == Array(0..<10))
    }
}

/// NPY and CSV tables: round trips and every malformed-file message.
@Suite struct ArrayReaderTests {
    @Test func npyRoundTripAndTypes() throws {
        let values: [Float] = [1, 2.5, -3, 4, 5, 6]
        let t = try ArrayReaders.npy(ArrayWriters.npy(values, rows: 2, columns: 3), name: "a.npy")
        #expect(t.rows == 2 && t.columns == 3 && t.values == values)
        // float64, 1-D, version 1.
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        for v in [1.5, -2.0, 1e10] as [Double] {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) }
        }
        let f = try ArrayReaders.npy(d, name: "b.npy")
        #expect(f.rows == 3 && f.columns == 1 && f.values == [1.5, -2, 1e10])
    }

    /// An NPY file of `descr` holding `payload` (already in that dtype's bytes) in the given shape.
    static func npyFile(_ descr: String, shape: String, payload: [UInt8], fortran: Bool = false) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
            + Data(payload)
    }

    /// Bools, halves, 16-bit and unsigned integers and big-endian files are read as numpy holds them.
    @Test func npyReadsEveryPlainNumericDtype() throws {
        func bytes<T: FixedWidthInteger>(_ values: [T], big: Bool = false) -> [UInt8] {
            values.flatMap { v in withUnsafeBytes(of: big ? v.bigEndian : v.littleEndian) { Array($0) } }
        }
        let cases: [(String, [UInt8], [Float])] = [
            ("|b1", [1, 0, 1], [1, 0, 1]),
            ("<f2", bytes([0x3E00, 0xC000, 0x7BFF] as [UInt16]), [1.5, -2, 65504]),
            (">f4", bytes([Float(1.5), -2, 3].map(\.bitPattern), big: true), [1.5, -2, 3]),
            (">f8", bytes([Double(0.25), -1, 1e10].map(\.bitPattern), big: true), [0.25, -1, 1e10]),
            ("<i2", bytes([-32768, 5, 0] as [Int16]), [-32768, 5, 0]),
            ("<u2", bytes([0, 65535, 1] as [UInt16]), [0, 65535, 1]),
            ("<u4", bytes([7, 4_000_000_000, 2] as [UInt32]), [7, 4e9, 2]),
            (">i8", bytes([-5, 7, 1 << 40] as [Int64], big: true), [-5, 7, 1_099_511_627_776]),
            ("|i1", [0xFF, 0x80, 3], [-1, -128, 3]),
        ]
        for (descr, payload, expected) in cases {
            let t = try ArrayReaders.npy(Self.npyFile(descr, shape: "(3,)", payload: payload), name: "\(descr).npy")
            #expect(t.rows == 3 && t.columns == 1 && t.values == expected, "\(descr): \(t.values)")
        }
        // Fortran order: column by column in the file, row by row in the table.
        let f = try ArrayReaders.npy(
            Self.npyFile("<i4", shape: "(2, 3)", payload: bytes([1, 4, 2, 5, 3, 6] as [Int32]), fortran: true),
            name: "f.npy")
        #expect(f.rows == 2 && f.columns == 3 && f.values == [1, 2, 3, 4, 5, 6])
        // PyTorch's [N, C, H, W] (a tensor's .numpy()): read as [N, H, W, C], said so.
        let planes: [UInt8] =
            [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24] + [5, 6, 7, 8, 15, 16, 17, 18, 25, 26, 27, 28]
        let nchw = try ArrayReaders.npy(Self.npyFile("|u1", shape: "(2, 3, 2, 2)", payload: planes), name: "c.npy")
        #expect(nchw.imageShape == [2, 2, 3] && nchw.layout?.contains("channels first") == true)
        #expect(Array(nchw.values[0..<6]) == [1, 11, 21, 2, 12, 22] && Array(nchw.values[21..<24]) == [8, 18, 28])
        // Strings only as one column (labels); a table of them is not numbers.
        for descr in ["<c8", "|O", "<U3", "<M8[s]", "|S4", "<f16", "|b2"] {
            #expect { try ArrayReaders.npy(Self.npyFile(descr, shape: "(0, 2)", payload: []), name: "x.npy") } throws: {
                "\($0)".contains("dtype '\(descr)' is not supported")
            }
        }
    }

    @Test(arguments: [
        ("truncated", "needs 24 bytes of data, the file holds 20"),
        ("magic", "not an NPY file"),
        ("huge", "the file holds"),
        ("dtype", "dtype '<c8' is not supported"),
        ("rank", "expected a table (1-D or 2-D) or images"),
    ])
    func npyBadFilesAreNamed(kind: String, message: String) throws {
        var file = ArrayWriters.npy([1, 2, 3, 4, 5, 6], rows: 2, columns: 3)
        func replacing(_ a: String, _ b: String) -> Data {
            String(data: file, encoding: .isoLatin1)!.replacingOccurrences(of: a, with: b).data(using: .isoLatin1)!
        }
        switch kind {
        case "truncated": file = file.dropLast(4)
        case "magic": file[1] = UInt8(ascii: "X")
        case "huge": file = replacing("(2, 3)", "(1000000, 1000000)")
        case "dtype": file = replacing("<f4", "<c8")
        default: file = replacing("(2, 3)", "(1,1,1,2,3)")
        }
        #expect { try ArrayReaders.npy(file, name: "x.npy") } throws: { error in
            "\(error)".contains("x.npy") && "\(error)".contains(message)
        }
    }

    @Test func csvWithAndWithoutHeader() throws {
        let t = try ArrayReaders.csv(Data("a,b,label\n1,2,0\n3.5,-4,1\n\n".utf8), name: "c.csv")
        #expect(t.header == ["a", "b", "label"] && t.rows == 2 && t.values == [1, 2, 0, 3.5, -4, 1])
        let u = try ArrayReaders.csv(Data("1,2\r\n3,4\r\n".utf8), name: "d.csv")
        #expect(u.header == nil && u.rows == 2 && u.columns == 2)
        #expect(t.removingColumn(2).values == [1, 2, 3.5, -4])
    }

    /// A column of names is numbered in sorted order; a first line over names of its own column is data, not a
    /// header (UCI's headerless iris.data); a name among numbers is an error naming its line.
    /// A label column of numbers that are not class numbers (−1/1 as in anomaly sets, 10/20) is numbered in
    /// sorted order with the values as names; another file's class numbers are read as those numbers.
    @Test func labelsThatAreNumbersButNotClassNumbers() throws {
        let url = URL(fileURLWithPath: "/data/pm.csv")
        let text = "a,y\n" + (0..<12).map { "\($0),\($0 % 3 == 0 ? 1 : -1)" }.joined(separator: "\n")
        let table = try ArrayReaders.csv(Data(text.utf8), name: "pm.csv")
        let data = try TableDataset.make(table, source: url, labelColumn: "y")
        #expect(data.classNames == ["-1", "1"] && data.labels.prefix(4) == [1, 0, 0, 1], "\(data.labels)")
        let ones = try TableDataset.make(
            try ArrayReaders.csv(Data("a,y\n5,1\n6,1\n".utf8), name: "ones.csv"), source: url, labelColumn: "y")
        #expect(ones.classNames == nil && ones.labels == [1, 1])
        #expect(try ones.relabelled(to: ["-1", "1"]).labels == [1, 1], "the class named 1")
        let zeros = try TableDataset.make(
            try ArrayReaders.csv(Data("a,y\n5,0\n6,1\n".utf8), name: "zeros.csv"), source: url, labelColumn: "y")
        #expect(throws: LatentError.self) { try zeros.relabelled(to: ["-1", "1"]) }
        let wide = "a,y\n" + (0..<300).map { "\($0),\(Double($0) + 0.5)" }.joined(separator: "\n")
        #expect {
            try TableDataset.make(try ArrayReaders.csv(Data(wide.utf8), name: "w.csv"), source: url, labelColumn: "y")
        } throws: {
            "\($0)".contains("label column y holds 300 distinct values in 300 rows, not classes")
        }
        // A column of values each on its own row is not a column of classes, even if there are few.
        let unique = "a,y\n" + (0..<40).map { "\($0),\(Double($0) * 0.37 - 3)" }.joined(separator: "\n")
        #expect {
            try TableDataset.make(try ArrayReaders.csv(Data(unique.utf8), name: "u.csv"), source: url, labelColumn: "y")
        } throws: {
            "\($0)".contains("holds 40 distinct values in 40 rows")
        }
        // Two columns of the label's name: which one is meant is asked, not guessed.
        let twice = try ArrayReaders.csv(Data("y,a,y\n1,2,0\n3,4,1\n".utf8), name: "twice.csv")
        #expect { try TableDataset.make(twice, source: url, labelColumn: "y") } throws: {
            "\($0)".contains("has 2 columns named 'y' (0-based 0 and 2); give the label column's index")
        }
        #expect(try TableDataset.make(twice, source: url, labelColumn: "2").labels == [0, 1])
        // Where classes are numbers, a class is named before it is numbered: `1` is the class named 1.
        var config = ModelConfig(kind: .cvae)
        config.classes = 2
        #expect(try ClassLabel.number("1", for: config, names: ["-1", "1"]) == 1)
        #expect(try ClassLabel.number("-1", names: ["-1", "1"], field: "label") == 0)
        #expect(try ClassLabel.number("0", names: ["5", "0"], field: "label") == 1)
    }

    /// Delimited text under the names it comes with (UCI's .data, .tsv, .txt), gzipped or not, reads as CSV.
    @Test func delimitedTextByAnyOfItsNames() throws {
        let dir = Support.temporaryDirectory("text-names")
        let rows = (0..<20).map { "\(Float($0) / 4)\t\($0 % 3)\tIris-\(["setosa", "versicolor"][$0 % 2])" }
        let tsv = dir.appendingPathComponent("iris.tsv"), data = dir.appendingPathComponent("iris.data")
        try (rows.joined(separator: "\n") + "\n").write(to: tsv, atomically: false, encoding: .utf8)
        try (rows.joined(separator: "\n").replacingOccurrences(of: "\t", with: ",") + "\n")
            .write(to: data, atomically: false, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", tsv.path]
        try gzip.run()
        gzip.waitUntilExit()
        let gz = dir.appendingPathComponent("iris.tsv.gz")
        #expect(gzip.terminationStatus == 0 && ArrayReaders.stem(of: gz) == "iris")
        let sets = try [tsv, data, gz].map { try DataSource.table($0, labelColumn: "last").loadAll() }
        for set in sets {
            #expect(set.name == "iris" && set.count == 20 && set.featureCount == 2, "\(set.name)")
            #expect(set.classNames == ["Iris-setosa", "Iris-versicolor"] && set.values == sets[0].values)
        }
        let sheet = dir.appendingPathComponent("sheet.xlsx")
        try Data("PK".utf8).write(to: sheet)
        #expect(ArrayReaders.format(of: sheet) == nil)
        #expect { try DataSource.table(sheet, labelColumn: nil).loadAll() } throws: {
            "\($0)".contains("expected a .csv (or .tsv, .txt, .data), .npy or .npz file, optionally .gz")
        }
    }

    @Test func csvColumnsOfNames() throws {
        let t = try ArrayReaders.csv(Data("x,kind\n1,b\n2,a\n3,c\n4,a\n".utf8), name: "k.csv")
        #expect(t.header == ["x", "kind"] && t.textColumns == [1: ["a", "b", "c"]])
        #expect(t.column(1) == [1, 0, 2, 0])
        let u = try ArrayReaders.csv(Data("5.1,Iris-setosa\n6.2,Iris-virginica\n".utf8), name: "iris.data")
        #expect(u.header == nil && u.rows == 2 && u.column(1) == [0, 1])
        // A header with a number among its names, over a column of names: the name never comes again, a class does.
        let years = try ArrayReaders.csv(Data("kind,2019\na,1\nb,2\na,3\n".utf8), name: "y.csv")
        #expect(years.header == ["kind", "2019"] && years.rows == 3 && years.textColumns == [0: ["a", "b"]])
        let data = try TableDataset.make(t, source: URL(fileURLWithPath: "k.csv"), labelColumn: "kind")
        #expect(data.labels == [1, 0, 2, 0] && data.classNames == ["a", "b", "c"] && data.featureCount == 1)
        #expect { try TableDataset.make(t, source: URL(fileURLWithPath: "k.csv"), labelColumn: nil) } throws: {
            "\($0)".contains("column 'kind' holds names ('a', 'b', 'c': 3 in all)")
        }
        #expect { try ArrayReaders.csv(Data("a,b\n1,x\n2,3\n".utf8), name: "m.csv") } throws: {
            "\($0)".contains("m.csv: line 2, column 'b': 'x' is not a number")
        }
        // numpy's strings ('<U', '|S'): one column of names, as an .npz's labels y may be.
        let utf32 = ["cat", "dog", "cat"].flatMap { w in
            (w.unicodeScalars.map(\.value) + [0, 0]).flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        }
        let words = try ArrayReaders.npy(Self.npyFile("<U5", shape: "(3,)", payload: utf32), name: "w.npy")
        #expect(words.textColumns == [0: ["cat", "dog"]] && words.values == [0, 1, 0])
        let bytes = try ArrayReaders.npy(
            Self.npyFile("|S2", shape: "(2,)", payload: Array("b\0a\0".utf8)), name: "s.npy")
        #expect(bytes.textColumns == [0: ["a", "b"]] && bytes.values == [1, 0])
        // Relabelled to a model's classes by name: b and c keep the model's numbers; an unknown class is named.
        let later = try TableDataset.make(
            ArrayReaders.csv(Data("x,kind\n1,c\n2,b\n".utf8), name: "l.csv"), source: URL(fileURLWithPath: "l.csv"),
            labelColumn: "kind")
        let relabelled = try later.relabelled(to: ["a", "b", "c"])
        #expect(later.labels == [1, 0] && relabelled.labels == [2, 1])
        #expect { try later.relabelled(to: ["a", "b"]) } throws: { "\($0)".contains("not trained on: c") }
    }

    /// What spreadsheets and pandas write: Excel's byte order mark, European decimal commas in a semicolon file,
    /// pandas' unnamed index column (left out, as it numbers rows) — while a named column of 0, 1, 2 stays.
    @Test func csvFromSpreadsheetsAndPandas() throws {
        let bom = try ArrayReaders.csv(Data("\u{FEFF}a,b\n1,2\n3,4\n".utf8), name: "bom.csv")
        #expect(bom.header == ["a", "b"] && bom.values == [1, 2, 3, 4])
        let euro = try ArrayReaders.csv(Data("a;b\n1,5;-2\n3;0,25\n".utf8), name: "euro.csv")
        #expect(euro.header == ["a", "b"] && euro.values == [1.5, -2, 3, 0.25])
        let headless = try ArrayReaders.csv(Data("1,5;2;7\n3;4,5;8\n".utf8), name: "euro2.csv")
        #expect(headless.header == nil && headless.values == [1.5, 2, 7, 3, 4.5, 8])
        for first in ["", "Unnamed: 0"] {
            let pandas = try ArrayReaders.csv(Data("\(first),a,b\n0,5,6\n1,7,8\n2,9,1\n".utf8), name: "p.csv")
            #expect(pandas.header == ["a", "b"] && pandas.values == [5, 6, 7, 8, 9, 1], "\(first)")
            #expect(pandas.layout?.contains("pandas' index") == true)
        }
        let flags = try ArrayReaders.csv(Data("a,flag\n1,True\n2,false\n".utf8), name: "flags.csv")
        #expect(flags.header == ["a", "flag"] && flags.values == [1, 1, 2, 0], "pandas' booleans")
        // Missing values, as pandas (empty, NaN), R (NA) and UCI (?) write them: counted and named, not a puzzle.
        let gaps = "a,b,c\n1,,3\n4,NA,6\n7,8,?\n1,2,3\n"
        #expect {
            try ArrayReaders.csv(Data(gaps.utf8), name: "gaps.csv")
        } throws: {
            "\($0)".contains("gaps.csv: 2 missing values in column 'b' (the first on line 2: ''), and 1 in other")
                && "\($0)".contains("df.dropna()")
        }
        let named = try ArrayReaders.csv(Data("id,a\n0,5\n1,7\n".utf8), name: "n.csv")
        #expect(named.header == ["id", "a"] && named.columns == 2)
        // Names with commas and quotes are written quoted (RFC 4180) and read back whole.
        let written = ArrayWriters.csv(
            [1, 2, 3, 4], rows: 2, columns: 2, header: ["size, cm", "plain"],
            labels: (name: "kind", cells: ["say \"hi\", then go", "b"]))
        let back = try ArrayReaders.csv(written, name: "w.csv")
        #expect(back.header == ["size, cm", "plain", "kind"] && back.textColumns[2] == ["b", "say \"hi\", then go"])
        let trailing = try ArrayReaders.csv(Data("a,b,\n1,2,\n3,4,\n".utf8), name: "t.csv")
        #expect(trailing.header == ["a", "b"] && trailing.values == [1, 2, 3, 4])
        #expect { try ArrayReaders.csv(Data("a,b,\n1,2,\n3,4\n".utf8), name: "u.csv") } throws: {
            "\($0)".contains("u.csv: line ")
        }
    }

    @Test func csvErrorsNameTheLine() {
        #expect { try ArrayReaders.csv(Data("a,b\n1,2\n3\n".utf8), name: "r.csv") } throws: {
            "\($0)".contains("r.csv: line 3 has 1 cells, expected 2")
        }
        #expect { try ArrayReaders.csv(Data("a,b\n1,2\n3,x\n".utf8), name: "t.csv") } throws: {
            "\($0)".contains("t.csv: line 3, column 'b': 'x' is not a number")
        }
        #expect { try ArrayReaders.csv(Data("a,b\n".utf8), name: "e.csv") } throws: { "\($0)".contains("no data rows") }
    }
}

@Suite struct NPZTests {
    @Test(arguments: ["table_stored", "table_deflated", "table_positional"])
    func numpyArchivesRead(_ name: String) throws {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npz", subdirectory: "Fixtures"))
        let t = try ArrayReaders.read(url)
        // x (6x3, arange/4) with the labels y appended as the last column.
        #expect(t.rows == 6 && t.columns == 4)
        for r in 0..<6 {
            for c in 0..<3 { #expect(t.values[r * 4 + c] == Float(r * 3 + c) / 4) }
            #expect(t.values[r * 4 + 3] == Float(r % 3))
        }
    }

    /// Keras' split files (x_train, y_train, x_test, y_test — its mnist.npz) keep their own split.
    @Test func aKerasSplitFileKeepsItsSplit() throws {
        let url = try #require(
            Bundle.module.url(forResource: "keras_split", withExtension: "npz", subdirectory: "Fixtures"))
        var notes: [String] = []
        let source = DataSource.table(url, labelColumn: nil)
        let train = try source.load(.train) { notes.append($0) }, test = try source.load(.test)
        #expect(train.isImage && train.count == 4 && test.count == 2 && train.height == 2 && train.width == 2)
        #expect(train.isLabelled && train.labels == [0, 1, 2, 0] && test.labels == [1, 2], "y_train, y_test")
        #expect(test.pixels == (16..<24).map { UInt8($0 * 10) }, "x_test is the test split, in order")
        #expect(notes.contains { $0.contains("its own split: x_train for training, x_test for testing") }, "\(notes)")
        #expect(try source.loadAll().count == 6)
    }

    @Test func damagedArchivesAreNamed() throws {
        let url = try #require(
            Bundle.module.url(forResource: "table_deflated", withExtension: "npz", subdirectory: "Fixtures"))
        let good = try Data(contentsOf: url)
        #expect { try NPZ.read(good.prefix(good.count - 30), name: "cut.npz") } throws: { "\($0)".contains("cut.npz") }
        var bad = good
        bad[60] ^= 0xFF  // inside the first member's deflate stream
        #expect { try NPZ.read(bad, name: "flipped.npz") } throws: { "\($0)".contains("flipped.npz") }
        #expect { try NPZ.read(Data("not a zip at all, just some text".utf8), name: "text.npz") } throws: {
            "\($0)".contains("not an NPZ")
        }
    }
}

/// Inputs the fuzzers found, kept as regression tests.
@Suite struct FuzzRegressionTests {
    /// An NPY shape whose byte count overflows Int (4.2e18 × 2 rows × 4 bytes): an error, not a trap.
    @Test func npyShapeOverflowingIntIsRefused() throws {
        let url = try #require(
            Bundle.module.url(forResource: "fuzz_npy_overflow", withExtension: "npy", subdirectory: "Fixtures"))
        #expect { try ArrayReaders.npy(try Data(contentsOf: url), name: "big.npy") } throws: {
            "\($0)".contains("more than 2^63")
        }
    }

    /// An NPZ member declaring 3.6 GB uncompressed from a few bytes: refused before allocating.
    @Test func npzDeclaringAHugeMemberIsRefused() throws {
        let url = try #require(
            Bundle.module.url(forResource: "fuzz_npz_oom", withExtension: "npz", subdirectory: "Fixtures"))
        #expect { try NPZ.read(try Data(contentsOf: url), name: "oom.npz") } throws: { "\($0)".contains("oom.npz") }
    }
}

/// Downloads: every file is checked by the MD5 of its content before it is kept. The "mirror" here is the
/// bundled MNIST directory, so the test needs no network.
@Suite struct DownloadTests {
    @Test func md5MatchesTheKnownDigest() {
        #expect(DownloadableDataset.md5Hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func verifiedFilesAreKeptAndWrongOnesRefused() throws {
        let mirror = MNIST.bundledDirectory.absoluteString
        let good = Support.temporaryDirectory("mnist-download")
        try DownloadableDataset.known["mnist"]!.ensure(in: good, mirror: mirror)
        let test = try MNIST.load(.test, directory: good)
        #expect(test.count == 10_000)
        let bad = Support.temporaryDirectory("fashion-download")
        #expect { try DownloadableDataset.known["fashion-mnist"]!.ensure(in: bad, mirror: mirror) } throws: {
            "\($0)".contains("MD5 of the content is") && "\($0)".contains("dataDirectory")
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: bad.path).isEmpty, "nothing unverified is left behind")
    }
}
