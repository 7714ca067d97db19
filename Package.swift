// swift-tools-version: 6.0
// SwiftVision: a TorchVision-style computer-vision toolkit for Linux CPUs.
// Layering (each arrow is an allowed import), see Docs/DESIGN.md:
//   VisionCLI -> SwiftVision -> Models -> NN -> Tensors -> CBLAS
//                               Models -> Checkpoints -> Tensors
//                               Training -> Datasets, Models
//                               Datasets -> Transforms -> ImageIO -> CImageCodecs
//                               Datasets -> Pickle (CIFAR pickle batches)
//                               Datasets, Transforms -> Tensors
//                               Checkpoints -> Pickle -> Files -> CZlib
//                               ImageIO, Datasets, Checkpoints, Models (zoo downloader), Training -> Files
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

        // Files: atomic writes, whole-file reads, memory maps, errno text, zlib inflate.
        .target(name: "Files", dependencies: ["CZlib"]),
        // Pickle: the allowlist unpickler (state dicts, numpy data pickles) and the byte cursor.
        .target(name: "Pickle", dependencies: ["Files"]),
        .target(name: "Tensors", dependencies: ["CBLAS"]),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Checkpoints", dependencies: ["Tensors", "Pickle", "Files"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints", "Tensors", "Files"]),
        .target(name: "ImageIO", dependencies: ["CImageCodecs", "Files"]),
        .target(name: "Transforms", dependencies: ["ImageIO", "Tensors"]),
        .target(name: "Datasets", dependencies: ["Transforms", "ImageIO", "Tensors", "Pickle", "Files"]),
        .target(name: "Training", dependencies: ["Datasets", "Models", "NN", "Checkpoints", "Transforms", "ImageIO", "Tensors", "Files"]),
        .target(name: "SwiftVision", dependencies: ["Tensors", "NN", "Models", "Pickle", "Checkpoints", "ImageIO", "Transforms", "Datasets", "Training"]),
        .executableTarget(
            name: "VisionCLI",
            dependencies: ["SwiftVision", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "TensorsTests", dependencies: ["Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["SwiftVision"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Pickle", "Files", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Transforms"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Transforms", "ImageIO", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["SwiftVision"], resources: [.copy("Fixtures")]),
    ]
)
