// Raw DEFLATE decoding for the one place a checkpoint may be compressed: the "legacy zip" wrapper
// torch.hub accepts (a zip holding one .pth, often deflated by a zip tool). It uses the system
// zlib (raw stream, windowBits −15) rather than a decoder of our own; the output buffer is sized
// from the zip header, and a stream that ends early, runs past it or is malformed is an error.

import CZlib

enum Inflate {
    /// Decompresses a raw deflate stream that must fill `output` exactly.
    static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError("inflate: zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        // zlib takes 32-bit lengths: feed and drain in chunks so large members work too.
        var consumed = 0, produced = 0
        let chunk = 1 << 30
        while true {
            let inCount = min(chunk, input.count - consumed), outCount = min(chunk, output.count - produced)
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
            stream.avail_in = UInt32(inCount)
            stream.next_out = output.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + produced }
            stream.avail_out = UInt32(outCount)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let (usedIn, madeOut) = (inCount - Int(stream.avail_in), outCount - Int(stream.avail_out))
            consumed += usedIn
            produced += madeOut
            switch status {
            case Z_STREAM_END:
                guard produced == output.count else {
                    throw FormatError("inflate: stream ended after \(produced) of \(output.count) bytes")
                }
                return
            case Z_OK where usedIn > 0 || madeOut > 0:
                continue
            case Z_OK, Z_BUF_ERROR:  // no progress possible: out of input, or out of room
                throw produced == output.count
                    ? FormatError("inflate: data continues past the declared size of \(output.count) bytes")
                    : FormatError("inflate: stream truncated after \(produced) of \(output.count) bytes")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw FormatError("inflate: corrupt deflate data (\(message))")
            }
        }
    }
}
