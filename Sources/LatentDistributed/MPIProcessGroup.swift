import CMPI
import Foundation
import LatentTensor

/// The processes of an `mpirun` job as a `ProcessGroup`: Open MPI's world communicator, in-place allreduces of the
/// flat gradient buffer. Started once per process (`start`), finished at exit; MPI's default error handler
/// stops the whole job when any process fails, and mpirun names it.
public final class MPIProcessGroup: ProcessGroup {
    /// This process's rank.
    public let rank: Int
    /// The number of processes.
    public let size: Int
    /// Time spent in the float allreduces (the gradients and losses of the steps), and their number and bytes.
    public private(set) var reduceSeconds = 0.0, reduceCalls = 0, reducedBytes = 0

    private init(rank: Int, size: Int) {
        (self.rank, self.size) = (rank, size)
    }

    /// Whether this process was started by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE), or by another MPI
    /// launcher that sets PMI_SIZE (Slurm's srun).
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMI_SIZE"] != nil
    }

    /// Loads Open MPI (libmpi.so.40), initialises it (once per process) and returns the world group.
    public static func start() throws -> MPIProcessGroup {
        var reason = [CChar](repeating: 0, count: 512)
        guard latent_mpi_load(&reason, Int32(reason.count)) == 0 else {
            let loader = String(decoding: reason.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
            throw LatentError(
                .training,
                "training over processes (mpirun, srun, --distributed mpi) needs Open MPI's library "
                    + "(Debian/Ubuntu: apt-get install openmpi-bin); it could not be loaded: \(loader)")
        }
        if latent_mpi_initialized() == 0 {
            let status = latent_mpi_init()
            guard status == 0 else {
                throw LatentError(.training, field: "distributed", "MPI_Init_thread failed (error \(status))")
            }
            atexit { if latent_mpi_finalized() == 0 { _ = latent_mpi_finalize() } }
        }
        return MPIProcessGroup(rank: Int(latent_mpi_rank()), size: Int(latent_mpi_size()))
    }

    /// Stops every process of the job (after this one failed), with `code` as the exit status.
    public func abort(code: Int32) -> Never {
        latent_mpi_abort(code)
        exit(code)
    }

    /// MPI_Allreduce(MPI_IN_PLACE, …, MPI_FLOAT, MPI_SUM) in pieces of at most 2^31 − 1 values.
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            reduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            (reduceCalls, reducedBytes) = (reduceCalls + 1, reducedBytes + 4 * count)
        }
        for start in stride(from: 0, to: count, by: Int(Int32.max)) {
            _ = latent_mpi_sum_floats(values + start, Int32(min(count - start, Int(Int32.max))))
        }
    }

    /// MPI_Allreduce(MPI_IN_PLACE, …, MPI_DOUBLE, MPI_SUM) in pieces of at most 2^31 − 1 values.
    public func sum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        for start in stride(from: 0, to: count, by: Int(Int32.max)) {
            _ = latent_mpi_sum_doubles(values + start, Int32(min(count - start, Int(Int32.max))))
        }
    }

    /// MPI_Bcast of the bytes from `root`, in pieces of at most 2^31 − 1 bytes.
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) {
        guard let base = bytes.baseAddress else { return }
        for start in stride(from: 0, to: bytes.count, by: Int(Int32.max)) {
            _ = latent_mpi_broadcast(base + start, Int32(min(bytes.count - start, Int(Int32.max))), Int32(root))
        }
    }

    /// MPI_MIN and MPI_MAX allreduces of `value`.
    public func range(_ value: Double) -> (min: Double, max: Double) {
        var low = value, high = value
        _ = latent_mpi_min_max(value, &low, &high)
        return (low, high)
    }
}
