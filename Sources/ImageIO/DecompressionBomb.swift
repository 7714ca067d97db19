// The cheap rejection of a header that claims far more pixels than its file can hold, before the
// output is allocated or a row is decoded. The pixel limit (`DecodeOptions.maxPixels`, Pillow's
// DecompressionBombError threshold) bounds what any file may decode to; this bounds what a file of
// its size can honestly decode to, so a 3 KB JPEG claiming 13000 × 13000 is refused at once instead
// of decoding 648 MB of zero-filled rows for seconds and then failing as truncated.
//
// The bounds are facts of the formats, with room to spare:
// - JPEG: every 8×8 block of the first component costs at least one bit of entropy-coded data
//   (a Huffman code is ≥ 1 bit; sequential files pay ≥ 2 per block), so a file of N bytes holds at
//   most 8·N blocks, 512·N pixels. (Arithmetic-coded or DC-less progressive files can beat this;
//   they are vanishingly rare, and `allowTruncated` skips the check.)
// - PNG: deflate expands at most ~1032:1, so the filtered rows, height × (1 + ⌈width·samples·bits/8⌉)
//   bytes, are at most 1032·N plus one 64 KiB window.
// A truncated file that `allowTruncated` accepts may legitimately claim more: the check is off then.

import CImageCodecs

enum DecompressionBomb {
    /// Throws `.badDimensions` when a header of `info` cannot come from `fileBytes` bytes.
    static func check(_ info: cimg_info, fileBytes: Int, name: String) throws {
        let width = Int(info.width), height = Int(info.height)
        let claimed = width.multipliedReportingOverflow(by: height)
        guard !claimed.overflow else { throw ImageError(.badDimensions, file: name, "header claims \(width)×\(height) pixels") }
        if Int(info.format) == CIMG_FORMAT_JPEG {
            let most = fileBytes.multipliedReportingOverflow(by: 512)
            if !most.overflow && claimed.partialValue > most.partialValue {
                throw ImageError(.badDimensions, file: name,
                                 "JPEG header claims \(width)×\(height) (\(claimed.partialValue) pixels), more than a \(fileBytes)-byte JPEG can hold "
                                 + "(at most \(most.partialValue): one bit per 8×8 block); the file is truncated or forged")
            }
        } else if Int(info.format) == CIMG_FORMAT_PNG {
            let samples: Int
            switch Int(info.color_type) {
            case 2: samples = 3  // RGB
            case 4: samples = 2  // gray + alpha
            case 6: samples = 4  // RGBA
            default: samples = 1 // gray, palette
            }
            let bits = max(Int(info.bit_depth), 1)
            let rowBytes = 1 + (width * samples * bits + 7) / 8
            let raw = rowBytes.multipliedReportingOverflow(by: height)
            let most = fileBytes.multipliedReportingOverflow(by: 1032)
            if raw.overflow || (!most.overflow && raw.partialValue > most.partialValue + 65536) {
                throw ImageError(.badDimensions, file: name,
                                 "PNG header claims \(width)×\(height) (\(raw.partialValue) bytes of rows), more than a \(fileBytes)-byte PNG "
                                 + "can hold (deflate expands at most 1032:1); the file is truncated or forged")
            }
        }
    }
}
