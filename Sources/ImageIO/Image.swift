// An 8-bit image in HWC layout. ImageIO knows nothing of tensors: conversion is a transform.

/// An image of `height` × `width` pixels with `channels` interleaved 8-bit samples (HWC).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (gray), 3 (RGB) or 4 (RGBA).
    public var channels: Int
    /// `height * width * channels` samples, row by row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "Image: pixel count does not match \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}
