/// A parsed SCIM filter expression (RFC 7644 §3.4.2.2): comparisons, `pr`, `and`/`or`/`not`, parentheses and
/// value paths such as `emails[type eq "work" and value co "@example.com"]`.
indirect enum SCIMFilter: Equatable, Sendable {
    case compare(SCIMAttributePath, Operator, JSONValue)
    case present(SCIMAttributePath)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)
    /// `attribute[filter]`: some element of the multi-valued `attribute` matches `filter`.
    case valuePath(SCIMAttributePath, SCIMFilter)

    /// The comparison operators; `pr` is ``SCIMFilter/present(_:)``.
    enum Operator: String, Sendable, CaseIterable {
        case eq, ne, co, sw, ew, gt, ge, lt, le
    }

    /// Filters longer than this are refused (the query string is already capped by the server).
    static let maximumLength = 4096
    /// Nesting deeper than this (parentheses, `not`, brackets) is refused, so no input can exhaust the stack.
    static let maximumDepth = 32

    /// Parses `text`.
    ///
    /// - Throws: ``SCIMError`` 400 with `scimType` `invalidFilter` (or `kind`), whose detail names the position.
    init(parsing text: String, errorKind kind: SCIMError.Kind = .invalidFilter) throws(SCIMError) {
        var parser = SCIMFilterParser(text, errorKind: kind)
        self = try parser.parseFilter()
    }
}

/// An attribute reference: `userName`, `name.givenName`, `urn:ietf:params:scim:schemas:core:2.0:User:userName`.
///
/// The schema URN is dropped (one schema per resource type here); names keep their spelling and are compared
/// case-insensitively (RFC 7643 §2.1).
struct SCIMAttributePath: Equatable, Sendable {
    var attribute: String
    var subAttribute: String?

    /// `attribute` or `attribute.subattribute`, lowercased.
    var key: String {
        (self.subAttribute.map { "\(self.attribute).\($0)" } ?? self.attribute).lowercased()
    }

    /// Parses one path token; nil when it is not an attribute path.
    init?(_ text: String) {
        var text = Substring(text)
        if text.lowercased().hasPrefix("urn:") {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            text = text[text.index(after: colon)...]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isName) else { return nil }
        self.attribute = String(parts[0])
        self.subAttribute = parts.count == 2 ? String(parts[1]) : nil
    }

    init(attribute: String, subAttribute: String? = nil) {
        self.attribute = attribute
        self.subAttribute = subAttribute
    }

