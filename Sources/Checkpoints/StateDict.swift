// The ordered name → tensor map every loader returns and the safetensors writer takes.

import Pickle
import Tensors

/// Named tensors in file order, with each tensor's original dtype, the file's metadata and notes
/// on what the loader did (e.g. "picked 'model' from a training checkpoint").
///
/// Iterating yields `(name, tensor)` pairs in order; `self["conv1.weight"]` looks one up by name.
public struct StateDict: Sequence, Sendable {
    /// One named tensor.
    public struct Entry: Sendable {
        /// The dotted name, e.g. `layer1.0.conv1.weight`.
        public var name: String
        /// The values, converted to Float32.
        public var tensor: Tensor
        /// The element type in the file (integers such as `num_batches_tracked` are `.int64`).
        public var dtype: DType
        public init(name: String, tensor: Tensor, dtype: DType = .float32) {
            self.name = name; self.tensor = tensor; self.dtype = dtype
        }
    }

    /// The entries, in order.
    public private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]
    /// String metadata (safetensors `__metadata__`; empty for .pth files). See `ModelMetadata`.
    public var metadata: [String: String] = [:]
    /// What the loader did beyond reading tensors, for the caller to show or log.
    public var notes: [String] = []
    /// The format the tensors were read from, if they came from a file.
    public var format: CheckpointFormat?

    /// An empty state dict.
    public init() {}

    /// A state dict of Float32 tensors, in the given order. Later duplicates replace earlier ones.
    public init(_ pairs: [(String, Tensor)]) {
        for (name, tensor) in pairs { self[name] = tensor }
    }

    /// Number of tensors.
    public var count: Int { entries.count }
    /// Whether there are no tensors.
    public var isEmpty: Bool { entries.isEmpty }
    /// The names, in order.
    public var keys: [String] { entries.map(\.name) }

    /// The tensor named `name`. Setting a new name appends it (as Float32); setting nil removes it.
    public subscript(name: String) -> Tensor? {
        get { positions[name].map { entries[$0].tensor } }
        set {
            if let t = newValue { set(name, t, dtype: positions[name].map { entries[$0].dtype } ?? .float32) }
            else { remove(name) }
        }
    }

    /// The file dtype of the tensor named `name`.
    public func dtype(of name: String) -> DType? { positions[name].map { entries[$0].dtype } }

    /// Sets (or appends) `name` with an explicit dtype, which `saveSafetensors` will write.
    public mutating func set(_ name: String, _ tensor: Tensor, dtype: DType) {
        if let i = positions[name] { entries[i] = Entry(name: name, tensor: tensor, dtype: dtype); return }
        positions[name] = entries.count
        entries.append(Entry(name: name, tensor: tensor, dtype: dtype))
    }

    /// Removes `name`, keeping the order of the others. Returns whether it was present.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        guard let i = positions[name] else { return false }
        entries.remove(at: i)
        positions = [:]
        for (j, e) in entries.enumerated() { positions[e.name] = j }
        return true
    }

    /// Iterates over `(name, tensor)` pairs in order.
    public func makeIterator() -> AnyIterator<(name: String, tensor: Tensor)> {
        var it = entries.makeIterator()
        return AnyIterator { it.next().map { (name: $0.name, tensor: $0.tensor) } }
    }
}

/// Where a state dict came from.
public enum CheckpointFormat: String, Sendable {
    /// torch.save's zip archive (PyTorch >= 1.6).
    case torchZip
    /// torch.save's legacy pickle stream (`_use_new_zipfile_serialization=False`, older zoo files).
    case torchLegacy
    /// The pre-0.4 tar archive.
    case torchTar
    /// A safetensors file.
    case safetensors
}
