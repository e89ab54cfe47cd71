import Foundation
import Hummingbird

/// The query of a SCIM list or search (RFC 7644 §3.4.2, §3.4.3, §3.9): filter, sorting, paging, projection.
struct SCIMListQuery: Sendable {
    static let defaultCount = 100
    static let maximumCount = 1000

    var filter: SCIMFilter?
    var sortBy: SCIMAttributePath?
    var descending = false
    /// 1-based; values below 1 count as 1.
    var startIndex = 1
    var count = Self.defaultCount
    var projection = SCIMProjection()

    /// Reads `filter`, `sortBy`, `sortOrder`, `startIndex`, `count`, `attributes` and `excludedAttributes`.
    init(query: [String: String]) throws(SCIMError) {
        try self.init(
            filter: query["filter"],
            sortBy: query["sortBy"],
            sortOrder: query["sortOrder"],
            startIndex: try Self.integer(query["startIndex"], "startIndex"),
            count: try Self.integer(query["count"], "count"),
            attributes: query["attributes"].map(Self.names),
            excludedAttributes: query["excludedAttributes"].map(Self.names)
        )
    }

    /// Reads a `POST …/.search` body (RFC 7644 §3.4.3).
    init(searchBody body: [String: JSONValue]) throws(SCIMError) {
        func text(_ name: String) throws(SCIMError) -> String? { try SCIMUserResource.string(body, name) }
        func number(_ name: String) throws(SCIMError) -> Int? {
            switch body[scim: name] {
            case nil, .null?: return nil
            case .int(let value)?: return value
            default: throw SCIMError.badRequest(.invalidValue, "\(name) must be an integer")
            }
        }
        func list(_ name: String) throws(SCIMError) -> [String]? {
            switch body[scim: name] {
            case nil, .null?: return nil
            case .string(let text)?: return Self.names(text)
            case .array(let values)? where values.allSatisfy({ $0.stringValue != nil }): return values.compactMap(\.stringValue)
            default: throw SCIMError.badRequest(.invalidValue, "\(name) must be an array of attribute names")
            }
        }
        try self.init(
            filter: text("filter"),
            sortBy: text("sortBy"),
            sortOrder: text("sortOrder"),
            startIndex: number("startIndex"),
            count: number("count"),
            attributes: list("attributes"),
            excludedAttributes: list("excludedAttributes")
        )
    }

    private init(
        filter: String?,
        sortBy: String?,
        sortOrder: String?,
        startIndex: Int?,
        count: Int?,
        attributes: [String]?,
        excludedAttributes: [String]?
    ) throws(SCIMError) {
        if let filter, !filter.trimmingCharacters(in: .whitespaces).isEmpty { self.filter = try SCIMFilter(parsing: filter) }
        if let sortBy, !sortBy.isEmpty {
            guard let path = SCIMAttributePath(sortBy) else { throw SCIMError.badRequest(.invalidValue, "sortBy is not an attribute path") }
            self.sortBy = path
        }
        switch sortOrder?.lowercased() {
        case nil, "ascending": self.descending = false
        case "descending": self.descending = true
        default: throw SCIMError.badRequest(.invalidValue, "sortOrder must be ascending or descending")
        }
        // RFC 7644 §3.4.2.4: below 1 counts as 1; a negative count as 0. Larger counts are capped.
        self.startIndex = max(1, startIndex ?? 1)
        self.count = min(Self.maximumCount, max(0, count ?? Self.defaultCount))
        self.projection = try SCIMProjection(attributes: attributes ?? [], excluded: excludedAttributes ?? [])
    }

