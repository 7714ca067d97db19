// The IDX format of MNIST and Fashion-MNIST (torchvision's read_sn3_pascalvincent_tensor):
//   bytes 0-1  zero
//   byte  2    element type: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    number of dimensions
//   then one big-endian UInt32 per dimension, then the elements, big-endian, row-major.
// Files may be gzip'd (detected by the 1f 8b magic, not the name). Every size is checked: the
// dimensions' product times the element size must equal the bytes that follow, computed without
// overflow, before anything is copied.

import Files

/// An IDX file: an n-dimensional array of one element type, stored big-endian.
public struct IDXFile: Sendable {
    /// The element types IDX defines.
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    /// Files larger than this (after decompression) are refused; Fashion-MNIST's largest is 47 MB.
    public static let defaultByteLimit = 1 << 31

    /// The element type.
    public let elementType: ElementType
    /// The dimensions.
    public let shape: [Int]
    /// The elements as stored (big-endian), `shape.product × elementType.size` bytes.
    public let data: [UInt8]

    /// Reads the IDX file at `path`, gzip'd or not. Errors name the file.
    public init(contentsOf path: String, byteLimit: Int = IDXFile.defaultByteLimit) throws {
        try self.init(bytes: try FileSystem.read(path), name: path, byteLimit: byteLimit)
    }

    /// Reads IDX bytes, gzip'd or not (judged by the 1f 8b magic); errors name `name`.
    public init(bytes: [UInt8], name: String, byteLimit: Int = IDXFile.defaultByteLimit) throws {
        self = try bytes.withUnsafeBytes { file in
            if Inflate.isGzip(file) {
                let inflated: ByteBuffer
                do throws(FileError) { inflated = try Inflate.gzip(file, limit: byteLimit, name: name) } catch { throw DatasetError(error) }
                return try inflated.withUnsafeBytes { try IDXFile(parsing: $0, name: name) }
            }
            guard file.count <= byteLimit else {
                throw DatasetError.file(.corrupt, name, "IDX: \(file.count) bytes exceed the limit of \(byteLimit)")
            }
            return try IDXFile(parsing: file, name: name)
        }
    }

    /// Parses IDX bytes (not gzip'd); errors name `name`.
    public init(parsing bytes: UnsafeRawBufferPointer, name: String) throws {
        func fail(_ problem: String) -> DatasetError { DatasetError.file(.corrupt, name, "IDX: \(problem)") }
        guard bytes.count >= 4 else { throw fail("file is \(bytes.count) bytes, shorter than the 4-byte magic") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let magic = bytes.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            throw fail("bad magic \(magic) (expected 00 00 <type> <dimensions>)")
        }
        guard let type = ElementType(rawValue: bytes[2]) else {
            throw fail("unknown element type 0x\(String(bytes[2], radix: 16)) (expected 08, 09, 0b, 0c, 0d or 0e)")
        }
        let ndim = Int(bytes[3])
        guard (1...8).contains(ndim) else { throw fail("\(ndim) dimensions (expected 1 to 8)") }
        let headerSize = 4 + 4 * ndim
        guard bytes.count >= headerSize else {
            throw fail("truncated header: \(ndim) dimensions need \(headerSize) bytes, the file has \(bytes.count)")
        }
        var shape: [Int] = []
        var total = type.size
        var overflow = false
        for d in 0..<ndim {
            let n = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4 + 4 * d, as: UInt32.self)))
            shape.append(n)
            let (p, o) = total.multipliedReportingOverflow(by: n)
            overflow = overflow || o
            total = p
        }
        let payload = bytes.count - headerSize
        guard !overflow, total == payload else {
            let need = overflow ? "more than \(Int.max)" : "\(total)"
            let what = payload < total || overflow ? "truncated" : "size mismatch"
            throw fail("\(what): shape \(shape) of \(type) needs \(need) data bytes, the file has \(payload)")
        }
        elementType = type
        self.shape = shape
        data = Array(UnsafeRawBufferPointer(rebasing: bytes[headerSize...]))
    }
}
