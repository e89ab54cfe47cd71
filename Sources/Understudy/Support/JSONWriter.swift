/// Compact JSON text (RFC 8259) for ``JSONValue``s, written straight into bytes.
///
/// Token payloads and token responses are written on every token request; Foundation's `JSONEncoder`
/// goes through `Codable` boxes and cost more than the rest of the request but the signature. Object keys
/// come out sorted, so the same claims always give the same bytes. Slashes are not escaped.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) {
        self.bytes.reserveCapacity(capacity)
    }

    /// The UTF-8 text of `value`.
    static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(value)
        return writer.bytes
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: self.raw("null")
        case .bool(let value): self.raw(value ? "true" : "false")
        case .int(let value): self.raw(String(value))
        // JSON has no NaN or infinity; decoded JSON never holds them.
        case .double(let value): self.raw(value.isFinite ? String(value) : "null")
        case .string(let value): self.write(string: value)
        case .array(let values):
            self.bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
                self.write(element)
            }
            self.bytes.append(UInt8(ascii: "]"))
        case .object(let members): self.write(object: members)
        }
    }

    mutating func write(object members: [String: JSONValue]) {
        self.bytes.append(UInt8(ascii: "{"))
        // Sorting the members themselves, not their keys, spares a hash lookup per member.
        for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            self.write(string: member.key)
            self.bytes.append(UInt8(ascii: ":"))
            self.write(member.value)
        }
        self.bytes.append(UInt8(ascii: "}"))
    }

    /// A string with the escapes RFC 8259 §7 requires: quote, backslash and control characters.
    mutating func write(string: String) {
        // Native Swift strings are contiguous UTF-8; anything else is copied first.
        if string.utf8.withContiguousStorageIfAvailable({ self.write(utf8: $0) }) == nil {
            Array(string.utf8).withUnsafeBufferPointer { self.write(utf8: $0) }
        }
    }

    private mutating func write(utf8: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(UInt8(ascii: "\""))
        var start = 0
        // Most strings (tokens, ids, scopes) have nothing to escape: skip eight bytes at a time while none
        // of them needs it, then look at the rest byte by byte.
        let clean = Self.bytesWithoutEscapes(utf8)
        if clean == utf8.count {
            self.bytes.append(contentsOf: utf8)
            self.bytes.append(UInt8(ascii: "\""))
            return
        }
        for index in utf8.indices[clean...] {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            // The clean run before this byte is copied in one piece.
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            start = index + 1
            switch byte {
            case UInt8(ascii: "\""): self.raw("\\\"")
            case UInt8(ascii: "\\"): self.raw("\\\\")
            case 0x0A: self.raw("\\n")
            case 0x0D: self.raw("\\r")
            case 0x09: self.raw("\\t")
            case 0x08: self.raw("\\b")
            case 0x0C: self.raw("\\f")
            default:
                self.raw("\\u00")
                self.bytes.append(Self.hexDigits[Int(byte >> 4)])
                self.bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// How many leading bytes of `utf8` are known to need no escape, found eight at a time: a word needs
    /// a look when a byte is below 0x20, or is a quote or a backslash (exact tests for a zero byte in
    /// `word ^ pattern` and for a byte below 0x20; they never miss, so a word that passes is clean).
    static func bytesWithoutEscapes(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = UnsafeRawPointer(utf8.baseAddress) else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        var offset = 0
        while offset + 8 <= utf8.count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word & highs != 0
            if control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C)) { break }
            offset += 8
        }
        return offset
    }

    private mutating func raw(_ text: String) {
        self.bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
