// An 8-bit image in HWC layout. ImageIO knows nothing of tensors: conversion is a transform.

import Traps

/// An image of `height` × `width` pixels with `channels` interleaved 8-bit samples (HWC).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (gray), 3 (RGB) or 4 (RGBA).
    public var channels: Int
    /// `height * width * channels` samples, row by row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        trapUnless(pixels.count == width * height * channels, "Image: pixel count does not match \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with `value` (zeros by default).
    public init(width: Int, height: Int, channels: Int, value: UInt8 = 0) {
        trapUnless(width >= 0 && height >= 0 && channels > 0, "Image: bad size \(width)x\(height)x\(channels)")
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: width * height * channels))
    }

    /// The colour mode matching `channels` (`nil` for 2 channels).
    public var mode: ColorMode? { ColorMode(channels: channels) }

    /// The sample at row `y`, column `x`, channel `c`.
    @inlinable
    public subscript(y: Int, x: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}

/// The pixel layout asked of a decoder, with Pillow's `convert(mode)` semantics.
public enum ColorMode: String, Sendable, CaseIterable {
    /// Pillow "L": gray = (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16.
    case gray
    /// Pillow "RGB": alpha dropped, gray replicated, CMYK converted, palette looked up.
    case rgb
    /// Pillow "RGBA": alpha kept (PNG tRNS applied), 255 where there is none.
    case rgba

    /// Samples per pixel.
    public var channels: Int {
        switch self {
        case .gray: 1
        case .rgb: 3
        case .rgba: 4
        }
    }

    init?(channels: Int) {
        switch channels {
        case 1: self = .gray
        case 3: self = .rgb
        case 4: self = .rgba
        default: return nil
        }
    }
}
