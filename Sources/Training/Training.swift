// Training loops, checkpoints with optimizer/scheduler/RNG state, metrics and evaluation.
//
// The pieces, for a `vision train` / `vision evaluate` front end:
//   TrainingConfig        hyper-parameters (Codable; torchvision reference defaults)
//   ModelSpec             architecture, classes, input channels, preprocessing -> checkpoint metadata
//   Trainer               fit(train:validation:reporter:interrupt:), resume(from:), Trainer.resuming(from:)
//   TrainingCheckpoint    load(path) -> model StateDict + ModelSpec + optional TrainState; save(...)
//   FineTuning            loadPretrained(_:into:) skipping a classifier head of another class count
//   Evaluator             evaluate(source) -> EvaluationResult (text, JSON and PNG renderers)
//   ProgressPrinter       TTY progress bar or plain lines; MetricsLog: per-epoch JSON Lines
//   InterruptFlag         SIGINT -> stop at the next batch boundary with a checkpoint
