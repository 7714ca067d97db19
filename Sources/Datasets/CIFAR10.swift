// torchvision.datasets.CIFAR10: 32×32 RGB images in 10 classes, kept in memory as raw bytes (CHW,
// as the files store them; 150 MB for the training split). Read from either distribution of the
// data (CIFAR10+Files.swift): the binary batches (`cifar-10-batches-bin`) or the python pickles
// torchvision downloads (`cifar-10-batches-py`), the latter through the safe unpickler.
import ImageIO
import Tensors
import Transforms

/// Which files hold CIFAR-10.
public enum CIFARFormat: String, Sendable, CaseIterable {
    /// Binary if `data_batch_1.bin` or `test_batch.bin` is present, else python pickles.
    case automatic
    /// `data_batch_{1..5}.bin`, `test_batch.bin`: records of 1 label byte + 3072 pixel bytes (CHW),
    /// class names in `batches.meta.txt`.
    case binary
    /// `data_batch_{1..5}`, `test_batch`: pickled dicts {data: uint8 array N×3072, labels: [int]},
    /// class names in `batches.meta` (`label_names`).
    case python
}

/// CIFAR-10 (torchvision's `CIFAR10`): 3×32×32 images, 50 000 for training and 10 000 for testing.
public struct CIFAR10: PixelStoreDataset {
    /// Per-channel mean and standard deviation of the training images.
    public static let normalization = Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])

    /// The raw images and labels.
    public let store: PixelStore
    /// Class names from the dataset's metadata file, in label order.
    public let classes: [String]
    /// Whether this is the training split (the five data batches) or the test batch.
    public let train: Bool
    /// Applied to each sample's RGB `Image` (nil: straight to a [0, 1] tensor).
    public var transform: Pipeline?
    /// Applied after `transform` (or after the conversion to a tensor).
    public var normalization: Normalize?

    /// Reads the training (`train`) or test split from `directory`: the folder of batch files, or
    /// its parent holding `cifar-10-batches-bin` / `cifar-10-batches-py`. `normalize` sets
    /// `normalization` to `CIFAR10.normalization`.
    public init(directory: String, train: Bool = true, format: CIFARFormat = .automatic, normalize: Bool = false,
                transform: Pipeline? = nil) throws {
        (store, classes) = try CIFARFiles.read(directory: directory, train: train, format: format)
        self.train = train
        self.transform = transform
        self.normalization = normalize ? CIFAR10.normalization : nil
    }
}
