// torchvision's ImageClassification preset (the zoo's eval transforms) as one value.
import ImageIO
import Tensors

/// Resize (shorter side, antialiased) → CenterCrop → toTensor → Normalize, as torchvision's
/// `ImageClassification(crop_size, resize_size, mean, std, interpolation)` on a PIL image.
public struct ImageClassificationPreset: Sendable, Equatable {
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    public var resizeSize: Int
    public var cropSize: Int
    public var interpolation: Interpolation
    public var mean: [Float]
    public var std: [Float]

    /// The ImageNet preset: `resizeSize` 256, `cropSize` 224, bilinear (the ResNet/VGG/AlexNet zoo entries).
    public init(cropSize: Int = 224, resizeSize: Int = 256, interpolation: Interpolation = .bilinear,
                mean: [Float] = Self.imagenetMean, std: [Float] = Self.imagenetStd) {
        self.cropSize = cropSize
        self.resizeSize = resizeSize
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
    }

    /// The resized and cropped 8-bit image (before toTensor).
    public func croppedImage(_ image: Image) -> Image {
        Resize(resizeSize, interpolation: interpolation)(image).centerCropped(height: cropSize, width: cropSize)
    }

    /// The normalised CHW tensor. Gray or RGBA images are converted to RGB first.
    public func callAsFunction(_ image: Image) -> Tensor {
        Normalize(mean: mean, std: std)(toTensor(croppedImage(image.converted(to: .rgb))))
    }

    /// The NCHW tensor of several images.
    public func batch(_ images: [Image]) -> Tensor { stack(images.map { self($0) }) }

    /// The same steps as a Pipeline.
    public var pipeline: Pipeline {
        Pipeline(image: [Resize(resizeSize, interpolation: interpolation), CenterCrop(cropSize)],
                 tensor: [Normalize(mean: mean, std: std)])
    }
}
