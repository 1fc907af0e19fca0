import Foundation
import Latent
import Testing

@Suite struct CheckpointTests {
    @Test func safetensorsRoundTrip() throws {
        let a = Support.random([3, 4], seed: 1), b = Support.random([5], seed: 2)
        let data = try SafeTensors.encode([("a", a), ("b.c", b)], metadata: ["k": "v"])
        // Header length is a multiple of 8 (data aligned), as the reference writer produces.
        #expect(Int(data[0]) % 8 == 0)
        let (tensors, metadata) = try SafeTensors.decode(data, source: "mem")
        #expect(metadata == ["k": "v"])
        #expect(tensors["a"]!.shape == [3, 4] && tensors["a"]!.array == a.array)
        #expect(tensors["b.c"]!.array == b.array)
    }

    @Test func pythonWrittenFilesRead() throws {
        // The fixtures were written by Python's safetensors library.
        let f = try SafeTensors.read(Support.fixtures.appendingPathComponent("vae_relu.safetensors"))
        #expect(f.metadata["torch"]?.hasPrefix("2.15") == true)
        #expect(f.tensors["param.encoder.0.weight"]!.shape == [32, 64])
    }

    @Test(arguments: [
        ("short", Data([1, 2, 3]), "only 3 bytes"),
        ("hugeHeader", Data([0, 0, 0, 0, 0, 0, 0, 1]) + Data(repeating: 0x20, count: 8), "exceeds the file"),
        ("notJSON", Data([4, 0, 0, 0, 0, 0, 0, 0]) + Data("abcd".utf8), "not a JSON object"),
        (
            "hugeShape", Self.file(#"{"w":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4]}}"#),
            "unsupported shape"
        ),
        ("badOffsets", Self.file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}}"#), "offsets"),
        ("pastTheEnd", Self.file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#), "offsets"),
        ("dtype", Self.file(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#), "dtype F16"),
    ])
    func hostileFilesAreRejected(name: String, data: Data, message: String) {
        let error = #expect(throws: LatentError.self) { try SafeTensors.decode(data, source: name) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    static func file(_ header: String) -> Data {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        return d + Data(header.utf8) + Data(repeating: 0, count: 8)
    }

    @Test func modelCheckpointRoundTripAndMismatches() throws {
        let dir = Support.temporaryDirectory()
        var rng = RandomGenerator(seed: 3)
        var config = ModelConfig(kind: .vae)
        config.hidden = [8]
        config.latent = 2
        let vae = VariationalAutoencoder(config, rng: &rng)
        try ModelStore.save(vae, seed: 9, epochs: 1, to: dir)
        let loaded = try ModelStore.load(dir)
        #expect(loaded.seed == 9 && loaded.model.config == vae.config)
        for ((_, p), (_, q)) in zip(vae.namedParameters, loaded.model.namedParameters) {
            #expect(p.value.array == q.value.array)
        }

        // Another kind, another version, a missing tensor: each a clear error.
        let file = dir.appendingPathComponent("model.safetensors")
        try Checkpoint.save(vae.namedParameters, kind: "gan", configJSON: vae.config.json, to: file)
        let kindError = #expect(throws: LatentError.self) { try ModelStore.load(dir) }
        #expect(kindError?.description.contains("unknown model kind 'gan'") == true)
        try Checkpoint.save(vae.namedParameters, kind: "vae", configJSON: vae.config.json, to: file)
        let wrongKind = #expect(throws: LatentError.self) { try ModelStore.load(dir, expecting: [.classifier]) }
        #expect(wrongKind?.description.contains("holds a vae model; this needs classifier") == true)
        let v2 = try SafeTensors.encode(
            [], metadata: ["format": "latent", "format_version": "2", "kind": "vae", "config": "{}"])
        try v2.write(to: file)
        let versionError = #expect(throws: LatentError.self) { try ModelStore.load(dir) }
        #expect(versionError?.description.contains("version 2") == true)
        var bigger = vae.config
        bigger.hidden = [16]
        var rng2 = RandomGenerator(seed: 4)
        try Checkpoint.save(
            VariationalAutoencoder(bigger, rng: &rng2).namedParameters, kind: "vae", configJSON: vae.config.json,
            to: file)
        let shapeError = #expect(throws: LatentError.self) { try ModelStore.load(dir) }
        #expect(
            shapeError?.description.contains("configuration describes a model of") == true,
            "\(shapeError?.description ?? "")")
        try Checkpoint.save(Array(vae.namedParameters.dropLast()), kind: "vae", configJSON: vae.config.json, to: file)
        let missing = #expect(throws: LatentError.self) { try ModelStore.load(dir) }
        #expect(missing?.description.contains("configuration describes a model of") == true)
    }

    @Test func atomicWriteLeavesNoTemporaryFiles() throws {
        let dir = Support.temporaryDirectory()
        let url = dir.appendingPathComponent("out.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: url)
        try AtomicFile.write(Data([4]), to: url)
        #expect(try Data(contentsOf: url) == Data([4]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
        #expect(throws: LatentError.self) {
            try AtomicFile.write(Data(), to: dir.appendingPathComponent("no/such/dir/x"))
        }
    }
}
