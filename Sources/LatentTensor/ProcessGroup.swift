/// The processes one training is split over (`mpirun -np N latent train …`): how many, which one this is, and
/// the sums the training step needs across them. It is the training step's gradient-reduction seam: threads
/// reduce in memory (`DataParallel`, the planned fork), processes through a `ProcessGroup`
/// (`LatentDistributed.MPIProcessGroup` is the Open MPI one), so nothing else in the library knows about MPI.
public protocol ProcessGroup: AnyObject {
    /// This process's place, 0..<size; process 0 alone writes files.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Sums `count` floats at `values` over every process, in place (every process gets the sum).
    func sum(_ values: UnsafeMutablePointer<Float>, count: Int)
    /// Sums `count` doubles at `values` over every process, in place.
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int)
    /// Copies the bytes of process `root`'s buffer into every process's (the buffers have the same size).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int)
    /// The smallest and largest of `value` over the processes.
    func range(_ value: Double) -> (min: Double, max: Double)
}
