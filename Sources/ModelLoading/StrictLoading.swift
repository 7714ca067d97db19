// Building an architecture and loading a state dict into it strictly, with a message that names
// the first key that does not fit; and the class count a classifier state dict implies.

import Checkpoints
import Models
import NN

/// The output count of a classifier state dict: the rows of its last 2-D weight, or of its last
/// weight when that is a 1×1 conv's (SqueezeNet's convolutional classifier); nil if none.
public func inferredClassCount(_ stateDict: StateDict) -> Int? {
    let weights = stateDict.entries.filter { $0.name.hasSuffix(".weight") && $0.tensor.shape.count >= 2 }
    if let last = weights.last?.tensor.shape, last.count == 4, last[2] == 1, last[3] == 1 { return last[0] }
    return weights.last { $0.tensor.shape.count == 2 }?.tensor.shape[0]
}

/// Builds `architecture` and loads `stateDict` into it strictly (see `loadStrictly`). A googlenet or
/// inception_v3 state dict without auxiliary-head keys (what torchvision's `googlenet(weights=...)`
/// saves, having dropped them) builds the model without those heads.
/// - Parameter path: names the weights in errors.
public func buildAndLoad(_ architecture: String, numClasses: Int, inputChannels: Int = 3,
                         stateDict: StateDict, path: String) throws -> Module {
    let module: Module
    let keys = stateDict.keys
    if architecture == "googlenet", inputChannels == 3, !keys.contains(where: { $0.hasPrefix("aux1.") || $0.hasPrefix("aux2.") }) {
        module = GoogLeNet(numClasses: numClasses, auxLogits: false)
    } else if architecture == "inception_v3", inputChannels == 3, !keys.contains(where: { $0.hasPrefix("AuxLogits.") }) {
        module = InceptionV3(numClasses: numClasses, auxLogits: false)
    } else {
        module = try Architectures.build(architecture, numClasses: numClasses, inputChannels: inputChannels)
    }
    try loadStrictly(module, architecture: architecture, numClasses: numClasses, stateDict: stateDict, path: path)
    return module
}

/// Loads `stateDict` into `module` strictly: every key present, none extra, every shape equal,
/// after the key upgrade torchvision applies to the model's published weights
/// (`upgradingLegacyCheckpointKeys`: DenseNet's pre-0.4 names).
/// - Throws: `ModelLoadingError` naming `path`, the architecture, the first bad key and shapes,
///   followed by the full report of missing, unexpected and mismatched keys.
public func loadStrictly(_ module: Module, architecture: String, numClasses: Int, stateDict: StateDict, path: String) throws {
    do {
        try module.loadStateDict(module.upgradingLegacyCheckpointKeys(stateDict), strict: true)
    } catch let error as StateDictError {
        let r = error.report
        let first: String
        if let m = r.shapeMismatches.first {
            first = "\(m.key) has shape \(m.actual) in the file, \(architecture) expects \(m.expected)"
        } else if let k = r.missingKeys.first {
            first = "\(k) is missing from the file"
        } else {
            first = "\(r.unexpectedKeys.first ?? "?") is not a key of \(architecture)"
        }
        throw ModelLoadingError("\(path): weights do not match \(architecture) (\(numClasses) classes): \(first)\n\(r)")
    }
}
