// numpy arrays inside data pickles (CIFAR's python batches, for one). numpy pickles an array as
// `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with (version, shape, dtype, fortran, raw
// bytes), or with protocol 5 as `_frombuffer(bytearray, dtype, shape, order)`; a dtype is
// `dtype('u1', False, True)` followed by BUILD with (3, byte order, ...). The unpickler recognises
// exactly those globals (only when asked to, see `Unpickler.Options`), interprets them itself and
// copies the raw bytes: no numpy code exists here, and object arrays are refused.

/// A numpy array read from a pickle: element type, shape and the raw bytes in file order.
public struct NumpyArray: Sendable, Equatable {
    /// numpy element types with a fixed size (object, string and record arrays are not supported).
    public enum ElementType: String, Sendable, CaseIterable {
        case bool = "b1", int8 = "i1", uint8 = "u1", int16 = "i2", uint16 = "u2", int32 = "i4", uint32 = "u4"
        case int64 = "i8", uint64 = "u8", float16 = "f2", float32 = "f4", float64 = "f8"

        /// Bytes per element.
        public var size: Int { Int(rawValue.dropFirst())! }
    }

    /// The element type.
    public let elementType: ElementType
    /// Whether multi-byte elements are little-endian (numpy's '<', '|' or '=' on this machine).
    public let littleEndian: Bool
    /// The array's shape (C order unless `fortranOrder`).
    public let shape: [Int]
    /// Whether `bytes` are in Fortran (column-major) order.
    public let fortranOrder: Bool
    /// `shape.product × elementType.size` raw bytes.
    public let bytes: [UInt8]

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Checks that `bytes` hold exactly `shape` elements of `elementType`.
    init(elementType: ElementType, littleEndian: Bool, shape: [Int], fortranOrder: Bool, bytes: [UInt8]) throws {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw FormatError("numpy array: negative dimension in shape \(shape)") }
            n = try checkedMul(n, d, "numpy array shape \(shape)")
        }
        let expected = try checkedMul(n, elementType.size, "numpy array size")
        guard expected == bytes.count else {
            throw FormatError("numpy array: shape \(shape) of \(elementType.rawValue) needs \(expected) bytes, the pickle holds \(bytes.count)")
        }
        self.elementType = elementType
        self.littleEndian = littleEndian
        self.shape = shape
        self.fortranOrder = fortranOrder
        self.bytes = bytes
    }
}

/// A dtype being unpickled: `numpy.dtype(descr, align, copy)`, then BUILD sets the byte order.
final class NumpyDTypeBox {
    let elementType: NumpyArray.ElementType
    var littleEndian = true

    init(descr: String) throws {
        // dtype('u1'), dtype('<f4'): an optional byte-order prefix, then kind and size.
        var code = Substring(descr)
        if let first = code.first, "<>|=".contains(first) {
            littleEndian = first != ">"
            code = code.dropFirst()
        }
        guard let t = NumpyArray.ElementType(rawValue: String(code)) else {
            throw FormatError("pickle: numpy dtype '\(descr)' is not supported (only fixed-size bool, integer and float types)")
        }
        elementType = t
    }

    /// BUILD state (version, byte order, subarray, names, fields, elsize, alignment, flags[, metadata]).
    func build(order: String) throws {
        switch order {
        case "<", "|", "=": littleEndian = true
        case ">": littleEndian = false
        default: throw FormatError("pickle: numpy dtype byte order '\(order)' is not valid")
        }
    }
}

/// An ndarray being unpickled: `_reconstruct` makes it empty, BUILD fills it once.
final class NumpyArrayBox {
    var array: NumpyArray?
}

extension AllowedGlobal {
    /// The numpy globals of array pickles (numpy 1.x `numpy.core`, numpy 2.x `numpy._core`).
    static func lookupNumpy(module: String, name: String) -> AllowedGlobal? {
        switch (module, name) {
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): return .numpyReconstruct
        case ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"): return .numpyFromBuffer
        case ("numpy", "ndarray"): return .numpyNDArray
        case ("numpy", "dtype"): return .numpyDType
        default: return nil
        }
    }
}
