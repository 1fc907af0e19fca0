import Foundation
import Latent
import Testing

/// The IAF VAE (`iaf`): its flow's log-determinant against the determinant of its Jacobian by finite differences
/// (which also holds it autoregressive), and the kind through the CLI (its loss against Pythae's `VAE_IAF` is
/// `Scripts/family/check_pythae.py`'s, masks compared; its IS-NLL against PyTorch's, `check_is_nll.py`'s).
@Suite struct IAFVAETests {
    @Test func logDeterminantIsTheJacobiansAndTheFlowIsAutoregressive() throws {
        var c = ModelConfig(kind: .iaf)
        (c.hidden, c.latent, c.madeBlocks, c.madeLayers, c.madeWidth) = ([8], 3, 2, 2, 6)
        try c.validate()
        var rng = RandomGenerator(seed: 4)
        let model = IAFAutoencoder(c, rng: &rng)
        let d = 3, z = Support.random([3, d], seed: 9)
        let logDet = try #require(model.flow(Variable(z)).logDeterminant).value
        let h: Float = 1e-3
        for r in 0..<3 {
            var jac = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for j in 0..<d {
                let plus = z.copy(), minus = z.copy()
                plus[r, j] += h
                minus[r, j] -= h
                let fp = model.flow(Variable(plus)).z.value, fm = model.flow(Variable(minus)).z.value
                for i in 0..<d { jac[i][j] = Double(fp[r, i] - fm[r, i]) / Double(2 * h) }
            }
            let det =
                jac[0][0] * (jac[1][1] * jac[2][2] - jac[1][2] * jac[2][1])
                - jac[0][1] * (jac[1][0] * jac[2][2] - jac[1][2] * jac[2][0])
                + jac[0][2] * (jac[1][0] * jac[2][1] - jac[1][1] * jac[2][0])
            let got = Double(logDet.data[r])
            #expect(abs(got - log(abs(det))) < 2e-2, "row \(r): \(got) vs \(log(abs(det)))")
        }
        // One step alone is triangular: after the reversal y_j = z_(d−1−j), output j depends on y_0 … y_j only,
        // so z_0 (the last of y) moves output d − 1 alone.
        var one = c
        one.madeBlocks = 1
        let single = IAFAutoencoder(one, rng: &rng)
        let base = single.flow(Variable(z)).z.value
        let moved = z.copy()
        moved[0, 0] += 0.5
        let after = single.flow(Variable(moved)).z.value
        for i in 0..<(d - 1) { #expect(after[0, i] == base[0, i], "output \(i) depends on a later coordinate") }
        #expect(after[0, d - 1] != base[0, d - 1])
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "iaf", "--made-blocks", "2", "--made-layers", "1", "--made-width", "16", "--hidden",
            "32", "--latent", "3", "--epochs", "1", "--limit", "1000", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "iaf" && metrics["test_kl"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["eval", run, "--iwae-k", "20", "--images", "30"],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectTrainingRefused([
            (["--model", "iaf", "--made-blocks", "0"], "--made-blocks"),
            (["--model", "iaf", "--made-blocks", "17"], "--made-blocks"),
            (["--model", "iaf", "--made-layers", "9"], "--made-layers"),
            (["--model", "iaf", "--made-width", "1"], "--made-width"),
            (["--model", "iaf", "--latent", "1"], "--latent"),
            (["--model", "vae", "--made-width", "8"], "--made-width"),
        ])
    }
}
