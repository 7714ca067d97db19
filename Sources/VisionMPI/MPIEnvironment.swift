// What mpirun tells a process through its environment, readable before (and without) MPI_Init.
import Foundation

/// The environment mpirun (Open MPI's launcher) sets for each process it starts.
///
/// Open MPI's launcher sets `OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_RANK` and
/// `OMPI_COMM_WORLD_LOCAL_RANK` in every process; PMIx launchers (Open MPI 4's own, or
/// `srun --mpi=pmix`) also set `PMIX_RANK`. Reading them needs no MPI library, so a program can
/// decide whether it runs distributed, and which rank it is, before loading Open MPI.
public enum MPIEnvironment {
    /// The variable that overrides which file `MPICommunicator.initialize` loads as libmpi (a path
    /// or a name for dlopen); unset or empty: libmpi.so.40, then libmpi.so.
    public static let libraryVariable = "VISION_MPI_LIBRARY"

    /// True when an MPI launcher started this process: `OMPI_COMM_WORLD_SIZE` (mpirun) or
    /// `PMIX_RANK` (a PMIx launcher) is set.
    public static func launchedByMPI(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// The number of processes mpirun started (`OMPI_COMM_WORLD_SIZE`), nil when unset or not a
    /// positive integer.
    public static func worldSize(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        positive(env["OMPI_COMM_WORLD_SIZE"], minimum: 1)
    }

    /// This process's rank (`OMPI_COMM_WORLD_RANK`, else `PMIX_RANK`), nil when unset or invalid.
    public static func worldRank(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        positive(env["OMPI_COMM_WORLD_RANK"], minimum: 0) ?? positive(env["PMIX_RANK"], minimum: 0)
    }

    /// This process's rank among those on its host (`OMPI_COMM_WORLD_LOCAL_RANK`), nil when unset.
    public static func localRank(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        positive(env["OMPI_COMM_WORLD_LOCAL_RANK"], minimum: 0)
    }

    /// The library `VISION_MPI_LIBRARY` names, nil when unset or empty (the defaults apply).
    public static func libraryOverride(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let path = env[libraryVariable], !path.isEmpty else { return nil }
        return path
    }

    private static func positive(_ text: String?, minimum: Int) -> Int? {
        guard let text, let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= minimum else { return nil }
        return value
    }
}
