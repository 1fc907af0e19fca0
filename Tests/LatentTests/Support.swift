import Foundation
import Latent
import Testing

/// Shared helpers: fixtures, random tensors, tolerances.
enum Support {
    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static func fixture(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.read(fixtures.appendingPathComponent(name)).tensors
    }

    static func random(_ shape: Shape, seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let t = Tensor(uninitialized: shape)
        rng.fillUniform(t, low: low, high: high)
        return t
    }

    /// max |a − b| / max(max |b|, floor): relative error at the scale of the reference.
    static func relativeError(_ a: Tensor, _ b: Tensor, floor: Float = 1e-6) -> Float {
        precondition(a.count == b.count, "compare \(a.shape) with \(b.shape)")
        var diff: Float = 0, scale: Float = floor
        for i in 0..<a.count {
            diff = max(diff, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return diff / scale
    }

    /// Checks the `count` largest entries of `parameters.grads` (left by the caller's backward pass) against
    /// central differences of `objective` (which must draw the same noise each call), step 1e-2.
    static func expectLargestGradientsMatch(
        _ parameters: ParameterSet, count: Int = 8, tolerance: (relative: Double, absolute: Double) = (2e-2, 2e-2),
        sourceLocation: SourceLocation = #_sourceLocation, _ objective: () -> Double
    ) {
        let g = parameters.grads.data, values = parameters.values.data, h: Float = 1e-2
        for i in (0..<parameters.count).sorted(by: { abs(g[$0]) > abs(g[$1]) }).prefix(count) {
            let old = values[i]
            values[i] = old + h
            let up = objective()
            values[i] = old - h
            let down = objective()
            values[i] = old
            let numeric = (up - down) / Double(2 * h), analytic = Double(g[i])
            #expect(
                abs(numeric - analytic) <= tolerance.relative * abs(analytic) + tolerance.absolute,
                "parameter \(i): \(analytic) vs \(numeric)", sourceLocation: sourceLocation)
        }
    }

    /// The test process's scratch folder, removed when the process exits (so runs do not pile up in /tmp).
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latent-tests-\(getpid())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("latent-tests-\(getpid())")
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }()

    /// A new empty folder inside `scratch`.
    static func temporaryDirectory(_ name: String = #function) -> URL {
        let url = scratch.appendingPathComponent(UUID().uuidString.prefix(8).description)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `latent` executable built next to the test bundle.
    static var latentExecutable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("latent")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/nonexistent/latent")
    }

    struct RunResult {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Ended by a signal (a trap, SIGSEGV, the OOM killer) rather than by exiting.
        var signaled = false
    }

    /// Runs `latent` with arguments, capturing its output.
    static func runLatent(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        let process = Process()
        process.executableURL = latentExecutable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self),
            signaled: process.terminationReason == .uncaughtSignal)
    }
}

extension Support {
    /// Writes a CSV of `rows` lines (after `header`) to DIR/name; `row(r, &rng)` gives line r's cells.
    static func writeCSV(
        _ name: String, in dir: URL, header: String, rows: Int, seed: UInt64,
        row: (Int, inout RandomGenerator) -> [String]
    ) throws -> URL {
        var rng = RandomGenerator(seed: seed)
        var text = header + "\n"
        for r in 0..<rows { text += row(r, &rng).joined(separator: ",") + "\n" }
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url
    }

    /// `latent eval RUN --json`'s object (a failure or output that is no JSON object fails the test).
    static func evalJSON(_ run: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let eval = try runLatent(["eval", run, "--json"])
        return try #require(
            try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], "\(eval.stderr)",
            sourceLocation: sourceLocation)
    }

    /// Each command must succeed.
    static func expectSucceeded(_ commands: [[String]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for args in commands {
            let r = try runLatent(args)
            #expect(r.status == 0, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Each command must fail with its stderr naming `mention` (the flag or file at fault).
    static func expectRefused(_ cases: [([String], String)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (args, mention) in cases {
            let r = try runLatent(args)
            #expect(r.status != 0 && r.stderr.contains(mention), "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Each of `cases` — `latent train --out D` and the case's flags — must fail naming its flag (`expectRefused`),
    /// and D (in a new folder) must not exist afterwards: a refused run writes nothing.
    static func expectTrainingRefused(
        _ cases: [([String], String)], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let fresh = temporaryDirectory().appendingPathComponent("refused").path
        try expectRefused(cases.map { (["train", "--out", fresh] + $0.0, $0.1) }, sourceLocation: sourceLocation)
        #expect(
            !FileManager.default.fileExists(atPath: fresh), "a refused run writes nothing",
            sourceLocation: sourceLocation)
    }

    /// The runs in folders `a` and `b` saved the same model, byte for byte (a resumed run against an uninterrupted
    /// one).
    static func expectSameModel(
        _ a: String, _ b: String, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let file = { (run: String) in
            try Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("model.safetensors"))
        }
        #expect(try file(a) == file(b), comment, sourceLocation: sourceLocation)
    }
}
