// Which modules of a model make up its classifier head(s), for fine-tuning.

import NN

/// A model that names its classifier head modules itself, because the default rule (its last
/// `Linear` or `Conv2d`) would miss some: GoogLeNet and Inception v3 also classify in their
/// auxiliary heads. Fine-tuning re-initialises these modules when the class count differs and
/// `--freeze-backbone` trains only them.
public protocol ClassifierHeads: Module {
    /// Dotted module paths (`fc`, `aux1.fc2`, `AuxLogits.fc`), each a module whose output is the
    /// class scores.
    var classifierHeadPaths: [String] { get }
}
