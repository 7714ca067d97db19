// Crop and pad on images with PIL/torchvision semantics: crop regions may leave the image (the
// outside is zero, as PIL's Image.crop), padding modes are numpy's (constant, edge, reflect, symmetric).
import ImageIO
import Traps

/// How `pad` fills the border (torchvision's padding_mode).
public enum PaddingMode: String, Sendable, CaseIterable {
    /// A constant value (`fill`).
    case constant
    /// Repeats the last pixel.
    case edge
    /// Mirrors without repeating the edge: 2 1 | 0 1 2 | 1 0.
    case reflect
    /// Mirrors repeating the edge: 1 0 | 0 1 2 | 2 1.
    case symmetric
}

extension Image {
    /// The `height`×`width` region whose top-left corner is (`top`, `left`); parts outside the
    /// image are zero (PIL's `crop((left, top, left + width, top + height))`).
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> Image {
        trapUnless(h >= 0 && w >= 0, "cropped: negative size \(h)x\(w)")
        let c = channels
        var out = [UInt8](repeating: 0, count: h * w * c)
        let x0 = max(0, left), x1 = min(width, left + w)
        if x1 > x0 {
            pixels.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { d in
                    for y in max(0, top)..<max(max(0, top), min(height, top + h)) {
                        let src = s.baseAddress! + (y * width + x0) * c
                        let dst = d.baseAddress! + ((y - top) * w + (x0 - left)) * c
                        dst.update(from: src, count: (x1 - x0) * c)
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }

    /// The image with `left`, `top`, `right`, `bottom` pixels added (negative values crop), as
    /// torchvision's `F.pad` on a PIL image.
    public func padded(left: Int, top: Int, right: Int, bottom: Int, mode: PaddingMode = .constant, fill: UInt8 = 0) -> Image {
        let ow = width + left + right, oh = height + top + bottom
        trapUnless(ow >= 0 && oh >= 0, "padded: negative result size")
        if mode == .constant {
            var out = cropped(top: -top, left: -left, height: oh, width: ow)
            if fill != 0 {
                for y in 0..<oh {
                    for x in 0..<ow where !(y >= top && y < top + height && x >= left && x < left + width) {
                        for k in 0..<channels { out[y, x, k] = fill }
                    }
                }
            }
            return out
        }
        trapUnless(width > 0 && height > 0, "padded: cannot \(mode)-pad an empty image")
        let xs = (0..<ow).map { Self.sourceIndex($0 - left, size: width, mode: mode) }
        let ys = (0..<oh).map { Self.sourceIndex($0 - top, size: height, mode: mode) }
        let c = channels
        var out = [UInt8](repeating: 0, count: ow * oh * c)
        for y in 0..<oh {
            for x in 0..<ow {
                let s = (ys[y] * width + xs[x]) * c, d = (y * ow + x) * c
                for k in 0..<c { out[d + k] = pixels[s + k] }
            }
        }
        return Image(width: ow, height: oh, channels: c, pixels: out)
    }

    /// Source index of padded coordinate `i` (may be outside 0..<size) for numpy's pad modes.
    static func sourceIndex(_ i: Int, size n: Int, mode: PaddingMode) -> Int {
        switch mode {
        case .constant, .edge: return min(max(i, 0), n - 1)
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * (n - 1)
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - m
        case .symmetric:
            let period = 2 * n
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - 1 - m
        }
    }

    /// Mirrored left to right.
    public func flippedHorizontally() -> Image { transposed(.flipLeftRight) }
    /// Mirrored top to bottom.
    public func flippedVertically() -> Image { transposed(.flipTopBottom) }
}
