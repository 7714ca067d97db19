// Open MPI's communicator (the MPI module, libmpi loaded at run time) as the trainer's ProcessGroup.
import VisionMPI

extension MPICommunicator: ProcessGroup {
    public func beginAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction {
        try startAllReduceSum(buffer)
    }

    public func abort(message: String) -> Never { abort(code: 1, message: message) }
}

extension PendingAllReduce: PendingReduction {}
