import Foundation
import Latent
import Testing

/// Every kind of hostile input the trust review reproduced, as a table: each must end in a clean exit ≠ 0 with
/// one `latent:` line naming what is wrong, never a signal (trap, SIGSEGV, OOM kill), a hang or a huge
/// allocation.
@Suite(.serialized) struct HostileInputTests {
    static let extremes = ["0", "-1", "2147483648", "9223372036854775807", "nan", "inf", "1e19"]

    /// A small trained VAE with a 2-d code, for the commands that read a model.
    static let run: URL = {
        let dir = Support.temporaryDirectory("hostile-run")
        let r = try! Support.runLatent([
            "train", "--epochs", "1", "--limit", "256", "--hidden", "16", "--latent", "2",
            "--out", dir.path, "--no-progress", "--force",
        ])
        precondition(r.status == 0, r.stderr)
        return dir
    }()

    /// (arguments before the flag, flag, values that must be refused).
    static var cases: [([String], String, [String])] {
        let d = run.path, png = Support.temporaryDirectory("hostile-out").appendingPathComponent("x.png").path
        let all = extremes, noZero = extremes.filter { $0 != "0" }
        return [
            (["train"], "--epochs", all), (["train"], "--batch-size", all), (["train"], "--latent", all),
            (["train"], "--hidden", all + ["100000,100000", "30000,30000", "0,4"]), (["train"], "--threads", all),
            (["train"], "--limit", ["0", "-1", "nan", "inf", "1e19"]),
            (["train", "--model", "iwae"], "--k", all), (["train"], "--kl-warmup", noZero),
            (["train"], "--lr", ["0", "-1", "nan", "inf"]), (["train"], "--beta", ["-1", "nan", "inf"]),
            (["train"], "--free-bits", ["-1", "nan", "inf"]),
            (["train"], "--clip-grad-norm", ["0", "-1", "nan", "inf"]),
            (["sample", d, "--out", png], "--count", all), (["reconstruct", d, "--out", png], "--count", all),
            (["reconstruct", d, "--out", png], "--columns", all), (["denoise", d, "--out", png], "--count", all),
            (["interpolate", d, "--out", png, "--from", "0", "--to", "1"], "--steps", all),
            (["interpolate", d, "--out", png, "--to", "1"], "--from", ["-1", "2147483648", "9223372036854775807"]),
            (["eval", d, "--judge", d], "--samples-per-label", all), (["eval", d], "--iwae-k", all),
            (["eval", d, "--iwae-k", "2"], "--images", ["0", "-1", "nan", "inf", "1e19"]),
            (["plot", "manifold", d, "--out", png], "--grid", all),
            (["tsne", "--out", png], "--perplexity", all), (["tsne", "--out", png], "--iterations", all),
            (["tsne", "--out", png], "--theta", ["-1", "nan", "inf", "1e19", "2147483648"]),
            (["pca", "--out", png], "--components", all), (["semisup", d], "--labels", all),
            (["bench"], "--steps", all), (["bench"], "--batch-size", all), (["bench"], "--runs", all),
            (["eval", d], "--threads", all),
        ]
    }

    @Test func extremeValuesOfEverySizeFlagAreRefusedCleanly() throws {
        var count = 0
        for (prefix, flag, values) in Self.cases {
            for value in values {
                let args = prefix + [flag, value]
                let r = try Support.runLatent(args)
                count += 1
                let lines = r.stderr.split(separator: "\n")
                #expect(!r.signaled && r.status != 0, "\(args): status \(r.status), signaled \(r.signaled)")
                #expect(lines.count == 1 && r.stderr.hasPrefix("latent: "), "\(args): \(r.stderr)")
            }
        }
        #expect(count > 150, "the table covers every size flag: \(count) cases")
    }

