// CenterCrop, RandomCrop, RandomResizedCrop and Pad with torchvision's parameter logic. Python's
// round() is round-half-to-even, which the crop offsets depend on.
import Foundation
import ImageIO
import Tensors
import Traps

@inlinable
func pythonRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

extension Image {
    /// torchvision's `F.center_crop`: zero-pads first when the crop is larger than the image.
    public func centerCropped(height ch: Int, width cw: Int) -> Image {
        var img = self
        if cw > width || ch > height {
            let l = cw > width ? (cw - width) / 2 : 0, t = ch > height ? (ch - height) / 2 : 0
            let r = cw > width ? (cw - width + 1) / 2 : 0, b = ch > height ? (ch - height + 1) / 2 : 0
            img = img.padded(left: l, top: t, right: r, bottom: b)
            if img.width == cw && img.height == ch { return img }
        }
        let top = pythonRound(Double(img.height - ch) / 2), left = pythonRound(Double(img.width - cw) / 2)
        return img.cropped(top: top, left: left, height: ch, width: cw)
    }
}

/// torchvision's CenterCrop.
public struct CenterCrop: DeterministicImageTransform {
    public var height: Int
    public var width: Int
    public init(_ size: Int) { (height, width) = (size, size) }
    public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }
    public func callAsFunction(_ image: Image) -> Image { image.centerCropped(height: height, width: width) }
}

/// torchvision's Pad: `padding` is [all], [left/right, top/bottom] or [left, top, right, bottom].
public struct Pad: DeterministicImageTransform {
    public var left, top, right, bottom: Int
    public var mode: PaddingMode
    public var fill: UInt8

    public init(_ padding: [Int], fill: UInt8 = 0, mode: PaddingMode = .constant) {
        switch padding.count {
        case 1: (left, top, right, bottom) = (padding[0], padding[0], padding[0], padding[0])
        case 2: (left, top, right, bottom) = (padding[0], padding[1], padding[0], padding[1])
        case 4: (left, top, right, bottom) = (padding[0], padding[1], padding[2], padding[3])
        default: trap("Pad: padding must have 1, 2 or 4 elements")
        }
        self.fill = fill
        self.mode = mode
    }

    public func callAsFunction(_ image: Image) -> Image {
        image.padded(left: left, top: top, right: right, bottom: bottom, mode: mode, fill: fill)
    }
}

/// torchvision's RandomCrop(size, padding, pad_if_needed, fill, padding_mode).
public struct RandomCrop: ImageTransform {
    public var height, width: Int
    public var padding: Pad?
    public var padIfNeeded: Bool
    public var fill: UInt8
    public var paddingMode: PaddingMode

    public init(height: Int, width: Int, padding: [Int]? = nil, padIfNeeded: Bool = false, fill: UInt8 = 0,
                paddingMode: PaddingMode = .constant) {
        (self.height, self.width) = (height, width)
        self.padding = padding.map { Pad($0, fill: fill, mode: paddingMode) }
        self.padIfNeeded = padIfNeeded
        self.fill = fill
        self.paddingMode = paddingMode
    }

    public init(_ size: Int, padding: [Int]? = nil, padIfNeeded: Bool = false, fill: UInt8 = 0, paddingMode: PaddingMode = .constant) {
        self.init(height: size, width: size, padding: padding, padIfNeeded: padIfNeeded, fill: fill, paddingMode: paddingMode)
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        var img = padding.map { $0(image) } ?? image
        // torchvision pads (size - width) on both sides, not half on each.
        if padIfNeeded && img.width < width {
            let p = width - img.width
            img = img.padded(left: p, top: 0, right: p, bottom: 0, mode: paddingMode, fill: fill)
        }
        if padIfNeeded && img.height < height {
            let p = height - img.height
            img = img.padded(left: 0, top: p, right: 0, bottom: p, mode: paddingMode, fill: fill)
        }
        guard img.height >= height && img.width >= width else {
            throw TransformError("RandomCrop: required crop size \(height)x\(width) is larger than input image size \(img.height)x\(img.width)")
        }
        if img.height == height && img.width == width { return img }
        let i = randomInt(img.height - height + 1, &rng), j = randomInt(img.width - width + 1, &rng)
        return img.cropped(top: i, left: j, height: height, width: width)
    }
}

/// torchvision's RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3), bilinear, antialias).
public struct RandomResizedCrop: ImageTransform {
    public var height, width: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var interpolation: Interpolation

    public init(_ size: Int, scale: ClosedRange<Double> = 0.08...1.0, ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0),
                interpolation: Interpolation = .bilinear) {
        self.init(height: size, width: size, scale: scale, ratio: ratio, interpolation: interpolation)
    }

    public init(height: Int, width: Int, scale: ClosedRange<Double> = 0.08...1.0, ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0),
                interpolation: Interpolation = .bilinear) {
        (self.height, self.width) = (height, width)
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
    }

    /// torchvision's get_params: (top, left, height, width) of the crop. Ten tries at a random
    /// area and log-uniform aspect ratio, then a centre crop clamped to the ratio range.
    public static func parameters(height: Int, width: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
                                  using rng: inout RandomGenerator) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(height * width)
        let logLo = log(ratio.lowerBound), logHi = log(ratio.upperBound)
        for _ in 0..<10 {
            let targetArea = area * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * rng.nextDouble())
            let aspect = exp(logLo + (logHi - logLo) * rng.nextDouble())
            let w = pythonRound((targetArea * aspect).squareRoot())
            let h = pythonRound((targetArea / aspect).squareRoot())
            if w > 0 && w <= width && h > 0 && h <= height {
                let i = randomInt(height - h + 1, &rng), j = randomInt(width - w + 1, &rng)
                return (i, j, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < ratio.lowerBound {
            h = pythonRound(Double(w) / ratio.lowerBound)
        } else if inRatio > ratio.upperBound {
            w = pythonRound(Double(h) * ratio.upperBound)
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        let p = Self.parameters(height: image.height, width: image.width, scale: scale, ratio: ratio, using: &rng)
        return image.cropped(top: p.top, left: p.left, height: p.height, width: p.width)
            .resized(width: width, height: height, interpolation: interpolation)
    }
}
