// Decoding from a file or memory through the C shim: parse the header, check the dimensions
// against the limit and against what the file's size can hold (DecompressionBomb.swift), reserve
// the output's bytes from the process's `DecodeBudget`, allocate the output once, decode straight
// into it.
import CImageCodecs
import Files

extension Image {
    /// Decodes the JPEG or PNG at `path` (format from magic bytes, not the extension).
    ///
    /// `Image(contentsOf: "cat.jpg")` gives RGB as torchvision's `pil_loader` (`convert("RGB")`).
    /// Images whose header claims more than `maxPixels` pixels are rejected before decoding.
    public init(contentsOf path: String, mode: ColorMode = .rgb, applyOrientation: Bool = false,
                maxPixels: Int = DecodeOptions.defaultMaxPixels) throws {
        self = try Image.decode(contentsOf: path, options: DecodeOptions(mode: mode, applyOrientation: applyOrientation,
                                                                         maxPixels: maxPixels)).image
    }

    /// Decodes in-memory JPEG or PNG bytes; `name` appears in errors.
    public init(data: [UInt8], mode: ColorMode = .rgb, applyOrientation: Bool = false, name: String = "<memory>") throws {
        self = try Image.decode(data: data, name: name, options: DecodeOptions(mode: mode, applyOrientation: applyOrientation)).image
    }

    /// Decodes the file at `path` with full options, reporting format, orientation and warnings.
    public static func decode(contentsOf path: String, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        let bytes: [UInt8]
        do throws(FileError) { bytes = try readWholeFile(path) } catch { throw ImageError(error) }
        return try decode(data: bytes, name: path, options: options)
    }

    /// Decodes in-memory bytes with full options; `name` appears in errors.
    public static func decode(data: [UInt8], name: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        guard let decoder = cimg_decoder_create() else { throw ImageError(.io, file: name, "out of memory") }
        defer { cimg_decoder_destroy(decoder) }
        return try data.withUnsafeBufferPointer { buf -> DecodedImage in
            var info = cimg_info()
            let wantAlpha: Int32 = options.mode == .rgba ? 1 : 0
            // The shim checks width*height against the limit before any pixel or row buffer exists.
            let status = cimg_read_header(decoder, buf.baseAddress, buf.count, wantAlpha, Int64(options.maxPixels), &info)
            let format: ImageFormat = Int(info.format) == CIMG_FORMAT_JPEG ? .jpeg : .png
            if Int(status) == CIMG_ERR_LIMIT {
                throw ImageError(.badDimensions, file: name, "\(format.rawValue.uppercased()): " + String(cString: cimg_decoder_message(decoder)))
            }
            if Int(status) != CIMG_OK { throw failure(decoder, status, name: name, data: buf) }
            if !options.allowTruncated { try DecompressionBomb.check(info, fileBytes: buf.count, name: name) }
            let width = Int(info.width), height = Int(info.height)
            let channels = options.mode.channels
            var decodeStatus: Int32 = 0
            let pixels = DecodeBudget.shared.withReservation(width * height * channels) {
                [UInt8](unsafeUninitializedCapacity: width * height * channels) { out, count in
                    decodeStatus = cimg_decode(decoder, out.baseAddress, Int32(channels))
                    count = out.count
                }
            }
            if Int(decodeStatus) != CIMG_OK { throw failure(decoder, decodeStatus, name: name, data: buf) }
            var warnings: [String] = []
            let warningCount = Int(cimg_decoder_warning_count(decoder))
            if warningCount > 0 {
                let first = String(cString: cimg_decoder_first_warning(decoder))
                warnings.append(first)
                if warningCount > 1 { warnings.append("(\(warningCount - 1) more warnings)") }
                if cimg_decoder_truncated(decoder) != 0 && !options.allowTruncated {
                    throw ImageError(.truncated, file: name, "image file is truncated (\(first))")
                }
                if options.warningsAreErrors { throw ImageError(.warning, file: name, first) }
            }
            var image = Image(width: width, height: height, channels: channels, pixels: pixels)
            let orientation = info.orientation > 0 ? Int(info.orientation) : nil
            if options.applyOrientation, let o = orientation, o != 1 { image = image.transposed(exifOrientation: o) }
            return DecodedImage(image: image, format: format, orientation: orientation, warnings: warnings)
        }
    }

    private static func failure(_ decoder: OpaquePointer, _ status: Int32, name: String, data: UnsafeBufferPointer<UInt8>) -> ImageError {
        let text = String(cString: cimg_decoder_message(decoder))
        if Int(status) == CIMG_ERR_MEMORY { return ImageError(.io, file: name, "out of memory while decoding") }
        guard let format = ImageFormat.detect(data) else {
            return ImageError(.unrecognizedFormat, file: name, text)
        }
        let kind: ImageError.Kind = cimg_decoder_truncated(decoder) != 0 ? .truncated : .corrupt
        return ImageError(kind, file: name, "corrupt \(format.rawValue.uppercased()): \(text)")
    }
}
