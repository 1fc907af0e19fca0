import Foundation
import Latent
import Testing

@Suite struct TensorTests {
    @Test func shapeBroadcasting() {
        #expect(Shape.broadcast([4, 3], [3]) == [4, 3])
        #expect(Shape.broadcast([4, 1], [1, 5]) == [4, 5])
        #expect(Shape.broadcast([2, 1, 3], [4, 1]) == [2, 4, 3])
        #expect(Shape.broadcast([4, 3], [4]) == nil)
        #expect(Shape([2, 3, 4]).count == 24)
        #expect(Shape.scalar.count == 1)
    }

    @Test func broadcastingBinaryOps() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect((a + Tensor([10, 20, 30], shape: [3])).array == [11, 22, 33, 14, 25, 36])
        #expect((a * Tensor([2, 3], shape: [2, 1])).array == [2, 4, 6, 12, 15, 18])
        #expect((a - Tensor(scalar: 1)).array == [0, 1, 2, 3, 4, 5])
        #expect(
            (Tensor([1, 2], shape: [2, 1]) + Tensor([10, 20, 30], shape: [1, 3])).array == [11, 21, 31, 12, 22, 32])
        #expect((a / Tensor([1, 2, 4], shape: [1, 3])).array == [1, 1, 0.75, 4, 2.5, 1.5])
    }

    @Test func reductions() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(a.sum() == 21)
        #expect(a.mean() == 3.5)
        #expect(a.sumRows().array == [5, 7, 9])
        #expect(a.sum(toShape: [2, 1]).array == [6, 15])
        #expect(a.sum(toShape: [1, 3]).array == [5, 7, 9])
        #expect(a.sum(toShape: [1]).array == [21])
        #expect(Tensor([3, 1, 2, 0, 5, 4], shape: [2, 3]).argmaxRows() == [0, 1])
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(transposeA: Bool, transposeB: Bool) {
        let m = 5, n = 7, k = 3
        let a = Support.random(transposeA ? [k, m] : [m, k], seed: 1)
        let b = Support.random(transposeB ? [n, k] : [k, n], seed: 2)
        let c = Tensor.matmul(a, transposeA: transposeA, b, transposeB: transposeB)
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += (transposeA ? a[p, i] : a[i, p]) * (transposeB ? b[j, p] : b[p, j]) }
                #expect(abs(c[i, j] - s) < 1e-5)
            }
        }
        // beta = 1 accumulates.
        let acc = c.copy()
        Tensor.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: acc, beta: 1)
        #expect(Support.relativeError(acc, c.scaled(by: 2)) < 1e-6)
    }

    @Test func vectorMathMatchesLibm() {
        let x = Support.random([1000], seed: 3, low: -30, high: 30)
        let e = x.map(.exp), t = x.map(.tanh), s = x.map(.sigmoid), sp = x.map(.softplus)
        for i in 0..<x.count {
            let v = Double(x[i])
            #expect(abs(Double(e[i]) - Foundation.exp(v)) <= 2e-6 * Foundation.exp(v))
            #expect(abs(Double(t[i]) - Foundation.tanh(v)) < 1e-6)
            #expect(abs(Double(s[i]) - 1 / (1 + Foundation.exp(-v))) < 1e-6)
            #expect(abs(Double(sp[i]) - Foundation.log1p(Foundation.exp(v))) < 2e-6 * max(1, abs(v)))
        }
        let p = Support.random([100], seed: 4, low: 1e-6, high: 10)
        let l = p.map(.log)
        for i in 0..<p.count { #expect(abs(Double(l[i]) - Foundation.log(Double(p[i]))) < 1e-6) }
    }

    @Test func viewsShareStorage() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        let r = a.rows(1..<3)
        #expect(r.shape == [2, 2] && r.array == [3, 4, 5, 6])
        r[0] = 30
        #expect(a[2] == 30)
        #expect(a.reshaped([6]).array == [1, 2, 30, 4, 5, 6])
    }
}

@Suite struct RandomTests {
    @Test func sameSeedSameStream() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 42, stream: 1)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
        var d = RandomGenerator(state: a.state)
        #expect(d.next() == a.next())
    }

    @Test func distributionsHaveTheRightMoments() {
        var rng = RandomGenerator(seed: 7)
        let n = 200_000
        let u = Tensor(uninitialized: [n]), z = Tensor(uninitialized: [n])
        rng.fillUniform(u, low: 0, high: 1)
        rng.fillNormal(z)
        #expect(abs(u.mean() - 0.5) < 0.005)
        #expect(abs(z.mean()) < 0.01)
        #expect(abs(z.map(.square).mean() - 1) < 0.01)
        let p = Tensor(repeating: 0.3, shape: [n]), b = Tensor(uninitialized: [n])
        rng.fillBernoulli(b, probabilities: p)
        #expect(abs(b.mean() - 0.3) < 0.005)
        #expect(Set(b.array) == [0, 1])
        let perm = rng.permutation(1000)
        #expect(perm.sorted() == Array(0..<1000) && perm != Array(0..<1000))
    }
}

@Suite struct BLASKernelTests {
    @Test func kernelsForACPUOpenBLASDoesNotKnowFollowItsVectors() {
        // Debian 12's OpenBLAS runs an Intel Xeon it does not know (family 6 model 207) on its SSE3 kernels.
        #expect(BLASKernels.replacement(for: "Prescott", cpuLevel: 4) == "SkylakeX")
        #expect(BLASKernels.replacement(for: "Prescott", cpuLevel: 3) == "SkylakeX")
        #expect(BLASKernels.replacement(for: "Sandybridge", cpuLevel: 2) == "Haswell")
        #expect(BLASKernels.replacement(for: "Nehalem", cpuLevel: 0) == nil)
        // OpenBLAS's choice stays where its vectors are the CPU's widest, and for names not known here.
        #expect(BLASKernels.replacement(for: "Zen", cpuLevel: 2) == nil)
        #expect(BLASKernels.replacement(for: "SkylakeX", cpuLevel: 4) == nil)
        #expect(BLASKernels.replacement(for: "Cooperlake", cpuLevel: 3) == nil)
        #expect(BLASKernels.replacement(for: "NewCore", cpuLevel: 4) == nil)
    }

    @Test(.enabled(if: getenv("OPENBLAS_CORETYPE") == nil, "unless the user chose the kernels"))
    func theProductsRunOnKernelsAsWideAsTheCPUsVectors() {
        let kernels = BLASKernels.current
        let level = BLASKernels.cpuVectorLevel
        #expect(BLASKernels.replacement(for: kernels.name, cpuLevel: level) == nil, "\(kernels) on CPU level \(level)")
        let c = Tensor.matmul(Tensor([1, 2, 3, 4], shape: [2, 2]), Tensor([1, 0, 0, 1], shape: [2, 2]))
        #expect(c.array == [1, 2, 3, 4])
    }
}
