// What can go wrong talking to Open MPI, as values with messages a user can act on.

/// An error from the MPI runtime layer: Open MPI missing or not usable, the process not started by
/// mpirun, a failed MPI call, or a collective that did not finish within the communicator's timeout.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// libmpi could not be opened; the payload is the loader's message (it names the file tried).
    case libraryNotFound(String)
    /// A library opened but is not Open MPI 4.x (MPICH, another MPI, or not an MPI at all); the
    /// payload names the file and the symbol it lacks.
    case unsupportedLibrary(String)
    /// The process was not started by mpirun (`OMPI_COMM_WORLD_SIZE` and `PMIX_RANK` are unset).
    case notLaunchedByMPI
    /// An MPI call returned an error: the call, MPI's error code and `MPI_Error_string`'s text.
    case mpiError(operation: String, code: Int32, message: String)
    /// A collective did not complete within the communicator's timeout.
    case timedOut(rank: Int, operation: String, seconds: Double)
    /// A call after `MPICommunicator.finalize()` (MPI allows none).
    case finalized(operation: String)

    public var description: String {
        switch self {
        case .libraryNotFound(let message):
            return "\(message). Open MPI is needed only to run distributed: install it with "
                + "`apt-get install openmpi-bin` (Debian/Ubuntu; it brings libmpi.so.40), or set "
                + "VISION_MPI_LIBRARY to the path of libmpi.so. Only Open MPI 4.x is supported, not MPICH."
        case .unsupportedLibrary(let message):
            return "\(message). Install Open MPI 4.x (`apt-get install openmpi-bin`), or set VISION_MPI_LIBRARY "
                + "to its libmpi.so.40."
        case .notLaunchedByMPI:
            return "this process was not started by mpirun (OMPI_COMM_WORLD_SIZE is not set): run it as "
                + "`mpirun -np N vision ...`"
        case .mpiError(let operation, let code, let message):
            return "\(operation) failed with MPI error \(code): \(message)"
        case .timedOut(let rank, let operation, let seconds):
            return "rank \(rank): \(operation) did not complete within \(formatSeconds(seconds)) s; another rank "
                + "probably died or stopped calling collectives, or the network between them dropped"
        case .finalized(let operation):
            return "\(operation) after MPI_Finalize: MPI cannot be used again in this process"
        }
    }
}

/// "300" for whole seconds, "0.25" otherwise.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int64(seconds)) : String(seconds)
}
