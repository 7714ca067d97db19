// Programming errors stop the process with a message that survives release builds. Swift's
// `precondition` drops its message under -O (tests and users run release builds), so every module
// of SwiftVision traps through these two functions instead: "SwiftVision: <message>" on standard
// error, with the caller's file and line. Bad *data* never comes here: it throws (Docs/Errors.md).

/// Stops the process for a programming error, printing "SwiftVision: `message`" (kept in release
/// builds, unlike `precondition`'s message).
@inline(never)
@usableFromInline
package func trap(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("SwiftVision: " + message, file: file, line: line)
}

/// Traps with `message` unless `condition` holds; the message is built only on failure.
@inlinable
@inline(__always)
package func trapUnless(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { trap(message(), file: file, line: line) }
}