    @Test func exitCodesSeparateUsageFromFailures() throws {
        #expect(try Support.runLatent(["train", "--epochs", "0"]).status == 64)
        #expect(try Support.runLatent(["train", "--epochs", "-1"]).stderr.contains("--epochs: expected 1…"))
        #expect(try Support.runLatent(["eval", "/nonexistent/run"]).status == 1)
        let model = try Support.runLatent(["train", "--model", "gan"])
        #expect(model.status == 64 && model.stderr.contains("classifier"), "the whole message: \(model.stderr)")
        let version = try Support.runLatent(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    /// `latent` builds and runs without Open MPI (issue 34: the main job installs no MPI); training with MPI on a
    /// machine whose Open MPI cannot be loaded is one line naming the package, and writes nothing.
    @Test func mpiTrainingWithoutOpenMPIIsOneLineNamingThePackage() throws {
        let out = Support.temporaryDirectory("no-mpi").appendingPathComponent("run")
        let r = try Support.runLatent(
            ["train", "--distributed", "mpi", "--epochs", "1", "--limit", "256", "--out", out.path, "--no-progress"],
            environment: ["LATENT_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        #expect(r.status == 1, "exit status \(r.status): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("openmpi-bin"), "the whole message: \(r.stderr)")
        #expect(lines.first?.contains("/nonexistent/libmpi.so.40") == true, "the loader's reason: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written at \(out.path)")
    }

    /// A checkpoint whose configuration disagrees with its tensors (hidden 10^10, tensors 16 wide) is refused
    /// before a model is built; so are safetensors whose offsets overlap.
    @Test func craftedCheckpointsAreRefusedBeforeAllocating() throws {
        let file = Self.run.appendingPathComponent("model.safetensors")
        let (tensors, metadata) = try SafeTensors.read(file)
        for hidden in ["[10000000000]", "[400]", "[16,16]"] {
            var meta = metadata
            meta["config"] = meta["config"]!.replacingOccurrences(of: "\"hidden\":[16]", with: "\"hidden\":\(hidden)")
            let dir = Support.temporaryDirectory("crafted")
            let data = try SafeTensors.encode(
                tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                metadata: meta)
            try data.write(to: dir.appendingPathComponent("model.safetensors"))
            let r = try Support.runLatent(["eval", dir.path])
            #expect(!r.signaled && r.status != 0 && r.stderr.hasPrefix("latent: "), "\(hidden): \(r.stderr)")
        }
        // Two tensors sharing bytes: valid JSON, sizes that fit, but overlapping data_offsets.
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        var bytes = Data()
        var n = UInt64(header.utf8.count).littleEndian
        bytes.append(Data(bytes: &n, count: 8))
        bytes.append(Data(header.utf8))
        bytes.append(Data(count: 12))
        #expect(throws: LatentError.self) { try SafeTensors.decode(bytes, source: "overlap.safetensors") }
    }

    @Test func aRunDirectoryIsNeverOverwrittenOrSharedSilently() throws {
        let dir = Support.temporaryDirectory("run-dir")
        let base = ["train", "--epochs", "1", "--limit", "128", "--hidden", "8", "--latent", "2", "--no-progress"]
        #expect(try Support.runLatent(base + ["--out", dir.path]).status == 0)
        let again = try Support.runLatent(base + ["--out", dir.path])
        #expect(again.status != 0 && again.stderr.contains("already holds a run") && again.stderr.contains("--force"))
        let own = Support.temporaryDirectory("users-files")
        try Data("precious".utf8).write(to: own.appendingPathComponent("notes.txt"))
        let mine = try Support.runLatent(base + ["--out", own.path])
        #expect(mine.status != 0 && mine.stderr.contains("notes.txt"))
        #expect(try Support.runLatent(base + ["--out", own.path, "--force"]).status == 0)
        #expect(try String(contentsOf: own.appendingPathComponent("notes.txt"), encoding: .utf8) == "precious")
        // A second training while the first holds the directory's lock.
        let busy = Support.temporaryDirectory("busy")
        let first = Process()
        first.executableURL = Support.latentExecutable
        first.arguments = ["train", "--epochs", "50", "--limit", "2000", "--out", busy.path, "--no-progress"]
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { first.terminate() }
        let lock = busy.appendingPathComponent(".latent.lock")
        for _ in 0..<100 where (try? String(contentsOf: lock, encoding: .utf8))?.isEmpty ?? true { usleep(50_000) }
        let second = try Support.runLatent(["train", "--epochs", "1", "--out", busy.path, "--force", "--no-progress"])
        #expect(second.status != 0 && second.stderr.contains("another training"), "\(second.stderr)")
    }

    @Test func ctrlCStopsCleanlyKeepingTheLastCheckpointAndNamingTheResumeCommand() throws {
        let dir = Support.temporaryDirectory("interrupt")
        let p = Process()
        p.executableURL = Support.latentExecutable
        p.arguments = [
            "train", "--epochs", "100", "--limit", "6000", "--hidden", "32", "--out", dir.path, "--no-progress",
        ]
        let err = Pipe()
        (p.standardOutput, p.standardError) = (FileHandle.nullDevice, err)
        try p.run()
        let metrics = dir.appendingPathComponent("metrics.jsonl")
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: metrics.path) { usleep(50_000) }
        usleep(100_000)
        p.interrupt()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 130, "status \(p.terminationStatus): \(stderr)")
        #expect(
            stderr.contains("interrupted at epoch") && stderr.contains("latent train --resume \(dir.path) --epochs 100")
        )
        let loaded = try ModelStore.loadVAE(dir)
        #expect(loaded.epochs >= 1)
        #expect(try Support.runLatent(["eval", dir.path]).status == 0)
    }

