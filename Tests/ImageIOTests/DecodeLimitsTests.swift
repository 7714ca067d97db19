// Decompression bombs and the decode memory budget (issue 14): a header that claims far more
// pixels than its file can hold is refused before any pixel memory exists; the pixel limit is
// an option; the process-wide budget lets large decodes take turns instead of piling up.
import Foundation
import ImageIO
import Testing
import TestSupport

@Suite struct DecodeLimitsTests {
    @Test func jpegClaimingMoreThanItsSizeCanHoldIsRefused() throws {
        let real = try Fixtures.bytes("jpeg/rgb420_q90.jpg")
        let bomb = forgedJPEG(real, width: 13000, height: 13000)  // 169 M pixels: under Pillow's limit
        #expect(13000 * 13000 < DecodeOptions.defaultMaxPixels)
        let error = #expect(throws: ImageError.self) { try Image.decode(data: bomb, name: "bomb.jpg") }
        #expect(error?.kind == .badDimensions)
        #expect(error?.description == "bomb.jpg: JPEG header claims 13000×13000 (169000000 pixels), more than a \(bomb.count)-byte JPEG "
                + "can hold (at most \(512 * bomb.count): one bit per 8×8 block); the file is truncated or forged")
        // The same file at its real size decodes, so the check is about the claim, not the file.
        #expect(try Image(data: real).width > 0)
    }

    @Test func pngClaimingMoreThanItsSizeCanHoldIsRefused() throws {
        let real = try Fixtures.bytes("png/rgb8.png")
        let bomb = forgedPNG(real, width: 12000, height: 12000)
        let error = #expect(throws: ImageError.self) { try Image.decode(data: bomb, name: "bomb.png") }
        #expect(error?.kind == .badDimensions)
        #expect(error?.description.hasPrefix("bomb.png: PNG header claims 12000×12000 (") == true, "\(String(describing: error))")
        #expect(error?.description.contains("more than a \(bomb.count)-byte PNG can hold") == true)
    }

    @Test func pixelLimitIsAnOption() throws {
        let path = Fixtures.path("jpeg/rgb420_q90.jpg")
        let image = try Image(contentsOf: path)
        let pixels = image.width * image.height
        #expect(try Image(contentsOf: path, maxPixels: pixels).width == image.width)
        let error = #expect(throws: ImageError.self) { try Image(contentsOf: path, maxPixels: pixels - 1) }
        #expect(error?.kind == .badDimensions)
        #expect(error?.description == "\(path): JPEG: \(image.width)x\(image.height) pixels exceeds the limit of \(pixels - 1) "
                + "(possible decompression bomb)")
    }

    @Test func budgetBoundsTheBytesHeldAtOnce() {
        // Whatever the scheduler does: the reserved total never exceeds the budget, except for one
        // reservation larger than the budget, which only ever runs alone.
        let budget = DecodeBudget(bytes: 100)
        let sizes = (0..<64).map { [30, 50, 70, 250][$0 % 4] }
        let lock = NSLock()
        nonisolated(unsafe) var held = 0, holders = 0, worst = 0, aloneViolations = 0
        DispatchQueue.concurrentPerform(iterations: sizes.count) { i in
            let bytes = sizes[i]
            budget.withReservation(bytes) {
                lock.lock()
                held += bytes
                holders += 1
                worst = max(worst, held)
                if bytes > 100 && holders > 1 { aloneViolations += 1 }
                if bytes <= 100 && held > 100 && holders > 1 { aloneViolations += 1 }
                lock.unlock()
                usleep(200)
                lock.lock()
                held -= bytes
                holders -= 1
                lock.unlock()
            }
        }
        #expect(aloneViolations == 0)
        #expect(worst <= 250)
        #expect(budget.bytesInUse == 0)
        #expect(budget.peakBytes == 250, "the largest reservation ran, alone")
    }

    @Test func decodingGivesItsReservationBack() throws {
        let budget = DecodeBudget.shared
        let image = try Image(contentsOf: Fixtures.path("jpeg/rgb420_q90.jpg"))
        #expect(image.pixels.count > 0)
        // Other tests may be decoding right now; none holds a reservation forever.
        let deadline = Date().addingTimeInterval(60)
        while budget.bytesInUse != 0 && Date() < deadline { usleep(1000) }
        #expect(budget.bytesInUse == 0)
        #expect(budget.capacity == DecodeBudget.defaultBytes)
    }
}
