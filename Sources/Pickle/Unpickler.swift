// A safe unpickler: an interpreter for the pickle opcodes a PyTorch state dict uses, that builds
// plain data and tensor descriptions and never calls anything.
//
// Design (after torch/_weights_only_unpickler.py, reimplemented):
// - Opcodes: those the weights_only unpickler accepts (protocol 2), plus the protocol 4/5 forms
//   that only carry plain data (FRAME, MEMOIZE, SHORT_BINUNICODE, BINUNICODE8, BINBYTES*,
//   EMPTY_SET/ADDITEMS/FROZENSET) and STACK_GLOBAL under the same allowlist as GLOBAL.
//   Anything else is an error.
// - GLOBAL/STACK_GLOBAL must name an `AllowedGlobal`; REDUCE and NEWOBJ only apply an allowed
//   global, interpreted here (OrderedDict() makes an empty dict, _rebuild_tensor_v2 makes a
//   `TensorRef`, ...); BUILD only updates dicts (OrderedDict's `_metadata`, ignored).
// - Persistent ids are interpreted, never looked up: ('storage', <storage class>, key, location,
//   numel[, view]) becomes a `StorageRef`; a bare string or int (tar format) a `persistentKey`.
// - Containers are reference objects, as in Python (a memoized dict is filled after BINPUT).
//   Every one is registered and emptied when the run ends, so cycles cannot leak and deep
//   nesting cannot recurse in deinit. The result is then frozen into an immutable `PickleValue`
//   tree with a depth limit and cycle detection; a container referenced many times is frozen
//   once and shared, so memo references cannot blow a small file up exponentially.
// - Bounds: every length is checked against the remaining bytes (`ByteCursor`), memo references
//   must exist, the stack and MARK depth are capped, and so is the total number of values held
//   by containers and the memo (a 100 MB pickle of `]a]a...` must not need gigabytes).
// - Data pickles (`Options`): numpy's array globals may be allowed (interpreted as in
//   NumpyArray.swift, never called), and Python 2 strings read as bytes (`encoding="bytes"`).

/// A value on the interpreter's stack: a finished value (a plain scalar, a storage, a tensor
/// description, a persistent key), which freezing passes through, or something still being built
/// (containers, numpy arrays and dtypes) or applied (allowlisted globals).
private enum Obj {
    /// A finished value; never a container (`.list`, `.tuple`, `.dict`): those are boxes.
    case value(PickleValue)
    case global(AllowedGlobal, String)
    case box(Box)
    case ndarray(NumpyArrayBox)
    case npDType(NumpyDTypeBox)

    /// A plain scalar (None, bool, int, float, str, bytes).
    static func plain(_ d: PickleData) -> Obj { .value(.plain(d)) }

    var kind: String {
        switch self {
        case .value(let v): return v.kind
        case .global(_, let name): return name
        case .box(let b): return b.kind.rawValue
        case .ndarray: return "numpy.ndarray"
        case .npDType: return "numpy.dtype"
        }
    }
}

/// A mutable container (list, tuple, dict or set), shared by reference like a Python object.
private final class Box {
    enum Kind: String { case list, tuple, dict, set }
    let kind: Kind
    var items: [Obj] = []
    var keys: [Obj] = []
    var index: [DictKey: Int] = [:]
    init(_ kind: Kind, _ items: [Obj] = []) { self.kind = kind; self.items = items }

    func clear() { items = []; keys = []; index = [:] }
}

/// The hashable keys a state-dict pickle uses.
private enum DictKey: Hashable {
    case none, int(Int), string(String), float(Double), bytes([UInt8])
    init(_ o: Obj) throws {
        switch o {
        case .value(.plain(.none)): self = .none
        case .value(.plain(.bool(let b))): self = .int(b ? 1 : 0)
        case .value(.plain(.int(let v))): self = .int(v)
        case .value(.plain(.string(let s))): self = .string(s)
        case .value(.plain(.float(let f))): self = .float(f)
        case .value(.plain(.bytes(let b))): self = .bytes(b)
        default: throw FormatError("pickle: unsupported dict key of type \(o.kind)")
        }
    }
}

