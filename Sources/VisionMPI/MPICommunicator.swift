// MPI_COMM_WORLD as a Swift object: initialisation, identity, abort and finalize. The collectives
// are in MPICommunicator+Collectives.swift, the bounded wait in PendingAllReduce.swift.
//
// Design. One communicator per process (MPI can be initialised once): `initialize()` loads libmpi,
// calls MPI_Init_thread asking for FUNNELED (only the initialising thread calls MPI, which is all
// the training loop needs and what every MPI build provides cheaply), sets MPI_ERRORS_RETURN on
// COMM_WORLD so failures come back as codes, and caches the instance. Every collective is
// nonblocking underneath and waited on with a deadline (`timeout`), so a dead peer gives a
// `DistributedError.timedOut` on the survivors instead of a process that hangs forever.
import CMPI
import Foundation
import Synchronization
import Traps

/// MPI_COMM_WORLD of a process started by mpirun: its rank, size and collectives.
///
/// Thread rule: MPI runs at thread level FUNNELED, so every call on the communicator (and on a
/// `PendingAllReduce` it returned) must come from the thread that called `initialize()`; a call
/// from another thread traps. Only `timeout` may be read and set from any thread.
public final class MPICommunicator: @unchecked Sendable {
    /// This process's rank in MPI_COMM_WORLD (0..<size).
    public let rank: Int
    /// The number of processes in MPI_COMM_WORLD.
    public let size: Int
    /// MPI_Get_processor_name: the host this rank runs on.
    public let processorName: String
    /// The file libmpi was loaded from (as passed to dlopen).
    public let libraryName: String

    /// How long a collective may take before it throws `DistributedError.timedOut`.
    public static let defaultTimeout: Duration = .seconds(300)

    /// How long any collective may wait for the other ranks before throwing
    /// `DistributedError.timedOut` (default 300 s). Readable and settable from any thread.
    public var timeout: Duration {
        get { timeoutStorage.withLock { $0 } }
        set { timeoutStorage.withLock { $0 = newValue } }
    }

    private let timeoutStorage = Mutex<Duration>(MPICommunicator.defaultTimeout)
    private let owner: pthread_t
    private var isFinalized = false
    private static let shared = Mutex<MPICommunicator?>(nil)

    private init(rank: Int, size: Int, processorName: String, libraryName: String) {
        self.rank = rank
        self.size = size
        self.processorName = processorName
        self.libraryName = libraryName
        self.owner = pthread_self()
    }

    /// Loads Open MPI and initialises MPI (MPI_Init_thread, FUNNELED) on the calling thread, which
    /// becomes the only thread allowed to call MPI. A second call returns the same communicator.
    ///
    /// Throws `.notLaunchedByMPI` when mpirun did not start the process (nothing is loaded then),
    /// `.libraryNotFound` / `.unsupportedLibrary` when libmpi is missing or not Open MPI 4.x
    /// (`VISION_MPI_LIBRARY` in `environment` overrides the library), `.mpiError` when MPI fails
    /// to start or cannot run FUNNELED.
    public static func initialize(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(DistributedError) -> MPICommunicator {
        try shared.withLock { (cached: inout MPICommunicator?) throws(DistributedError) -> MPICommunicator in
            if let cached { return cached }
            guard MPIEnvironment.launchedByMPI(environment) else { throw .notLaunchedByMPI }
            let library = try MPILibrary.load(environment: environment)
            var flag: Int32 = 0
            try check(vmpi_finalized(&flag), "MPI_Finalized")
            if flag != 0 { throw .finalized(operation: "MPI_Init_thread") }
            try check(vmpi_initialized(&flag), "MPI_Initialized")
            if flag == 0 {
                var provided: Int32 = -1
                try check(vmpi_init_thread(Int32(VMPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
                guard provided >= Int32(VMPI_THREAD_FUNNELED) else {
                    throw .mpiError(operation: "MPI_Init_thread", code: 0,
                                    message: "this Open MPI provides thread level \(provided), below MPI_THREAD_FUNNELED (1)")
                }
            }
            try check(vmpi_errors_return(), "MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)")
            var rank: Int32 = 0, size: Int32 = 0
            try check(vmpi_rank(&rank), "MPI_Comm_rank")
            try check(vmpi_size(&size), "MPI_Comm_size")
            var name = [CChar](repeating: 0, count: 1024)
            try check(name.withUnsafeMutableBufferPointer { vmpi_get_processor_name($0.baseAddress, $0.count) },
                      "MPI_Get_processor_name")
            let processor = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let communicator = MPICommunicator(rank: Int(rank), size: Int(size), processorName: processor, libraryName: library)
            cached = communicator
            return communicator
        }
    }

    /// Prints "vision: rank R of N: `message`" to standard error, then ends every rank of the job
    /// (MPI_Abort on MPI_COMM_WORLD with `code`). Exits with `code` if MPI cannot abort (or was
    /// finalized). Call it on the MPI thread, like every other call.
    public func abort(code: Int32, message: String) -> Never {
        FileHandle.standardError.write(Data("vision: rank \(rank) of \(size): \(message)\n".utf8))
        if !isFinalized { _ = vmpi_abort(code) }
        exit(code)
    }

    /// MPI_Finalize, once (later calls do nothing). Every rank must call it, after its last
    /// collective; afterwards every call on the communicator throws `.finalized`.
    public func finalize() throws(DistributedError) {
        checkThread("finalize")
        guard !isFinalized else { return }
        isFinalized = true
        try check(vmpi_finalize(), "MPI_Finalize")
    }

    /// Traps unless the caller is the thread that initialised MPI (FUNNELED), throws after finalize.
    func enter(_ operation: String) throws(DistributedError) {
        checkThread(operation)
        if isFinalized { throw .finalized(operation: operation) }
    }

    private func checkThread(_ operation: String) {
        trapUnless(pthread_equal(pthread_self(), owner) != 0,
                   "MPICommunicator.\(operation) called from a thread other than the one that initialised MPI "
                   + "(MPI runs FUNNELED: make every MPI call from that thread)")
    }
}
