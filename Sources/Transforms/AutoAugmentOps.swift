// The PIL operations behind torchvision's AutoAugment family (TrivialAugmentWide), on images:
// affine shear/translate (PIL transform), posterize, solarize, autocontrast, equalize (ImageOps
// lookup tables) and sharpness (ImageEnhance: blend with PIL's SMOOTH-filtered image).
import Foundation
import ImageIO

extension Image {
    /// Applies a 256-entry table per channel (`luts[channel % luts.count]`).
    func mapped(_ luts: [[UInt8]]) -> Image {
        var out = pixels
        for i in 0..<out.count { out[i] = luts[(i % channels) % luts.count][Int(out[i])] }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    func histograms() -> [[Int]] {
        var h = [[Int]](repeating: [Int](repeating: 0, count: 256), count: channels)
        for i in 0..<pixels.count { h[i % channels][Int(pixels[i])] += 1 }
        return h
    }

    /// ImageOps.posterize: keeps the top `bits` bits.
    public func posterized(bits: Int) -> Image {
        let mask = UInt8(truncatingIfNeeded: ~((1 << (8 - bits)) - 1))
        return mapped([(0..<256).map { UInt8($0) & mask }])
    }

    /// ImageOps.solarize: inverts samples at or above `threshold`.
    public func solarized(threshold: Double) -> Image {
        mapped([(0..<256).map { Double($0) < threshold ? UInt8($0) : UInt8(255 - $0) }])
    }

    /// ImageOps.autocontrast (cutoff 0): stretches each channel's [min, max] to [0, 255].
    public func autocontrasted() -> Image {
        mapped(histograms().map { h in
            guard let lo = h.firstIndex(where: { $0 != 0 }), let hi = h.lastIndex(where: { $0 != 0 }), hi > lo else {
                return (0..<256).map { UInt8($0) }
            }
            let scale = 255.0 / Double(hi - lo), offset = -Double(lo) * scale
            return (0..<256).map { i in UInt8(min(max(Int(Double(i) * scale + offset), 0), 255)) }
        })
    }

    /// ImageOps.equalize: each channel's cumulative histogram as the lookup table.
    public func equalized() -> Image {
        mapped(histograms().map { h in
            let used = h.filter { $0 != 0 }
            guard used.count > 1 else { return (0..<256).map { UInt8($0) } }
            let step = (used.reduce(0, +) - used.last!) / 255
            guard step != 0 else { return (0..<256).map { UInt8($0) } }
            var n = step / 2
            return (0..<256).map { i in
                let v = UInt8(min(n / step, 255))
                n += h[i]
                return v
            }
        })
    }

    /// PIL's ImageFilter.SMOOTH (3×3 kernel 1 1 1 / 1 5 1 / 1 1 1, ÷13); the border is copied.
    func smoothed() -> Image {
        guard width >= 3 && height >= 3 else { return self }
        var out = pixels
        let w = width, c = channels
        let k: [Float] = [1, 1, 1, 1, 5, 1, 1, 1, 1].map { $0 / 13 }
        for y in 1..<(height - 1) {
            for x in 1..<(w - 1) {
                for ch in 0..<c {
                    func p(_ dx: Int, _ dy: Int) -> Float { Float(pixels[((y + dy) * w + x + dx) * c + ch]) }
                    var ss: Float = 0
                    ss += p(-1, 1) * k[0] + p(0, 1) * k[1] + p(1, 1) * k[2]
                    ss += p(-1, 0) * k[3] + p(0, 0) * k[4] + p(1, 0) * k[5]
                    ss += p(-1, -1) * k[6] + p(0, -1) * k[7] + p(1, -1) * k[8]
                    out[(y * w + x) * c + ch] = ss <= 0 ? 0 : (ss >= 255 ? 255 : UInt8(ss + 0.5))
                }
            }
        }
        return Image(width: w, height: height, channels: c, pixels: out)
    }

    /// PIL ImageEnhance.Sharpness: blend of the SMOOTH-filtered image and the image.
    public func adjustedSharpness(_ factor: Double) -> Image {
        blended(withDegenerate: smoothed().pixels, factor: factor)
    }

    /// torchvision's `F.affine` on a PIL image (inverse matrix of rotation, translation, scale and
    /// shear about `center`, default the image centre), same output size.
    public func affine(angle: Double, translate: (Double, Double), scale: Double, shear: (Double, Double),
                       interpolation: Interpolation = .nearest, center: (Double, Double)? = nil, fill: UInt8 = 0) -> Image {
        let (cx, cy) = center ?? (Double(width) * 0.5, Double(height) * 0.5)
        let rot = angle * .pi / 180, sx = shear.0 * .pi / 180, sy = shear.1 * .pi / 180
        let a = cos(rot - sy) / cos(sy)
        let b = -cos(rot - sy) * tan(sx) / cos(sy) - sin(rot)
        let c = sin(rot - sy) / cos(sy)
        let d = -sin(rot - sy) * tan(sx) / cos(sy) + cos(rot)
        var m = [d, -b, 0, -c, a, 0].map { $0 / scale }
        let (tx, ty) = translate
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
        return affineTransformed(m, interpolation: interpolation, fill: fill)
    }
}
