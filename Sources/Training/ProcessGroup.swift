// What data-parallel training needs of the processes it runs on: ranks, a sum all-reduce
// (blocking, and nonblocking to overlap with backward), broadcast from one rank, and a way to end
// the whole run. `MPICommunicator` (the Distributed module, Open MPI loaded at run time) provides
// it; the Trainer sees only this protocol.
import Tensors

/// The processes of a data-parallel run and the collectives the trainer uses. Every process calls
/// the collectives in the same order; a collective that cannot complete (a process died, the
/// network dropped) throws within a bounded time rather than waiting forever.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's rank in 0..<size; rank 0 writes the checkpoint, metrics and progress.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces every element by its sum over all processes.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces every value by its sum over all processes.
    func allReduceSum(_ values: inout [Double]) throws
    /// Starts summing `buffer` over all processes in place; the buffer must stay valid and
    /// untouched until the reduction completes.
    func beginAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction
    /// Copies rank `root`'s elements into every process's `buffer` (same count everywhere).
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws
    /// Copies rank `root`'s bytes to every process (the others' `bytes` are replaced, any count).
    func broadcast(_ bytes: inout [UInt8], root: Int) throws
    /// Ends every process of the run after printing `message` (naming this rank) to standard error.
    func abort(message: String) -> Never
}

/// A nonblocking reduction in flight.
public protocol PendingReduction: AnyObject {
    /// Lets the reduction progress; true once it has completed.
    func poll() throws -> Bool
    /// Waits until it completes (bounded by the group's timeout).
    func wait() throws
}

/// Sums batch-norm statistics across the group (`--sync-bn`); a failed collective ends the run,
/// since no layer can continue without the statistics.
final class GroupStatisticsSum: CrossProcessSum, @unchecked Sendable {
    let group: any ProcessGroup
    init(_ group: any ProcessGroup) { self.group = group }

    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {
        var copy = Array(values)
        do { try group.allReduceSum(&copy) } catch {
            group.abort(message: "synchronising batch-norm statistics: \(error)")
        }
        _ = values.update(fromContentsOf: copy)
    }
}
