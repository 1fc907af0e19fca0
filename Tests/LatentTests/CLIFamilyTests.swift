import Foundation
import Latent
import Testing

/// The model verbs of `latent` on tiny models trained in the test (one epoch on 600 images).
@Suite(.serialized) struct CLIFamilyTests {
    static func train(_ arguments: [String]) throws -> URL {
        let dir = Support.temporaryDirectory()
        let r = try Support.runLatent(
            [
                "train", "--epochs", "1", "--limit", "600", "--hidden", "32", "--latent", "2",
                "--out", dir.path, "--threads", "1",
            ] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    static func isPNG(_ path: String) -> Bool {
        (try? Data(contentsOf: URL(fileURLWithPath: path)).prefix(4)) == Data([0x89, 0x50, 0x4E, 0x47])
    }

    @Test func cvaeVerbs() throws {
        let run = try Self.train(["--model", "cvae"])
        let out = Support.temporaryDirectory().path
        for (args, file) in [
            (["sample", run.path, "--label", "3", "--count", "16"], "s3.png"), (["sample", run.path], "rows.png"),
            (["reconstruct", run.path, "--count", "8"], "r.png"),
            (["interpolate", run.path, "--from", "0", "--to", "1", "--steps", "5"], "i.png"),
        ] {
            let r = try Support.runLatent(args + ["--out", "\(out)/\(file)", "--threads", "1"])
            #expect(r.status == 0 && Self.isPNG("\(out)/\(file)"), "\(args): \(r.stderr)")
        }
        let bad = try Support.runLatent(["sample", run.path, "--label", "12", "--out", "\(out)/x.png"])
        #expect(bad.status != 0 && bad.stderr.contains("--label"))
        let eval = try Support.runLatent(["eval", run.path, "--json", "--threads", "1"])
        let m = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
        for key in ["test_loss", "test_mse", "elbo", "active_dims", "test_kl"] {
            #expect(m[key] != nil, "\(key) in \(eval.stdout)")
        }
    }

    @Test func exportsONNXAndJudgesSamplesOfAPrior() throws {
        let (vae, classifier) = (try Self.train(["--model", "vae"]), try Self.train(["--model", "classifier"]))
        let out = Support.temporaryDirectory().path
        let e = try Support.runLatent(["export", vae.path, "--onnx", "\(out)/onnx", "--json"])
        #expect(e.status == 0 && e.stdout.contains("\"opset\":17"), "\(e.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(out)/onnx/decoder.onnx"))
        let c = try Support.runLatent(["export", classifier.path, "--onnx", "\(out)/c"])
        #expect(
            c.status == 64 && c.stderr.contains("\(classifier.path): a classifier has no encoder and decoder"),
            "\(c.stderr)")
        #expect(c.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(out)/c"), "nothing is written for a refused export")
        let j = try Support.runLatent([
            "eval", vae.path, "--judge", classifier.path, "--samples", "300", "--prior", "gmm:2", "--json",
        ])
        #expect(j.status == 0, "\(j.stderr)")
        let judged = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let confidence = judged?["confidence"] as? Double ?? -1, distance = judged?["classifier_frechet_distance"]
        #expect(confidence > 0.1 && confidence <= 1 && (distance as? Double ?? -1) >= 0, "\(j.stdout)")
        #expect(FileManager.default.fileExists(atPath: vae.appendingPathComponent("gmm-2-full.json").path))
        let bad = try Support.runLatent(["eval", vae.path, "--judge", classifier.path, "--prior", "gmm:0"])
        #expect(bad.status == 64 && bad.stderr.contains("--prior"), "\(bad.stderr)")
    }

    @Test func daeDenoiseAndEncode() throws {
        let run = try Self.train(["--model", "dae", "--noise", "mask:0.3"])
        let out = Support.temporaryDirectory().path
        let d = try Support.runLatent([
            "denoise", run.path, "--noise", "gaussian:0.5", "--out", "\(out)/d.png", "--threads", "1",
        ])
        #expect(d.status == 0 && d.stdout.contains("PSNR noisy") && Self.isPNG("\(out)/d.png"), "\(d.stderr)")
        let e = try Support.runLatent(["encode", run.path, "--out", "\(out)/codes.csv", "--threads", "1"])
        #expect(e.status == 0, "\(e.stderr)")
        let lines = try String(contentsOfFile: "\(out)/codes.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10_001 && lines[0] == "z0,z1,label" && lines[1].hasSuffix(",7"))
        let n = try Support.runLatent([
            "encode", run.path, "--out", "\(out)/codes.npy", "--split", "train", "--threads", "1",
        ])
        #expect(n.status == 0)
        let npy = try Data(contentsOf: URL(fileURLWithPath: "\(out)/codes.npy"))
        #expect(String(decoding: npy.prefix(128), as: UTF8.self).contains("'shape': (60000, 3)"))
        let m =
            try JSONSerialization.jsonObject(
                with: Data(try Support.runLatent(["eval", run.path, "--json", "--threads", "1"]).stdout.utf8))
            as! [String: Any]
        #expect(m["psnr_noisy"] != nil && m["psnr_denoised"] != nil && m["test_mse"] != nil)
    }

    @Test func wrongKindsAndBadFlagsAreNamed() throws {
        let ae = try Self.train(["--model", "ae"])
        let out = Support.temporaryDirectory().path
        let s = try Support.runLatent(["sample", ae.path, "--out", "\(out)/s.png"])
        #expect(
            s.status != 0 && s.stderr.contains("a ae has no prior") && s.stderr.contains("--prior gmm")
                && s.stderr.split(separator: "\n").count == 1,
            "\(s.stderr)")
        let j = try Support.runLatent(["eval", ae.path, "--judge", ae.path])
        #expect(j.status != 0 && j.stderr.contains("cvae"))
        let i = try Support.runLatent(["interpolate", ae.path, "--from", "0", "--to", "99999", "--out", "\(out)/i.png"])
        #expect(i.status != 0 && i.stderr.contains("--to"))
        let p = try Support.runLatent(["reconstruct", ae.path, "--out", "\(out)/r.jpg"])
        #expect(p.status != 0 && p.stderr.contains("--out"))
        let t = try Support.runLatent(["train", "--model", "dae", "--epochs", "1"])
        #expect(t.status != 0 && t.stderr.contains("--noise"))
        let u = try Support.runLatent(["train", "--noise", "blur:1"])
        #expect(u.status != 0 && u.stderr.contains("--noise"))
        let w = try Support.runLatent(["reconstruct", ae.path, "--out", "/nonexistent/dir/r.png"])
        #expect(w.status != 0 && w.stderr.contains("/nonexistent/dir"))
    }

    @Test func pcaReportsTestMSE() throws {
        let r = try Support.runLatent(["pca", "--components", "8", "--json", "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        // 8 components leave roughly a third of MNIST's pixel variance (~52.7 per image) unexplained.
        let mse = try #require(m["test_mse"] as? Double)
        #expect(mse > 20 && mse < 35)
    }

    @Test func plots() throws {
        let run = try Self.train(["--model", "vae"])  // --latent 2: train also writes latent.png and manifold.png
        for name in ["curves.png", "latent.png", "manifold.png"] {
            #expect(Self.isPNG(run.appendingPathComponent(name).path), "\(name)")
        }
        let out = Support.temporaryDirectory().path
        for (args, file) in [
            (["plot", "latent", run.path, "--dims", "2", "--threads", "1"], "l.svg"),
            (["plot", "manifold", run.path, "--grid", "5", "--threads", "1"], "m.pdf"),
            (["plot", "curves", run.path], "c.png"),
        ] {
            let r = try Support.runLatent(args + ["--out", "\(out)/\(file)"])
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        #expect(try String(contentsOfFile: "\(out)/l.svg", encoding: .utf8).contains("<title>VAE latent space"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/m.pdf")).prefix(5) == Data("%PDF-".utf8))
        let wide = try Self.train(["--model", "ae", "--latent", "5"])
        let three = try Support.runLatent([
            "plot", "latent", wide.path, "--dims", "3", "--out", "\(out)/l3.png", "--threads", "1",
        ])
        #expect(three.status == 0 && Self.isPNG("\(out)/l3.png"), "\(three.stderr)")
        let m = try Support.runLatent(["plot", "manifold", wide.path, "--out", "\(out)/x.png"])
        let needs = m.stderr.contains("this needs ") && m.stderr.contains(" iwae or ") && m.stderr.contains(" vae")
        #expect(m.status != 0 && needs, "\(m.stderr)")
        let bad = try Support.runLatent(["plot", "curves", run.path, "--out", "\(out)/c.gif"])
        #expect(bad.status != 0 && bad.stderr.contains("--out"))
    }
}

/// `latent tsne` and `latent pca` on codes files.
@Suite struct EmbeddingCLITests {
    @Test func tsneAndPCAOnACodesFile() throws {
        let dir = Support.temporaryDirectory()
        // Three labelled blobs in 6-d as CSV, the way `latent encode` writes codes.
        let codes = try Support.writeCSV("codes.csv", in: dir, header: "z0,z1,z2,z3,z4,z5,label", rows: 240, seed: 9) {
            i, rng in
            (0..<6).map { j in String((j == 2 * (i % 3) ? 8 : 0) + rng.normal()) } + [String(i % 3)]
        }
        let svg = dir.appendingPathComponent("t.svg").path
        let r = try Support.runLatent(["tsne", codes.path, "--out", svg, "--iterations", "300", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let accuracy = try #require(
            r.stdout.split(separator: "\n").first { $0.hasPrefix("knn10_accuracy") }.flatMap {
                Double($0.split(separator: " ")[1])
            })
        #expect(accuracy > 0.98)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.contains("t-SNE of codes.csv") && text.contains("10-NN accuracy"))
        let npy = dir.appendingPathComponent("t.npy").path
        #expect(try Support.runLatent(["tsne", codes.path, "--out", npy, "--iterations", "50"]).status == 0)
        let back = try ArrayReaders.read(URL(fileURLWithPath: npy))
        #expect(back.rows == 240 && back.columns == 3 && back.column(2) == (0..<240).map { Float($0 % 3) })
        let pcaOut = dir.appendingPathComponent("p.npy").path
        let p = try Support.runLatent(["pca", codes.path, "--components", "2", "--out", pcaOut])
        #expect(p.status == 0 && p.stdout.contains("mse"), "\(p.stderr)")
        #expect(try ArrayReaders.read(URL(fileURLWithPath: pcaOut)).columns == 3)
        // Bad input names the flag or file.
        try Support.expectRefused([
            (["tsne", codes.path, "--out", "x.gif"], "--out"),
            (["tsne", "missing.npy", "--out", npy], "missing.npy"),
            (["tsne", codes.path, "--out", npy, "--method", "magic"], "--method"),
            (["tsne", codes.path, "--out", npy, "--label-column", "99"], "--label-column"),
        ])
    }
}

/// Training on the user's own table: CSV in, codes out in the same row order; bad tables named by line.
@Suite struct OwnDataTests {
    @Test func csvRoundTrip() throws {
        let dir = Support.temporaryDirectory()
        // 300 rows, 12 features on two scales, label in the middle column; the row number is feature 0.
        let file = try Support.writeCSV(
            "table.csv", in: dir, header: "row,a,b,c,d,e,label,f,g,h,i,j,k", rows: 300, seed: 11
        ) { r, rng in
            var cells = [String(r)]
            for j in 0..<12 where j != 5 { cells.append(String(Float(r % 3) * 4 + rng.normal() + (j < 6 ? 100 : 0))) }
            cells.insert(String(r % 3), at: 6)
            return cells
        }
        let run = dir.appendingPathComponent("run").path
        let unscaled = try Support.runLatent([
            "train", "--model", "ae", "--data", file.path, "--label-column", "label", "--out", run,
        ])
        #expect(unscaled.status != 0 && unscaled.stderr.contains("--scale minmax"), "\(unscaled.stderr)")
        let t = try Support.runLatent([
            "train", "--model", "ae", "--data", file.path, "--label-column", "label", "--scale", "minmax",
            "--hidden", "16", "--latent", "3", "--epochs", "2", "--threads", "1", "--out", run,
        ])
        #expect(t.status == 0, "\(t.stderr)")
        let codes = dir.appendingPathComponent("codes.csv").path
        let e = try Support.runLatent([
            "encode", run, "--data", file.path, "--label-column", "label", "--split", "all", "--out", codes,
        ])
        #expect(e.status == 0, "\(e.stderr)")
        let back = try ArrayReaders.read(URL(fileURLWithPath: codes))
        #expect(back.rows == 300 && back.columns == 4)
        #expect(back.column(3) == (0..<300).map { Float($0 % 3) }, "labels come back in the file's row order")
        // Decoded rows come back in the table's units (features a–e sit near 104 and f–k near 4 in the file; the
        // model sees them min-max scaled to [0, 1]).
        let rows = dir.appendingPathComponent("rows.csv").path
        let d = try Support.runLatent(["decode", run, codes, "--out", rows])
        #expect(d.status == 0 && d.stdout.contains("minmax scaling undone"), "\(d.stdout) \(d.stderr)")
        let decoded = try ArrayReaders.read(URL(fileURLWithPath: rows))
        let near100 = decoded.column(1).reduce(0, +) / 300, near0 = decoded.column(6).reduce(0, +) / 300
        #expect(decoded.columns == 12 && abs(near100 - 104) < 5 && abs(near0 - 4) < 5, "\(near100) \(near0)")
        #expect(try String(contentsOfFile: rows, encoding: .utf8).hasPrefix("row,a,b,c,d,e,f,g,"), "named columns")
        // Each row's reconstruction, as a table in the file's units and order (the recorded data, its labels).
        let recon = dir.appendingPathComponent("recon.csv").path
        let rc = try Support.runLatent(["reconstruct", run, "--split", "all", "--out", recon])
        #expect(rc.status == 0 && rc.stdout.contains("300 reconstructed rows"), "\(rc.stdout) \(rc.stderr)")
        let reconstructed = try ArrayReaders.read(URL(fileURLWithPath: recon))
        let mean100 = reconstructed.column(1).reduce(0, +) / 300
        #expect(reconstructed.rows == 300 && reconstructed.columns == 13 && abs(mean100 - 104) < 5, "\(mean100)")
        #expect(reconstructed.column(12) == (0..<300).map { Float($0 % 3) }, "rows in the file's order")
        // No output lands on the data the command reads — given by --data or recorded in the checkpoint.
        let original = try Data(contentsOf: file)
        for verb in [["reconstruct"], ["encode"], ["anomaly"], ["encode", "--data", file.path]] {
            let o = try Support.runLatent([verb[0], run, "--out", file.path] + verb.dropFirst())
            #expect(o.status != 0 && o.stderr.contains("is also an input of this command"), "\(verb) \(o.stderr)")
        }
        #expect(try Data(contentsOf: file) == original, "the data is untouched")
        // A table whose header orders the same columns otherwise (or names others) is refused by name: its values
        // would land in the wrong features.
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",")
        }
        let swapped = dir.appendingPathComponent("swapped.csv")
        try lines.map { ([$0[2], $0[1]] + $0[0...0] + $0[3...]).joined(separator: ",") }.joined(separator: "\n")
            .write(to: swapped, atomically: false, encoding: .utf8)
        let sw = try Support.runLatent(["eval", run, "--data", swapped.path, "--label-column", "label"])
        #expect(
            sw.status != 0
                && sw.stderr.contains("--data: swapped-test has the same columns in another order: b, a, row"),
            "\(sw.stderr)")
        // The saved min-max scaling is applied again: the same rows give the same codes as during training's test
        // split.
        let ev = try Support.runLatent(["eval", run, "--data", file.path, "--label-column", "label", "--json"])
        #expect(ev.status == 0 && ev.stdout.contains("\"images\":30"), "\(ev.stdout) \(ev.stderr)")
        // Malformed tables: the line is named.
        let ragged = dir.appendingPathComponent("ragged.csv")
        try "a,b,c\n1,2,3\n4,5\n".write(to: ragged, atomically: false, encoding: .utf8)
        let r1 = try Support.runLatent(["train", "--model", "ae", "--data", ragged.path, "--out", run + "2"])
        #expect(r1.status != 0 && r1.stderr.contains("ragged.csv: line 3 has 2 cells, expected 3"), "\(r1.stderr)")
        let text = dir.appendingPathComponent("text.csv")
        try "a,b\n1,2\n3,oops\n".write(to: text, atomically: false, encoding: .utf8)
        let r2 = try Support.runLatent(["train", "--model", "ae", "--data", text.path, "--out", run + "2"])
        #expect(
            r2.status != 0 && r2.stderr.contains("text.csv: line 3, column 'b': 'oops' is not a number"), "\(r2.stderr)"
        )
        let r3 = try Support.runLatent([
            "train", "--model", "ae", "--data", file.path, "--label-column", "nope", "--out", run + "2",
        ])
        #expect(r3.status != 0 && r3.stderr.contains("no column 'nope'"), "\(r3.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "2"), "a failed run writes nothing")
    }

    /// A table without labels gets none made up: codes, embeddings and anomaly scores carry no label column,
    /// no neighbour accuracy is printed (all-zero labels would score 1.0), and the NPY codes read back whole.
    @Test func unlabelledDataGetsNoMadeUpLabels() throws {
        let dir = Support.temporaryDirectory()
        let file = try Support.writeCSV("u.csv", in: dir, header: "a,b,c,d", rows: 200, seed: 5) { r, rng in
            var cells: [String] = []
            for _ in 0..<4 { cells.append(String(Float(r % 2) * 3 + rng.normal())) }
            return cells
        }
        let run = dir.appendingPathComponent("run").path
        let t = try Support.runLatent([
            "train", "--model", "ae", "--data", file.path, "--scale", "minmax", "--hidden", "8", "--latent", "2",
            "--epochs", "1", "--threads", "1", "--out", run,
        ])
        #expect(t.status == 0 && t.stdout.contains(" rows/s "), "\(t.stdout) \(t.stderr)")
        let npy = dir.appendingPathComponent("codes.npy").path, csv = dir.appendingPathComponent("codes.csv").path
        for out in [npy, csv] {
            let e = try Support.runLatent(["encode", run, "--split", "all", "--out", out])
            #expect(e.status == 0 && e.stdout.contains("200 rows of 2 code values (no labels)"), "\(e.stdout)")
            let back = try ArrayReaders.read(URL(fileURLWithPath: out))
            #expect(back.rows == 200 && back.columns == 2 && back.header.map { $0 == ["z0", "z1"] } != false)
            let (codes, labelled) = try TableDataset.codes(URL(fileURLWithPath: out), labelColumn: "auto")
            #expect(!labelled && codes.featureCount == 2, "\(out): every column is a code")
        }
        let pca = dir.appendingPathComponent("pca.csv").path
        for input in [[npy], ["--data", file.path]] {
            let p = try Support.runLatent(["pca"] + input + ["--components", "2", "--out", pca])
            #expect(p.status == 0 && !p.stdout.contains("knn10_accuracy"), "\(input) \(p.stdout) \(p.stderr)")
            let pcaText = try String(contentsOfFile: pca, encoding: .utf8)
            #expect(pcaText.hasPrefix("PC0,PC1\n"), "\(pcaText.prefix(40))")
        }
        let scores = dir.appendingPathComponent("scores.csv").path
        let a = try Support.runLatent(["anomaly", run, "--out", scores])
        let scoresText = try String(contentsOfFile: scores, encoding: .utf8)
        #expect(a.status == 0 && scoresText.hasPrefix("index,score\n"), "\(a.stderr)")
        let labelled = try Support.runLatent(["anomaly", run, "--out", scores, "--anomaly-label", "1"])
        #expect(labelled.status != 0 && labelled.stderr.contains("has no labels"), "\(labelled.stderr)")
    }

    /// Data that comes as train.csv and test.csv keeps its split: every row of the first trains, the second is
    /// the test split (its classes numbered by the first's names), recorded so later commands use it too.
    @Test func aTestTableOfItsOwnIsTheTestSplit() throws {
        let dir = Support.temporaryDirectory()
        let species = ["setosa", "versicolor", "virginica"]
        func table(_ name: String, rows: Int, classes: [String], header: String = "a,b,c,species") throws -> URL {
            try Support.writeCSV(name, in: dir, header: header, rows: rows, seed: UInt64(rows)) { r, rng in
                let c = classes[r % classes.count], k = Float(species.firstIndex(of: c) ?? 1)
                var cells: [String] = []
                for _ in 0..<3 { cells.append(String(k * 2 + rng.normal())) }
                return cells + [c]
            }
        }
        let train = try table("train.csv", rows: 60, classes: species)
        let test = try table("test.csv", rows: 7, classes: ["virginica", "setosa"])
        let run = dir.appendingPathComponent("run").path
        let common = ["--label-column", "species", "--scale", "standard", "--likelihood", "gaussian", "--epochs", "1"]
        let t = try Support.runLatent(
            ["train", "--model", "cvae", "--data", train.path, "--test-data", test.path, "--out", run] + common)
        #expect(t.status == 0 && t.stdout.contains("(60 rows)"), "\(t.stdout) \(t.stderr)")
        // Later commands read the recorded test table, also when --data names the training table alone.
        for extra in [[], ["--data", train.path, "--label-column", "species"]] {
            let e = try Support.runLatent(["eval", run, "--json"] + extra)
            #expect(e.status == 0 && e.stdout.contains("\"images\":7"), "\(extra) \(e.stdout) \(e.stderr)")
        }
        let codes = dir.appendingPathComponent("codes.csv").path
        #expect(try Support.runLatent(["encode", run, "--out", codes]).status == 0)
        let labels = try String(contentsOfFile: codes, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").last.map(String.init) ?? "" }
        #expect(labels == (0..<7).map { ["virginica", "setosa"][$0 % 2] }, "numbered by the training table's names")
        let written = try Support.runLatent(["encode", run, "--out", test.path])
        #expect(written.status != 0 && written.stderr.contains("is also an input"), "\(written.stderr)")
        // A test table with another class, or other columns, is refused by name.
        let daisy = try table("daisy.csv", rows: 3, classes: ["daisy"])
        let other = try table("other.csv", rows: 3, classes: species, header: "a,b,x,species")
        for (file, message) in [(daisy, "has classes train.csv lacks: daisy"), (other, "names its columns a, b, x")] {
            let r = try Support.runLatent(
                ["train", "--data", train.path, "--test-data", file.path, "--out", run + "2"] + common)
            #expect(r.status != 0 && r.stderr.contains("--test-data: \(file.path) \(message)"), "\(r.stderr)")
        }
    }

    /// A label column of names (iris' species) is numbered in sorted order, recorded in the checkpoint, and other
    /// data given to the model is numbered the same way by name: a file holding only some of the classes keeps
    /// their numbers, a file with a class the model never saw is refused by name.
    @Test func namedClassesKeepTheirNumbersAcrossFiles() throws {
        let dir = Support.temporaryDirectory()
        let species = ["setosa", "versicolor", "virginica"]
        let file = try Support.writeCSV("iris.csv", in: dir, header: "a,b,c,species", rows: 120, seed: 3) { r, rng in
            (0..<3).map { _ in String(Float(r % 3) + 0.3 * rng.normal()) } + [species[r % 3]]
        }
        let run = dir.appendingPathComponent("run").path
        let t = try Support.runLatent([
            "train", "--model", "cvae", "--data", file.path, "--label-column", "species", "--scale", "minmax",
            "--hidden", "8", "--latent", "2", "--epochs", "1", "--threads", "1", "--out", run,
        ])
        #expect(t.status == 0 && t.stderr.contains("0 setosa, 1 versicolor, 2 virginica"), "\(t.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        let later = dir.appendingPathComponent("later.csv")
        try (text.filter { !$0.hasSuffix("setosa") }.joined(separator: "\n") + "\n")
            .write(to: later, atomically: false, encoding: .utf8)
        // Codes as numbers keep the model's class numbers; as CSV, the classes' names.
        for name in ["codes.npy", "codes.csv"] {
            let codes = dir.appendingPathComponent(name).path
            let e = try Support.runLatent([
                "encode", run, "--data", later.path, "--label-column", "species", "--split", "all", "--out", codes,
            ])
            #expect(e.status == 0, "\(e.stderr)")
            let table = try ArrayReaders.read(URL(fileURLWithPath: codes))
            let kept = (0..<120).filter { $0 % 3 != 0 }
            let expected: [Float] = kept.map { Float($0 % 3) - (name.hasSuffix("csv") ? 1 : 0) }
            #expect(table.column(2) == expected, "versicolor stays 1: \(table.column(2))")
            #expect(name.hasSuffix("npy") || table.textColumns[2] == ["versicolor", "virginica"])
        }
        let unknown = dir.appendingPathComponent("unknown.csv")
        try (text.joined(separator: "\n").replacingOccurrences(of: "virginica", with: "arctica") + "\n")
            .write(to: unknown, atomically: false, encoding: .utf8)
        let u = try Support.runLatent(["eval", run, "--data", unknown.path, "--label-column", "species"])
        #expect(u.status != 0 && u.stderr.contains("not trained on: arctica"), "\(u.stderr)")
        // Classes by name in the commands that take one; sampled rows as a table with the class's name.
        let rows = dir.appendingPathComponent("samples.csv")
        let s = try Support.runLatent(["sample", run, "--label", "versicolor", "--count", "4", "--out", rows.path])
        let sampled = try String(contentsOf: rows, encoding: .utf8).split(separator: "\n")
        #expect(s.status == 0 && sampled.count == 5 && sampled[0] == "a,b,c,label", "\(s.stderr)")
        #expect(sampled.dropFirst().allSatisfy { $0.hasSuffix(",versicolor") }, "\(sampled)")
        let back = try ArrayReaders.read(rows)
        #expect(back.column(0).allSatisfy { $0 > -1 && $0 < 3.5 }, "in the table's units: \(back.column(0))")
        let wrong = try Support.runLatent(["sample", run, "--label", "tulip", "--out", rows.path])
        #expect(wrong.stderr.contains("--label: expected a class 0…2 or its name: setosa, versicolor, virginica"))
        let picture = try Support.runLatent(["denoise", run, "--noise", "mask:0.5", "--out", rows.path])
        #expect(picture.status != 0 && picture.stderr.contains("--out: expected a .png"), "\(picture.stderr)")
        let r = try Support.runLatent(["reconstruct", run, "--out", rows.path])
        let reconstructed = try String(contentsOf: rows, encoding: .utf8).split(separator: "\n")
        #expect(r.status == 0 && reconstructed.count == 13 && reconstructed[0] == "a,b,c,label", "\(r.stderr)")
        #expect(reconstructed[1].hasSuffix(",setosa"), "classes by name: \(reconstructed[1])")
        // Anomaly detection by name: train without setosa, score it as the anomaly.
        let normal = dir.appendingPathComponent("normal").path
        let n = try Support.runLatent([
            "train", "--model", "ae", "--data", file.path, "--label-column", "species", "--scale", "minmax",
            "--exclude-label", "setosa", "--hidden", "8", "--latent", "2", "--epochs", "1", "--out", normal,
        ])
        #expect(n.status == 0 && n.stdout.contains("iris-train without setosa (72 rows)"), "\(n.stdout)")
        let again = try Support.runLatent(["train", "--resume", normal, "--exclude-label", "virginica"])
        #expect(again.stderr.contains("--exclude-label virginica: the run's is setosa"), "\(again.stderr)")
        let scores = dir.appendingPathComponent("scores.csv").path
        let a = try Support.runLatent(["anomaly", normal, "--anomaly-label", "setosa", "--out", scores, "--json"])
        #expect(a.status == 0 && a.stdout.contains("\"anomaly_label\":0"), "\(a.stdout) \(a.stderr)")
        let scored = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n")
        #expect(scored.count == 13 && scored[1].hasPrefix("0,setosa,"), "labels by name: \(scored.prefix(2))")
        let bad = try Support.runLatent(["anomaly", normal, "--anomaly-label", "rose", "--out", scores])
        #expect(bad.stderr.contains("--anomaly-label: expected a class number 0…255 or a class name: setosa"))
        let other = try Support.runLatent([
            "train", "--data", file.path, "--scale", "minmax", "--out", dir.appendingPathComponent("r2").path,
        ])
        #expect(other.status != 0 && other.stderr.contains("--label-column species"), "\(other.stderr)")
    }
}
