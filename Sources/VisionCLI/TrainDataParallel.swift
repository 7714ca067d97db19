// `vision train` under mpirun: joining the other processes, the checkpoint rank 0 reads for all,
// and the line that says what the run shares.
import Foundation
import SwiftVision

enum DataParallel {
    /// MPI_COMM_WORLD of a process mpirun started, with collectives bounded by `timeout` seconds.
    static func join(timeout: Double) throws -> MPICommunicator {
        do {
            let group = try MPICommunicator.initialize()
            group.timeout = .milliseconds(Int64((timeout * 1000).rounded()))
            return group
        } catch {
            throw CLIError("data-parallel training under mpirun: \(error)")
        }
    }

    /// The checkpoint at `path`, read by rank 0 and sent to every rank (the others may run on
    /// machines without the file); alone, read directly.
    static func loadCheckpoint(_ path: String, group: MPICommunicator?) throws -> TrainingCheckpoint {
        guard let group, group.size > 1 else { return try TrainingCheckpoint.load(path) }
        var bytes: [UInt8] = []
        if group.rank == 0 {
            do throws(FileError) { bytes = try readWholeFile(path) } catch { throw CLIError("--resume: \(error)") }
        }
        try group.broadcast(&bytes, root: 0)
        return try TrainingCheckpoint.load(bytes: bytes, path: path)
    }

    /// "data-parallel: 2 processes (rank 0 on HOST), batch 16 per process = global batch 32; ...".
    static func summary(_ group: MPICommunicator, batchSize: Int, syncBatchNorm: Bool) -> String {
        "data-parallel: \(group.size) process\(group.size == 1 ? "" : "es") (rank 0 on \(group.processorName)), batch \(batchSize) "
            + "per process = global batch \(group.size * batchSize); BatchNorm statistics "
            + (syncBatchNorm ? "synchronised (--sync-bn)" : "per process") + "; rank 0 writes the checkpoint and metrics"
    }
}
