import Foundation
import Understudy

/// How the admin commands print: aligned tables and `name: value` lines for people, JSON for scripts.
enum Output {
    static func json(_ value: JSONValue) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// One row per object, one column per name (missing members are blank); a header line first unless
    /// `header` is false.
    static func table(_ rows: [JSONValue], columns: [String], header showHeader: Bool = true) {
        let cells = rows.map { row in columns.map { Self.text(Self.member(row, $0)) } }
        let header = columns.map { $0.uppercased().replacingOccurrences(of: "_", with: " ") }
        let widths = columns.indices.map { index in ([header[index]] + cells.map { $0[index] }).map(\.count).max() ?? 0 }
        for line in (showHeader ? [header] : []) + cells {
            let padded = line.enumerated().map { index, cell in
                index == line.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            Swift.print(padded.joined(separator: "  "))
        }
        if rows.isEmpty, showHeader { Swift.print("(none)") }
    }

    /// `name: value` lines of an object, by name.
    static func fields(_ value: JSONValue) {
        guard case .object(let members) = value else {
            Swift.print(Self.text(value))
            return
        }
        let width = members.keys.map(\.count).max() ?? 0
        for name in members.keys.sorted() {
            Swift.print("\(name):".padding(toLength: width + 2, withPad: " ", startingAt: 0) + Self.text(members[name]))
        }
    }

    static func member(_ value: JSONValue, _ name: String) -> JSONValue? {
        guard case .object(let members) = value else { return nil }
        return members[name]
    }

    /// A cell: strings as they are, lists joined with commas, objects as JSON.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "yes" : "no"
        case .int(let number)?: String(number)
        case .double(let number)?: String(number)
        case .array(let items)?: items.map { Self.text($0) }.joined(separator: ",")
        case .object?:
            (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }
}
