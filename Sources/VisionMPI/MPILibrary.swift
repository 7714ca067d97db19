// Loading libmpi at run time (CMPI's vmpi_load), with Swift errors for a missing or foreign library.
import CMPI
import Foundation

/// Open MPI's shared library, loaded with dlopen only when a distributed run needs it.
public enum MPILibrary {
    /// Loads libmpi (`VISION_MPI_LIBRARY` if set, else libmpi.so.40 then libmpi.so) and returns the
    /// name it was loaded by. Idempotent: once loaded, later calls return the first name whatever
    /// the environment says. Loading does not initialise MPI.
    @discardableResult
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(DistributedError) -> String {
        var message = [CChar](repeating: 0, count: 1024)
        let path = MPIEnvironment.libraryOverride(environment)
        let status = message.withUnsafeMutableBufferPointer { m in
            if let path { return path.withCString { vmpi_load($0, m.baseAddress, m.count) } }
            return vmpi_load(nil, m.baseAddress, m.count)
        }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case 0: return String(cString: vmpi_library_name())
        case 2: throw .unsupportedLibrary(text)
        default: throw .libraryNotFound(text)
        }
    }

    /// True once `load` has succeeded in this process.
    public static var isLoaded: Bool { vmpi_loaded() != 0 }
}

/// MPI_Error_string's text for `code` (or CMPI's for its own codes).
func mpiErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 1024)
    buffer.withUnsafeMutableBufferPointer { vmpi_error_string(code, $0.baseAddress, $0.count) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Throws `.mpiError` unless `code` is MPI_SUCCESS.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(DistributedError) {
    if code != 0 { throw .mpiError(operation: operation(), code: code, message: mpiErrorText(code)) }
}
