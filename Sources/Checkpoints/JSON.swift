// A small JSON parser for safetensors headers: keeps object keys in order (Foundation's does
// not), rejects duplicate keys, limits nesting, and never reads past the buffer.

import Pickle

enum JSONValue {
    case null, bool(Bool), number(Double, isInteger: Bool, integer: Int?), string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
}

struct JSONParser {
    static let maxDepth = 32
    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    /// Parses one JSON value filling `bytes` (trailing whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var p = JSONParser(bytes: bytes)
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw FormatError("JSON: unexpected data at offset \(p.i)") }
        return v
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw FormatError("JSON: expected '\(Character(Unicode.Scalar(c)))' at offset \(i)") }
        i += 1
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw FormatError("JSON: nested deeper than \(JSONParser.maxDepth)") }
        skipSpace()
        guard i < bytes.count else { throw FormatError("JSON: unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSONValue)] = []
            var seen = Set<String>()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                let key = try string()
                guard seen.insert(key).inserted else { throw FormatError("JSON: duplicate key \"\(key)\"") }
                try expect(UInt8(ascii: ":"))
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw FormatError("JSON: unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw FormatError("JSON: unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw FormatError("JSON: bad literal at offset \(i)") }
        i += w.count
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(text) else { throw FormatError("JSON: bad number at offset \(start)") }
        let isInteger = !text.contains(where: { ".eE".contains($0) })
        return .number(d, isInteger: isInteger, integer: isInteger ? Int(text) : nil)
    }

    private mutating func string() throws -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw FormatError("JSON: expected a string at offset \(i)") }
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw FormatError("JSON: unterminated string") }
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { break }
            guard c >= 0x20 else { throw FormatError("JSON: control character in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard i < bytes.count else { throw FormatError("JSON: unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {  // surrogate pair
                    guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw FormatError("JSON: lone surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw FormatError("JSON: bad surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(UInt32(code)) else { throw FormatError("JSON: bad \\u escape") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw FormatError("JSON: bad escape")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw FormatError("JSON: string is not UTF-8") }
        return s
    }

    /// Four hex digits (exactly: `Int(_:radix:)` alone would also take a sign, "\\u-a0a", found by fuzzing).
    private mutating func hex4() throws -> Int {
        guard i + 4 <= bytes.count else { throw FormatError("JSON: bad \\u escape") }
        var v = 0
        for byte in bytes[i..<(i + 4)] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw FormatError("JSON: bad \\u escape") }
            v = v << 4 | digit
        }
        i += 4
        return v
    }

    /// `s` as a JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
