// A per-process budget for the bytes of pixels being decoded at once. Every decode reserves its
// output size (width × height × channels, known from the header) before allocating it and gives
// it back when it returns; a decode that would take the total over the budget waits until others
// finish. So N DataLoader workers that meet N huge images decode them one after another instead
// of holding N × 648 MB at once. An image larger than the whole budget is not refused (the pixel
// limit, `DecodeOptions.maxPixels`, decides that): it waits until it can run alone.
//
// The default is 1 GiB, or `VISION_DECODE_BUDGET_MB` megabytes when set. This is a plain mutex and
// condition variable (pthread), not Swift's `Mutex`, because waiting is the point.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounds the pixel memory that decodes in this process hold at the same time.
public final class DecodeBudget: @unchecked Sendable {
    /// The budget every `Image.decode` reserves from.
    public static let shared = DecodeBudget(bytes: DecodeBudget.defaultBytes)

    /// 1 GiB, or `VISION_DECODE_BUDGET_MB` (a positive integer) megabytes.
    public static var defaultBytes: Int {
        if let text = getenv("VISION_DECODE_BUDGET_MB").map({ String(cString: $0) }), let mb = Int(text), mb > 0 {
            return mb << 20
        }
        return 1 << 30
    }

    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var limit: Int
    private var inUse = 0
    private var holders = 0
    private var peak = 0

    /// A budget of `bytes` (at least 1).
    public init(bytes: Int) {
        limit = max(bytes, 1)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// The budget in bytes; lowering it makes later reservations wait, never earlier ones fail.
    public var capacity: Int {
        get { locked { limit } }
        set {
            locked { limit = max(newValue, 1) }
            pthread_cond_broadcast(&changed)
        }
    }

    /// Bytes reserved now.
    public var bytesInUse: Int { locked { inUse } }

    /// The most bytes reserved at once since the budget was made (or `resetPeak()`).
    public var peakBytes: Int { locked { peak } }

    /// Starts a new `peakBytes` measurement from what is reserved now.
    public func resetPeak() { locked { peak = inUse } }

    /// Waits until `bytes` fit in the budget beside the other reservations (or nothing else is
    /// reserved), then reserves them. Pair with `release(_:)`.
    public func reserve(_ bytes: Int) {
        pthread_mutex_lock(&mutex)
        while holders > 0 && inUse + bytes > limit { pthread_cond_wait(&changed, &mutex) }
        inUse += bytes
        holders += 1
        peak = max(peak, inUse)
        pthread_mutex_unlock(&mutex)
    }

    /// Gives back a reservation of `bytes`.
    public func release(_ bytes: Int) {
        locked {
            inUse -= bytes
            holders -= 1
        }
        pthread_cond_broadcast(&changed)
    }

    /// Runs `body` holding a reservation of `bytes`.
    public func withReservation<T>(_ bytes: Int, _ body: () throws -> T) rethrows -> T {
        reserve(bytes)
        defer { release(bytes) }
        return try body()
    }
}
