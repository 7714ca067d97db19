// torchvision.datasets.MNIST and FashionMNIST, read from the IDX files (IDX.swift). Like
// torchvision, the raw 8-bit pixels stay in memory (47 MB for a 60 000-image split) and a sample
// becomes a 1×28×28 float tensor in [0, 1] only when asked for; without a transform pipeline the
// DataLoader writes whole batches directly (DirectBatchDataset).
import ImageIO
import Tensors
import Transforms

/// Which half of MNIST-style data to read.
public enum MNISTSplit: String, Sendable, CaseIterable {
    /// `train-*-ubyte` (60 000 images).
    case train
    /// `t10k-*-ubyte` (10 000 images).
    case test

    var filePrefix: String { self == .train ? "train" : "t10k" }
}

/// The handwritten digits (torchvision's `MNIST`): 1×28×28 gray images, 10 classes.
public struct MNIST: PixelStoreDataset {
    /// torchvision's `MNIST.classes`.
    public static let classNames = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                                    "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    /// The usual normalisation (torchvision's MNIST example): mean 0.1307, std 0.3081.
    public static let normalization = Normalize(mean: [0.1307], std: [0.3081])

    /// The raw images and labels.
    public let store: PixelStore
    /// The split that was read.
    public let split: MNISTSplit
    /// Applied to each sample's 1-channel `Image` (nil: straight to a [0, 1] tensor).
    public var transform: Pipeline?
    /// Applied after `transform` (or after the conversion to a tensor).
    public var normalization: Normalize?

    /// Reads `split` from `directory`, which holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-...` (each possibly `.gz`), or torchvision's layout `directory/MNIST/raw/...`.
    /// `normalize` sets `normalization` to `MNIST.normalization`.
    public init(directory: String, split: MNISTSplit = .train, normalize: Bool = false, transform: Pipeline? = nil) throws {
        store = try readIDXPair(directory: directory, torchvisionName: "MNIST", split: split, classCount: 10)
        self.split = split
        self.transform = transform
        self.normalization = normalize ? MNIST.normalization : nil
    }

    public var classes: [String] { MNIST.classNames }
}

/// Zalando's Fashion-MNIST (torchvision's `FashionMNIST`): the MNIST format with 10 clothing classes.
/// Debian ships it: `apt-get install dataset-fashion-mnist` puts the files in
/// `/usr/share/datasets/fashion-mnist`.
public struct FashionMNIST: PixelStoreDataset {
    /// torchvision's `FashionMNIST.classes`.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Mean 0.2860 and std 0.3530 of the training images.
    public static let normalization = Normalize(mean: [0.2860], std: [0.3530])
    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"

    /// The raw images and labels.
    public let store: PixelStore
    /// The split that was read.
    public let split: MNISTSplit
    /// Applied to each sample's 1-channel `Image` (nil: straight to a [0, 1] tensor).
    public var transform: Pipeline?
    /// Applied after `transform` (or after the conversion to a tensor).
    public var normalization: Normalize?

    /// Reads `split` from `directory` (as `MNIST`, or torchvision's `directory/FashionMNIST/raw/`).
    /// `normalize` sets `normalization` to `FashionMNIST.normalization`.
    public init(directory: String = FashionMNIST.debianDirectory, split: MNISTSplit = .train, normalize: Bool = false,
                transform: Pipeline? = nil) throws {
        store = try readIDXPair(directory: directory, torchvisionName: "FashionMNIST", split: split, classCount: 10)
        self.split = split
        self.transform = transform
        self.normalization = normalize ? FashionMNIST.normalization : nil
    }

    public var classes: [String] { FashionMNIST.classNames }
}

/// Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` and checks that
/// they agree: 8-bit images N×H×W, N 8-bit labels each below `classCount`.
func readIDXPair(directory: String, torchvisionName: String, split: MNISTSplit, classCount: Int) throws -> PixelStore {
    guard FileSystem.isDirectory(directory) else {
        throw DatasetError(.notFound, path: directory, "dataset directory \(directory) does not exist or is not a directory")
    }
    func locate(_ name: String) throws -> String {
        for dir in [directory, FileSystem.join(directory, "\(torchvisionName)/raw")] {
            for candidate in [name, name + ".gz"] where FileSystem.isRegularFile(FileSystem.join(dir, candidate)) {
                return FileSystem.join(dir, candidate)
            }
        }
        throw DatasetError(.notFound, path: directory, "\(directory): neither \(name) nor \(name).gz found (nor in \(torchvisionName)/raw)")
    }
    let imagesPath = try locate("\(split.filePrefix)-images-idx3-ubyte")
    let labelsPath = try locate("\(split.filePrefix)-labels-idx1-ubyte")
    let images = try IDXFile(contentsOf: imagesPath)
    guard images.elementType == .uint8, images.shape.count == 3 else {
        throw DatasetError.file(.corrupt, imagesPath, "expected 8-bit images N×H×W, found \(images.elementType) of shape \(images.shape)")
    }
    let labels = try IDXFile(contentsOf: labelsPath)
    guard labels.elementType == .uint8, labels.shape.count == 1 else {
        throw DatasetError.file(.corrupt, labelsPath, "expected 8-bit labels N, found \(labels.elementType) of shape \(labels.shape)")
    }
    guard labels.shape[0] == images.shape[0] else {
        throw DatasetError.file(.corrupt, labelsPath, "\(labels.shape[0]) labels but \(images.shape[0]) images in \(imagesPath)")
    }
    if let bad = labels.data.firstIndex(where: { Int($0) >= classCount }) {
        throw DatasetError.file(.corrupt, labelsPath, "label \(labels.data[bad]) of sample \(bad) is not below \(classCount)")
    }
    return PixelStore(pixels: images.data, labels: labels.data.map { Int($0) }, channels: 1,
                      height: images.shape[1], width: images.shape[2])
}
