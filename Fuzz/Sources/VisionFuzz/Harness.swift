// The parsers of untrusted files, one harness each. Each takes arbitrary bytes and must return
// (a value or a Swift error), never crash, hang or run out of memory; libFuzzer (with
// AddressSanitizer) drives them in the fuzz build, and the plain build replays files through them
// (main.swift / Fuzz/README.md). Limits are set below the defaults where a legitimate huge value
// would only make the fuzzer slow (pixels, inflated bytes), never where the parser's own checks
// are under test.

import Checkpoints
import Datasets
import ImageIO
import Pickle
import Tensors

/// A fuzz target: a name (the corpus folder, `Scripts/fuzz NAME`) and what it does with one input.
enum Harness: String, CaseIterable {
    /// JPEG and PNG decoding in every mode, with and without EXIF orientation and truncation.
    case image
    /// `loadCheckpoint`: safetensors, PyTorch zip, legacy pickle and tar, chosen by magic bytes.
    case checkpoint
    /// IDX files (MNIST), gzip'd or not.
    case idx
    /// Data pickles (CIFAR-10's python batches) through the allowlist unpickler.
    case pickle
    /// The JSON reader of safetensors headers and the model metadata inside them.
    case json

    /// Runs the harness on `bytes`; errors are the expected outcome for most inputs.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .image:
            // A 64 K-pixel limit: the parsers' paths do not depend on the size past that, and a
            // mutated header claiming a megapixel cost ~10 ms per decode (68 inputs/s under load).
            for (mode, orient, truncated) in [(ColorMode.rgb, true, false), (.gray, false, true), (.rgba, false, false)] {
                let options = DecodeOptions(mode: mode, applyOrientation: orient, maxPixels: 1 << 16, allowTruncated: truncated)
                if let decoded = try? Image.decode(data: bytes, name: "fuzz", options: options) {
                    let image = decoded.image
                    precondition(image.pixels.count == image.width * image.height * image.channels, "pixel count")
                }
            }
        case .checkpoint:
            if let dict = try? loadCheckpoint(bytes: bytes, name: "fuzz") { touch(dict) }
        case .idx:
            if let file = try? IDXFile(bytes: bytes, name: "fuzz", byteLimit: 1 << 24) {
                precondition(file.data.count == file.shape.reduce(1, *) * file.elementType.size, "IDX size")
            }
        case .pickle:
            if let data = try? DataPickle.load(bytes: bytes, name: "fuzz") { _ = walk(data) }
        case .json:
            // The input as a safetensors header, followed by 256 bytes of tensor data.
            var file = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) }
            file += bytes
            file += [UInt8](repeating: 0x3F, count: 256)
            if let dict = try? loadCheckpoint(bytes: file, name: "fuzz") {
                touch(dict)
                _ = ModelMetadata(dict.metadata)
            }
        }
    }

    /// Reads every element of every tensor (so lazily converted data is converted).
    private func touch(_ dict: StateDict) {
        var sum: Float = 0
        for entry in dict.entries {
            entry.tensor.withUnsafeBufferPointer { values in
                precondition(values.count == entry.tensor.shape.reduce(1, *), "tensor element count")
                for x in values { sum += x }
            }
        }
        if sum == .greatestFiniteMagnitude { print("") }
    }

    /// Visits every node of a pickle tree; returns the node count.
    private func walk(_ data: PickleData) -> Int {
        switch data {
        case .list(let items), .tuple(let items): return items.reduce(1) { $0 + walk($1) }
        case .dict(let entries): return entries.reduce(1) { $0 + walk($1.key) + walk($1.value) }
        case .array(let array): return 1 + array.bytes.count % 2
        default: return 1
        }
    }
}