    @Test func anOutputThatIsAnInputIsRefused() throws {
        let dir = Support.temporaryDirectory("same-file")
        let codes = dir.appendingPathComponent("codes.csv").path
        #expect(try Support.runLatent(["encode", Self.run.path, "--out", codes]).status == 0)
        let before = try String(contentsOfFile: codes, encoding: .utf8)
        let r = try Support.runLatent(["pca", codes, "--components", "2", "--out", codes])
        #expect(r.status != 0 && r.stderr.contains("also an input"))
        #expect(try String(contentsOfFile: codes, encoding: .utf8) == before)
        // An output that cannot be written is refused before the work (validation, exit 64), not after it.
        let missing = dir.appendingPathComponent("no/such/folder").path
        let outputs: [[String]] = [
            ["tsne", codes, "--out", missing + "/t.png"], ["encode", Self.run.path, "--out", missing + "/c.npy"],
            ["plot", "manifold", Self.run.path, "--out", missing + "/m.png"],
            ["sample", Self.run.path, "--out", missing + "/s.png"],
            [
                "anomaly", Self.run.path, "--out", dir.path + "/a.csv", "--anomaly-label", "1", "--plot",
                missing + "/h.png",
            ],
            ["encode", Self.run.path, "--out", dir.path],
        ]
        for arguments in outputs {
            let o = try Support.runLatent(arguments)
            let said = o.stderr.contains("output directory does not exist") || o.stderr.contains("is a folder")
            #expect(o.status == 64 && said, "\(arguments): \(o.stderr)")
        }
    }

    /// stdout of every --json command is one JSON object and nothing else.
    @Test func jsonOutputIsOnlyJSON() throws {
        let d = Self.run.path, dir = Support.temporaryDirectory("json")
        let commands: [[String]] = [
            ["eval", d, "--json"],
            ["pca", "--components", "2", "--json", "--out", dir.appendingPathComponent("p.png").path],
            ["semisup", d, "--labels", "20", "--classifier", "knn", "--json"],
            ["anomaly", d, "--anomaly-label", "1", "--out", dir.appendingPathComponent("a.csv").path, "--json"],
            ["denoise", d, "--noise", "mask:0.3", "--out", dir.appendingPathComponent("d.png").path, "--json"],
            [
                "train", "--epochs", "1", "--limit", "128", "--hidden", "8", "--out",
                dir.appendingPathComponent("t").path,
                "--json", "--no-progress",
            ],
            ["bench", "--steps", "2", "--runs", "1", "--json"],
            ["bench", "--gemm-only", "--steps", "2", "--runs", "1", "--json"],
        ]
        for args in commands {
            let r = try Support.runLatent(args)
            let object = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            #expect(r.status == 0 && object is [String: Any], "\(args): \(r.stdout) \(r.stderr)")
            #expect(try Self.jqAccepts(r.stdout), "jq parses the stdout of \(args)")
        }
    }

