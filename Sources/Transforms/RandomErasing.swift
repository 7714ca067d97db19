// torchvision's RandomErasing on a CHW tensor (after Normalize, as in the training recipes).
import Foundation
import Tensors
import Traps

/// Erases a random rectangle with probability `p`: area fraction from `scale`, aspect ratio
/// log-uniform in `ratio`, ten tries; the rectangle is filled with `value` per channel, or
/// standard normal noise when `value` is nil (torchvision's value="random").
public struct RandomErasing: TensorTransform {
    public var p: Double
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var value: [Float]?

    public init(p: Double = 0.5, scale: ClosedRange<Double> = 0.02...0.33, ratio: ClosedRange<Double> = 0.3...3.3, value: [Float]? = [0]) {
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
    }

    /// (top, left, height, width) of the rectangle, or nil when ten tries found none.
    public static func parameters(height: Int, width: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
                                  using rng: inout RandomGenerator) -> (top: Int, left: Int, height: Int, width: Int)? {
        let area = Double(height * width)
        let lo = log(ratio.lowerBound), hi = log(ratio.upperBound)
        for _ in 0..<10 {
            let eraseArea = area * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * rng.nextDouble())
            let aspect = exp(lo + (hi - lo) * rng.nextDouble())
            let h = pythonRound((eraseArea * aspect).squareRoot()), w = pythonRound((eraseArea / aspect).squareRoot())
            guard h < height && w < width else { continue }
            return (randomInt(height - h + 1, &rng), randomInt(width - w + 1, &rng), h, w)
        }
        return nil
    }

    public func apply(_ tensor: Tensor, using rng: inout RandomGenerator) throws -> Tensor {
        trapUnless(tensor.rank == 3, "RandomErasing: expected CHW, got \(tensor.shape)")
        guard rng.nextDouble() < p else { return tensor }
        let c = tensor.shape[0], h = tensor.shape[1], w = tensor.shape[2]
        guard let r = Self.parameters(height: h, width: w, scale: scale, ratio: ratio, using: &rng) else { return tensor }
        if let value { trapUnless(value.count == 1 || value.count == c, "RandomErasing: value needs 1 or \(c) elements") }
        var out = tensor
        out.withUnsafeMutableBufferPointer { d in
            for ch in 0..<c {
                for y in r.top..<(r.top + r.height) {
                    for x in r.left..<(r.left + r.width) {
                        d[(ch * h + y) * w + x] = value.map { $0.count == 1 ? $0[0] : $0[ch] } ?? rng.nextNormal()
                    }
                }
            }
        }
        return out
    }
}
