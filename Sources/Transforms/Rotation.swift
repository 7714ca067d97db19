// Rotation as PIL's Image.rotate (which torchvision's rotate calls for PIL images): the inverse
// affine matrix with entries rounded to 15 decimals, sampled at pixel centres; nearest uses PIL's
// 16.16 fixed-point stepping, bilinear and bicubic PIL's double-precision filters truncated to 8
// bits; pixels mapping outside the source get `fill`.
import Foundation
import ImageIO
import Tensors

extension Image {
    /// The image rotated counter-clockwise by `degrees` about its centre, same size (expand=False).
    public func rotated(degrees: Double, interpolation: Interpolation = .nearest, fill: UInt8 = 0) -> Image {
        let angle = degrees.truncatingRemainder(dividingBy: 360) + (degrees < 0 && degrees.truncatingRemainder(dividingBy: 360) != 0 ? 360 : 0)
        if angle == 0 { return self }
        if angle == 180 { return transposed(.rotate180) }
        if (angle == 90 || angle == 270) && width == height { return transposed(angle == 90 ? .rotate90 : .rotate270) }
        func round15(_ v: Double) -> Double { Double(String(format: "%.15f", v))! }
        let rad = -angle * Double.pi / 180
        var a = [round15(cos(rad)), round15(sin(rad)), 0, round15(-sin(rad)), round15(cos(rad)), 0]
        let cx = Double(width) / 2, cy = Double(height) / 2
        a[2] = a[0] * -cx + a[1] * -cy + a[2]
        a[5] = a[3] * -cx + a[4] * -cy + a[5]
        a[2] += cx
        a[5] += cy
        return affineTransformed(a, interpolation: interpolation, fill: fill)
    }

    /// PIL's `transform(size, AFFINE, a, resample)` with the output the same size as the input:
    /// output (x, y) samples the input at (a0·x' + a1·y' + a2, a3·x' + a4·y' + a5), x' = x + ½.
    func affineTransformed(_ a: [Double], interpolation: Interpolation, fill: UInt8) -> Image {
        let w = width, h = height, c = channels
        var out = [UInt8](repeating: fill, count: pixels.count)
        func floorInt(_ v: Double) -> Int { v < 0 ? Int(v.rounded(.down)) : Int(v) }
        if interpolation == .nearest {
            func fix(_ v: Double) -> Int { floorInt(v * 65536 + 0.5) }
            let a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4])
            var a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5), a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5)
            for y in 0..<h {
                var xx = a2, yy = a5
                for x in 0..<w {
                    let xin = xx >> 16, yin = yy >> 16
                    if xin >= 0 && xin < w && yin >= 0 && yin < h {
                        for k in 0..<c { out[(y * w + x) * c + k] = pixels[(yin * w + xin) * c + k] }
                    }
                    xx += a0
                    yy += a3
                }
                a2 += a1
                a5 += a4
            }
            return Image(width: w, height: h, channels: c, pixels: out)
        }
        @inline(__always) func px(_ x: Int, _ y: Int, _ k: Int) -> Double {
            Double(pixels[(y * w + min(max(x, 0), w - 1)) * c + k])
        }
        for y in 0..<h {
            for x in 0..<w {
                let xs = Double(x) + 0.5, ys = Double(y) + 0.5
                var xin = a[0] * xs + a[1] * ys + a[2], yin = a[3] * xs + a[4] * ys + a[5]
                guard xin >= 0 && xin < Double(w) && yin >= 0 && yin < Double(h) else { continue }
                xin -= 0.5
                yin -= 0.5
                let ix = floorInt(xin), iy = floorInt(yin)
                let dx = xin - Double(ix), dy = yin - Double(iy)
                for k in 0..<c {
                    let v: Double
                    if interpolation == .bilinear {
                        func row(_ r: Int) -> Double { let a = px(ix, r, k), b = px(ix + 1, r, k); return a + (b - a) * dx }
                        let v1 = row(min(max(iy, 0), h - 1))
                        let v2 = (iy + 1 >= 0 && iy + 1 < h) ? row(iy + 1) : v1
                        v = v1 + (v2 - v1) * dy
                        out[(y * w + x) * c + k] = UInt8(v)
                    } else {
                        func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ d: Double) -> Double {
                            let p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4
                            return p1 + d * (p2 + d * (p3 + d * p4))
                        }
                        let bx = ix - 1, by = iy - 1
                        func row(_ r: Int) -> Double { cubic(px(bx, r, k), px(bx + 1, r, k), px(bx + 2, r, k), px(bx + 3, r, k), dx) }
                        let v1 = row(min(max(by, 0), h - 1))
                        let v2 = (by + 1 >= 0 && by + 1 < h) ? row(by + 1) : v1
                        let v3 = (by + 2 >= 0 && by + 2 < h) ? row(by + 2) : v2
                        let v4 = (by + 3 >= 0 && by + 3 < h) ? row(by + 3) : v3
                        v = cubic(v1, v2, v3, v4, dy)
                        out[(y * w + x) * c + k] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }
}

/// torchvision's RandomRotation(degrees, interpolation, expand=False, center=None, fill): the angle is
/// uniform in `degrees`.
public struct RandomRotation: ImageTransform {
    public var degrees: ClosedRange<Double>
    public var interpolation: Interpolation
    public var fill: UInt8

    public init(_ degrees: Double, interpolation: Interpolation = .nearest, fill: UInt8 = 0) {
        self.init(degrees: -degrees...degrees, interpolation: interpolation, fill: fill)
    }

    public init(degrees: ClosedRange<Double>, interpolation: Interpolation = .nearest, fill: UInt8 = 0) {
        self.degrees = degrees
        self.interpolation = interpolation
        self.fill = fill
    }

    public func apply(_ image: Image, using rng: inout RandomGenerator) throws -> Image {
        let angle = degrees.lowerBound + (degrees.upperBound - degrees.lowerBound) * rng.nextDouble()
        return image.rotated(degrees: angle, interpolation: interpolation, fill: fill)
    }
}
