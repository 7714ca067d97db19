// Colour adjustments as torchvision applies them to PIL images: brightness, contrast and
// saturation are PIL ImageEnhance (Image.blend of a degenerate image and the image, in Float32 with
// truncation, clipped when extrapolating); hue goes through Pillow's 8-bit HSV and wraps the H byte.
import Foundation
import ImageIO
import Tensors
import Traps

extension Image {
    /// Pillow's `Image.blend(degenerate, self, factor)`: d + factor·(x − d) in Float32, truncated;
    /// clipped to 0...255 when `factor` is outside [0, 1].
    func blended(withDegenerate degenerate: [UInt8], factor: Double) -> Image {
        let alpha = Float(factor)
        var out = pixels
        let interpolate = factor >= 0 && factor <= 1
        pixels.withUnsafeBufferPointer { s in
            degenerate.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<s.count {
                        let a = Int32(d[i]), b = Int32(s[i])
                        let v = Float(a) + alpha * Float(b &- a)
                        if interpolate { o[i] = UInt8(truncatingIfNeeded: Int32(v)) } else { o[i] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v)) }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// PIL ImageEnhance.Brightness: blend with black.
    public func adjustedBrightness(_ factor: Double) -> Image {
        blended(withDegenerate: [UInt8](repeating: 0, count: pixels.count), factor: factor)
    }

    /// PIL ImageEnhance.Contrast: blend with the mean gray level (rounded) of the L image.
    public func adjustedContrast(_ factor: Double) -> Image {
        let gray = converted(to: .gray).pixels
        let mean = UInt8(Int(Double(gray.reduce(0) { $0 + Int($1) }) / Double(max(gray.count, 1)) + 0.5))
        var degenerate = Image(width: width, height: height, channels: 1, value: mean).converted(to: channels >= 3 ? .rgb : .gray)
        if channels == 4 { degenerate = Self.withAlpha(degenerate, from: self) }
        return blended(withDegenerate: degenerate.pixels, factor: factor)
    }

    /// PIL ImageEnhance.Color (saturation): blend with the image's L converted back.
    public func adjustedSaturation(_ factor: Double) -> Image {
        guard channels >= 3 else { return blended(withDegenerate: pixels, factor: factor) }
        var degenerate = converted(to: .gray).converted(to: .rgb)
        if channels == 4 { degenerate = Self.withAlpha(degenerate, from: self) }
        return blended(withDegenerate: degenerate.pixels, factor: factor)
    }

    static func withAlpha(_ rgb: Image, from rgba: Image) -> Image {
        var px = [UInt8](repeating: 0, count: rgb.width * rgb.height * 4)
        for i in 0..<(rgb.width * rgb.height) {
            px[4 * i] = rgb.pixels[3 * i]; px[4 * i + 1] = rgb.pixels[3 * i + 1]; px[4 * i + 2] = rgb.pixels[3 * i + 2]
            px[4 * i + 3] = rgba.pixels[4 * i + 3]
        }
        return Image(width: rgb.width, height: rgb.height, channels: 4, pixels: px)
    }

    /// torchvision's `adjust_hue` on a PIL image: to Pillow HSV, add `factor`·255 (wrapping) to H,
    /// back to RGB. `factor` in [-0.5, 0.5]; gray images are returned unchanged.
    public func adjustedHue(_ factor: Double) -> Image {
        trapUnless(abs(factor) <= 0.5, "adjustedHue: factor \(factor) is not in [-0.5, 0.5]")
        guard channels >= 3 else { return self }
        let shift = UInt8(truncatingIfNeeded: Int8(truncatingIfNeeded: Int(factor * 255)))
        var out = pixels
        let c = channels
        for i in 0..<(width * height) {
            let p = i * c
            var (h, s, v) = Self.rgbToHSV(pixels[p], pixels[p + 1], pixels[p + 2])
            h = h &+ shift
            (out[p], out[p + 1], out[p + 2]) = Self.hsvToRGB(h, s, v)
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// Pillow's rgb2hsv (colorsys in Float32/Double as Convert.c does it).
    static func rgbToHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (UInt8, UInt8, UInt8) {
        let maxc = max(r, g, b), minc = min(r, g, b)
        if maxc == minc { return (0, 0, maxc) }
        let cr = Float(maxc - minc)
        let s = cr / Float(maxc)
        let rc = Float(maxc - r) / cr, gc = Float(maxc - g) / cr, bc = Float(maxc - b) / cr
        var h: Float
        if r == maxc { h = bc - gc } else if g == maxc { h = Float(2.0 + Double(rc) - Double(bc)) } else { h = Float(4.0 + Double(gc) - Double(rc)) }
        let hd = fmod(Double(h) / 6.0 + 1.0, 1.0)
        h = Float(hd)
        let uh = clip8(Int(Double(h) * 255.0)), us = clip8(Int(Double(s) * 255.0))
        return (uh, us, maxc)
    }

    /// Pillow's hsv2rgb.
    static func hsvToRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) {
        if s == 0 { return (v, v, v) }
        let i = Int((Double(Float(h)) * 6.0 / 255.0).rounded(.down))
        let f = Float(Double(Float(h)) * 6.0 / 255.0 - Double(Float(i)))
        let fs = Float(Double(Float(s)) / 255.0)
        let fv = Double(Float(v))
        let p = clip8(Int((fv * (1.0 - Double(fs))).rounded())), q = clip8(Int((fv * (1.0 - Double(fs) * Double(f))).rounded()))
        let t = clip8(Int((fv * (1.0 - Double(fs) * (1.0 - Double(f)))).rounded()))
        switch i % 6 {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }

    @inline(__always)
    static func clip8(_ x: Int) -> UInt8 { x < 0 ? 0 : (x > 255 ? 255 : UInt8(x)) }
}

/// torchvision's ColorJitter(brightness, contrast, saturation, hue): each factor drawn uniformly from
/// [max(0, 1 − v), 1 + v] (hue from [−h, h]) and applied in a random order.
public struct ColorJitter: ImageTransform {
    public var brightness: ClosedRange<Double>?
    public var contrast: ClosedRange<Double>?
    public var saturation: ClosedRange<Double>?
    public var hue: ClosedRange<Double>?

    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) {
        trapUnless(brightness >= 0 && contrast >= 0 && saturation >= 0 && (0...0.5).contains(hue), "ColorJitter: bad parameter")
        func range(_ v: Double) -> ClosedRange<Double>? { v == 0 ? nil : max(0, 1 - v)...(1 + v) }
        self.brightness = range(brightness)
        self.contrast = range(contrast)
        self.saturation = range(saturation)
        self.hue = hue == 0 ? nil : (-hue)...hue
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        var order = [0, 1, 2, 3]
        order.shuffle(using: &rng)
        func draw(_ r: ClosedRange<Double>?) -> Double? { r.map { $0.lowerBound + ($0.upperBound - $0.lowerBound) * rng.nextDouble() } }
        let b = draw(brightness), c = draw(contrast), s = draw(saturation), h = draw(hue)
        var img = image
        for fn in order {
            switch fn {
            case 0: if let b { img = img.adjustedBrightness(b) }
            case 1: if let c { img = img.adjustedContrast(c) }
            case 2: if let s { img = img.adjustedSaturation(s) }
            default: if let h { img = img.adjustedHue(h) }
            }
        }
        return img
    }
}
