// Flips, 90° rotations and the EXIF orientation (PIL's Image.transpose and ImageOps.exif_transpose).

extension Image {
    /// PIL's `Image.Transpose` operations.
    public enum Transposition: Sendable, CaseIterable {
        case flipLeftRight, flipTopBottom, rotate90, rotate180, rotate270, transpose, transverse
    }

    /// The image transformed as PIL's `transpose(method)` (rotations counter-clockwise).
    public func transposed(_ method: Transposition) -> Image {
        let w = width, h = height, c = channels
        let swaps = method == .rotate90 || method == .rotate270 || method == .transpose || method == .transverse
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let sx: Int, sy: Int
                        switch method {
                        case .flipLeftRight: (sx, sy) = (w &- 1 &- x, y)
                        case .flipTopBottom: (sx, sy) = (x, h &- 1 &- y)
                        case .rotate180: (sx, sy) = (w &- 1 &- x, h &- 1 &- y)
                        case .rotate90: (sx, sy) = (w &- 1 &- y, x)
                        case .rotate270: (sx, sy) = (y, h &- 1 &- x)
                        case .transpose: (sx, sy) = (y, x)
                        case .transverse: (sx, sy) = (w &- 1 &- y, h &- 1 &- x)
                        }
                        let s = (sy &* w &+ sx) &* c, d = (y &* ow &+ x) &* c
                        for k in 0..<c { dst[d &+ k] = src[s &+ k] }
                    }
                }
            }
        }
        return Image(width: ow, height: oh, channels: c, pixels: out)
    }

    /// The image as ImageOps.exif_transpose shows it for EXIF `orientation` 1-8.
    public func transposed(exifOrientation orientation: Int) -> Image {
        switch orientation {
        case 2: transposed(.flipLeftRight)
        case 3: transposed(.rotate180)
        case 4: transposed(.flipTopBottom)
        case 5: transposed(.transpose)
        case 6: transposed(.rotate270)
        case 7: transposed(.transverse)
        case 8: transposed(.rotate90)
        default: self
        }
    }
}
