/// A PATCH target (RFC 7644 §3.5.2): `attrPath`, or `valuePath` with an optional sub-attribute, e.g.
/// `name.givenName`, `members[value eq "2819c223"]`, `emails[type eq "work"].value`.
struct SCIMPatchPath: Equatable, Sendable {
    var path: SCIMAttributePath
    var filter: SCIMFilter?

    init(path: SCIMAttributePath, filter: SCIMFilter? = nil) {
        self.path = path
        self.filter = filter
    }

    /// - Throws: ``SCIMError`` 400 `invalidPath`.
    init(parsing text: String) throws(SCIMError) {
        var parser = SCIMFilterParser(text, errorKind: .invalidPath)
        self = try parser.parsePatchPath()
    }
}

/// A PatchOp request (RFC 7644 §3.5.2) applied to a resource's JSON document; the result is then read back
/// like a PUT body, so PATCH and PUT share one mapping and one set of checks.
struct SCIMPatch: Sendable {
    enum Op: String, Sendable {
        case add, remove, replace
    }

    struct Operation: Sendable {
        var op: Op
        var path: SCIMPatchPath?
        var value: JSONValue?
    }

    /// How a resource type's attributes behave under PATCH.
    struct Schema: Sendable {
        /// Lowercased names of multi-valued attributes (their values are appended by `add`).
        var multiValued: Set<String>
        /// Lowercased names of attributes a client cannot change (400 `mutability` when a path names one).
        var readOnly: Set<String>
    }

    /// Operations longer than this are refused (a request is also capped at 1 MiB).
    static let maximumOperations = 1000

    var operations: [Operation]

    /// Reads `{"schemas": [PatchOp], "Operations": [{"op", "path", "value"}]}`; `op` is case-insensitive.
    init(body: [String: JSONValue]) throws(SCIMError) {
        if let schemas = body[scim: "schemas"] {
            guard case .array(let values) = schemas, values.contains(.string(SCIMSchema.patchOp)) else {
                throw SCIMError.badRequest(.invalidSyntax, "schemas must contain \(SCIMSchema.patchOp)")
            }
        }
        guard case .array(let list)? = body[scim: "Operations"], !list.isEmpty else {
            throw SCIMError.badRequest(.invalidSyntax, "Operations must be a non-empty array")
        }
        guard list.count <= Self.maximumOperations else {
            throw SCIMError.badRequest(.invalidSyntax, "at most \(Self.maximumOperations) operations per request")
        }
        var operations: [Operation] = []
        for element in list {
            guard case .object(let members) = element else { throw SCIMError.badRequest(.invalidSyntax, "each operation must be an object") }
            guard let name = members[scim: "op"]?.stringValue, let op = Op(rawValue: name.lowercased()) else {
                throw SCIMError.badRequest(.invalidSyntax, "op must be add, remove or replace")
            }
            var path: SCIMPatchPath?
            switch members[scim: "path"] {
            case nil, .null?: path = nil
            case .string(let text)?: path = try SCIMPatchPath(parsing: text)
            default: throw SCIMError.badRequest(.invalidPath, "path must be a string")
            }
            let value = members[scim: "value"]
            if op == .remove, path == nil { throw SCIMError.badRequest(.noTarget, "remove needs a path") }
            if op != .remove, value == nil || value == .null {
                throw SCIMError.badRequest(.invalidValue, "\(op.rawValue) needs a value")
            }
            operations.append(Operation(op: op, path: path, value: value))
        }
        self.operations = operations
    }

    /// Every plaintext password the operations set (hashed before the write transaction begins).
    var passwords: [String] {
        self.operations.compactMap { operation -> String? in
            if let path = operation.path {
                return path.path.key == "password" ? operation.value?.stringValue : nil
            }
            if case .object(let members)? = operation.value { return members[scim: "password"]?.stringValue }
            return nil
        }
    }

