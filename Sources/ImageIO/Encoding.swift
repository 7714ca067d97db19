// Encoding to JPEG/PNG bytes and atomic writes to files.
import CImageCodecs
import Files

extension Image {
    /// Baseline JPEG bytes (Pillow's defaults: 4:2:0 for RGB). Gray or RGB only; drop alpha first.
    public func jpegData(quality: Int = 75) throws -> [UInt8] {
        guard channels == 1 || channels == 3 else {
            throw ImageError(.encoding, file: "<memory>", "JPEG cannot store \(channels) channels (use gray or RGB)")
        }
        return try encoded { pixels, out in cimg_encode_jpeg(pixels, Int32(width), Int32(height), Int32(channels), Int32(quality), out) }
    }

    /// PNG bytes at zlib `compressionLevel` 0-9 (6 is Pillow's default).
    public func pngData(compressionLevel: Int = 6) throws -> [UInt8] {
        try encoded { pixels, out in cimg_encode_png(pixels, Int32(width), Int32(height), Int32(channels), Int32(compressionLevel), out) }
    }

    /// Writes the image to `path` atomically (temporary file + rename). The format is `format`, or
    /// chosen from the extension (.jpg/.jpeg → JPEG, anything else PNG).
    public func write(to path: String, format: ImageFormat? = nil, quality: Int = 75) throws {
        let lower = path.lowercased()
        let chosen = format ?? ((lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")) ? .jpeg : .png)
        do {
            let bytes = chosen == .jpeg ? try jpegData(quality: quality) : try pngData()
            do throws(FileError) { try writeAtomically(bytes, to: path) } catch { throw ImageError(error) }
        } catch var error as ImageError {
            error.file = path
            throw error
        }
    }

    private func encoded(_ body: (UnsafePointer<UInt8>?, UnsafeMutablePointer<cimg_buffer>) -> Int32) throws -> [UInt8] {
        guard width > 0, height > 0 else { throw ImageError(.encoding, file: "<memory>", "cannot encode an empty image") }
        var buffer = cimg_buffer()
        let status = pixels.withUnsafeBufferPointer { body($0.baseAddress, &buffer) }
        defer { cimg_buffer_free(&buffer) }
        guard Int(status) == CIMG_OK, let data = buffer.data else {
            let message = withUnsafeBytes(of: buffer.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError(.encoding, file: "<memory>", message.isEmpty ? "encoding failed" : message)
        }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }
}
