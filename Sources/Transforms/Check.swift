// Programmer errors trap with a message that survives release builds (see Docs/Errors.md);
// data-dependent failures throw TransformError instead.

/// Traps with "SwiftVision: message" when `condition` is false.
@inline(__always)
func imageCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("SwiftVision: " + message()) }
}