    /// RFC 7643 §2.1 ATTRNAME (`ALPHA *(nameChar)`), plus `$ref`.
    static func isName(_ name: Substring) -> Bool {
        if name == "$ref" { return true }
        guard let first = name.unicodeScalars.first, first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

/// The recursive-descent parser behind ``SCIMFilter`` and ``SCIMPatchPath``: `or` binds loosest, then `and`,
/// then `not`, parentheses and value paths. Keywords and operators are case-insensitive.
struct SCIMFilterParser {
    private enum Token: Equatable {
        case word(String)
        case string(String)
        case open, close, openBracket, closeBracket
        case end
    }

    private let scalars: [Unicode.Scalar]
    private let errorKind: SCIMError.Kind
    private var position = 0
    private var depth = 0

    init(_ text: String, errorKind: SCIMError.Kind) {
        self.scalars = Array(text.unicodeScalars)
        self.errorKind = errorKind
    }

    mutating func parseFilter() throws(SCIMError) -> SCIMFilter {
        guard self.scalars.count <= SCIMFilter.maximumLength else {
            throw self.error("the filter is longer than \(SCIMFilter.maximumLength) characters")
        }
        let filter = try self.parseOr()
        guard try self.next() == .end else { throw self.error("unexpected text at position \(self.position)") }
        return filter
    }

    /// A PATCH path: `attrPath` or `valuePath [ "." subAttr ]` (RFC 7644 §3.5.2).
    mutating func parsePatchPath() throws(SCIMError) -> SCIMPatchPath {
        guard self.scalars.count <= SCIMFilter.maximumLength else { throw self.error("the path is too long") }
        guard case .word(let word) = try self.next(), let path = SCIMAttributePath(word) else { throw self.error("expected an attribute path") }
        var result = SCIMPatchPath(path: path)
        if try self.peek() == .openBracket {
            guard path.subAttribute == nil else { throw self.error("a value filter follows an attribute, not a sub-attribute") }
            _ = try self.next()
            result.filter = try self.parseOr()
            guard try self.next() == .closeBracket else { throw self.error("expected ']' at position \(self.position)") }
            if case .word(let rest) = try self.peek() {
                _ = try self.next()
                guard rest.hasPrefix("."), SCIMAttributePath.isName(rest.dropFirst()) else { throw self.error("expected '.subAttribute' after ']'") }
                result.path.subAttribute = String(rest.dropFirst())
            }
        }
        guard try self.next() == .end else { throw self.error("unexpected text at position \(self.position)") }
        return result
    }

    private mutating func parseOr() throws(SCIMError) -> SCIMFilter {
        var filter = try self.parseAnd()
        while try self.peekKeyword("or") {
            _ = try self.next()
            filter = .or(filter, try self.parseAnd())
        }
        return filter
    }

    private mutating func parseAnd() throws(SCIMError) -> SCIMFilter {
        var filter = try self.parseUnary()
        while try self.peekKeyword("and") {
            _ = try self.next()
            filter = .and(filter, try self.parseUnary())
        }
        return filter
    }

    private mutating func parseUnary() throws(SCIMError) -> SCIMFilter {
        self.depth += 1
        defer { self.depth -= 1 }
        guard self.depth <= SCIMFilter.maximumDepth else { throw self.error("the filter nests deeper than \(SCIMFilter.maximumDepth) levels") }
        if try self.peekKeyword("not") {
            _ = try self.next()
            guard try self.next() == .open else { throw self.error("expected '(' after 'not' at position \(self.position)") }
            return .not(try self.parseGroupRest())
        }
        switch try self.next() {
        case .open:
            return try self.parseGroupRest()
        case .word(let word):
            guard let path = SCIMAttributePath(word) else { throw self.error("'\(word.prefix(40))' is not an attribute path") }
            return try self.parseAttributeExpression(path)
        case .end:
            throw self.error("the filter ends where an expression was expected")
        default:
            throw self.error("expected an attribute path at position \(self.position)")
        }
    }

    /// The rest of `( filter )` after the opening parenthesis.
    private mutating func parseGroupRest() throws(SCIMError) -> SCIMFilter {
        let filter = try self.parseOr()
        guard try self.next() == .close else { throw self.error("expected ')' at position \(self.position)") }
        return filter
    }

    private mutating func parseAttributeExpression(_ path: SCIMAttributePath) throws(SCIMError) -> SCIMFilter {
        switch try self.next() {
        case .openBracket:
            guard path.subAttribute == nil else { throw self.error("a value filter follows an attribute, not a sub-attribute") }
            let filter = try self.parseOr()
            guard try self.next() == .closeBracket else { throw self.error("expected ']' at position \(self.position)") }
            return .valuePath(path, filter)
        case .word(let word):
            let name = word.lowercased()
            if name == "pr" { return .present(path) }
            guard let op = SCIMFilter.Operator(rawValue: name) else {
                throw self.error("'\(word.prefix(20))' is not a filter operator (eq ne co sw ew pr gt ge lt le)")
            }
            return .compare(path, op, try self.parseValue())
        default:
            throw self.error("expected an operator after '\(path.key)'")
        }
    }

    /// RFC 7644 §3.4.2.2 compValue: `false / null / true / number / string`.
    private mutating func parseValue() throws(SCIMError) -> JSONValue {
        switch try self.next() {
        case .string(let value): return .string(value)
        case .word(let word):
            switch word.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                if let int = Int(word) { return .int(int) }
                if let double = Double(word), double.isFinite, word.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }) {
                    return .double(double)
                }
                throw self.error("'\(word.prefix(40))' is not a value; quote strings with \"")
            }
        default:
            throw self.error("expected a value at position \(self.position)")
        }
    }

    private mutating func peekKeyword(_ keyword: String) throws(SCIMError) -> Bool {
        if case .word(let word) = try self.peek() { return word.lowercased() == keyword }
        return false
    }

    private mutating func peek() throws(SCIMError) -> Token {
        let saved = self.position
        defer { self.position = saved }
        return try self.next()
    }

    private mutating func next() throws(SCIMError) -> Token {
        while self.position < self.scalars.count, self.scalars[self.position].properties.isWhitespace { self.position += 1 }
        guard self.position < self.scalars.count else { return .end }
        let scalar = self.scalars[self.position]
        switch scalar {
        case "(":
            self.position += 1
            return .open
        case ")":
            self.position += 1
            return .close
        case "[":
            self.position += 1
            return .openBracket
        case "]":
            self.position += 1
            return .closeBracket
        case "\"": return .string(try self.readString())
        default:
            let start = self.position
            while self.position < self.scalars.count, Self.isWordScalar(self.scalars[self.position]) { self.position += 1 }
            guard self.position > start else { throw self.error("unexpected character at position \(self.position)") }
            var word = ""
            word.unicodeScalars.append(contentsOf: self.scalars[start..<self.position])
            return .word(word)
        }
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIILetter || ("0"..."9").contains(scalar) || "-_.:$+".unicodeScalars.contains(scalar)
    }

    /// A JSON string literal (RFC 8259 §7 escapes), the opening quote at `position`.
    private mutating func readString() throws(SCIMError) -> String {
        let start = self.position
        self.position += 1
        var result = String.UnicodeScalarView()
        while self.position < self.scalars.count {
            let scalar = self.scalars[self.position]
            self.position += 1
            switch scalar {
            case "\"": return String(result)
            case "\\":
                guard self.position < self.scalars.count else { break }
                let escaped = self.scalars[self.position]
                self.position += 1
                switch escaped {
                case "\"", "\\", "/": result.append(escaped)
                case "b": result.append("\u{08}")
                case "f": result.append("\u{0C}")
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "t": result.append("\t")
                case "u": result.append(try self.readUnicodeEscape())
                default: throw self.error("invalid escape in the string at position \(start)")
                }
            default:
                guard scalar.value >= 0x20 else { throw self.error("control character in the string at position \(start)") }
                result.append(scalar)
            }
        }
        throw self.error("unterminated string at position \(start)")
    }

    /// `XXXX` after `\u`, with surrogate pairs joined; lone surrogates are refused.
    private mutating func readUnicodeEscape() throws(SCIMError) -> Unicode.Scalar {
        let high = try self.readHex4()
        if let scalar = Unicode.Scalar(high) { return scalar }
        guard (0xD800...0xDBFF).contains(high), self.position + 1 < self.scalars.count, self.scalars[self.position] == "\\",
            self.scalars[self.position + 1] == "u"
        else { throw self.error("invalid \\u escape at position \(self.position)") }
        self.position += 2
        let low = try self.readHex4()
        guard (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
            throw self.error("invalid \\u escape at position \(self.position)")
        }
        return scalar
    }

    private mutating func readHex4() throws(SCIMError) -> UInt32 {
        guard self.position + 4 <= self.scalars.count else { throw self.error("invalid \\u escape at position \(self.position)") }
        var text = ""
        text.unicodeScalars.append(contentsOf: self.scalars[self.position..<(self.position + 4)])
        guard text.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }), let value = UInt32(text, radix: 16) else {
            throw self.error("invalid \\u escape at position \(self.position)")
        }
        self.position += 4
        return value
    }

    private func error(_ detail: String) -> SCIMError {
        SCIMError.badRequest(self.errorKind, detail)
    }
}
