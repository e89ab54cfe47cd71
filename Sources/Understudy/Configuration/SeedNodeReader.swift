import Yams

/// Typed, strict reads from a YAML node tree, with errors that carry the file, key path and line.
///
/// `Decodable` ignores unknown keys and loses line numbers; this reader rejects unknown keys and keeps both.
struct SeedNodeReader {
    let file: String

    /// The longest token lifetime a seed may set, in seconds (ten years).
    static let maximumLifetime = 315_360_000

    func error(_ path: String, _ node: Node?, _ problem: String) -> SeedError {
        SeedError(file: self.file, path: path, line: node?.mark?.line, problem: problem)
    }

    /// The pairs of a mapping node, after checking every key is one of `allowed`.
    func mapping(_ node: Node, path: String, allowed: Set<String>) throws -> [String: Node] {
        guard let mapping = node.mapping else {
            throw self.error(path, node, "expected a mapping, found \(self.kind(of: node))")
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw self.error(path, keyNode, "keys must be plain strings")
            }
            let keyPath = self.join(path, key)
            guard allowed.contains(key) else {
                let expected = allowed.sorted().joined(separator: ", ")
                throw self.error(keyPath, keyNode, "unknown key '\(key)' (expected one of: \(expected))")
            }
            guard result[key] == nil else { throw self.error(keyPath, keyNode, "duplicate key '\(key)'") }
            result[key] = value
        }
        return result
    }

    func sequence(_ node: Node, path: String) throws -> [Node] {
        if self.isNull(node) { return [] }
        guard let sequence = node.sequence else {
            throw self.error(path, node, "expected a list, found \(self.kind(of: node))")
        }
        return Array(sequence)
    }

    func string(_ node: Node, path: String) throws -> String {
        guard let scalar = node.scalar, !self.isNull(node), self.tag(of: node) != .bool else {
            throw self.error(path, node, "expected a string, found \(self.kind(of: node))")
        }
        guard !scalar.string.utf8.contains(0) else { throw self.error(path, node, "must not contain a NUL character") }
        return scalar.string
    }

    func nonEmptyString(_ node: Node, path: String) throws -> String {
        let value = try self.string(node, path: path)
        guard !value.isEmpty else { throw self.error(path, node, "must not be empty") }
        return value
    }

    func optionalString(_ node: Node?, path: String) throws -> String? {
        guard let node, !self.isNull(node) else { return nil }
        return try self.string(node, path: path)
    }

    func bool(_ node: Node?, path: String) throws -> Bool? {
        guard let node, !self.isNull(node) else { return nil }
        guard self.tag(of: node) == .bool, let value = node.bool else {
            throw self.error(path, node, "expected true or false, found \(self.kind(of: node))")
        }
        return value
    }

    func positiveInt(_ node: Node?, path: String) throws -> Int? {
        guard let node, !self.isNull(node) else { return nil }
        guard self.tag(of: node) == .int, let value = node.int else {
            throw self.error(path, node, "expected a whole number, found \(self.kind(of: node))")
        }
        guard value > 0 else { throw self.error(path, node, "must be greater than 0") }
        guard value <= Self.maximumLifetime else { throw self.error(path, node, "must be at most \(Self.maximumLifetime) (ten years)") }
        return value
    }

    /// A list of strings; a single string is accepted as a list of one.
    func strings(_ node: Node?, path: String) throws -> [String] {
        guard let node else { return [] }
        if node.scalar != nil, !self.isNull(node) { return [try self.nonEmptyString(node, path: path)] }
        return try self.sequence(node, path: path).enumerated().map { index, item in
            try self.nonEmptyString(item, path: "\(path)[\(index)]")
        }
    }

    /// Any YAML value as JSON, resolving scalars by their YAML type.
    func json(_ node: Node, path: String) throws -> JSONValue {
        switch node {
        case .scalar:
            switch self.tag(of: node) {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int:
                guard let value = node.int else { throw self.error(path, node, "number out of range") }
                return .int(value)
            case .float:
                guard let value = node.float, value.isFinite else { throw self.error(path, node, "numbers must be finite") }
                return .double(value)
            default: return .string(node.scalar?.string ?? "")
            }
        case .sequence(let sequence):
            return .array(try sequence.enumerated().map { try self.json($1, path: "\(path)[\($0)]") })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (keyNode, value) in mapping {
                guard let key = keyNode.scalar?.string else { throw self.error(path, keyNode, "keys must be plain strings") }
                object[key] = try self.json(value, path: self.join(path, key))
            }
            return .object(object)
        case .alias:
            throw self.error(path, node, "aliases are not supported")
        }
    }

    /// The resolved YAML type of a node, e.g. `tag:yaml.org,2002:int`.
    func tag(of node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    func isNull(_ node: Node) -> Bool {
        node.scalar != nil && self.tag(of: node) == .null
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar):
            switch self.tag(of: node) {
            case .null: "nothing (null)"
            case .bool: "a boolean (\(scalar.string))"
            case .int, .float: "a number (\(scalar.string))"
            default: "a string ('\(scalar.string)')"
            }
        }
    }
}
