/// A JSON value of any shape: user attributes from the seed and custom claims in tokens.
///
/// Encodes to and decodes from plain JSON, so it can sit inside token payloads and `.jsonText` columns.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Strings first: most claims and header members are strings, and every failed `try?` builds a
        // DecodingError. A JSON string never decodes as a number or a Bool, nor a number as a Bool.
        if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// The string, when this value is one.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// True when a string anywhere inside (an object's names included) holds a NUL character, which SQLite
    /// would cut the string at.
    var containsNUL: Bool {
        switch self {
        case .string(let text): text.utf8.contains(0)
        case .array(let items): items.contains(where: \.containsNUL)
        case .object(let members): members.contains { $0.key.utf8.contains(0) || $0.value.containsNUL }
        case .null, .bool, .int, .double: false
        }
    }

    /// The whole number, when this value is one.
    var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}
