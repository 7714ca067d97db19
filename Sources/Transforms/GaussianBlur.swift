// torchvision's GaussianBlur on an image: as F.gaussian_blur does for PIL input, the image becomes a
// float tensor, is reflect-padded by kernel_size / 2, convolved with the separable normalised
// Gaussian (x = linspace(−k/2, k/2), pdf = exp(−½(x/σ)²), Float32) and rounded back to 8 bits.
import Foundation
import ImageIO
import Tensors
import Traps

extension Image {
    /// The image blurred with a `kernelSize`×`kernelSize` Gaussian of standard deviation `sigma`
    /// (odd kernel sizes; separate sizes/sigmas per axis as (x, y)).
    public func gaussianBlurred(kernelSize: (x: Int, y: Int), sigma: (x: Double, y: Double)) -> Image {
        trapUnless(kernelSize.x % 2 == 1 && kernelSize.y % 2 == 1 && kernelSize.x > 0 && kernelSize.y > 0, "gaussianBlurred: kernel sizes must be odd and positive")
        func kernel(_ k: Int, _ sigma: Double) -> [Float] {
            let half = Float(k - 1) * 0.5
            let step = k > 1 ? (2 * half) / Float(k - 1) : 0
            let pdf = (0..<k).map { i -> Float in
                let x = -half + Float(i) * step
                return exp(-0.5 * (x / Float(sigma)) * (x / Float(sigma)))
            }
            let sum = pdf.reduce(0, +)
            return pdf.map { $0 / sum }
        }
        let kx = kernel(kernelSize.x, sigma.x), ky = kernel(kernelSize.y, sigma.y)
        let px = kernelSize.x / 2, py = kernelSize.y / 2
        let c = channels, w = width, h = height
        let xs = (0..<(w + 2 * px)).map { Self.sourceIndex($0 - px, size: w, mode: .reflect) }
        let ys = (0..<(h + 2 * py)).map { Self.sourceIndex($0 - py, size: h, mode: .reflect) }
        // Horizontal pass into Float rows (all padded rows), then vertical.
        var tmp = [Float](repeating: 0, count: (h + 2 * py) * w * c)
        for (ty, sy) in ys.enumerated() {
            for x in 0..<w {
                for ch in 0..<c {
                    var acc: Float = 0
                    for k in 0..<kx.count { acc += Float(pixels[(sy * w + xs[x + k]) * c + ch]) * kx[k] }
                    tmp[(ty * w + x) * c + ch] = acc
                }
            }
        }
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<h {
            for i in 0..<(w * c) {
                var acc: Float = 0
                for k in 0..<ky.count { acc += tmp[(y + k) * w * c + i] * ky[k] }
                let r = acc.rounded(.toNearestOrEven)
                out[y * w * c + i] = r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }
}

/// torchvision's GaussianBlur(kernel_size, sigma=(0.1, 2.0)): σ drawn uniformly per call.
public struct GaussianBlur: ImageTransform {
    public var kernelSize: (x: Int, y: Int)
    public var sigma: ClosedRange<Double>

    public init(kernelSize: Int, sigma: ClosedRange<Double> = 0.1...2.0) {
        self.kernelSize = (kernelSize, kernelSize)
        self.sigma = sigma
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        let s = sigma.lowerBound + (sigma.upperBound - sigma.lowerBound) * rng.nextDouble()
        return image.gaussianBlurred(kernelSize: kernelSize, sigma: (s, s))
    }
}
