import ArgumentParser
import SwiftVision

@main
struct Vision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision",
        abstract: "SwiftVision: classify images, train CNNs and import the torchvision model zoo.",
        subcommands: [])
}
