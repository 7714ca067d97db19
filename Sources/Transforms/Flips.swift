// Random flips (torchvision's RandomHorizontalFlip / RandomVerticalFlip).
import ImageIO
import Tensors

/// torchvision's RandomHorizontalFlip(p).
public struct RandomHorizontalFlip: ImageTransform {
    public var p: Double
    public init(p: Double = 0.5) { self.p = p }
    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        rng.nextDouble() < p ? image.flippedHorizontally() : image
    }
}

/// torchvision's RandomVerticalFlip(p).
public struct RandomVerticalFlip: ImageTransform {
    public var p: Double
    public init(p: Double = 0.5) { self.p = p }
    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        rng.nextDouble() < p ? image.flippedVertically() : image
    }
}
