// The Module base class: named parameters, buffers and children with PyTorch's dotted names.
//
// A module registers what it owns in order; `namedParameters()` and `stateDict()` walk that order
// exactly as PyTorch does (own parameters, own buffers, then children recursively), so keys such as
// `layer1.0.conv1.weight` and `bn1.running_var` line up with torchvision's checkpoints.

import Tensors
import Traps

/// A neural-network module (PyTorch's `nn.Module`). Subclasses register parameters, buffers and
/// children in their initialiser and override `forward(_:)`.
open class Module: @unchecked Sendable {
    private var parameterSlots: [(name: String, parameter: Parameter)] = []
    private var bufferSlots: [(name: String, buffer: Buffer)] = []
    private var childSlots: [(name: String, module: Module)] = []
    private weak var parent: Module?
    private var nameInParent = ""

    /// Whether the module is in training mode (BatchNorm uses batch statistics, Dropout drops).
    public private(set) var isTraining = true

    public init() {}

    /// Computes the module's output. Subclasses override it.
    open func forward(_ input: Tensor) -> Tensor {
        trap("\(type(of: self)) does not override forward(_:)")
    }

    /// Called with this module's output after each call while a `FeatureExtractor` watches it.
    var outputObserver: ((Tensor) -> Void)?

    /// Calls `forward(_:)`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let output = forward(input)
        outputObserver?(output)
        return output
    }

    /// A short description such as `Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2))`.
    open var summary: String { String(describing: type(of: self)) }

    /// The dotted path of this module from the root (`layer1.0.conv1`), or `<root>`.
    public var path: String {
        var names: [String] = []
        var m: Module? = self
        while let current = m, let p = current.parent {
            names.append(current.nameInParent)
            m = p
        }
        return names.isEmpty ? "<root>" : names.reversed().joined(separator: ".")
    }

    /// Stops with a message naming this module, for inputs it cannot take.
    public func inputError(_ message: String) -> Never {
        trap("\(summary) at '\(path)': \(message)")
    }

    // MARK: Registration

    /// Registers a parameter under `name` and returns it.
    @discardableResult
    public func registerParameter(_ name: String, _ parameter: Parameter) -> Parameter {
        trapUnless(!name.contains("."), "parameter names cannot contain '.'")
        parameterSlots.removeAll { $0.name == name }
        parameterSlots.append((name, parameter))
        return parameter
    }

    /// Registers a buffer under `name` and returns it.
    @discardableResult
    public func registerBuffer(_ name: String, _ buffer: Buffer) -> Buffer {
        bufferSlots.removeAll { $0.name == name }
        bufferSlots.append((name, buffer))
        return buffer
    }

    /// Registers a child module under `name` (replacing one of the same name in place) and returns it.
    @discardableResult
    public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
        module.parent = self
        module.nameInParent = name
        if let i = childSlots.firstIndex(where: { $0.name == name }) {
            childSlots[i] = (name, module)
        } else {
            childSlots.append((name, module))
        }
        return module
    }

    // MARK: Traversal

    /// Direct children in registration order.
    public var namedChildren: [(name: String, module: Module)] { childSlots }

    /// This module and all descendants with their dotted paths ("" for this one).
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for (name, child) in childSlots {
            out += child.namedModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return out
    }

    /// All parameters with their dotted names, in PyTorch's order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var out = parameterSlots.map { (prefix.isEmpty ? $0.name : "\(prefix).\($0.name)", $0.parameter) }
        for (name, child) in childSlots {
            out += child.namedParameters(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return out
    }

    /// All parameters, in PyTorch's order.
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// All buffers with their dotted names.
    public func namedBuffers(prefix: String = "") -> [(name: String, buffer: Buffer)] {
        var out = bufferSlots.map { (prefix.isEmpty ? $0.name : "\(prefix).\($0.name)", $0.buffer) }
        for (name, child) in childSlots {
            out += child.namedBuffers(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return out
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    // MARK: Modes

    /// Sets training mode on this module and every descendant. Entering training mode undoes
    /// `foldBatchNormsForInference()`.
    @discardableResult
    public func train(_ on: Bool = true) -> Self {
        for (_, m) in namedModules() {
            m.isTraining = on
            if on { m.clearFolding() }
        }
        return self
    }

    /// The (conv, batch norm) pairs of this module's own children where the BN directly follows the
    /// conv in `forward`, for `foldBatchNormsForInference()`. Modules with such pairs override it.
    open var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [] }

    /// Drops inference-only folded state (see `foldBatchNormsForInference`).
    func clearFolding() {}

    /// Sets evaluation mode (PyTorch's `eval()`).
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Freezes (`false`) or unfreezes (`true`) every parameter of this module and its descendants
    /// (PyTorch's `requires_grad_`).
    @discardableResult
    public func setRequiresGrad(_ on: Bool) -> Self {
        for p in parameters() { p.requiresGrad = on }
        return self
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    // MARK: State dict

    /// Parameters and buffers by dotted name, in PyTorch's `state_dict()` order: each module's own
    /// parameters, then its own buffers, then its children's entries.
    public func stateDict(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (name, p) in parameterSlots { out.append((prefix.isEmpty ? name : "\(prefix).\(name)", p.value.detached())) }
        for (name, b) in bufferSlots { out.append((prefix.isEmpty ? name : "\(prefix).\(name)", b.value)) }
        for (name, child) in childSlots {
            out += child.stateDict(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return out
    }

    /// Copies matching entries of `entries` into this module's parameters and buffers.
    /// With `strict`, any missing key, unexpected key or shape mismatch throws (and nothing is
    /// loaded); without, matching keys load and the report lists the rest. Shape mismatches always
    /// throw: loading them silently would give wrong results.
    @discardableResult
    public func loadStateDict<S: Sequence>(_ entries: S, strict: Bool = true) throws -> StateDictLoadReport
    where S.Element == (String, Tensor) {
        var given: [String: Tensor] = [:]
        var givenOrder: [String] = []
        for (k, v) in entries {
            if given[k] == nil { givenOrder.append(k) }
            given[k] = v
        }
        let params = namedParameters(), buffers = namedBuffers()
        var report = StateDictLoadReport()
        var expected = Set<String>()
        for (name, p) in params {
            expected.insert(name)
            guard let t = given[name] else { report.missingKeys.append(name); continue }
            if t.shape != p.shape { report.shapeMismatches.append((name, expected: p.shape, actual: t.shape)) }
        }
        for (name, b) in buffers {
            expected.insert(name)
            guard let t = given[name] else { report.missingKeys.append(name); continue }
            if t.shape != b.value.shape { report.shapeMismatches.append((name, expected: b.value.shape, actual: t.shape)) }
        }
        report.unexpectedKeys = givenOrder.filter { !expected.contains($0) }
        if !report.shapeMismatches.isEmpty || (strict && !report.isClean) {
            throw StateDictError(module: summary, report: report)
        }
        for (_, m) in namedModules() { m.clearFolding() }
        for (name, p) in params { if let t = given[name] { p.value = t } }
        for (name, b) in buffers { if let t = given[name] { b.value = t.detached() } }
        return report
    }
}

/// What `loadStateDict` found besides the keys it loaded.
public struct StateDictLoadReport: Sendable, CustomStringConvertible {
    public var missingKeys: [String] = []
    public var unexpectedKeys: [String] = []
    public var shapeMismatches: [(key: String, expected: [Int], actual: [Int])] = []
    /// True when every key matched with the right shape.
    public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && shapeMismatches.isEmpty }

    public var description: String {
        var lines: [String] = []
        if !missingKeys.isEmpty { lines.append("missing keys (\(missingKeys.count)): \(missingKeys.prefix(10).joined(separator: ", "))\(missingKeys.count > 10 ? ", ..." : "")") }
        if !unexpectedKeys.isEmpty { lines.append("unexpected keys (\(unexpectedKeys.count)): \(unexpectedKeys.prefix(10).joined(separator: ", "))\(unexpectedKeys.count > 10 ? ", ..." : "")") }
        for m in shapeMismatches.prefix(10) {
            lines.append("size mismatch for \(m.key): checkpoint has \(describe(m.actual)), model expects \(describe(m.expected))")
        }
        return lines.isEmpty ? "all keys matched" : lines.joined(separator: "\n")
    }
}

/// `loadStateDict` refused a state dict.
public struct StateDictError: Error, CustomStringConvertible {
    public let module: String
    public let report: StateDictLoadReport
    public var description: String { "error loading state dict into \(module):\n\(report)" }
}
