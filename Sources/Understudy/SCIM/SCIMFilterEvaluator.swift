/// Evaluates a ``SCIMFilter`` against a rendered resource (RFC 7644 §3.4.2.2).
///
/// Multi-valued attributes match when any value matches; a complex value without a sub-attribute is
/// compared by its `value` (so `emails eq "a@b.c"` works as IDCS allows). Strings compare case-insensitively
/// except the case-exact attributes of RFC 7643 (`id`, `externalId`, references).
extension SCIMFilter {
    /// Paths (lowercased, `attribute.subattribute`) whose strings compare case-exactly.
    static let caseExactPaths: Set<String> = [
        "id", "externalid", "members.value", "groups.value", "members.$ref", "groups.$ref", "meta.location", "meta.version",
    ]

    func matches(_ resource: [String: JSONValue]) -> Bool {
        self.matches(resource, parent: nil)
    }

    private func matches(_ resource: [String: JSONValue], parent: String?) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(resource, parent: parent) && right.matches(resource, parent: parent)
        case .or(let left, let right): return left.matches(resource, parent: parent) || right.matches(resource, parent: parent)
        case .not(let filter): return !filter.matches(resource, parent: parent)
        case .present(let path): return !Self.values(of: path, in: resource).isEmpty
        case .valuePath(let path, let filter):
            guard let value = resource[scim: path.attribute] else { return false }
            let elements: [JSONValue] = if case .array(let array) = value { array } else { [value] }
            return elements.contains { element in
                guard case .object(let members) = element else { return false }
                return filter.matches(members, parent: path.attribute.lowercased())
            }
        case .compare(let path, let op, let expected):
            let values = Self.values(of: path, in: resource)
            let key = parent.map { "\($0).\(path.key)" } ?? path.key
            let caseExact = Self.caseExactPaths.contains(key)
            switch op {
            case .eq where expected == .null: return values.isEmpty
            case .ne where expected == .null: return !values.isEmpty
            case .ne: return !values.contains { Self.compare($0, .eq, expected, caseExact: caseExact) }
            default: return values.contains { Self.compare($0, op, expected, caseExact: caseExact) }
            }
        }
    }

    /// The present (non-null, non-empty) leaf values at `path`, arrays flattened.
    static func values(of path: SCIMAttributePath, in resource: [String: JSONValue]) -> [JSONValue] {
        guard let value = resource[scim: path.attribute] else { return [] }
        var values: [JSONValue] = []
        func collect(_ value: JSONValue, sub: String?) {
            switch value {
            case .null: return
            case .string(let text) where text.isEmpty: return
            case .array(let elements): for element in elements { collect(element, sub: sub) }
            case .object(let members):
                if let inner = members[scim: sub ?? "value"] { collect(inner, sub: nil) }
            default:
                if sub == nil { values.append(value) }
            }
        }
        collect(value, sub: path.subAttribute)
        return values
    }

    private static func compare(_ actual: JSONValue, _ op: Operator, _ expected: JSONValue, caseExact: Bool) -> Bool {
        switch (actual, expected) {
        case (.string(var left), .string(var right)):
            if !caseExact {
                left = left.lowercased()
                right = right.lowercased()
            }
            switch op {
            case .eq: return left == right
            case .ne: return left != right
            case .co: return left.contains(right)
            case .sw: return left.hasPrefix(right)
            case .ew: return left.hasSuffix(right)
            case .gt: return left > right
            case .ge: return left >= right
            case .lt: return left < right
            case .le: return left <= right
            }
        case (.bool(let left), .bool(let right)):
            switch op {
            case .eq: return left == right
            case .ne: return left != right
            default: return false
            }
        default:
            guard let left = Self.number(actual), let right = Self.number(expected) else { return false }
            switch op {
            case .eq: return left == right
            case .ne: return left != right
            case .gt: return left > right
            case .ge: return left >= right
            case .lt: return left < right
            case .le: return left <= right
            case .co, .sw, .ew: return false
            }
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
