// torchvision-style transforms over images and tensors.
import ImageIO
import Tensors

/// A step of a preprocessing pipeline.
public protocol Transform {
    associatedtype Input
    associatedtype Output
    func callAsFunction(_ input: Input) throws -> Output
}
