// torchvision.utils.make_grid and save_image.
import ImageIO
import Tensors
import Traps

/// Tiles an NCHW batch into one CHW image tensor (torchvision.utils.make_grid): `nrow` images per
/// row, `padding` pixels of `padValue` around each; 1-channel batches become 3-channel; with
/// `normalize` values are shifted and scaled to [0, 1] using `valueRange` or the min/max (of the
/// batch, or of each image with `scaleEach`). A batch of one image is returned without padding.
public func makeGrid(_ batch: Tensor, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                     valueRange: ClosedRange<Float>? = nil, scaleEach: Bool = false, padValue: Float = 0) -> Tensor {
    var t = batch
    if t.rank == 3 { t = Tensor(shape: [1] + t.shape, data: t.scalars) }
    trapUnless(t.rank == 4, "makeGrid: expected NCHW, got \(batch.shape)")
    var (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var data = t.scalars
    if c == 1 {
        var rgb = [Float](repeating: 0, count: n * 3 * h * w)
        for i in 0..<n { for k in 0..<3 { for p in 0..<(h * w) { rgb[(i * 3 + k) * h * w + p] = data[i * h * w + p] } } }
        data = rgb
        c = 3
    }
    if normalize {
        func norm(_ range: Range<Int>) {
            let slice = data[range]
            let lo = valueRange?.lowerBound ?? slice.min()!, hi = valueRange?.upperBound ?? slice.max()!
            let scale = max(hi - lo, 1e-5)
            for i in range { data[i] = (min(max(data[i], lo), hi) - lo) / scale }
        }
        if scaleEach { for i in 0..<n { norm((i * c * h * w)..<((i + 1) * c * h * w)) } } else { norm(0..<data.count) }
    }
    if n == 1 { return Tensor(shape: [c, h, w], data: data) }
    let xmaps = min(nrow, n), ymaps = (n + xmaps - 1) / xmaps
    let cellH = h + padding, cellW = w + padding
    let gh = cellH * ymaps + padding, gw = cellW * xmaps + padding
    var grid = [Float](repeating: padValue, count: c * gh * gw)
    for k in 0..<n {
        let y0 = (k / xmaps) * cellH + padding, x0 = (k % xmaps) * cellW + padding
        for ch in 0..<c {
            for y in 0..<h {
                for x in 0..<w { grid[(ch * gh + y0 + y) * gw + x0 + x] = data[((k * c + ch) * h + y) * w + x] }
            }
        }
    }
    return Tensor(shape: [c, gh, gw], data: grid)
}

/// The 8-bit image save_image writes: `byte(clamp(x * 255 + 0.5, 0, 255))` of a CHW tensor.
public func gridImage(_ chw: Tensor) -> Image {
    trapUnless(chw.rank == 3 && [1, 3, 4].contains(chw.shape[0]), "gridImage: expected CHW with 1, 3 or 4 channels, got \(chw.shape)")
    let c = chw.shape[0], h = chw.shape[1], w = chw.shape[2]
    let s = chw.scalars
    var px = [UInt8](repeating: 0, count: c * h * w)
    for ch in 0..<c {
        for i in 0..<(h * w) {
            let v = min(max(s[ch * h * w + i] * 255 + 0.5, 0), 255)
            px[i * c + ch] = UInt8(v)
        }
    }
    return Image(width: w, height: h, channels: c, pixels: px)
}

/// torchvision.utils.save_image: makeGrid then an atomic PNG or JPEG write (by extension).
public func saveImage(_ batch: Tensor, to path: String, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                      valueRange: ClosedRange<Float>? = nil, scaleEach: Bool = false, padValue: Float = 0) throws {
    let grid = makeGrid(batch, nrow: nrow, padding: padding, normalize: normalize, valueRange: valueRange,
                        scaleEach: scaleEach, padValue: padValue)
    try gridImage(grid).write(to: path)
}
