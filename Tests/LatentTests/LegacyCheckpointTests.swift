import Foundation
import Testing

/// Checkpoints written before the one-model-one-file redesign (issue 36), by the release build of 890736e
/// (`Scripts/design/make_legacy_checkpoints.sh`), still load and evaluate to the figures that build reported.
/// The debug build's arithmetic may differ from the release build's in the last bits: figures agree to 1e-6.
struct LegacyCheckpointTests {
    static let folder = Support.fixtures.appendingPathComponent("legacy")

    static var expected: [String: [String: Any]] {
        let data = (try? Data(contentsOf: folder.appendingPathComponent("expected.json"))) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]] ?? [:]
    }

    @Test(arguments: expected.keys.sorted())
    func aCheckpointFromBeforeTheRedesignEvaluatesAlike(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let file = name.hasSuffix("_iwae") ? String(name.dropLast(5)) : name
        var arguments = ["eval", Self.folder.appendingPathComponent(file + ".safetensors").path, "--json"]
        if name.hasSuffix("_iwae") { arguments += ["--iwae-k", "4", "--images", "50", "--seed", "3"] }
        let r = try Support.runLatent(arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(Set(got.keys) == Set(want.keys), "\(name): keys \(got.keys.sorted()) vs \(want.keys.sorted())")
        for (key, value) in want where key != "seconds" {
            if let text = value as? String {
                #expect(got[key] as? String == text, "\(name).\(key)")
            } else if let number = (value as? NSNumber)?.doubleValue {
                let measured = try #require((got[key] as? NSNumber)?.doubleValue, "\(name).\(key) missing")
                let error = abs(measured - number) / max(abs(number), 1e-3)
                #expect(error < 1e-6, "\(name).\(key): \(measured), before the redesign \(number)")
            }
        }
    }

    @Test func everyKindAndBodyHasALegacyCheckpoint() {
        let names = Set(Self.expected.keys)
        for kind in ["ae", "sae", "dae", "vae", "iwae", "cvae", "classifier", "conv_vae", "deepconv_vae"] {
            #expect(names.contains(kind), "no legacy checkpoint for \(kind)")
        }
    }
}
