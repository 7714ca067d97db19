// Resize and the size rule of torchvision's _compute_resized_output_size.
import ImageIO
import Tensors
import Traps

/// The size torchvision's Resize produces for an image of `height`×`width`: `size` with one
/// element scales the shorter side to it (keeping the aspect ratio, truncating the long side) and
/// caps the longer side at `maxSize`; two elements are (height, width).
public func resizedOutputSize(height h: Int, width w: Int, size: [Int], maxSize: Int? = nil) -> (height: Int, width: Int) {
    trapUnless(size.count == 1 || size.count == 2, "Resize: size must have 1 or 2 elements")
    if size.count == 2 { return (size[0], size[1]) }
    let (short, long) = w <= h ? (w, h) : (h, w)
    var newShort = size[0]
    var newLong = Int(Double(newShort * long) / Double(short))
    if let maxSize {
        trapUnless(maxSize > size[0], "Resize: max_size (\(maxSize)) must be greater than size (\(size[0]))")
        if newLong > maxSize {
            newShort = Int(Double(maxSize * newShort) / Double(newLong))
            newLong = maxSize
        }
    }
    return w <= h ? (newLong, newShort) : (newShort, newLong)
}

/// torchvision's `Resize(size, interpolation, max_size, antialias=True)` on an image: Pillow's resampler.
public struct Resize: DeterministicImageTransform {
    public var size: [Int]
    public var interpolation: Interpolation
    public var maxSize: Int?

    /// Scales the shorter side to `size`.
    public init(_ size: Int, interpolation: Interpolation = .bilinear, maxSize: Int? = nil) {
        self.size = [size]
        self.interpolation = interpolation
        self.maxSize = maxSize
    }

    /// Resizes to exactly `height`×`width`.
    public init(height: Int, width: Int, interpolation: Interpolation = .bilinear) {
        size = [height, width]
        self.interpolation = interpolation
    }

    public func callAsFunction(_ image: Image) -> Image {
        let (h, w) = resizedOutputSize(height: image.height, width: image.width, size: size, maxSize: maxSize)
        return image.resized(width: w, height: h, interpolation: interpolation)
    }
}
