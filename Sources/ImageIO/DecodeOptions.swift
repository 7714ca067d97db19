// Options for decoding, and what a decode reports besides the pixels.

/// How to decode an image.
public struct DecodeOptions: Sendable, Equatable {
    /// Pillow's `Image.MAX_IMAGE_PIXELS` is 89,478,485 (a warning); twice that is its error. We
    /// error at Pillow's error threshold.
    public static let defaultMaxPixels = 2 * 89_478_485

    /// The output layout (`.rgb` as torchvision's loader `convert("RGB")`).
    public var mode: ColorMode
    /// Apply the EXIF orientation (ImageOps.exif_transpose semantics).
    public var applyOrientation: Bool
    /// Images with more pixels than this are rejected before any pixel memory is allocated.
    public var maxPixels: Int
    /// Accept a truncated JPEG (missing data decodes as gray, as Pillow with LOAD_TRUNCATED_IMAGES).
    public var allowTruncated: Bool
    /// Treat any codec warning (e.g. "Corrupt JPEG data: extraneous bytes") as an error.
    public var warningsAreErrors: Bool

    public init(mode: ColorMode = .rgb, applyOrientation: Bool = false, maxPixels: Int = DecodeOptions.defaultMaxPixels,
                allowTruncated: Bool = false, warningsAreErrors: Bool = false) {
        self.mode = mode
        self.applyOrientation = applyOrientation
        self.maxPixels = maxPixels
        self.allowTruncated = allowTruncated
        self.warningsAreErrors = warningsAreErrors
    }
}

/// Image file formats ImageIO reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png

    /// The format of `bytes` judged by magic bytes (never the extension), or nil.
    public static func detect<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }
}

/// A decoded image with what the decoder noticed.
public struct DecodedImage: Sendable {
    public var image: Image
    public var format: ImageFormat
    /// EXIF orientation found in the file (1-8), or nil.
    public var orientation: Int?
    /// Codec warnings (only the first one's text is kept by the codec, plus a count).
    public var warnings: [String]
}
