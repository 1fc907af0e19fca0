/// An optimiser that can update any slice of the parameters on its own, so a training step can update each layer
/// as soon as its gradient is final, while the gradient is still in cache, instead of streaming every parameter,
/// gradient and moment through memory once more after the backward pass (`PlannedTeam`).
public protocol SlicedUpdate: AnyObject {
    /// Whether this step may be taken in slices (not, say, when the whole gradient's norm must be known first).
    var updatesInSlices: Bool { get }
    /// Prepares the next step; changes no parameter.
    func beginStep()
    /// Updates the parameters at `range` (indices into the flat buffers) from their gradient. Disjoint slices may
    /// be updated at the same time from different threads.
    func update(_ range: Range<Int>)
    /// Counts the step, once every slice is updated.
    func endStep()
}
