// The confusion matrix as a heat-map image, without fonts: cell (t, p) is a `cellSize`×`cellSize`
// block at row t (true class), column p (predicted class). Its colour is linear in the row-
// normalised value v = counts[t][p] / Σ_p counts[t][p], from white (v = 0: RGB 255,255,255) to
// dark blue (v = 1: RGB 8,48,107, the dark end of matplotlib's "Blues"); rows of classes without
// samples are mid grey (160,160,160). So a good classifier shows a dark diagonal on white.

import ImageIO

extension EvaluationResult {
    /// The colour of a row-normalised value v in [0, 1].
    public static func heatColor(_ v: Double) -> (UInt8, UInt8, UInt8) {
        let t = min(max(v.isNaN ? 0 : v, 0), 1)
        func channel(_ dark: Double) -> UInt8 { UInt8((255 + t * (dark - 255)).rounded()) }
        return (channel(8), channel(48), channel(107))
    }

    /// The heat map as an RGB image of (classes·cellSize)² pixels.
    public func confusionMatrixImage(cellSize: Int = 16) -> Image {
        let n = confusionMatrix.count, cell = max(1, cellSize)
        let side = max(1, n * cell)
        var pixels = [UInt8](repeating: 255, count: side * side * 3)
        for (t, row) in confusionMatrix.enumerated() {
            let total = row.reduce(0, +)
            for (p, count) in row.enumerated() {
                let (r, g, b) = total > 0 ? Self.heatColor(Double(count) / Double(total)) : (160, 160, 160)
                for y in (t * cell)..<((t + 1) * cell) {
                    for x in (p * cell)..<((p + 1) * cell) {
                        let o = (y * side + x) * 3
                        pixels[o] = r; pixels[o + 1] = g; pixels[o + 2] = b
                    }
                }
            }
        }
        return Image(width: side, height: side, channels: 3, pixels: pixels)
    }

    /// Writes the heat map as a PNG, atomically.
    public func writeConfusionMatrixPNG(to path: String, cellSize: Int = 16) throws {
        try confusionMatrixImage(cellSize: cellSize).write(to: path, format: .png)
    }
}
