import CBLAS
import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// One convolution at a fixed batch size on oneDNN's direct kernels (Intel's deep learning library, Debian's
/// libdnnl; PyTorch's CPU convolutions run on it too): forward, backward data and backward weights.
///
/// Why: im2col + GEMM copies every patch twice (im2col, then the GEMM's packing) and multiplies the padding's
/// zeros; oneDNN's JIT kernels read NHWC images in place and skip the padding (the 28×28 conv VAE's 32→64
/// convolution, single thread, AMD EPYC: forward 2.6 → 1.8 ms, backward 5.4 → 3.9 ms for 64 images). A transposed
/// convolution is this convolution's adjoint with the same weights (PyTorch's [in, out, k, k] is the [out, in, k, k]
/// of the convolution from the transposed one's output back to its input), so it runs on the same three kernels
/// with their roles swapped. Images are NHWC; weights and their gradients stay in PyTorch's [out, in, k, k] and
/// are reordered to and from the kernels' blocked layouts by oneDNN. Everything of Latent's is made by `init`;
/// inside each call oneDNN's C API allocates a small argument map (no way around it). nil from `init`: oneDNN has
/// no kernel for it (the caller stays on im2col).
package final class DNNLConvolution {
    /// Whether the planned step uses oneDNN: where its AVX-512 kernels run (measured faster than im2col + OpenBLAS
    /// for the 28x28 and 64x64x3 conv VAEs; on AVX2 alone the deep one was 8% slower), unless the environment says
    /// `LATENT_ONEDNN=0` (never) or `1` (always). Partial batches always take im2col.
    package static let isEnabled: Bool = {
        if let v = getenv("LATENT_ONEDNN") { return String(cString: v) != "0" }
        let avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & avx512 == avx512
    }()

    /// The batch size the kernels were made for.
    package let batch: Int
    /// Whether `backwardData` is available (not for images of under 8 channels, where oneDNN 2.6's kernel runs
    /// at a tenth of its speed: im2col does better).
    package let hasBackwardData: Bool
    private let forwardPrimitive: OpaquePointer, backwardDataPrimitive: OpaquePointer?
    private let backwardWeightsPrimitive: OpaquePointer
    /// Reorders: PyTorch-layout weights → the forward kernel's and the backward-data kernel's layouts, and the
    /// weight gradient → PyTorch layout (nil where the layouts agree).
    private let toForward: Reorder?, toBackwardData: Reorder?, fromWeightGradient: Reorder?
    /// Memories bound to the caller's buffers on every call.
    private let source: Memory, destination: Memory, bias: Memory?, userWeights: Memory
    private let sourceGrad: Memory, destinationGrad: Memory, biasGrad: Memory?, userWeightsGrad: Memory
    /// Weights in the kernels' layouts (the user's memory when the layouts agree) and the weight gradient's.
    private let forwardWeights: Memory, backwardDataWeights: Memory, weightsGrad: Memory
    private let scratchpad: Memory
    private let stream: OpaquePointer
    /// The execute arguments, made once.
    private let forwardArgs: Arguments, backwardDataArgs: Arguments?, backwardWeightsArgs: Arguments

    /// The convolution with weights [outChannels, inChannels, k, k] from `inChannels` × `inHeight` × `inWidth`
    /// images to `outChannels` × `outHeight` × `outWidth`, for batches of exactly `batch` images, padded by
    /// `padding` before and `paddingAfter` after each axis; with a bias or not.
    package init?(
        batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int, outHeight: Int, outWidth: Int,
        kernel: Int, stride: Int, padding: Int, paddingAfter: Int, bias hasBias: Bool
    ) {
        guard let engine = DNNLConvolution.engine, batch > 0 else { return nil }
        Self.useThreads()  // the kernels are shaped for the thread count at hand
        self.batch = batch
        hasBackwardData = inChannels >= 8
        guard
            let pds = Descriptors(
                batch: batch, inChannels: inChannels, inHeight: inHeight, inWidth: inWidth, outChannels: outChannels,
                outHeight: outHeight, outWidth: outWidth, kernel: kernel, stride: stride, padding: padding,
                paddingAfter: paddingAfter, bias: hasBias, backwardData: hasBackwardData, engine: engine)
        else { return nil }
        let (fwd, bwdData, bwdWeights) = (pds.forward, pds.backwardData, pds.backwardWeights)
        let (src, dst, user, biasMD) = (pds.source, pds.destination, pds.userWeights, pds.bias)
        let md = Descriptors.query
        guard let fwdWeights = md(fwd, dnnl_query_weights_md, 0),
            let gradWeights = md(bwdWeights, dnnl_query_diff_weights_md, 0)
        else { return nil }
        var scratchBytes = 1
        for pd in [fwd, bwdData, bwdWeights] {
            if let pd, let s = md(pd, dnnl_query_scratchpad_md, 0) { scratchBytes = max(scratchBytes, Self.size(s)) }
        }
        do {
            source = try Memory(src, engine)
            destination = try Memory(dst, engine)
            bias = hasBias ? try Memory(biasMD, engine) : nil
            userWeights = try Memory(user, engine)
            sourceGrad = try Memory(src, engine)
            destinationGrad = try Memory(dst, engine)
            biasGrad = hasBias ? try Memory(biasMD, engine) : nil
            userWeightsGrad = try Memory(user, engine)
            var bytes = dnnl_memory_desc_t()
            guard dnnl_memory_desc_init_by_tag(&bytes, 1, [Int64(scratchBytes)], dnnl_u8, dnnl_a) == dnnl_success
            else { return nil }
            scratchpad = try Memory(bytes, engine, allocate: true)
            (forwardWeights, toForward) = try Self.layout(fwdWeights, from: userWeights, user, engine)
            if let bwdData, let dataWeights = md(bwdData, dnnl_query_weights_md, 0) {
                (backwardDataWeights, toBackwardData) = try Self.layout(dataWeights, from: userWeights, user, engine)
            } else {
                (backwardDataWeights, toBackwardData) = (forwardWeights, nil)
            }
            if Self.same(gradWeights, user) {
                (weightsGrad, fromWeightGradient) = (userWeightsGrad, nil)
            } else {
                weightsGrad = try Memory(gradWeights, engine, allocate: true)
                fromWeightGradient = try Reorder(from: weightsGrad, to: userWeightsGrad, engine)
            }
            forwardPrimitive = try Self.primitive(fwd)
            backwardDataPrimitive = try bwdData.map { try Self.primitive($0) }
            backwardWeightsPrimitive = try Self.primitive(bwdWeights)
            var s: OpaquePointer?
            guard dnnl_stream_create(&s, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success, let s
            else { return nil }
            stream = s
        } catch {
            return nil
        }
        forwardArgs = Arguments(
            [
                (latent_dnnl_arg_src, source), (latent_dnnl_arg_weights, forwardWeights),
                (latent_dnnl_arg_dst, destination), (latent_dnnl_arg_scratchpad, scratchpad),
            ] + (bias.map { [(latent_dnnl_arg_bias, $0)] } ?? []))
        backwardDataArgs =
            bwdData == nil
            ? nil
            : Arguments([
                (latent_dnnl_arg_diff_dst, destinationGrad), (latent_dnnl_arg_weights, backwardDataWeights),
                (latent_dnnl_arg_diff_src, sourceGrad), (latent_dnnl_arg_scratchpad, scratchpad),
            ])
        backwardWeightsArgs = Arguments(
            [
                (latent_dnnl_arg_src, source), (latent_dnnl_arg_diff_dst, destinationGrad),
                (latent_dnnl_arg_diff_weights, weightsGrad), (latent_dnnl_arg_scratchpad, scratchpad),
            ] + (biasGrad.map { [(latent_dnnl_arg_diff_bias, $0)] } ?? []))
    }

    /// y = conv(x) (+ bias) for `batch` NHWC images at `x`, weights [out, in, k, k].
    package func forward(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>
    ) {
        precondition((b == nil) == (bias == nil), "DNNLConvolution: bias given to a convolution made without")
        Self.useThreads()
        userWeights.bind(weight)
        toForward?.run(stream)
        source.bind(x)
        if let b { bias?.bind(b) }
        destination.bind(y)
        forwardArgs.run(forwardPrimitive, stream)
    }

    /// dx = d loss / d x from dy = d loss / d y (the transpose of `forward`, without the bias); needs
    /// `hasBackwardData`.
    package func backwardData(
        _ dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>
    ) {
        guard let primitive = backwardDataPrimitive, let args = backwardDataArgs else {
            preconditionFailure("DNNLConvolution made without backward data")
        }
        Self.useThreads()
        userWeights.bind(weight)
        toBackwardData?.run(stream)
        destinationGrad.bind(dy)
        sourceGrad.bind(dx)
        args.run(primitive, stream)
    }

    /// The weight gradient ([out, in, k, k]) and, with a bias, the bias gradient, overwritten, from the input `x`
    /// and dy = d loss / d y.
    package func backwardWeights(
        _ x: UnsafePointer<Float>, outputGrad dy: UnsafePointer<Float>, weightGrad dw: UnsafeMutablePointer<Float>,
        biasGrad db: UnsafeMutablePointer<Float>?
    ) {
        precondition((db == nil) == (biasGrad == nil), "DNNLConvolution: bias gradient asked of one made without")
        Self.useThreads()
        source.bind(x)
        destinationGrad.bind(dy)
        userWeightsGrad.bind(dw)
        if let db { biasGrad?.bind(db) }
        backwardWeightsArgs.run(backwardWeightsPrimitive, stream)
        fromWeightGradient?.run(stream)
    }

    deinit {
        for p in [forwardPrimitive, backwardWeightsPrimitive] + (backwardDataPrimitive.map { [$0] } ?? []) {
            dnnl_primitive_destroy(p)
        }
        dnnl_stream_destroy(stream)
    }

    /// The three kernels' descriptors for one geometry, checked to read and write the caller's layouts (NHWC
    /// images, a plain bias); destroyed with it.
    private final class Descriptors {
        let forward: OpaquePointer, backwardData: OpaquePointer?, backwardWeights: OpaquePointer
        let source: dnnl_memory_desc_t, destination: dnnl_memory_desc_t, userWeights: dnnl_memory_desc_t
        let bias: dnnl_memory_desc_t

        static func query(_ pd: OpaquePointer, _ what: dnnl_query_t, _ index: Int32) -> dnnl_memory_desc_t? {
            dnnl_primitive_desc_query_md(pd, what, index)?.pointee
        }

        init?(
            batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int, outHeight: Int,
            outWidth: Int, kernel: Int, stride: Int, padding: Int, paddingAfter: Int, bias hasBias: Bool,
            backwardData withData: Bool, engine: OpaquePointer
        ) {
            let n = Int64(batch), k = Int64(kernel), weightDims = [Int64(outChannels), Int64(inChannels), k, k]
            var src = dnnl_memory_desc_t(), dst = dnnl_memory_desc_t(), user = dnnl_memory_desc_t()
            var biasMD = dnnl_memory_desc_t(), anyWeights = dnnl_memory_desc_t()
            guard
                dnnl_memory_desc_init_by_tag(
                    &src, 4, [n, Int64(inChannels), Int64(inHeight), Int64(inWidth)], dnnl_f32, dnnl_nhwc)
                    == dnnl_success,
                dnnl_memory_desc_init_by_tag(
                    &dst, 4, [n, Int64(outChannels), Int64(outHeight), Int64(outWidth)], dnnl_f32, dnnl_nhwc)
                    == dnnl_success,
                dnnl_memory_desc_init_by_tag(&anyWeights, 4, weightDims, dnnl_f32, dnnl_format_tag_any)
                    == dnnl_success,
                dnnl_memory_desc_init_by_tag(&user, 4, weightDims, dnnl_f32, dnnl_oihw) == dnnl_success,
                dnnl_memory_desc_init_by_tag(&biasMD, 1, [Int64(outChannels)], dnnl_f32, dnnl_a) == dnnl_success
            else { return nil }
            let strides = [Int64(stride), Int64(stride)], left = [Int64(padding), Int64(padding)]
            let right = [Int64(paddingAfter), Int64(paddingAfter)], alg = dnnl_convolution_direct
            var attr: OpaquePointer?
            guard dnnl_primitive_attr_create(&attr) == dnnl_success, let attr else { return nil }
            defer { dnnl_primitive_attr_destroy(attr) }
            guard dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success else {
                return nil
            }
            var fwd: OpaquePointer?, data: OpaquePointer?, weights: OpaquePointer?
            var d = dnnl_convolution_desc_t(), b = dnnl_convolution_desc_t(), w = dnnl_convolution_desc_t()
            var biasCopy = biasMD
            let made = withUnsafePointer(to: &biasCopy) { biasPointer in
                let biasDesc = hasBias ? biasPointer : nil
                return dnnl_convolution_forward_desc_init(
                    &d, dnnl_forward_training, alg, &src, &anyWeights, biasDesc, &dst, strides, left, right)
                    == dnnl_success && dnnl_primitive_desc_create(&fwd, &d, attr, engine, nil) == dnnl_success
                    && dnnl_convolution_backward_weights_desc_init(
                        &w, alg, &src, &anyWeights, biasDesc, &dst, strides, left, right) == dnnl_success
                    && dnnl_primitive_desc_create(&weights, &w, attr, engine, fwd) == dnnl_success
                    && (!withData
                        || dnnl_convolution_backward_data_desc_init(
                            &b, alg, &src, &anyWeights, &dst, strides, left, right) == dnnl_success
                            && dnnl_primitive_desc_create(&data, &b, attr, engine, fwd) == dnnl_success)
            }
            guard made, let fwd, let weights else {
                for pd in [fwd, data, weights] { if let pd { dnnl_primitive_desc_destroy(pd) } }
                return nil
            }
            (forward, backwardData, backwardWeights) = (fwd, data, weights)
            (source, destination, userWeights, bias) = (src, dst, user, biasMD)
            let q = Self.query, same = DNNLConvolution.same
            guard same(q(fwd, dnnl_query_src_md, 0), src), same(q(fwd, dnnl_query_dst_md, 0), dst),
                same(q(weights, dnnl_query_diff_dst_md, 0), dst), same(q(weights, dnnl_query_src_md, 0), src),
                !hasBias || same(q(fwd, dnnl_query_weights_md, 1), biasMD),
                !hasBias || same(q(weights, dnnl_query_diff_weights_md, 1), biasMD),
                data == nil || same(q(data!, dnnl_query_diff_src_md, 0), src),
                data == nil || same(q(data!, dnnl_query_diff_dst_md, 0), dst)
            else { return nil }
        }

        deinit {
            for pd in [forward, backwardData, backwardWeights] { if let pd { dnnl_primitive_desc_destroy(pd) } }
        }
    }

    // MARK: oneDNN plumbing

    /// The CPU engine, made once; nil if oneDNN cannot make one.
    private nonisolated(unsafe) static let engine: OpaquePointer? = {
        var e: OpaquePointer?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    fileprivate static func same(_ a: dnnl_memory_desc_t?, _ b: dnnl_memory_desc_t) -> Bool {
        guard var a else { return false }
        var b = b
        return dnnl_memory_desc_equal(&a, &b) == 1
    }

    /// A memory in layout `want` fed from the user's weights by a reorder, or the user's memory if it is that.
    private static func layout(
        _ want: dnnl_memory_desc_t, from user: Memory, _ userDesc: dnnl_memory_desc_t, _ engine: OpaquePointer
    ) throws -> (Memory, Reorder?) {
        if same(want, userDesc) { return (user, nil) }
        let m = try Memory(want, engine, allocate: true)
        return (m, try Reorder(from: user, to: m, engine))
    }

    private static func size(_ d: dnnl_memory_desc_t) -> Int {
        var d = d
        return dnnl_memory_desc_get_size(&d)
    }

    private static func primitive(_ pd: OpaquePointer) throws -> OpaquePointer {
        var p: OpaquePointer?
        guard dnnl_primitive_create(&p, pd) == dnnl_success, let p else { throw Failure() }
        return p
    }

    /// oneDNN runs its kernels on OpenMP threads: as many as OpenBLAS may use from this thread (one on a
    /// data-parallel worker). OpenMP's thread count is per calling thread, so each worker sets its own once.
    private static func useThreads() {
        let want = Int32(max(1, openblas_get_num_threads()))
        if OpenMP.maxThreads() != want { OpenMP.setThreads(want) }
    }

    private struct Failure: Error {}

    /// A oneDNN memory object: its own buffer, or none until `bind` points it at the caller's.
    private final class Memory {
        let handle: OpaquePointer

        init(_ desc: dnnl_memory_desc_t, _ engine: OpaquePointer, allocate: Bool = false) throws {
            var d = desc, m: OpaquePointer?
            let buffer = allocate ? UnsafeMutableRawPointer(bitPattern: -1) : nil  // DNNL_MEMORY_ALLOCATE
            guard dnnl_memory_create(&m, &d, engine, buffer) == dnnl_success, let m else { throw Failure() }
            handle = m
        }

        deinit { dnnl_memory_destroy(handle) }

        func bind(_ p: UnsafePointer<Float>) {
            dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: p))
        }
    }

    /// A reorder primitive between two memories, with its arguments.
    private final class Reorder {
        let primitive: OpaquePointer
        let args: Arguments

        init(from: Memory, to: Memory, _ engine: OpaquePointer) throws {
            var pd: OpaquePointer?
            var src: UnsafePointer<dnnl_memory_desc_t>?, dst: UnsafePointer<dnnl_memory_desc_t>?
            guard dnnl_memory_get_memory_desc(from.handle, &src) == dnnl_success,
                dnnl_memory_get_memory_desc(to.handle, &dst) == dnnl_success,
                dnnl_reorder_primitive_desc_create(&pd, src, engine, dst, engine, nil) == dnnl_success, let pd
            else { throw Failure() }
            defer { dnnl_primitive_desc_destroy(pd) }
            primitive = try DNNLConvolution.primitive(pd)
            args = Arguments([(latent_dnnl_arg_from, from), (latent_dnnl_arg_to, to)])
        }

        deinit { dnnl_primitive_destroy(primitive) }

        func run(_ stream: OpaquePointer) { args.run(primitive, stream) }
    }

    /// Execute arguments in a buffer made once (an array literal at each call would allocate).
    private final class Arguments {
        let pointer: UnsafeMutablePointer<dnnl_exec_arg_t>
        let count: Int
        /// The memories, kept alive as long as the arguments.
        let memories: [Memory]

        init(_ pairs: [(Int32, Memory)]) {
            count = pairs.count
            pointer = .allocate(capacity: count)
            for (i, (arg, m)) in pairs.enumerated() { pointer[i] = dnnl_exec_arg_t(arg: arg, memory: m.handle) }
            memories = pairs.map(\.1)
        }

        deinit { pointer.deallocate() }

        func run(_ primitive: OpaquePointer, _ stream: OpaquePointer) {
            let status = dnnl_primitive_execute(primitive, stream, Int32(count), pointer)
            precondition(status == dnnl_success, "oneDNN failed to run a primitive (status \(status.rawValue))")
        }
    }
}

/// OpenMP's per-thread thread count, found at run time in the libgomp that oneDNN loads (its header is not on the
/// compiler's path).
private enum OpenMP {
    typealias Get = @convention(c) () -> Int32
    typealias Set = @convention(c) (Int32) -> Void
    static let get: Get? = dlsym(nil, "omp_get_max_threads").map { unsafeBitCast($0, to: Get.self) }
    static let set: Set? = dlsym(nil, "omp_set_num_threads").map { unsafeBitCast($0, to: Set.self) }

    static func maxThreads() -> Int32 { get?() ?? 1 }
    static func setThreads(_ n: Int32) { set?(n) }
}
