// Image <-> tensor (torchvision's to_tensor / to_pil_image), Normalize, and batching into NCHW.
import ImageIO
import Tensors
import Traps

/// The CHW Float tensor of `image` with values x / 255 in [0, 1] (torchvision's `to_tensor`).
public func toTensor(_ image: Image) -> Tensor {
    let c = image.channels, hw = image.width * image.height
    var t = Tensor(uninitializedShape: [c, image.height, image.width])
    t.withUnsafeMutableBufferPointer { out in
        image.pixels.withUnsafeBufferPointer { px in
            for ch in 0..<c {
                let base = ch &* hw
                var p = ch
                for i in 0..<hw {
                    out[base &+ i] = Float(px[p]) / 255
                    p = p &+ c
                }
            }
        }
    }
    return t
}

/// The image of a CHW tensor in [0, 1] (1, 3 or 4 channels) with torchvision's `to_pil_image`
/// rule `byte(x * 255)` (truncation), clamped to 0...255.
public func toImage(_ tensor: Tensor) -> Image {
    trapUnless(tensor.rank == 3 && [1, 3, 4].contains(tensor.shape[0]), "toImage: expected CHW with 1, 3 or 4 channels, got \(tensor.shape)")
    let c = tensor.shape[0], h = tensor.shape[1], w = tensor.shape[2], hw = h * w
    var pixels = [UInt8](repeating: 0, count: c * hw)
    tensor.withUnsafeBufferPointer { src in
        pixels.withUnsafeMutableBufferPointer { dst in
            for ch in 0..<c {
                for i in 0..<hw {
                    let v = src[ch &* hw &+ i] * 255
                    dst[i &* c &+ ch] = v >= 255 ? 255 : (v > 0 ? UInt8(v) : 0)
                }
            }
        }
    }
    return Image(width: w, height: h, channels: c, pixels: pixels)
}

/// Stacks equally sized images into an NCHW tensor of x / 255.
public func batchTensor(_ images: [Image]) -> Tensor {
    trapUnless(!images.isEmpty, "batchTensor: no images")
    let first = images[0]
    for im in images {
        trapUnless(im.width == first.width && im.height == first.height && im.channels == first.channels,
                     "batchTensor: images differ in size (\(im.width)x\(im.height)x\(im.channels) vs \(first.width)x\(first.height)x\(first.channels))")
    }
    return stack(images.map(toTensor))
}

/// Stacks equally shaped CHW tensors into NCHW.
public func stack(_ tensors: [Tensor]) -> Tensor {
    trapUnless(!tensors.isEmpty, "stack: no tensors")
    let shape = tensors[0].shape, n = tensors[0].count
    var out = Tensor(uninitializedShape: [tensors.count] + shape)
    out.withUnsafeMutableBufferPointer { dst in
        for (i, t) in tensors.enumerated() {
            trapUnless(t.shape == shape, "stack: shape \(t.shape) differs from \(shape)")
            t.withUnsafeBufferPointer { src in
                (dst.baseAddress! + i * n).update(from: src.baseAddress!, count: n)
            }
        }
    }
    return out
}

/// torchvision's Normalize: (x - mean[c]) / std[c] per channel of a CHW or NCHW tensor, in Float32.
public struct Normalize: TensorTransform {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        trapUnless(mean.count == std.count, "Normalize: mean and std differ in length")
        trapUnless(!std.contains(0), "Normalize: std contains 0")
        self.mean = mean
        self.std = std
    }

    public func callAsFunction(_ tensor: Tensor) -> Tensor {
        trapUnless(tensor.rank == 3 || tensor.rank == 4, "Normalize: expected CHW or NCHW, got \(tensor.shape)")
        let c = tensor.shape[tensor.rank - 3]
        trapUnless(c == mean.count, "Normalize: \(c) channels but \(mean.count) means")
        let plane = tensor.shape[tensor.rank - 2] * tensor.shape[tensor.rank - 1]
        var out = Tensor(uninitializedShape: tensor.shape)
        out.withUnsafeMutableBufferPointer { dst in
            tensor.withUnsafeBufferPointer { src in
                let planes = src.count / plane
                for p in 0..<planes {
                    let m = mean[p % c], s = std[p % c], base = p &* plane
                    for i in base..<(base &+ plane) { dst[i] = (src[i] - m) / s }
                }
            }
        }
        return out
    }

    public func apply(_ tensor: Tensor, using rng: inout RandomGenerator) throws -> Tensor { self(tensor) }
}
