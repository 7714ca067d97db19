// What `vision train --resume` does with each option, so that none is ignored without a word:
// - applied (and reported when it changes a recorded setting): --epochs (under the cosine schedule
//   the horizon moves: from the current epoch the LR follows the cosine of the new length), and
//   --label-smoothing; the data and output options (--data, --val, --workers, --strict,
//   --max-skipped, --max-image-pixels, --augment, --out, --metrics, --plain) are used as given;
// - refused when they differ from the run in the checkpoint: everything the run's future depends
//   on that the checkpoint fixes — the data order (--batch-size, --seed), the model's input and
//   preprocessing (--channels, --image-size, --mean, --std), the optimizer and schedule (--lr,
//   --optimizer, --momentum, --weight-decay, --scheduler, --step-size, --gamma, --milestones,
//   --warmup-epochs); --pretrained never goes with --resume. Giving the recorded value is fine.
import SwiftVision

extension Train {
    /// The configuration of the resumed run: the checkpoint's, with --epochs and --label-smoothing
    /// applied. Throws naming the first option given with another value than the checkpoint's.
    func resumedConfig(_ recorded: TrainingConfig, spec: ModelSpec, path: String) throws -> TrainingConfig {
        if pretrained != nil {
            throw CLIError("--pretrained and --resume do not go together: --resume \(path) continues that run with its own weights")
        }
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
        let p = spec.preprocessing
        let channelValues = { (text: String, option: String) in
            try parseChannelValues(text, channels: spec.inputChannels, option: option).map { number(Double($0)) }.joined(separator: ",")
        }
        let dataOrder = "it fixes the data order and the position in it"
        let preprocessing = "the model's input and preprocessing are recorded in the checkpoint"
        let optimisation = "the optimizer and the schedule continue from their saved state"
        let checks: [(option: String, given: String?, recorded: String, why: String)] = [
            ("--batch-size", batchSize.map(String.init), String(recorded.batchSize), dataOrder),
            ("--seed", seed.map(String.init), String(recorded.seed), dataOrder),
            ("--channels", channels.map(String.init), String(spec.inputChannels), preprocessing),
            ("--image-size", imageSize.map(String.init), String(p.cropSize), preprocessing),
            ("--mean", try mean.map { try channelValues($0, "--mean") }, p.mean.map { number(Double($0)) }.joined(separator: ","), preprocessing),
            ("--std", try std.map { try channelValues($0, "--std") }, p.std.map { number(Double($0)) }.joined(separator: ","), preprocessing),
            ("--lr", lr.map(number), number(recorded.resolvedLR), optimisation),
            ("--optimizer", optimizer, recorded.optimizer.rawValue, optimisation),
            ("--momentum", momentum.map(number), number(recorded.momentum), optimisation),
            ("--weight-decay", weightDecay.map(number), number(recorded.resolvedWeightDecay), optimisation),
            ("--scheduler", scheduler, recorded.scheduler.rawValue, optimisation),
            ("--step-size", stepSize.map(String.init), String(recorded.stepSize), optimisation),
            ("--gamma", gamma.map(number), number(recorded.gamma), optimisation),
            ("--milestones", try milestones.map { try parseMilestones($0).map(String.init).joined(separator: ",") },
             recorded.milestones.map(String.init).joined(separator: ","), optimisation),
            ("--warmup-epochs", warmupEpochs.map(String.init), String(recorded.warmupEpochs), optimisation),
        ]
        if freezeBackbone && !recorded.freezeBackbone {
            throw CLIError("--freeze-backbone cannot change when resuming: the run in \(path) trains every parameter "
                + "(\(optimisation)); drop --freeze-backbone, or start a new run from these weights with --pretrained \(path)")
        }
        for check in checks {
            guard let given = check.given, given != check.recorded else { continue }
            throw CLIError("\(check.option) \(given) cannot change when resuming: the run in \(path) has \(check.recorded) "
                + "(\(check.why)); drop \(check.option), or start a new run from these weights with --pretrained \(path)")
        }
        var config = recorded
        if let epochs { config.epochs = epochs }
        if let labelSmoothing { config.labelSmoothing = labelSmoothing }
        if config.epochs != recorded.epochs && recorded.scheduler == .onecycle {
            throw CLIError("--epochs \(config.epochs) cannot change when resuming: the run in \(path) has \(recorded.epochs) epochs "
                + "under a onecycle schedule, which spans the whole run; start a new run with --pretrained \(path)")
        }
        try config.validate()
        return config
    }
}
