// Convs some of whose kernel taps read only padding, run as the conv of the taps that do not.
//
// A 3×3, padding-1 conv on a 1×1 map (ResNet-18's layer4 at 32² inputs) reads nothing but zero
// padding through 8 of its 9 taps: it is a 1×1 conv with the centre tap. A 3×3, stride-2,
// padding-1 conv from 2×2 to 1×1 reads only through its lower-right 2×2 taps. Tap row ky is live
// when some output row oy reads an input row inside the image: 0 ≤ oy·s − p + ky·d < H. The live
// rows and columns form a window [ky0, ky1] × [kx0, kx1]; the conv of the cropped weight with
// padding p − ky0·d (and the same stride and dilation) reads the same input positions for every
// output, so its result equals the full conv's (the dead taps' products are 0 × w). Forward, the
// input gradient and the weight gradient all run on the cropped geometry (the dead taps' weight
// gradient is zero); the crop applies only when that geometry has symmetric, non-negative padding
// and the same output size, which covers these cases. Like oneDNN, which also skips taps over
// padding, non-finite weights in dead taps do not reach the output.

/// The live window of a conv's kernel taps when it is smaller than the kernel.
package struct LiveTaps: Sendable, Equatable {
    /// The geometry of the conv of the live taps alone (same input, output and channels).
    package let geometry: Conv2dGeometry
    /// The live tap rows and columns of the full kernel.
    package let rows: Range<Int>, columns: Range<Int>
    /// The full kernel's height and width.
    let kernelH: Int, kernelW: Int

    /// The live window of `g`, or nil when every tap is live or the cropped conv cannot express it.
    package init?(_ g: Conv2dGeometry) {
        guard let rows = Self.live(size: g.height, out: g.outH, kernel: g.kernelH, stride: g.strideH, pad: g.padH, dilation: g.dilationH),
              let columns = Self.live(size: g.width, out: g.outW, kernel: g.kernelW, stride: g.strideW, pad: g.padW, dilation: g.dilationW),
              rows.count < g.kernelH || columns.count < g.kernelW else { return nil }
        var cropped = g
        cropped.kernelH = rows.count
        cropped.kernelW = columns.count
        cropped.padH = g.padH &- rows.lowerBound &* g.dilationH
        cropped.padW = g.padW &- columns.lowerBound &* g.dilationW
        guard cropped.padH >= 0, cropped.padW >= 0, cropped.outH == g.outH, cropped.outW == g.outW else { return nil }
        self.geometry = cropped
        self.rows = rows
        self.columns = columns
        (kernelH, kernelW) = (g.kernelH, g.kernelW)
    }

    /// Output channels times input channels per group: the weight's kh × kw planes.
    private var planes: Int { geometry.outChannels &* (geometry.inChannels / geometry.groups) }

    /// The taps k of one axis for which some output o reads inside [0, size): o·stride − pad + k·dilation.
    private static func live(size: Int, out: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> Range<Int>? {
        var first = -1, last = -1
        for k in 0..<kernel {
            // The input positions tap k reads run from k·d − p to (out − 1)·s + k·d − p.
            let low = k &* dilation &- pad, high = (out &- 1) &* stride &+ low
            // Some position of that progression must land inside the image.
            guard high >= 0, low < size else { continue }
            let firstInside = low >= 0 ? low : low &+ ((-low &+ stride &- 1) / stride) &* stride
            guard firstInside < size, firstInside <= high else { continue }
            if first < 0 { first = k }
            last = k
        }
        return first < 0 ? nil : first..<(last &+ 1)
    }

    /// Copies the live taps of `weight` (Cout × Cin/g × kh × kw) into `cropped` (Cout × Cin/g ×
    /// rows × columns).
    func crop(_ weight: UnsafePointer<Float>, into cropped: UnsafeMutablePointer<Float>) {
        let (kh, kw, ch, cw, rows, columns) = (kernelH, kernelW, rows.count, columns.count, rows, columns)
        nonisolated(unsafe) let (source, target) = (weight, cropped)
        Threading.parallelFor(planes, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(kh &* kw, 1))) { p0, p1 in
            for plane in p0..<p1 {
                let s = source + plane &* kh &* kw, t = target + plane &* ch &* cw
                for r in 0..<ch {
                    for c in 0..<cw { t[r &* cw &+ c] = s[(rows.lowerBound &+ r) &* kw &+ columns.lowerBound &+ c] }
                }
            }
        }
    }

    /// Adds the cropped weight gradient `cropped` into the live taps of `dw` (the full shape); the
    /// dead taps' gradient is zero and stays as it is.
    func accumulate(_ cropped: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let (kh, kw, ch, cw, rows, columns) = (kernelH, kernelW, rows.count, columns.count, rows, columns)
        nonisolated(unsafe) let (source, target) = (cropped, dw)
        Threading.parallelFor(planes, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(kh &* kw, 1))) { p0, p1 in
            for plane in p0..<p1 {
                let s = source + plane &* ch &* cw, t = target + plane &* kh &* kw
                for r in 0..<ch {
                    for c in 0..<cw { t[(rows.lowerBound &+ r) &* kw &+ columns.lowerBound &+ c] += s[r &* cw &+ c] }
                }
            }
        }
    }
}
