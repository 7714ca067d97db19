// The metadata SwiftVision's own safetensors checkpoints carry, so that a trained model can be
// rebuilt from the file alone. Safetensors metadata is a string → string map; this struct names
// the keys and encodes the class names as a JSON array of strings.

import Pickle

/// Architecture, classes and preprocessing of a SwiftVision checkpoint, stored in the
/// safetensors `__metadata__` map under the keys `architecture`, `num_classes`, `class_names`
/// (a JSON array of strings), `preprocessing` (a preset name such as `imagenet-classification`) and
/// `transform_input` (`true` for googlenet/inception_v3 weights that expect torchvision's transform_input).
public struct ModelMetadata: Equatable, Sendable {
    /// Model builder name, e.g. `resnet18`.
    public var architecture: String?
    /// Number of output classes.
    public var numClasses: Int?
    /// Class names, index order.
    public var classNames: [String]?
    /// Preprocessing preset name.
    public var preprocessing: String?
    /// Whether the model runs with torchvision's `transform_input` (nil: not recorded).
    public var transformInput: Bool?

    public init(architecture: String? = nil, numClasses: Int? = nil, classNames: [String]? = nil, preprocessing: String? = nil,
                transformInput: Bool? = nil) {
        self.architecture = architecture
        self.numClasses = numClasses
        self.classNames = classNames
        self.preprocessing = preprocessing
        self.transformInput = transformInput
    }

    /// Reads the known keys of a metadata map (others are ignored; malformed values become nil).
    public init(_ map: [String: String]) {
        architecture = map["architecture"]
        numClasses = map["num_classes"].flatMap { Int($0) }
        preprocessing = map["preprocessing"]
        transformInput = map["transform_input"].flatMap { $0 == "true" ? true : $0 == "false" ? false : nil }
        classNames = map["class_names"].flatMap { text -> [String]? in
            let bytes = Array(text.utf8)
            return try? bytes.withUnsafeBytes { raw -> [String] in
                guard case .array(let items) = try JSONParser.parse(raw) else { throw FormatError("not an array") }
                return try items.map { item -> String in
                    guard case .string(let s) = item else { throw FormatError("not a string") }
                    return s
                }
            }
        }
    }

    /// The metadata map to pass to `saveSafetensors`.
    public var map: [String: String] {
        var m: [String: String] = [:]
        if let architecture { m["architecture"] = architecture }
        if let numClasses { m["num_classes"] = String(numClasses) }
        if let classNames { m["class_names"] = "[" + classNames.map(JSONParser.quote).joined(separator: ",") + "]" }
        if let preprocessing { m["preprocessing"] = preprocessing }
        if let transformInput { m["transform_input"] = transformInput ? "true" : "false" }
        return m
    }
}
