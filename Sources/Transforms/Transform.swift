// torchvision-style transforms over images and tensors. Every transform takes the generator it
// draws from explicitly, so a pipeline run twice from the same seed gives the same output;
// deterministic transforms ignore it and can also be called without one.
import ImageIO
import Tensors

/// A step that maps an image to an image (torchvision transforms on PIL images).
public protocol ImageTransform: Sendable {
    func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image
}

/// A step that maps a CHW (or NCHW) tensor to a tensor.
public protocol TensorTransform: Sendable {
    func apply(_ tensor: Tensor, using rng: inout RandomGenerator) throws -> Tensor
}

/// A transform that draws no random numbers.
public protocol DeterministicImageTransform: ImageTransform {
    func callAsFunction(_ image: Image) -> Image
}

extension DeterministicImageTransform {
    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image { self(image) }
}

/// Applies image transforms in order (torchvision's Compose).
public struct Compose: ImageTransform {
    public var transforms: [any ImageTransform]
    public init(_ transforms: [any ImageTransform]) { self.transforms = transforms }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        var image = image
        for t in transforms { image = try t.apply(image, using: &rng) }
        return image
    }
}

/// Image transforms, then `toTensor`, then tensor transforms: a whole preprocessing pipeline.
public struct Pipeline: Sendable {
    public var imageTransforms: [any ImageTransform]
    public var tensorTransforms: [any TensorTransform]

    public init(image: [any ImageTransform], tensor: [any TensorTransform] = []) {
        imageTransforms = image
        tensorTransforms = tensor
    }

    /// The CHW float tensor of `image` after every step.
    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Tensor {
        var image = image
        for t in imageTransforms { image = try t.apply(image, using: &rng) }
        var tensor = toTensor(image)
        for t in tensorTransforms { tensor = try t.apply(tensor, using: &rng) }
        return tensor
    }
}

/// An error from a transform (e.g. a crop larger than the image).
public struct TransformError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A uniform integer in `0..<upperBound` (torch.randint(0, upperBound)).
@inlinable
func randomInt(_ upperBound: Int, _ rng: inout RandomGenerator) -> Int {
    Int.random(in: 0..<upperBound, using: &rng)
}
