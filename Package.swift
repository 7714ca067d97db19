// swift-tools-version: 6.0
// SwiftVision: a TorchVision-style computer-vision toolkit for Linux CPUs.
// Layering (each arrow is an allowed import), see Docs/DESIGN.md:
//   VisionCLI -> SwiftVision -> Models -> NN -> Tensors -> CBLAS
//                               Models -> Checkpoints -> Tensors
//                               Training -> Datasets, Models
//                               Datasets -> Transforms -> ImageIO -> CImageCodecs
//                               Datasets -> Checkpoints (CIFAR pickle batches), CZlib (gzip IDX)
//                               Datasets, Transforms -> Tensors
//   VisionCLI -> VisionBenchmarks -> (libraries) Tensors, CBLAS, NN, Models, Checkpoints, Datasets, Transforms, ImageIO
//                (the `vision bench` harnesses; no library imports VisionBenchmarks)
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
        // System libraries (Debian: libopenblas-dev, zlib1g-dev). No unsafe flags anywhere in libraries.
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // C shim over libjpeg + libpng: libjpeg's error exit needs setjmp, which Swift cannot call.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]),

        // Programming-error traps whose message survives release builds; every module below traps through it.
        .target(name: "Traps"),
        .target(name: "Tensors", dependencies: ["CBLAS", "Traps"]),
        .target(name: "NN", dependencies: ["Tensors", "Traps"]),
        .target(name: "Checkpoints", dependencies: ["Tensors", "CZlib"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints", "Tensors", "Traps"]),
        .target(name: "ImageIO", dependencies: ["CImageCodecs", "Traps"]),
        .target(name: "Transforms", dependencies: ["ImageIO", "Tensors", "Traps"]),
        .target(name: "Datasets", dependencies: ["Transforms", "ImageIO", "Tensors", "Checkpoints", "CZlib", "Traps"]),
        .target(name: "Training", dependencies: ["Datasets", "Models", "NN", "Checkpoints", "Transforms", "ImageIO", "Tensors", "Traps"]),
        .target(name: "ModelLoading", dependencies: ["Training", "Models", "Checkpoints", "NN", "Transforms", "ImageIO", "Tensors"]),
        .target(name: "SwiftVision", dependencies: ["Tensors", "NN", "Models", "Checkpoints", "ImageIO", "Transforms", "Datasets", "Training", "ModelLoading"]),
        // The `vision bench` harnesses; only VisionCLI imports it (not part of the SwiftVision umbrella).
        .target(name: "VisionBenchmarks",
                dependencies: ["Tensors", "CBLAS", "NN", "Models", "Checkpoints", "Datasets", "Transforms", "ImageIO"]),
        .executableTarget(
            name: "VisionCLI",
            dependencies: ["SwiftVision", "VisionBenchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Tests: one target per module (Tests/<Module>Tests) with its own Fixtures; TestSupport holds
        // what several of them use (closeness, fixture readers, the direct conv2d, a loopback server).
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["SwiftVision", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TransformsTests", dependencies: ["Transforms", "ImageIO", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Transforms", "ImageIO", "Tensors", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["SwiftVision"], resources: [.copy("Fixtures")]),
        // The `vision` executable end to end (spawns the binary built next to the test executable).
        .testTarget(name: "CLITests", dependencies: ["SwiftVision", "TestSupport"]),
    ]
)
