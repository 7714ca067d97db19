// Loading libmpi when it is missing or is not Open MPI, through VISION_MPI_LIBRARY. No test here
// loads the real libmpi (that would make later loads succeed whatever they name: loading is
// idempotent); CLITests runs the real thing under mpirun.
import VisionMPI
import Testing

@Suite struct MPILibraryTests {
    @Test func missingLibraryNamesTheFileTried() {
        let bogus = "/nonexistent/libmpi-bogus.so.40"
        #expect(throws: DistributedError.self) { try MPILibrary.load(environment: ["VISION_MPI_LIBRARY": bogus]) }
        do {
            try MPILibrary.load(environment: ["VISION_MPI_LIBRARY": bogus])
        } catch {
            guard case .libraryNotFound(let message) = error else {
                Issue.record("expected libraryNotFound, got \(error)")
                return
            }
            #expect(message.contains(bogus), "\(message)")
            #expect(error.description.contains("apt-get install openmpi-bin"))
        }
        #expect(!MPILibrary.isLoaded)
    }

    @Test func aLibraryThatIsNotOpenMPIIsRefusedByName() {
        // zlib is linked by every SwiftVision binary, so this library exists wherever the tests run.
        do {
            try MPILibrary.load(environment: ["VISION_MPI_LIBRARY": "libz.so.1"])
            Issue.record("libz.so.1 loaded as Open MPI")
        } catch {
            guard case .unsupportedLibrary(let message) = error else {
                Issue.record("expected unsupportedLibrary, got \(error)")
                return
            }
            #expect(message.contains("libz.so.1") && message.contains("MPI_Init_thread"), "\(message)")
            #expect(message.contains("not Open MPI 4.x"), "\(message)")
        }
        #expect(!MPILibrary.isLoaded)
    }

    @Test func initializeOutsideMpirunLoadsNothing() {
        do {
            _ = try MPICommunicator.initialize(environment: ["VISION_MPI_LIBRARY": "/nonexistent/libmpi.so"])
            Issue.record("initialized without mpirun")
        } catch {
            #expect(error == .notLaunchedByMPI)
        }
        #expect(!MPILibrary.isLoaded)
    }

    @Test func initializeUnderMpirunWithoutTheLibrary() {
        let env = ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0", "VISION_MPI_LIBRARY": "/nonexistent/libmpi.so.40"]
        do {
            _ = try MPICommunicator.initialize(environment: env)
            Issue.record("initialized without a library")
        } catch {
            guard case .libraryNotFound(let message) = error else {
                Issue.record("expected libraryNotFound, got \(error)")
                return
            }
            #expect(message.contains("/nonexistent/libmpi.so.40"), "\(message)")
        }
    }
}