    /// The document after every operation, in order.
    func apply(to document: [String: JSONValue], schema: Schema) throws(SCIMError) -> [String: JSONValue] {
        var document = document
        for operation in self.operations {
            if let path = operation.path {
                guard !schema.readOnly.contains(path.path.attribute.lowercased()) else {
                    throw SCIMError.badRequest(.mutability, "\(path.path.attribute) is read-only")
                }
                try Self.apply(operation.op, at: path, value: operation.value, to: &document, schema: schema)
                continue
            }
            // No path: the value is an object of attributes to add or replace (RFC 7644 §3.5.2.1, §3.5.2.3).
            guard case .object(let members)? = operation.value else {
                throw SCIMError.badRequest(.invalidValue, "without a path, the value must be an object of attributes")
            }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                guard let attribute = SCIMAttributePath(name) else {
                    throw SCIMError.badRequest(.invalidPath, "'\(name.prefix(60))' is not an attribute")
                }
                // Clients such as Okta repeat read-only attributes (id, schemas) in the value: skip them.
                if schema.readOnly.contains(attribute.attribute.lowercased()) || attribute.attribute.lowercased() == "schemas" { continue }
                try Self.apply(operation.op, at: SCIMPatchPath(path: attribute), value: value, to: &document, schema: schema)
            }
        }
        return document
    }

    private static func apply(
        _ op: Op,
        at target: SCIMPatchPath,
        value: JSONValue?,
        to document: inout [String: JSONValue],
        schema: Schema
    ) throws(SCIMError) {
        let attribute = target.path.attribute
        let key = document.scimKey(attribute) ?? attribute
        let multiValued = schema.multiValued.contains(attribute.lowercased())
        if let filter = target.filter {
            guard multiValued else { throw SCIMError.badRequest(.invalidPath, "\(attribute) is not multi-valued") }
            var elements: [JSONValue] = if case .array(let array)? = document[key] { array } else { [] }
            let matched = elements.indices.filter { index in
                guard case .object(let members) = elements[index] else { return false }
                return SCIMFilter.valuePath(SCIMAttributePath(attribute: attribute), filter).matches([attribute: .object(members)])
            }
            switch op {
            case .remove:
                if let sub = target.path.subAttribute {
                    for index in matched { elements[index] = Self.removing(sub, from: elements[index]) }
                } else {
                    for index in matched.reversed() { elements.remove(at: index) }
                }
            case .add, .replace:
                guard let value else { return }
                if matched.isEmpty {
                    // RFC 7644 §3.5.2.3: replace with an unmatched filter is noTarget; add creates the element.
                    guard op == .add, let seed = Self.equalities(filter) else {
                        throw SCIMError.badRequest(.noTarget, "no \(attribute) value matches the filter")
                    }
                    elements.append(.object(seed))
                    try Self.set(value, sub: target.path.subAttribute, merge: true, on: &elements[elements.count - 1])
                } else {
                    for index in matched {
                        try Self.set(value, sub: target.path.subAttribute, merge: op == .add, on: &elements[index])
                    }
                }
            }
            document[key] = elements.isEmpty ? nil : .array(elements)
            return
        }
        if let sub = target.path.subAttribute {
            // `name.givenName`, or a sub-attribute of every value of a multi-valued attribute.
            switch (op, document[key]) {
            case (.remove, .array(let elements)?):
                document[key] = .array(elements.map { Self.removing(sub, from: $0) })
            case (.remove, let current?):
                document[key] = Self.removing(sub, from: current)
            case (.remove, nil):
                return
            case (_, .array(var elements)?) where !elements.isEmpty:
                for index in elements.indices { try Self.set(value ?? .null, sub: sub, merge: true, on: &elements[index]) }
                document[key] = .array(elements)
            default:
                var current: JSONValue = .object([:])
                if case .object? = document[key] { current = document[key]! }
                try Self.set(value ?? .null, sub: sub, merge: true, on: &current)
                document[key] = multiValued ? .array([current]) : current
            }
            return
        }
        switch op {
        case .remove:
            // Azure AD sends `remove` on `members` with the values to remove; without a value, all go.
            if multiValued, let value, value != .null, case .array(let elements)? = document[key] {
                let removed = Set(Self.list(value).compactMap(Self.identity))
                let kept = elements.filter { element in Self.identity(element).map { !removed.contains($0) } ?? true }
                document[key] = kept.isEmpty ? nil : .array(kept)
            } else {
                document[key] = nil
            }
        case .add where multiValued:
            var elements: [JSONValue] = if case .array(let array)? = document[key] { array } else { [] }
            for element in Self.list(value ?? .null) {
                if let identity = Self.identity(element), let index = elements.firstIndex(where: { Self.identity($0) == identity }) {
                    elements[index] = element
                } else {
                    elements.append(element)
                }
            }
            document[key] = .array(elements)
        case .replace where multiValued:
            document[key] = .array(Self.list(value ?? .null))
        case .add, .replace:
            // A complex single value (`name`) merges its sub-attributes; anything else is set.
            if case .object(let new)? = value, case .object(var old)? = document[key] {
                for (name, member) in new { old[old.scimKey(name) ?? name] = member }
                document[key] = .object(old)
            } else {
                document[key] = value
            }
        }
    }

    /// Sets `value` on one element (as its sub-attribute `sub`, or the whole element, merged when asked).
    private static func set(_ value: JSONValue, sub: String?, merge: Bool, on element: inout JSONValue) throws(SCIMError) {
        guard let sub else {
            if merge, case .object(let new) = value, case .object(var old) = element {
                for (name, member) in new { old[old.scimKey(name) ?? name] = member }
                element = .object(old)
            } else {
                element = value
            }
            return
        }
        guard case .object(var members) = element else { throw SCIMError.badRequest(.invalidPath, "the target has no sub-attributes") }
        members[members.scimKey(sub) ?? sub] = value
        element = .object(members)
    }

    private static func removing(_ sub: String, from element: JSONValue) -> JSONValue {
        guard case .object(var members) = element, let key = members.scimKey(sub) else { return element }
        members[key] = nil
        return .object(members)
    }

    private static func list(_ value: JSONValue) -> [JSONValue] {
        if case .array(let values) = value { return values }
        return [value]
    }

    /// What identifies a value of a multi-valued attribute: its `value` member, or the value itself.
    private static func identity(_ element: JSONValue) -> JSONValue? {
        if case .object(let members) = element { return members[scim: "value"] }
        return element
    }

    /// The members a new element needs to match `filter`, when it is a conjunction of `eq` comparisons.
    private static func equalities(_ filter: SCIMFilter) -> [String: JSONValue]? {
        switch filter {
        case .compare(let path, .eq, let value) where path.subAttribute == nil: return [path.attribute: value]
        case .and(let left, let right):
            guard let left = Self.equalities(left), let right = Self.equalities(right) else { return nil }
            return left.merging(right) { first, _ in first }
        default: return nil
        }
    }
}
