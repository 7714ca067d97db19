// Turns a strided view of raw file bytes into a contiguous Float32 `Tensor`.
//
// A saved tensor is (storage, storage offset, sizes, strides), as torch keeps it, so a
// transposed or sliced tensor is saved with its whole storage. Before anything is allocated
// the view is checked: sizes and strides non-negative, the element count and the furthest
// element computed with overflow checks, and that element inside the storage. Conversion then
// walks the view row by row (the innermost dimension is one strided run), decoding the file's
// dtype and byte order into Float32 directly in the tensor's buffer: one pass, no intermediate.
// Contiguous tensors are converted in chunks whose source pages are released as they are done,
// so a 400 MB tensor does not hold 400 MB of file pages and 400 MB of floats at once.

import Pickle
import Tensors

enum TensorMaterializer {
    /// Builds the tensor `ref` describes from `storage`, the bytes of its (root) storage.
    /// `limit` is the remaining budget of elements this file may materialize; it is reduced.
    /// `release` is told which source bytes have been consumed, chunk by chunk, so a mapped
    /// file's pages can be dropped while a large tensor is still being converted.
    static func tensor(_ ref: TensorRef, storage: UnsafeRawBufferPointer, bigEndian: Bool, limit: inout Int,
                       release: (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> Tensor {
        let dtype = ref.storage.dtype
        let esize = dtype.elementSize
        // Elements available to this view: the storage record may be larger than declared, not smaller.
        let available = storage.count / esize
        let viewStart = ref.storage.viewOffset
        let viewCount = ref.storage.count
        guard viewStart >= 0, viewCount >= 0, viewStart <= available, viewCount <= available - viewStart else {
            throw FormatError("storage \(ref.storage.key) declares \(viewCount) \(dtype) elements but its data holds \(available)")
        }
        guard ref.offset >= 0 else { throw FormatError("negative storage offset \(ref.offset)") }
        var count = 1
        var last = ref.offset  // index of the furthest element, relative to the view
        for (size, stride) in zip(ref.shape, ref.strides) {
            guard size >= 0, stride >= 0 else { throw FormatError("negative size or stride in \(ref.shape) / \(ref.strides)") }
            count = try checkedMul(count, size, "element count of shape \(ref.shape)")
            if size > 0 { last = try checkedAdd(last, try checkedMul(size - 1, stride, "stride extent"), "stride extent") }
        }
        if count > 0 {
            guard last < viewCount else {
                throw FormatError("tensor of shape \(ref.shape), strides \(ref.strides), offset \(ref.offset) reaches element \(last) of a \(viewCount)-element storage")
            }
        }
        guard count <= limit else { throw FormatError("tensors expand to more elements than the file can hold (shape \(ref.shape))") }
        limit -= count

        var tensor = Tensor(uninitializedShape: ref.shape)
        guard count > 0, let base = storage.baseAddress else { return tensor }
        let origin = base + (viewStart + ref.offset) * esize
        let rank = ref.shape.count
        tensor.withUnsafeMutableBufferPointer { out in
            guard let dst = out.baseAddress else { return }
            if rank == 0 { convert(dtype, origin, stride: 1, count: 1, into: dst, bigEndian: bigEndian); return }
            // Contiguous row-major strides: one run over everything.
            var contiguous = true
            var expected = 1
            for d in stride(from: rank - 1, through: 0, by: -1) where ref.shape[d] != 1 {
                if ref.strides[d] != expected { contiguous = false; break }
                expected &*= ref.shape[d]
            }
            if contiguous {
                // In chunks of 4 Mi elements, releasing each chunk's source bytes once converted.
                let chunk = 1 << 22
                var done = 0
                while done < count {
                    let n = min(chunk, count - done)
                    let src = origin + done * esize
                    convert(dtype, src, stride: 1, count: n, into: dst + done, bigEndian: bigEndian)
                    release(UnsafeRawBufferPointer(start: src, count: n * esize))
                    done += n
                }
                return
            }
            let inner = ref.shape[rank - 1], innerStride = ref.strides[rank - 1]
            var index = [Int](repeating: 0, count: rank)
            var written = 0
            while written < count {
                var element = 0
                for d in 0..<(rank - 1) { element &+= index[d] &* ref.strides[d] }
                convert(dtype, origin + element &* esize, stride: innerStride, count: inner, into: dst + written, bigEndian: bigEndian)
                written &+= inner
                var d = rank - 2
                while d >= 0 {
                    index[d] &+= 1
                    if index[d] < ref.shape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return tensor
    }

    /// Decodes `count` elements of `dtype`, `stride` elements apart, starting at `src`.
    static func convert(_ dtype: DType, _ src: UnsafeRawPointer, stride: Int, count: Int,
                        into dst: UnsafeMutablePointer<Float>, bigEndian: Bool) {
        let step = stride &* dtype.elementSize
        switch dtype {
        case .float32:
            if step == 4 && !bigEndian {
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count &* 4)
                return
            }
            for i in 0..<count {
                var bits = src.loadUnaligned(fromByteOffset: i &* step, as: UInt32.self)
                bits = bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)
                dst[i] = Float(bitPattern: bits)
            }
        case .float16:
            for i in 0..<count { dst[i] = halfToFloat(load16(src, i &* step, bigEndian)) }
        case .bfloat16:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(load16(src, i &* step, bigEndian)) << 16) }
        case .float64:
            for i in 0..<count {
                let bits = src.loadUnaligned(fromByteOffset: i &* step, as: UInt64.self)
                dst[i] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
            }
        case .int64:
            for i in 0..<count {
                let v = src.loadUnaligned(fromByteOffset: i &* step, as: Int64.self)
                dst[i] = Float(bigEndian ? Int64(bigEndian: v) : Int64(littleEndian: v))
            }
        case .int32:
            for i in 0..<count {
                let v = src.loadUnaligned(fromByteOffset: i &* step, as: Int32.self)
                dst[i] = Float(bigEndian ? Int32(bigEndian: v) : Int32(littleEndian: v))
            }
        case .int16:
            for i in 0..<count { dst[i] = Float(Int16(bitPattern: load16(src, i &* step, bigEndian))) }
        case .int8:
            for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: i &* step, as: Int8.self)) }
        case .uint8:
            for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: i &* step, as: UInt8.self)) }
        case .bool:
            for i in 0..<count { dst[i] = src.load(fromByteOffset: i &* step, as: UInt8.self) != 0 ? 1 : 0 }
        }
    }

    @inline(__always)
    static func load16(_ src: UnsafeRawPointer, _ offset: Int, _ bigEndian: Bool) -> UInt16 {
        let v = src.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    /// IEEE half → single, exact (subnormals, infinities and NaN included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24  // subnormal (or zero)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }

    /// Single → half, rounding to nearest even (as torch's `.half()`).
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {  // inf or NaN
            return sign | 0x7C00 | (magnitude > 0x7F80_0000 ? 0x200 : 0)
        }
        if magnitude >= 0x4780_0000 { return sign | 0x7C00 }  // overflows to infinity (>= 65536)
        if magnitude < 0x3880_0000 {  // below the smallest normal half: subnormal
            let value = Float(bitPattern: magnitude) * 0x1p24  // in units of 2^-24
            return sign | UInt16(value.rounded(.toNearestOrEven))
        }
        let exponent = (magnitude >> 23) &- 112
        let mantissa = magnitude & 0x7F_FFFF
        var half = (exponent << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half &+= 1 }  // may carry into the exponent: correct
        return sign | UInt16(half)
    }

    /// Single → bfloat16, rounding to nearest even (as torch's `.bfloat16()`).
    static func floatToBFloat16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
