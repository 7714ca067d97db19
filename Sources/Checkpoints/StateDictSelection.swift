// From an unpickled object to a state dict: find the tensors, then read them.
//
// torch.save files hold either a state dict (an OrderedDict of name → tensor) or a whole
// training checkpoint ({"model": state_dict, "optimizer": ..., "epoch": ...}, torchvision's
// references; {"state_dict": ...} elsewhere). `select` picks the state dict, and strips the
// `module.` prefix nn.DataParallel adds, recording a note for each. Only the chosen tensors are
// read, so an optimizer's buffers in the same file cost nothing.

import Pickle
import Tensors

enum StateDictSelection {
    /// Keys that hold the model's state dict in whole-checkpoint dicts, in order of preference.
    static let wrapperKeys = ["state_dict", "model_state_dict", "model", "module", "net", "network"]

    /// The (name, tensor description) pairs of the state dict inside `root`, and notes.
    static func select(_ root: PickleValue) throws -> (pairs: [(String, PickleValue)], notes: [String]) {
        guard case .dict(let top) = root else {
            throw FormatError("the checkpoint holds a \(root.kind), not a dict of tensors")
        }
        var notes: [String] = []
        var chosen: [(key: PickleValue, value: PickleValue)]
        if isStateDict(top) {
            chosen = top
        } else {
            let keys = top.map { $0.key.string ?? $0.key.kind }
            let candidates = wrapperKeys.compactMap { k in top.first { $0.key.string == k }.map { (k, $0.value) } }
                + top.compactMap { e in e.key.string.map { ($0, e.value) } }
            guard let (name, inner) = candidates.first(where: { if case .dict(let d) = $0.1 { return isStateDict(d) }; return false }),
                  case .dict(let d) = inner else {
                throw FormatError("no state dict found: the top-level dict has keys [\(keys.joined(separator: ", "))] and none maps names to tensors")
            }
            chosen = d
            notes.append("picked the state dict under '\(name)' from a checkpoint with keys [\(keys.joined(separator: ", "))]")
        }
        var pairs: [(String, PickleValue)] = []
        var skipped: [String] = []
        for (key, value) in chosen {
            guard let name = key.string else { continue }
            if isTensor(value) { pairs.append((name, value)) } else { skipped.append(name) }
        }
        if !skipped.isEmpty { notes.append("skipped \(skipped.count) non-tensor entries: \(skipped.prefix(5).joined(separator: ", "))") }
        let prefix = "module."
        if !pairs.isEmpty, pairs.allSatisfy({ $0.0.hasPrefix(prefix) }) {
            pairs = pairs.map { (String($0.0.dropFirst(prefix.count)), $0.1) }
            notes.append("stripped the 'module.' prefix (nn.DataParallel) from \(pairs.count) keys")
        }
        return (pairs, notes)
    }

    static func isTensor(_ v: PickleValue) -> Bool {
        switch v {
        case .tensor, .persistentKey: return true
        default: return false
        }
    }

    /// A dict of string keys whose values are mostly tensors (extra states such as `_extra_state` may be other values).
    static func isStateDict(_ d: [(key: PickleValue, value: PickleValue)]) -> Bool {
        guard !d.isEmpty, d.allSatisfy({ $0.key.string != nil }) else { return d.isEmpty }
        let tensors = d.filter { isTensor($0.value) }.count
        return tensors > 0 && tensors * 2 >= d.count
    }

    /// Reads the selected tensors. `storage` returns the bytes of a root storage by key;
    /// `release` is told when a storage's bytes have been used (to drop their pages).
    static func materialize(
        _ pairs: [(String, PickleValue)], fileSize: Int, bigEndian: Bool,
        tensorForKey: [String: TensorRef] = [:],
        storage: (StorageRef) throws -> UnsafeRawBufferPointer,
        release: (UnsafeRawBufferPointer) -> Void
    ) throws -> StateDict {
        var result = StateDict()
        // Every stored element takes at least one byte; allow views (transposes, shared storages)
        // and small expanded tensors, but not a tiny file that expands to gigabytes.
        var limit = 2 &* fileSize &+ (64 << 20)
        for (name, value) in pairs {
            let ref: TensorRef
            switch value {
            case .tensor(let r): ref = r
            case .persistentKey(let k):
                guard let r = tensorForKey[k] else { throw FormatError("tensor \(name) refers to unknown key \(k)") }
                ref = r
            default: continue
            }
            guard result.dtype(of: name) == nil else { throw FormatError("tensor name \(name) appears twice") }
            do {
                let bytes = try storage(ref.storage)
                let tensor = try TensorMaterializer.tensor(ref, storage: bytes, bigEndian: bigEndian, limit: &limit, release: release)
                release(bytes)
                result.set(name, tensor, dtype: ref.storage.dtype)
            } catch let e as FormatError {
                throw FormatError("\(name): \(e.reason)")
            }
        }
        return result
    }
}
