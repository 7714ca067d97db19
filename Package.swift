// swift-tools-version: 6.0
// SwiftVision: a TorchVision-style computer-vision toolkit for Linux CPUs.
//
// Layering, bottom to top (each module imports only modules on lower lines; see Docs/DESIGN.md):
//   C and system:  CBLAS (OpenBLAS)   CZlib   CImageCodecs (libjpeg + libpng shim)
//                  CKernels (our GEMM/conv micro-kernels: AVX-512F, AVX2+FMA, portable; runtime dispatch)
//                  CMPI (Open MPI through dlopen at run time: builds and runs without Open MPI installed)
//   plumbing:      Traps (programming-error traps)   Files -> CZlib (atomic writes, reads, maps, inflate)
//   parsers:       Pickle -> Files (allowlist unpickler)
//   engine:        Tensors -> CKernels, CBLAS  NN -> Tensors
//   distributed:   VisionMPI -> CMPI, Traps (MPI_COMM_WORLD: rank, size, bounded all-reduce/broadcast/barrier)
//   files:         Checkpoints -> Tensors, Pickle, Files   ImageIO -> CImageCodecs, Files
//   vision:        Transforms -> ImageIO, Tensors          Models -> NN, Checkpoints
//                  Datasets -> Transforms, Pickle, Files   Training -> Datasets, Models, VisionMPI
//                  ModelLoading -> Training, Models (zoo name / .pth / .safetensors -> model + classes + preset)
//   umbrella:      SwiftVision re-exports every library above
//   tools:         VisionBenchmarks -> the libraries, VisionMPI (only VisionCLI imports it)
//                  VisionCLI (`vision`) -> SwiftVision, VisionBenchmarks, ArgumentParser
//                  VisionFuzz (Fuzz/) -> ImageIO, Checkpoints, Datasets, Pickle: the fuzz harnesses
// A library that traps (a programming error) does so through Traps. No unsafeFlags in any library.
import PackageDescription

let package = Package(
    name: "SwiftVision",
    products: [
        .library(name: "SwiftVision", targets: ["SwiftVision"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .executable(name: "vision", targets: ["VisionCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C and system libraries (Debian: libopenblas-dev, zlib1g-dev, libjpeg-dev, libpng-dev).
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // C shim over libjpeg + libpng: libjpeg's error exit needs setjmp, which Swift cannot call.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]),
        // Our GEMM and conv micro-kernels; each ISA's code carries its own target attributes (no -m flags).
        .target(name: "CKernels"),
        // Open MPI, dlopened only when mpirun started the process: no mpi.h, no libmpi at build time.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),

        // Plumbing.
        .target(name: "Traps"),
        .target(name: "Files", dependencies: ["CZlib", "Traps"]),
        .target(name: "Pickle", dependencies: ["Files"]),

        // The engine.
        .target(name: "Tensors", dependencies: ["CKernels", "CBLAS", "Traps"]),
        .target(name: "NN", dependencies: ["Tensors", "Traps"]),

        // Data-parallel runtime: MPI_COMM_WORLD over CMPI.
        .target(name: "VisionMPI", dependencies: ["CMPI", "Traps"]),

        // Files and images.
        .target(name: "Checkpoints", dependencies: ["Tensors", "Pickle", "Files"]),
        .target(name: "ImageIO", dependencies: ["CImageCodecs", "Files", "Traps"]),

        // Vision.
        .target(name: "Transforms", dependencies: ["ImageIO", "Tensors", "Traps"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints", "Tensors", "Files", "Traps"]),
        .target(name: "Datasets", dependencies: ["Transforms", "ImageIO", "Tensors", "Pickle", "Files", "Traps"]),
        .target(name: "Training",
                dependencies: ["Datasets", "Models", "NN", "Checkpoints", "Transforms", "ImageIO", "Tensors", "Files", "Traps",
                               "VisionMPI"]),
        .target(name: "ModelLoading", dependencies: ["Training", "Models", "Checkpoints", "NN", "Transforms", "ImageIO", "Tensors"]),
        .target(name: "SwiftVision",
                dependencies: ["Tensors", "NN", "Models", "Pickle", "Files", "Checkpoints", "ImageIO", "Transforms", "Datasets",
                               "Training", "ModelLoading", "VisionMPI"]),

        // Tools: the `vision bench` harnesses (not part of the umbrella) and the `vision` executable.
        .target(name: "VisionBenchmarks",
                dependencies: ["Tensors", "CKernels", "CBLAS", "NN", "Models", "Checkpoints", "Datasets", "Transforms", "ImageIO", "Training",
                               "VisionMPI"]),
        .executableTarget(
            name: "VisionCLI",
            dependencies: ["SwiftVision", "VisionBenchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // libFuzzer harnesses over the parsers of untrusted files (Fuzz/README.md): a plain build replays
        // files through them; Scripts/fuzz builds them with -sanitize=fuzzer,address -DFUZZING.
        .executableTarget(name: "VisionFuzz", dependencies: ["ImageIO", "Checkpoints", "Datasets", "Pickle", "Tensors"],
                          path: "Fuzz/Sources/VisionFuzz"),

        // Tests: one target per module (Tests/<Module>Tests) with its own Fixtures; TestSupport holds
        // what several of them use (closeness, fixture readers, the direct conv2d, a loopback server).
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CKernels", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Pickle", "Files", "Tensors", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TransformsTests", dependencies: ["Transforms", "ImageIO", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Transforms", "ImageIO", "Tensors", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["SwiftVision", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["SwiftVision"], resources: [.copy("Fixtures")]),
        // Without mpirun: environment detection, error texts, a missing or foreign libmpi (CLITests runs mpirun).
        .testTarget(name: "VisionMPITests", dependencies: ["VisionMPI", "TestSupport"]),
        // The `vision` executable end to end (spawns the binary built next to the test executable).
        .testTarget(name: "CLITests", dependencies: ["SwiftVision", "TestSupport"]),
    ]
)