    /// The ListResponse (RFC 7644 §3.4.2) for `resources`: filtered, sorted, paged and projected.
    func listResponse(_ resources: [[String: JSONValue]]) -> JSONValue {
        var matching = self.filter.map { filter in resources.filter(filter.matches) } ?? resources
        if let sortBy = self.sortBy {
            let keyed = matching.map { (Self.sortKey(SCIMFilter.values(of: sortBy, in: $0).first), $0) }
            matching = keyed.sorted { left, right in
                switch (left.0, right.0) {
                case (nil, nil): return false
                case (nil, _): return self.descending
                case (_, nil): return !self.descending
                case (let a?, let b?): return self.descending ? a > b : a < b
                }
            }.map(\.1)
        }
        let page = matching.dropFirst(self.startIndex - 1).prefix(self.count).map { JSONValue.object(self.projection.apply(to: $0)) }
        return .object([
            "schemas": .array([.string(SCIMSchema.listResponse)]),
            "totalResults": .int(matching.count),
            "startIndex": .int(self.startIndex),
            "itemsPerPage": .int(page.count),
            "Resources": .array(Array(page)),
        ])
    }

    private static func sortKey(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text.lowercased()
        case .int(let number)?: Self.orderedDigits(number)
        case .bool(let flag)?: flag ? "1" : "0"
        default: nil
        }
    }

    /// Digits that sort as the numbers do: the sign bit flipped makes unsigned order match signed order, and
    /// 20 digits hold any UInt64.
    static func orderedDigits(_ number: Int) -> String {
        let digits = String(UInt64(bitPattern: Int64(number)) ^ (1 << 63))
        return String(repeating: "0", count: 20 - digits.count) + digits
    }

    private static func integer(_ text: String?, _ name: String) throws(SCIMError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw SCIMError.badRequest(.invalidValue, "\(name) must be an integer")
        }
        return value
    }

    static func names(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9): which attributes a response shows. `schemas` and `id`
/// are always shown.
struct SCIMProjection: Sendable {
    private var included: [SCIMAttributePath] = []
    private var excluded: [SCIMAttributePath] = []
    private static let always: Set<String> = ["schemas", "id"]

    init() {}

    init(attributes: [String], excluded: [String]) throws(SCIMError) {
        func parse(_ names: [String]) throws(SCIMError) -> [SCIMAttributePath] {
            var paths: [SCIMAttributePath] = []
            for name in names {
                guard let path = SCIMAttributePath(name) else {
                    throw SCIMError.badRequest(.invalidValue, "'\(name.prefix(60))' is not an attribute")
                }
                paths.append(path)
            }
            return paths
        }
        self.included = try parse(attributes)
        self.excluded = try parse(excluded)
    }

    init(query: [String: String]) throws(SCIMError) {
        try self.init(
            attributes: query["attributes"].map(SCIMListQuery.names) ?? [],
            excluded: query["excludedAttributes"].map(SCIMListQuery.names) ?? []
        )
    }

    func apply(to resource: [String: JSONValue]) -> [String: JSONValue] {
        var result = resource
        if !self.included.isEmpty {
            result = [:]
            for (key, value) in resource {
                let name = key.lowercased()
                if Self.always.contains(name) {
                    result[key] = value
                    continue
                }
                let paths = self.included.filter { $0.attribute.lowercased() == name }
                if paths.contains(where: { $0.subAttribute == nil }) {
                    result[key] = value
                } else if !paths.isEmpty {
                    result[key] = Self.keeping(paths.compactMap(\.subAttribute), of: value)
                }
            }
        }
        for path in self.excluded where !Self.always.contains(path.attribute.lowercased()) {
            guard let key = result.scimKey(path.attribute) else { continue }
            if let sub = path.subAttribute {
                result[key] = Self.removing(sub, of: result[key]!)
            } else {
                result[key] = nil
            }
        }
        return result
    }

    private static func keeping(_ subs: [String], of value: JSONValue) -> JSONValue {
        let wanted = Set(subs.map { $0.lowercased() })
        switch value {
        case .object(let members): return .object(members.filter { wanted.contains($0.key.lowercased()) })
        case .array(let elements): return .array(elements.map { Self.keeping(subs, of: $0) })
        default: return value
        }
    }

    private static func removing(_ sub: String, of value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            if let key = members.scimKey(sub) { members[key] = nil }
            return .object(members)
        case .array(let elements): return .array(elements.map { Self.removing(sub, of: $0) })
        default: return value
        }
    }
}
