// A zoo entry's preprocessing (sizes, interpolation and normalisation, as torchvision's
// `weights.transforms()`)
// as the transform that applies it.

import Models
import Transforms

extension ZooPreset {
    /// The `ImageClassificationPreset` with these sizes, interpolation and mean/std; an
    /// interpolation name SwiftVision does not know falls back to bilinear.
    public var imagePreset: ImageClassificationPreset {
        ImageClassificationPreset(cropSize: cropSize, resizeSize: resizeSize,
                                  interpolation: Interpolation(rawValue: interpolation) ?? .bilinear,
                                  mean: mean, std: std)
    }
}
