// Intermediate outputs by node name, as torchvision's `create_feature_extractor(model,
// return_nodes=...)` returns them for module outputs.
//
// Design. torch.fx names a module's output node by the module's dotted path (`layer1`,
// `features.3`, `trunk_output.block2`), and a module called more than once gets `_1`, `_2`, ...
// for its later calls (`layer1.0.relu_1`). The extractor runs the model's own forward with an
// observer on each requested module (a stored closure on the module, checked after each call, so
// models pay nothing when no extractor is attached) and counts calls per module to give the same
// suffixes. A node that the forward pass did not call through `callAsFunction` (for instance a
// BatchNorm that evaluation mode fuses into the preceding conv) is an error naming it, never a
// silently missing entry.

import Tensors

/// Runs a model and returns the outputs of the modules named by torchvision's node names
/// (PyTorch's `create_feature_extractor` for module outputs). Not thread-safe: one call at a time.
public final class FeatureExtractor {
    /// The model the features come from.
    public let model: Module
    /// (node name, output name) in the order given.
    public let returnNodes: [(node: String, name: String)]
    private let watched: [(path: String, module: Module)]

    /// Errors from building or running an extractor.
    public struct NodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// An extractor returning `returnNodes` (node name → output name), as torchvision's dict form.
    /// - Throws: `NodeError` when a node names no module of `model` (the message lists the
    ///   module paths, as `FeatureExtractor.nodeNames(of:)` returns them).
    public init(_ model: Module, returnNodes: [(node: String, name: String)]) throws {
        self.model = model
        self.returnNodes = returnNodes
        let modules = Dictionary(model.namedModules().filter { !$0.name.isEmpty }, uniquingKeysWith: { a, _ in a })
        var watched: [(String, Module)] = []
        for (node, _) in returnNodes {
            let path = Self.modulePath(of: node, in: modules)
            guard let module = modules[path] else {
                throw NodeError(description: "no node '\(node)' in \(model.summary); module nodes: "
                    + Self.nodeNames(of: model).joined(separator: ", "))
            }
            if !watched.contains(where: { $0.0 == path }) { watched.append((path, module)) }
        }
        guard Set(returnNodes.map(\.name)).count == returnNodes.count else {
            throw NodeError(description: "output names must be distinct: \(returnNodes.map(\.name))")
        }
        self.watched = watched
    }

    /// An extractor whose outputs are named by the nodes themselves (torchvision's list form).
    public convenience init(_ model: Module, returnNodes: [String]) throws {
        try self.init(model, returnNodes: returnNodes.map { ($0, $0) })
    }

    /// The module node names of `model` (every submodule's dotted path), in registration order.
    public static func nodeNames(of model: Module) -> [String] {
        model.namedModules().map(\.name).filter { !$0.isEmpty }
    }

    /// Runs the model on `input` and returns the requested outputs in the order given.
    /// - Throws: `NodeError` naming the nodes the forward pass did not produce.
    public func callAsFunction(_ input: Tensor) throws -> [(name: String, tensor: Tensor)] {
        var outputs: [String: Tensor] = [:]
        for (path, module) in watched {
            var calls = 0
            module.outputObserver = { output in
                outputs[calls == 0 ? path : "\(path)_\(calls)"] = output
                calls += 1
            }
        }
        defer { for (_, module) in watched { module.outputObserver = nil } }
        _ = model(input)
        let missing = returnNodes.filter { outputs[$0.node] == nil }.map(\.node)
        guard missing.isEmpty else {
            throw NodeError(description: "the forward pass of \(model.summary) did not produce \(missing.joined(separator: ", ")) "
                + "(a module fused into the one before it in evaluation mode, or called fewer times than the suffix says)")
        }
        return returnNodes.map { ($0.name, outputs[$0.node]!) }
    }

    /// The module path of a node name: the name itself, or without a `_N` call suffix.
    static func modulePath(of node: String, in modules: [String: Module]) -> String {
        if modules[node] != nil { return node }
        if let underscore = node.lastIndex(of: "_"), Int(node[node.index(after: underscore)...]) != nil {
            return String(node[..<underscore])
        }
        return node
    }
}
