// TrainingConfig as JSON with snake_case keys (`batch_size`, `weight_decay`, ...). Missing keys take
// their defaults, so a hand-written config file need only name what it changes.

extension TrainingConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", lr, optimizer, momentum, nesterov, weightDecay = "weight_decay"
        case betas, scheduler, stepSize = "step_size", gamma, milestones, minLR = "min_lr", pctStart = "pct_start"
        case warmupEpochs = "warmup_epochs", warmupDecay = "warmup_decay", labelSmoothing = "label_smoothing", seed
        case freezeBackbone = "freeze_backbone"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        self.init(epochs: try value(.epochs, d.epochs), batchSize: try value(.batchSize, d.batchSize),
                  lr: try c.decodeIfPresent(Double.self, forKey: .lr), optimizer: try value(.optimizer, d.optimizer),
                  momentum: try value(.momentum, d.momentum), nesterov: try value(.nesterov, d.nesterov),
                  weightDecay: try c.decodeIfPresent(Double.self, forKey: .weightDecay),
                  betas: try value(.betas, d.betas), scheduler: try value(.scheduler, d.scheduler),
                  stepSize: try value(.stepSize, d.stepSize), gamma: try value(.gamma, d.gamma),
                  milestones: try value(.milestones, d.milestones), minLR: try value(.minLR, d.minLR),
                  pctStart: try value(.pctStart, d.pctStart), warmupEpochs: try value(.warmupEpochs, d.warmupEpochs),
                  warmupDecay: try value(.warmupDecay, d.warmupDecay),
                  labelSmoothing: try value(.labelSmoothing, d.labelSmoothing), seed: try value(.seed, d.seed),
                  freezeBackbone: try value(.freezeBackbone, d.freezeBackbone))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encodeIfPresent(lr, forKey: .lr)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(momentum, forKey: .momentum)
        try c.encode(nesterov, forKey: .nesterov)
        try c.encodeIfPresent(weightDecay, forKey: .weightDecay)
        try c.encode(betas, forKey: .betas)
        try c.encode(scheduler, forKey: .scheduler)
        try c.encode(stepSize, forKey: .stepSize)
        try c.encode(gamma, forKey: .gamma)
        try c.encode(milestones, forKey: .milestones)
        try c.encode(minLR, forKey: .minLR)
        try c.encode(pctStart, forKey: .pctStart)
        try c.encode(warmupEpochs, forKey: .warmupEpochs)
        try c.encode(warmupDecay, forKey: .warmupDecay)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encode(seed, forKey: .seed)
        if freezeBackbone { try c.encode(freezeBackbone, forKey: .freezeBackbone) }
    }
}
