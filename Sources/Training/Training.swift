// Training loops, checkpoints with optimizer/scheduler/RNG state, metrics and evaluation.
import Datasets