    /// Whether `jq -e .` (installed by Scripts/setup.sh) parses `text` as one JSON object.
    static func jqAccepts(_ text: String) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["jq", "-e", "type == \"object\""]
        let input = Pipe()
        (p.standardInput, p.standardOutput, p.standardError) = (input, FileHandle.nullDevice, FileHandle.nullDevice)
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test func aClosedPipeDoesNotKillTrainingBeforeItSaves() throws {
        let dir = Support.temporaryDirectory("pipe")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [
            "-c",
            "'\(Support.latentExecutable.path)' train --epochs 2 --limit 512 --hidden 8 --out '\(dir.path)' "
                + "--no-progress | head -1; echo \"status ${PIPESTATUS[0]}\"",
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("status 0"), "latent finished despite the closed pipe: \(text)")
        #expect(try ModelStore.loadVAE(dir).epochs == 2)
    }
}

/// The silent wrong answers of the trust review: each now either does the right thing or refuses.
@Suite struct SilentWrongAnswerTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "npz", subdirectory: "Fixtures"))
    }

    @Test func npzLabelsAreLabelsAndFeaturesMustBeNamed() throws {
        let url = try Self.fixture("table_stored")
        let auto = try TableDataset.load(url, labelColumn: nil)
        #expect(auto.featureCount == 3 && auto.isLabelled && auto.labels.map(Int.init) == [0, 1, 2, 0, 1, 2])
        let byName = try TableDataset.load(url, labelColumn: "y")
        #expect(byName.featureCount == 3 && byName.labels == auto.labels)
        let none = try TableDataset.load(url, labelColumn: "none")
        #expect(none.featureCount == 4 && !none.isLabelled)
        // An archive without x (and with more than one other member) is refused, not read from its first member.
        let dir = Support.temporaryDirectory("npz")
        let script = """
            import numpy as np; np.savez('\(dir.path)/ab.npz', a=np.zeros((10, 2), 'f4'), b=np.ones((10, 3), 'f4'))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus == 0 {
            #expect { try ArrayReaders.read(dir.appendingPathComponent("ab.npz")) } throws: {
                "\($0)".contains("no features member named x")
            }
        }
    }

    @Test func unlabelledDataIsRefusedWhereLabelsAreNeeded() throws {
        let dir = Support.temporaryDirectory("unlabelled")
        let table = try Support.writeCSV("t.csv", in: dir, header: "a,b,c", rows: 60, seed: 2) { _, rng in
            (0..<3).map { _ in String(rng.uniform()) }
        }
        for model in ["cvae", "classifier"] {
            let r = try Support.runLatent([
                "train", "--model", model, "--data", table.path, "--out",
                dir.appendingPathComponent(model).path, "--epochs", "1",
            ])
            #expect(
                r.status != 0 && r.stderr.contains("needs class labels") && r.stderr.contains("--label-column"),
                "\(model): \(r.stderr)")
        }
    }

    @Test func pcaHonoursTheLabelColumnOfATable() throws {
        let dir = Support.temporaryDirectory("pca-labels")
        let table = try Support.writeCSV("r.csv", in: dir, header: "a,b,c,d,label", rows: 200, seed: 3) { r, rng in
            (0..<4).map { _ in String(rng.uniform()) } + [String(r % 5)]
        }
        let r = try Support.runLatent([
            "pca", table.path, "--label-column", "label", "--components", "2", "--out",
            dir.appendingPathComponent("p.csv").path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let accuracy = r.stdout.split(separator: "\n").first { $0.hasPrefix("knn10_accuracy") }
            .flatMap { Double($0.split(separator: " ")[1]) }
        #expect(accuracy.map { $0 < 0.6 } == true, "random features cannot predict the labels: \(r.stdout)")
        let header = try String(contentsOf: dir.appendingPathComponent("p.csv"), encoding: .utf8).prefix(20)
        #expect(header.hasPrefix("PC0,PC1,label"), "\(header)")
    }

    /// Inputs of the embedding and decoding commands that are not rows of codes are named, with what would work.
    @Test func inputsThatAreNotCodesAreNamed() throws {
        let dir = Support.temporaryDirectory()
        var npy = ArrayWriters.npy([Float](repeating: 0, count: 12), rows: 3, columns: 4)
        npy = String(data: npy, encoding: .isoLatin1)!.replacingOccurrences(of: "(3, 4)", with: "(3,2,2)")
            .replacingOccurrences(of: " \n", with: "\n").data(using: .isoLatin1)!
        let cube = dir.appendingPathComponent("cube.npy")
        try npy.write(to: cube)
        let three = try Support.writeCSV("three.csv", in: dir, header: "z0,z1", rows: 3, seed: 1) { _, rng in
            (0..<2).map { _ in String(rng.uniform()) }
        }
        let run = HostileInputTests.run.path, png = dir.appendingPathComponent("x.png").path
        try Support.expectRefused([
            (["decode", run, cube.path, "--out", png], "got more than 2 dimensions"),
            (["tsne", run, "--out", png], "a run directory; write its codes first (latent encode"),
            (["tsne", three.path, "--out", png], "three.csv has 3 row(s); t-SNE needs at least 4"),
        ])
    }

    @Test func flagsThatWouldBeIgnoredAreRefused() throws {
        try Support.expectRefused([
            (["train", "--model", "ae", "--beta", "4"], "--beta applies"),
            (["train", "--label-column", "3"], "--label-column applies"),
            (["train", "--model", "vae", "--sparsity-weight", "1"], "--sparsity"),
            (["train", "--k", "9"], "--k applies"),
        ])
        let run = HostileInputTests.run.path
        try Support.expectRefused([
            (["train", "--resume", run, "--epochs", "5", "--lr", "0.01"], "the run's is 0.001"),
            (["train", "--resume", run, "--epochs", "5", "--hidden", "64"], "--hidden 64"),
            (["train", "--resume", run, "--epochs", "5", "--model", "ae"], "the run is a vae"),
        ])
    }

    @Test func aBernoulliModelIsNotScoredOnDataOutsideTheUnitInterval() throws {
        let dir = Support.temporaryDirectory("range")
        let t = try Support.writeCSV("t.csv", in: dir, header: "a,b,c,d", rows: 60, seed: 4) { _, rng in
            (0..<4).map { _ in String(rng.uniform()) }
        }
        let out = dir.appendingPathComponent("run").path
        #expect(
            try Support.runLatent([
                "train", "--data", t.path, "--hidden", "4", "--latent", "2", "--epochs", "1",
                "--out", out, "--no-progress",
            ]).status == 0)
        let wide = try Support.writeCSV("w.csv", in: dir, header: "a,b,c,d", rows: 60, seed: 5) { _, rng in
            (0..<4).map { _ in String(rng.uniform() * 50) }
        }
        let r = try Support.runLatent(["eval", out, "--data", wide.path])
        #expect(r.status != 0 && r.stderr.contains("Bernoulli"), "\(r.stderr)")
    }
}

/// A checkpoint records its training data; later commands use it by default and say when they are given other
/// data.
@Suite struct ProvenanceTests {
    @Test func commandsDefaultToTheRecordedDataAndNoteOtherData() throws {
        let dir = Support.temporaryDirectory("provenance")
        let a = try Support.writeCSV("a.csv", in: dir, header: "p,q,r,s,label", rows: 120, seed: 6) { r, rng in
            (0..<4).map { _ in String(rng.uniform()) } + [String(r % 3)]
        }
        let run = dir.appendingPathComponent("run").path
        let t = try Support.runLatent([
            "train", "--data", a.path, "--label-column", "label", "--hidden", "4",
            "--latent", "2", "--epochs", "1", "--limit", "50", "--out", run, "--no-progress",
        ])
        #expect(t.status == 0, "\(t.stderr)")
        let loaded = try ModelStore.load(URL(fileURLWithPath: run))
        #expect(loaded.data?.file == a.path && loaded.data?.labelColumn == "label" && loaded.data?.limit == 50)
        #expect(loaded.data?.sha256?.count == 64)
        // No data flags: the table it was trained on (12 test rows), not MNIST.
        let e = try Support.runLatent(["eval", run, "--json"])
        #expect(
            e.status == 0 && e.stdout.contains("\"images\":12") && e.stderr.contains("using the model's training data"),
            "\(e.stdout) \(e.stderr)")
        // Other data given explicitly: used, with a note; data of another shape: refused.
        let b = try Support.writeCSV("b.csv", in: dir, header: "p,q,r,s,label", rows: 60, seed: 7) { r, rng in
            (0..<4).map { _ in String(rng.uniform()) } + [String(r % 3)]
        }
        let other = try Support.runLatent(["eval", run, "--data", b.path, "--label-column", "label"])
        #expect(other.status == 0 && other.stderr.contains("the model was trained on"), "\(other.stderr)")
        let mnist = try Support.runLatent(["eval", run, "--dataset", "mnist"])
        #expect(
            mnist.status != 0 && mnist.stderr.contains("features") && mnist.stderr.contains("pass --data \(a.path)"),
            "\(mnist.stderr)")
        // --resume takes the recorded data and --limit; a different --limit is refused.
        let r = try Support.runLatent(["train", "--resume", run, "--epochs", "2", "--no-progress"])
        #expect(r.status == 0, "\(r.stderr)")
        let limit = try Support.runLatent(["train", "--resume", run, "--epochs", "3", "--limit", "60"])
        #expect(limit.status != 0 && limit.stderr.contains("--limit 60: the run's is 50"), "\(limit.stderr)")
    }
}

/// CSV files as people write them: pandas' numeric header, semicolons, tabs, quotes; detected and reported.
@Suite struct CSVLayoutTests {
    static func read(_ text: String, _ format: CSVFormat = CSVFormat()) throws -> NumericTable {
        try ArrayReaders.csv(Data(text.utf8), name: "t.csv", format: format)
    }

    @Test func layoutsAreDetected() throws {
        let pandas = try Self.read("0,1,2\n0.5,1,2\n3,4,5\n")
        #expect(pandas.rows == 2 && pandas.header == ["0", "1", "2"], "pandas' 0,1,2 header is a header")
        let semicolons = try Self.read("a;b;c\n\"1.5\";2;3\n4;5;6\n")
        #expect(semicolons.columns == 3 && semicolons.values == [1.5, 2, 3, 4, 5, 6])
        #expect(semicolons.layout?.contains("semicolon-delimited, with a header line") == true)
        let tabs = try Self.read("1\t2\n3\t4\n")
        #expect(tabs.columns == 2 && tabs.header == nil && tabs.layout?.contains("tab-delimited, no header") == true)
        let forced = try Self.read("0,1,2\n3,4,5\n", CSVFormat(header: .no))
        #expect(forced.rows == 2 && forced.header == nil)
        let quoted = try Self.read("\"a,b\",c\n1,2\n")
        #expect(quoted.header == ["a,b", "c"] && quoted.columns == 2, "a quoted delimiter stays in its cell")
    }
}
