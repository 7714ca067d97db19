// Mode conversion and Grayscale with Pillow's arithmetic.
import ImageIO
import Tensors
import Traps

extension Image {
    /// The image in `mode` with Pillow's `convert` rules (L = (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16,
    /// gray replicated to RGB, alpha dropped or set to 255).
    public func converted(to mode: ColorMode) -> Image {
        if channels == mode.channels { return self }
        let n = width * height, c = channels, oc = mode.channels
        var out = [UInt8](repeating: 255, count: n * oc)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    let p = i &* c, q = i &* oc
                    if c <= 2 {  // L or LA
                        let v = s[p]
                        if oc == 1 { d[q] = v } else { d[q] = v; d[q &+ 1] = v; d[q &+ 2] = v }
                        if oc == 4 && c == 2 { d[q &+ 3] = s[p &+ 1] }
                    } else if oc == 1 {
                        d[q] = luma(s[p], s[p &+ 1], s[p &+ 2])
                    } else {
                        d[q] = s[p]; d[q &+ 1] = s[p &+ 1]; d[q &+ 2] = s[p &+ 2]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: oc, pixels: out)
    }
}

/// Pillow's L from RGB: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16 (= round(0.299R + 0.587G + 0.114B)).
@inlinable
func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    UInt8(truncatingIfNeeded: (Int32(r) &* 19595 &+ Int32(g) &* 38470 &+ Int32(b) &* 7471 &+ 0x8000) >> 16)
}

/// torchvision's Grayscale(num_output_channels) on an image: Pillow "L", replicated to 3 channels if asked.
public struct Grayscale: DeterministicImageTransform {
    public var outputChannels: Int
    public init(outputChannels: Int = 1) {
        trapUnless(outputChannels == 1 || outputChannels == 3, "Grayscale: 1 or 3 output channels")
        self.outputChannels = outputChannels
    }
    public func callAsFunction(_ image: Image) -> Image {
        let gray = image.converted(to: .gray)
        return outputChannels == 1 ? gray : gray.converted(to: .rgb)
    }
}