/// Interprets one pickle from a byte buffer (see the file header).
package struct Unpickler {
    /// What a pickle may contain beyond a state dict's needs.
    struct Options {
        /// Allow numpy's array pickling globals (data pickles such as CIFAR batches).
        var numpyArrays = false
        /// Read Python 2 `str` (BINSTRING) as bytes, as `pickle.load(f, encoding="bytes")`.
        var legacyStringsAsBytes = false
    }

    /// Limits on untrusted input.
    static let maxStack = 1_000_000
    static let maxMarkDepth = 1_000
    static let maxNesting = 100
    /// Values held in containers and the memo, and nodes of the frozen tree. A state dict uses
    /// about 20 per tensor.
    static let maxValues = 5_000_000

    private var cursor: ByteCursor
    private let options: Options
    private var stack: [Obj] = []
    private var metastack: [[Obj]] = []
    /// Items held in `metastack` (the stack limit covers them too).
    private var buried = 0
    /// Values stored in containers and the memo so far (see `maxValues`).
    private var stored = 0
    private var memo: [UInt32: Obj] = [:]
    private var boxes: [Box] = []
    /// Storages the persistent ids declared: key → (dtype, element count) of the root storage.
    package private(set) var declaredStorages: [String: (dtype: DType, count: Int)] = [:]

    /// An unpickler reading from `offset` in `bytes`, with `options` beyond a state dict's needs.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0, options: Options) {
        cursor = ByteCursor(bytes, at: offset)
        self.options = options
    }

    /// An unpickler for state-dict pickles reading from `offset` in `bytes`.
    package init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        self.init(bytes, at: offset, options: Options())
    }

    /// Where the next pickle in the buffer would start (after `load()`).
    package var position: Int { cursor.position }

    /// Reads one pickle, up to and including STOP, and returns its object as an immutable tree.
    package mutating func load() throws -> PickleValue {
        stack = []; metastack = []; memo = [:]; buried = 0; stored = 0
        defer {
            for b in boxes { b.clear() }
            boxes = []; stack = []; metastack = []; memo = [:]
        }
        let result = try run()
        var budget = Unpickler.maxValues
        var onPath = Set<ObjectIdentifier>()
        var done: [ObjectIdentifier: (value: PickleValue, height: Int)] = [:]
        return try freeze(result, depth: 0, budget: &budget, onPath: &onPath, done: &done).value
    }

    // MARK: - The interpreter loop

    private mutating func run() throws -> Obj {
        while true {
            let at = cursor.position
            let op = try cursor.u8("opcode")
            switch op {
            case 0x80:  // PROTO
                let proto = try cursor.u8("protocol")
                guard (2...5).contains(proto) else { throw FormatError("pickle: unsupported protocol \(proto)") }
            case 0x95:  // FRAME: a length hint only
                let n = try cursor.le(UInt64.self, "frame length")
                guard n <= UInt64(cursor.remaining) else { throw FormatError("pickle: frame of \(n) bytes runs past the end") }
            case 0x2E:  // STOP
                guard let top = stack.popLast() else { throw FormatError("pickle: STOP with an empty stack") }
                return top
            case 0x63:  // GLOBAL
                let module = try cursor.line(limit: 256, "GLOBAL module").utf8String ?? "?"
                let name = try cursor.line(limit: 256, "GLOBAL name").utf8String ?? "?"
                try push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .value(.plain(.string(let n))) = name, case .value(.plain(.string(let m))) = module else {
                    throw FormatError("pickle: STACK_GLOBAL needs two strings")
                }
                try push(try global(m, n))
            case 0x52:  // REDUCE
                let args = try pop()
                let function = try pop()
                try push(try reduce(function, args))
            case 0x81:  // NEWOBJ
                _ = try pop()
                let cls = try pop()
                guard case .global(.orderedDict, _) = cls else {
                    throw FormatError("pickle: NEWOBJ of \(cls.kind) is not allowed (only collections.OrderedDict)")
                }
                try push(.box(try newBox(.dict)))
            case 0x62:  // BUILD
                let state = try pop()
                let target = try top()
                switch target {
                case .box(let b) where b.kind == .dict:
                    _ = state  // OrderedDict attributes such as `_metadata` carry nothing we need
                case .ndarray(let a): try buildArray(a, state)
                case .npDType(let d): try buildDType(d, state)
                default: throw FormatError("pickle: BUILD on \(target.kind) is not allowed (only on dicts)")
                }
            case 0x61:  // APPEND
                let item = try pop()
                try charge(1)
                try container(.list, for: "APPEND").items.append(item)
            case 0x65:  // APPENDS
                let items = try popMark()
                try charge(items.count)
                try container(.list, for: "APPENDS").items.append(contentsOf: items)
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                try charge(2)
                try setItem(try container(.dict, for: "SETITEM"), key, value)
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw FormatError("pickle: SETITEMS with an odd number of items") }
                try charge(items.count)
                let dict = try container(.dict, for: "SETITEMS")
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(dict, items[i], items[i + 1]) }
            case 0x90:  // ADDITEMS
                let items = try popMark()
                try charge(items.count)
                try container(.set, for: "ADDITEMS").items.append(contentsOf: items)
            case 0x91:  // FROZENSET
                try push(.box(try newBox(.set, try popMark())))
            case 0x28:  // MARK
                guard metastack.count < Unpickler.maxMarkDepth else {
                    throw FormatError("pickle: more than \(Unpickler.maxMarkDepth) nested MARKs")
                }
                metastack.append(stack)
                buried += stack.count
                stack = []
            case 0x74:  // TUPLE
                try push(.box(try newBox(.tuple, try popMark())))
            case 0x85:  // TUPLE1
                let a = try pop()
                try push(.box(try newBox(.tuple, [a])))
            case 0x86:  // TUPLE2
                let b = try pop(), a = try pop()
                try push(.box(try newBox(.tuple, [a, b])))
            case 0x87:  // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                try push(.box(try newBox(.tuple, [a, b, c])))
            case 0x4E: try push(.plain(.none))  // NONE
            case 0x88: try push(.plain(.bool(true)))  // NEWTRUE
            case 0x89: try push(.plain(.bool(false)))  // NEWFALSE
            case 0x29: try push(.box(try newBox(.tuple)))  // EMPTY_TUPLE
            case 0x5D: try push(.box(try newBox(.list)))  // EMPTY_LIST
            case 0x7D: try push(.box(try newBox(.dict)))  // EMPTY_DICT
            case 0x8F: try push(.box(try newBox(.set)))  // EMPTY_SET
            case 0x4A: try push(.plain(.int(Int(try cursor.le(Int32.self, "BININT")))))
            case 0x4B: try push(.plain(.int(Int(try cursor.u8("BININT1")))))
            case 0x4D: try push(.plain(.int(Int(try cursor.le(UInt16.self, "BININT2")))))
            case 0x47:  // BINFLOAT, big-endian
                let bits = UInt64(bigEndian: try cursor.slice(8, "BINFLOAT").loadUnaligned(as: UInt64.self))
                try push(.plain(.float(Double(bitPattern: bits))))
            case 0x8A:  // LONG1
                let n = Int(try cursor.u8("LONG1 length"))
                try push(long(try cursor.slice(n, "LONG1")))
            case 0x58: try push(.plain(.string(try text(Int(try cursor.le(UInt32.self, "BINUNICODE length")), "BINUNICODE"))))
            case 0x8C: try push(.plain(.string(try text(Int(try cursor.u8("SHORT_BINUNICODE length")), "SHORT_BINUNICODE"))))
            case 0x8D:
                let n = try checkedInt(try cursor.le(UInt64.self, "BINUNICODE8 length"), "BINUNICODE8 length")
                try push(.plain(.string(try text(n, "BINUNICODE8"))))
            case 0x55: try push(try legacyText(Int(try cursor.u8("SHORT_BINSTRING length"))))
            case 0x54:  // BINSTRING (Python 2 str)
                let n = Int(try cursor.le(Int32.self, "BINSTRING length"))
                guard n >= 0 else { throw FormatError("pickle: negative BINSTRING length") }
                try push(try legacyText(n))
            case 0x42: try push(.plain(.bytes(Array(try cursor.slice(Int(try cursor.le(UInt32.self, "BINBYTES length")), "BINBYTES")))))
            case 0x43: try push(.plain(.bytes(Array(try cursor.slice(Int(try cursor.u8("SHORT_BINBYTES length")), "SHORT_BINBYTES")))))
            case 0x8E:
                let n = try checkedInt(try cursor.le(UInt64.self, "BINBYTES8 length"), "BINBYTES8 length")
                try push(.plain(.bytes(Array(try cursor.slice(n, "BINBYTES8")))))
            case 0x96:  // BYTEARRAY8 (protocol 5: numpy's in-band buffers)
                let n = try checkedInt(try cursor.le(UInt64.self, "BYTEARRAY8 length"), "BYTEARRAY8 length")
                try push(.plain(.bytes(Array(try cursor.slice(n, "BYTEARRAY8")))))
            case 0x51:  // BINPERSID
                try push(try persistent(try pop()))
            case 0x68: try push(try memoGet(UInt32(try cursor.u8("BINGET"))))
            case 0x6A: try push(try memoGet(try cursor.le(UInt32.self, "LONG_BINGET")))
            case 0x71: try memoPut(UInt32(try cursor.u8("BINPUT")))
            case 0x72: try memoPut(try cursor.le(UInt32.self, "LONG_BINPUT"))
            case 0x94: try memoPut(UInt32(truncatingIfNeeded: memo.count))  // MEMOIZE
            default:
                throw FormatError("pickle: opcode 0x\(String(op, radix: 16)) at offset \(at) is not allowed")
            }
        }
    }

    // MARK: - Stack helpers

    private mutating func push(_ o: Obj) throws {
        guard stack.count + buried < Unpickler.maxStack else { throw FormatError("pickle: stack deeper than \(Unpickler.maxStack)") }
        stack.append(o)
    }

    private mutating func pop() throws -> Obj {
        guard let o = stack.popLast() else { throw FormatError("pickle: stack underflow at offset \(cursor.position - 1)") }
        return o
    }

    private func top() throws -> Obj {
        guard let o = stack.last else { throw FormatError("pickle: stack underflow at offset \(cursor.position - 1)") }
        return o
    }

    private mutating func popMark() throws -> [Obj] {
        guard let below = metastack.popLast() else { throw FormatError("pickle: no MARK at offset \(cursor.position - 1)") }
        let items = stack
        stack = below
        buried -= below.count
        return items
    }

    /// Counts `n` more stored values against `maxValues`.
    private mutating func charge(_ n: Int) throws {
        stored += n
        guard stored <= Unpickler.maxValues else { throw FormatError("pickle: more than \(Unpickler.maxValues) values") }
    }

    private mutating func newBox(_ kind: Box.Kind, _ items: [Obj] = []) throws -> Box {
        try charge(1 + items.count)
        let b = Box(kind, items)
        boxes.append(b)
        return b
    }

    private func container(_ kind: Box.Kind, for op: String) throws -> Box {
        let t = try top()
        guard case .box(let b) = t, b.kind == kind else { throw FormatError("pickle: \(op) on \(t.kind), expected a \(kind.rawValue)") }
        return b
    }

    private func setItem(_ dict: Box, _ key: Obj, _ value: Obj) throws {
        let k = try DictKey(key)
        if let i = dict.index[k] { dict.items[i] = value; return }
        dict.index[k] = dict.keys.count
        dict.keys.append(key)
        dict.items.append(value)
    }

    private mutating func memoPut(_ i: UInt32) throws {
        try charge(1)
        memo[i] = try top()
    }

    private func memoGet(_ i: UInt32) throws -> Obj {
        guard let o = memo[i] else { throw FormatError("pickle: memo reference \(i) was never stored (\(memo.count) entries)") }
        return o
    }

    private mutating func text(_ n: Int, _ what: String) throws -> String {
        guard let s = try cursor.slice(n, what).utf8String else { throw FormatError("pickle: \(what) is not valid UTF-8") }
        return s
    }

    /// Python 2 `str`: UTF-8 if valid, else Latin-1 (as torch.load's `encoding` would); raw bytes
    /// when `legacyStringsAsBytes`.
    private mutating func legacyText(_ n: Int) throws -> Obj {
        let raw = try cursor.slice(n, "BINSTRING")
        if options.legacyStringsAsBytes { return .plain(.bytes(Array(raw))) }
        return .plain(.string(raw.utf8String ?? String(raw.map { Character(Unicode.Scalar($0)) })))
    }

    private func long(_ raw: UnsafeRawBufferPointer) -> Obj {
        if raw.isEmpty { return .plain(.int(0)) }
        if raw.count > 8 { return .plain(.bigInt(Array(raw))) }
        var v: UInt64 = 0
        for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        if raw.count < 8, raw[raw.count - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(raw.count)) }  // sign-extend
        return .plain(.int(Int(Int64(bitPattern: v))))
    }

    // MARK: - Globals, REDUCE and persistent ids

    private func global(_ module: String, _ name: String) throws -> Obj {
        let full = "\(module).\(name)"
        let numpy = options.numpyArrays ? AllowedGlobal.lookupNumpy(module: module, name: name) : nil
        guard let g = numpy ?? AllowedGlobal.lookup(module: module, name: name) else {
            throw FormatError("pickle: GLOBAL \(full) is not allowed (only the globals that rebuild tensors and dicts are; nothing is ever called)")
        }
        return .global(g, full)
    }

    private mutating func reduce(_ function: Obj, _ argsObj: Obj) throws -> Obj {
        guard case .global(let g, let name) = function else {
            throw FormatError("pickle: REDUCE on \(function.kind) is not allowed (only on allowlisted globals)")
        }
        guard case .box(let argsBox) = argsObj, argsBox.kind == .tuple else {
            throw FormatError("pickle: REDUCE \(name) with \(argsObj.kind) arguments, expected a tuple")
        }
        let args = argsBox.items
        switch g {
        case .orderedDict:
            guard args.isEmpty else { throw FormatError("pickle: collections.OrderedDict with arguments is not supported") }
            return .box(try newBox(.dict))
        case .set, .frozenset:
            if args.isEmpty { return .box(try newBox(.set)) }
            guard args.count == 1, case .box(let b) = args[0], b.kind == .list || b.kind == .tuple || b.kind == .set else {
                throw FormatError("pickle: \(name) needs one list argument")
            }
            return .box(try newBox(.set, b.items))
        case .codecsEncode:
            guard args.count == 2, case .value(.plain(.string(let s))) = args[0] else { throw FormatError("pickle: _codecs.encode needs (str, encoding)") }
            var out: [UInt8] = []
            for u in s.unicodeScalars {
                guard u.value < 256 else { throw FormatError("pickle: _codecs.encode of a non-Latin-1 string") }
                out.append(UInt8(u.value))
            }
            return .plain(.bytes(out))
        case .torchSize:
            guard args.count == 1, case .box(let b) = args[0], b.kind == .tuple else { throw FormatError("pickle: torch.Size needs a tuple") }
            return .box(b)
        case .torchDevice:
            guard let first = args.first, case .value(.plain(.string(let s))) = first else { throw FormatError("pickle: torch.device needs a string") }
            return .plain(.string(s))
        case .rebuildTensor, .rebuildTensorV2:
            let needed = g == .rebuildTensor ? 4 : 6
            guard args.count >= needed, args.count <= needed + 1 else {
                throw FormatError("pickle: \(name) with \(args.count) arguments")
            }
            guard case .value(.storage(let storage)) = args[0] else { throw FormatError("pickle: \(name) on \(args[0].kind), expected a storage") }
            guard case .value(.plain(.int(let offset))) = args[1] else { throw FormatError("pickle: \(name) storage offset is \(args[1].kind)") }
            let shape = try ints(args[2], "\(name) size")
            let strides = try ints(args[3], "\(name) stride")
            guard shape.count == strides.count else { throw FormatError("pickle: \(name) has \(shape.count) sizes but \(strides.count) strides") }
            return .value(.tensor(TensorRef(storage: storage, offset: offset, shape: shape, strides: strides)))
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count >= 3, case .value(.tensor) = args[0] else { throw FormatError("pickle: \(name) needs a tensor") }
            return args[0]
        case .storageClass, .dtype, .tensorClass, .numpyNDArray:
            throw FormatError("pickle: REDUCE on \(name) is not allowed (it is a type, not a rebuild function)")
        case .numpyReconstruct:
            // _reconstruct(ndarray, (0,), b'b'): an empty array that BUILD fills.
            guard args.count == 3, case .global(.numpyNDArray, _) = args[0] else {
                throw FormatError("pickle: \(name) must rebuild numpy.ndarray")
            }
            return .ndarray(NumpyArrayBox())
        case .numpyDType:
            guard args.count == 3, let descr = try? keyString(args[0], "") else {
                throw FormatError("pickle: numpy.dtype needs (str, align, copy)")
            }
            return .npDType(try NumpyDTypeBox(descr: descr))
        case .numpyFromBuffer:
            // _frombuffer(buffer, dtype, shape, order), numpy's protocol-5 form.
            guard args.count == 4, case .value(.plain(.bytes(let data))) = args[0], case .npDType(let d) = args[1] else {
                throw FormatError("pickle: \(name) needs (bytes, dtype, shape, order)")
            }
            let shape = try ints(args[2], "numpy array shape")
            let order = try keyString(args[3], "numpy array order")
            guard order == "C" || order == "F" else { throw FormatError("pickle: numpy array order '\(order)' is not C or F") }
            let box = NumpyArrayBox()
            box.array = try NumpyArray(elementType: d.elementType, littleEndian: d.littleEndian, shape: shape,
                                       fortranOrder: order == "F", bytes: data)
            return .ndarray(box)
        }
    }

    /// BUILD of a reconstructed ndarray: (version, shape, dtype, is_fortran, raw bytes), or the
    /// same without the version. A list instead of bytes would be an object array: refused.
    private func buildArray(_ box: NumpyArrayBox, _ stateObj: Obj) throws {
        guard box.array == nil else { throw FormatError("pickle: numpy array built twice") }
        guard case .box(let s) = stateObj, s.kind == .tuple, s.items.count == 4 || s.items.count == 5 else {
            throw FormatError("pickle: numpy array state is \(stateObj.kind), expected (version, shape, dtype, fortran, data)")
        }
        let state = s.items.suffix(4).map { $0 }
        let shape = try ints(state[0], "numpy array shape")
        guard case .npDType(let d) = state[1] else { throw FormatError("pickle: numpy array dtype is \(state[1].kind)") }
        let fortran: Bool
        switch state[2] {
        case .value(.plain(.bool(let b))): fortran = b
        case .value(.plain(.int(let v))): fortran = v != 0
        default: throw FormatError("pickle: numpy array fortran flag is \(state[2].kind)")
        }
        guard case .value(.plain(.bytes(let data))) = state[3] else {
            throw FormatError("pickle: numpy array data is \(state[3].kind) (object arrays are not supported)")
        }
        box.array = try NumpyArray(elementType: d.elementType, littleEndian: d.littleEndian, shape: shape,
                                   fortranOrder: fortran, bytes: data)
    }

    /// BUILD of a dtype: (version, byte order, ...); only the byte order matters for plain types.
    private func buildDType(_ box: NumpyDTypeBox, _ stateObj: Obj) throws {
        guard case .box(let s) = stateObj, s.kind == .tuple, s.items.count >= 2 else {
            throw FormatError("pickle: numpy dtype state is \(stateObj.kind), expected a tuple")
        }
        guard s.items[2...].allSatisfy({ if case .box = $0 { return false }; return true }) else {
            throw FormatError("pickle: numpy dtype with fields or subarrays is not supported")
        }
        try box.build(order: try keyString(s.items[1], "numpy dtype byte order"))
    }

    private func ints(_ o: Obj, _ what: String) throws -> [Int] {
        guard case .box(let b) = o, b.kind == .tuple || b.kind == .list else { throw FormatError("pickle: \(what) is \(o.kind), expected a tuple") }
        guard b.items.count <= 64 else { throw FormatError("pickle: \(what) has \(b.items.count) dimensions") }
        return try b.items.map {
            guard case .value(.plain(.int(let v))) = $0 else { throw FormatError("pickle: \(what) holds \($0.kind), expected ints") }
            return v
        }
    }

    private func keyString(_ o: Obj, _ what: String) throws -> String {
        switch o {
        case .value(.plain(.string(let s))): return s
        case .value(.plain(.int(let v))): return String(v)
        case .value(.plain(.bytes(let b))): return String(decoding: b, as: UTF8.self)
        default: throw FormatError("pickle: \(what) is \(o.kind), expected a string")
        }
    }

    private mutating func persistent(_ pid: Obj) throws -> Obj {
        switch pid {
        case .value(.plain(.string(let s))): return .value(.persistentKey(s))
        case .value(.plain(.int(let v))): return .value(.persistentKey(String(v)))
        case .box(let b) where b.kind == .tuple:
            let t = b.items
            guard let tag = t.first, (try? keyString(tag, "tag")) == "storage" else {
                throw FormatError("pickle: persistent id \(t.first.map { (try? keyString($0, "")) ?? $0.kind } ?? "()") is not a storage")
            }
            guard t.count == 5 || t.count == 6 else { throw FormatError("pickle: storage persistent id with \(t.count) fields") }
            guard case .global(let g, let typeName) = t[1] else { throw FormatError("pickle: storage type is \(t[1].kind)") }
            let dtype: DType
            switch g {
            case .storageClass(let d), .dtype(let d): dtype = d
            default: throw FormatError("pickle: \(typeName) is not a storage type")
            }
            let key = try keyString(t[2], "storage key")
            guard case .value(.plain(.int(let count))) = t[4], count >= 0 else { throw FormatError("pickle: storage \(key) has a bad element count") }
            if let previous = declaredStorages[key] {
                guard previous.dtype == dtype, previous.count == count else {
                    throw FormatError("pickle: storage \(key) is declared twice with different types or sizes")
                }
            } else {
                declaredStorages[key] = (dtype, count)
            }
            var ref = StorageRef(key: key, dtype: dtype, count: count)
            if t.count == 6, case .box(let view) = t[5], view.kind == .tuple {
                // Legacy storage view: (view_key, offset, size) inside the root storage.
                guard view.items.count == 3, case .value(.plain(.int(let off))) = view.items[1], case .value(.plain(.int(let size))) = view.items[2],
                      off >= 0, size >= 0, off <= count, size <= count - off else {
                    throw FormatError("pickle: storage view of \(key) is outside its storage")
                }
                ref = StorageRef(key: key, dtype: dtype, count: size, viewOffset: off)
            }
            return .value(.storage(ref))
        default:
            throw FormatError("pickle: persistent id of type \(pid.kind) is not allowed")
        }
    }

    // MARK: - Freezing into an immutable tree

    /// Converts a stack value into an immutable tree and returns it with its height. A container
    /// referenced many times (through the memo) is frozen once and shared (arrays are
    /// copy-on-write), so repeated references cost nothing; its height is remembered so that the
    /// depth limit holds wherever it is reused.
    private func freeze(_ o: Obj, depth: Int, budget: inout Int, onPath: inout Set<ObjectIdentifier>,
                        done: inout [ObjectIdentifier: (value: PickleValue, height: Int)]) throws -> (value: PickleValue, height: Int) {
        budget -= 1
        guard budget >= 0 else { throw FormatError("pickle: object graph has too many nodes") }
        switch o {
        case .value(let v): return (v, 0)
        case .global(_, let name): return (.global(name), 0)
        case .ndarray(let a):
            guard let array = a.array else { throw FormatError("pickle: numpy array was never built") }
            return (.plain(.array(array)), 0)
        case .npDType(let d): return (.global("numpy.dtype(\(d.elementType.rawValue))"), 0)
        case .box(let b):
            let tooDeep = FormatError("pickle: containers nested deeper than \(Unpickler.maxNesting)")
            guard depth < Unpickler.maxNesting else { throw tooDeep }
            let id = ObjectIdentifier(b)  // stable: every box stays alive until `load` returns
            if let cached = done[id] {
                guard depth + cached.height <= Unpickler.maxNesting else { throw tooDeep }
                return cached
            }
            guard onPath.insert(id).inserted else { throw FormatError("pickle: a container contains itself") }
            defer { onPath.remove(id) }
            var height = 0
            var items: [PickleValue] = []
            items.reserveCapacity(b.items.count)
            for item in b.items {
                let f = try freeze(item, depth: depth + 1, budget: &budget, onPath: &onPath, done: &done)
                items.append(f.value)
                height = max(height, f.height)
            }
            let value: PickleValue
            switch b.kind {
            case .list, .set: value = .list(items)
            case .tuple: value = .tuple(items)
            case .dict:
                var keys: [PickleValue] = []
                for key in b.keys {
                    let f = try freeze(key, depth: depth + 1, budget: &budget, onPath: &onPath, done: &done)
                    keys.append(f.value)
                    height = max(height, f.height)
                }
                value = .dict(Array(zip(keys, items).map { (key: $0.0, value: $0.1) }))
            }
            done[id] = (value, height + 1)
            return (value, height + 1)
        }
    }
}
