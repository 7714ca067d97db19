// The umbrella module: `import SwiftVision` brings in every layer of the toolkit.
@_exported import Checkpoints
@_exported import ImageIO
@_exported import Models
@_exported import NN
@_exported import Pickle
@_exported import Tensors
@_exported import Transforms
@_exported import Datasets
@_exported import Files
@_exported import Training
@_exported import ModelLoading
@_exported import VisionMPI
