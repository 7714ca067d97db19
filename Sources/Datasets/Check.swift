// Programmer errors (a bad index, an impossible configuration) trap with a message that survives
// release builds; bad data throws `DatasetError` instead (see Docs/Errors.md).

@usableFromInline
func datasetCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("SwiftVision: " + message()) }
}
