// What runs without mpirun: reading mpirun's environment, and what the errors say.
import VisionMPI
import Testing

@Suite struct MPIEnvironmentTests {
    @Test func launchedByMPIReadsOpenMPIAndPMIxVariables() {
        #expect(!MPIEnvironment.launchedByMPI([:]))
        #expect(!MPIEnvironment.launchedByMPI(["OMPI_COMM_WORLD_RANK_X": "1", "PATH": "/usr/bin"]))
        #expect(MPIEnvironment.launchedByMPI(["OMPI_COMM_WORLD_SIZE": "4"]))
        #expect(MPIEnvironment.launchedByMPI(["PMIX_RANK": "0"]))
    }

    @Test func worldSizeAndRankAsMpirunSetThem() {
        let env = ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_LOCAL_RANK": "1", "PMIX_RANK": "2"]
        #expect(MPIEnvironment.worldSize(env) == 4)
        #expect(MPIEnvironment.worldRank(env) == 3)
        #expect(MPIEnvironment.localRank(env) == 1)
        // PMIX_RANK stands in for the rank when Open MPI's variable is absent.
        #expect(MPIEnvironment.worldRank(["PMIX_RANK": "2"]) == 2)
        #expect(MPIEnvironment.worldSize(["PMIX_RANK": "2"]) == nil)
    }

    @Test func invalidValuesAreNil() {
        #expect(MPIEnvironment.worldSize(["OMPI_COMM_WORLD_SIZE": "0"]) == nil)
        #expect(MPIEnvironment.worldSize(["OMPI_COMM_WORLD_SIZE": "two"]) == nil)
        #expect(MPIEnvironment.worldRank(["OMPI_COMM_WORLD_RANK": "-1"]) == nil)
        #expect(MPIEnvironment.worldRank([:]) == nil)
    }

    @Test func libraryOverrideIgnoresEmpty() {
        #expect(MPIEnvironment.libraryOverride(["VISION_MPI_LIBRARY": "/opt/ompi/lib/libmpi.so"]) == "/opt/ompi/lib/libmpi.so")
        #expect(MPIEnvironment.libraryOverride(["VISION_MPI_LIBRARY": ""]) == nil)
        #expect(MPIEnvironment.libraryOverride([:]) == nil)
    }

    @Test func errorDescriptionsSayWhatToDo() {
        let missing = DistributedError.libraryNotFound("cannot load Open MPI from libmpi.so.40: not found").description
        #expect(missing.hasPrefix("cannot load Open MPI from libmpi.so.40: not found"))
        #expect(missing.contains("apt-get install openmpi-bin") && missing.contains("Open MPI 4.x") && missing.contains("not MPICH"))
        #expect(missing.contains("VISION_MPI_LIBRARY"))
        let timedOut = DistributedError.timedOut(rank: 3, operation: "MPI_Iallreduce(sum, float)", seconds: 300).description
        #expect(timedOut == "rank 3: MPI_Iallreduce(sum, float) did not complete within 300 s; another rank probably died "
                + "or stopped calling collectives, or the network between them dropped")
        #expect(DistributedError.timedOut(rank: 0, operation: "MPI_Ibarrier", seconds: 0.25).description.contains("within 0.25 s"))
        #expect(DistributedError.notLaunchedByMPI.description.contains("mpirun -np N"))
        #expect(DistributedError.mpiError(operation: "MPI_Ibcast", code: 8, message: "MPI_ERR_ROOT: invalid root").description
                == "MPI_Ibcast failed with MPI error 8: MPI_ERR_ROOT: invalid root")
        #expect(DistributedError.finalized(operation: "MPI_Ibarrier").description.contains("after MPI_Finalize"))
    }
}
