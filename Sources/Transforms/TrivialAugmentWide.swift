// torchvision's TrivialAugmentWide: one operation drawn uniformly from 14, with a magnitude drawn
// uniformly from its 31 bins and a random sign for the signed ones (on images).
import Foundation
import ImageIO
import Tensors

public struct TrivialAugmentWide: ImageTransform {
    /// The operations, in torchvision's order.
    public enum Operation: String, Sendable, CaseIterable {
        case identity, shearX, shearY, translateX, translateY, rotate, brightness, color, contrast, sharpness
        case posterize, solarize, autoContrast, equalize
    }

    public var numBins: Int
    public var interpolation: Interpolation
    public var fill: UInt8

    public init(numBins: Int = 31, interpolation: Interpolation = .nearest, fill: UInt8 = 0) {
        self.numBins = numBins
        self.interpolation = interpolation
        self.fill = fill
    }

    /// The magnitudes of `op` (empty for magnitude-free operations) and whether they are signed.
    public func magnitudes(_ op: Operation) -> (values: [Double], signed: Bool) {
        // torch.linspace in Float32: from the start for the first half, from the end for the rest.
        func linspace(_ a: Double, _ b: Double) -> [Double] {
            let start = Float(a), end = Float(b), n = numBins
            let step = (end - start) / Float(n - 1)
            return (0..<n).map { i in Double(i < n / 2 ? start + step * Float(i) : end - step * Float(n - 1 - i)) }
        }
        switch op {
        case .identity, .autoContrast, .equalize: return ([], false)
        case .shearX, .shearY, .brightness, .color, .contrast, .sharpness: return (linspace(0, 0.99), true)
        case .translateX, .translateY: return (linspace(0, 32), true)
        case .rotate: return (linspace(0, 135), true)
        case .posterize: return ((0..<numBins).map { i in Double(8 - Int((Double(i) / (Double(numBins - 1) / 6)).rounded(.toNearestOrEven))) }, false)
        case .solarize: return (linspace(255, 0), false)
        }
    }

    /// torchvision's `_apply_op` on an image.
    public func apply(_ op: Operation, magnitude: Double, to image: Image) -> Image {
        switch op {
        case .identity: return image
        case .shearX:
            return image.affine(angle: 0, translate: (0, 0), scale: 1, shear: (atan(magnitude) * 180 / .pi, 0),
                                interpolation: interpolation, center: (0, 0), fill: fill)
        case .shearY:
            return image.affine(angle: 0, translate: (0, 0), scale: 1, shear: (0, atan(magnitude) * 180 / .pi),
                                interpolation: interpolation, center: (0, 0), fill: fill)
        case .translateX:
            return image.affine(angle: 0, translate: (Double(Int(magnitude)), 0), scale: 1, shear: (0, 0), interpolation: interpolation, fill: fill)
        case .translateY:
            return image.affine(angle: 0, translate: (0, Double(Int(magnitude))), scale: 1, shear: (0, 0), interpolation: interpolation, fill: fill)
        case .rotate: return image.rotated(degrees: magnitude, interpolation: interpolation, fill: fill)
        case .brightness: return image.adjustedBrightness(1 + magnitude)
        case .color: return image.adjustedSaturation(1 + magnitude)
        case .contrast: return image.adjustedContrast(1 + magnitude)
        case .sharpness: return image.adjustedSharpness(1 + magnitude)
        case .posterize: return image.posterized(bits: Int(magnitude))
        case .solarize: return image.solarized(threshold: magnitude)
        case .autoContrast: return image.autocontrasted()
        case .equalize: return image.equalized()
        }
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        let ops = Operation.allCases
        let op = ops[randomInt(ops.count, &rng)]
        let (values, signed) = magnitudes(op)
        var magnitude = values.isEmpty ? 0 : values[randomInt(values.count, &rng)]
        if signed && randomInt(2, &rng) == 1 { magnitude = -magnitude }
        return apply(op, magnitude: magnitude, to: image)
    }
}
