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
        let error = #expect(throws: DataError.self) { try IDXArray(contentsOf: url) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(url.path) == true)
    }

    @Test func corruptGzipIsReported() throws {
        let dir = Support.temporaryDirectory()
        let original = try Data(contentsOf: MNIST.bundledDirectory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let url = dir.appendingPathComponent("cut.gz")
        try original.prefix(original.count / 2).write(to: url)
        #expect(throws: DataError.self) { try IDXArray(contentsOf: url) }
    }

    @Test func mismatchedImageAndLabelCountsAreRejected() throws {
        let dir = Support.temporaryDirectory()
        _ = Self.writeIDX(Self.header([2, 2, 2]) + [UInt8](repeating: 1, count: 8), to: dir, name: "t10k-images-idx3-ubyte")
        _ = Self.writeIDX(Self.header([3]) + [1, 2, 3], to: dir, name: "t10k-labels-idx1-ubyte")
        let error = #expect(throws: DataError.self) { try MNIST.load(.test, directory: dir) }
        #expect(error?.description.contains("2 images but") == true)
        let missing = #expect(throws: DataError.self) { try MNIST.load(.train, directory: dir) }
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
