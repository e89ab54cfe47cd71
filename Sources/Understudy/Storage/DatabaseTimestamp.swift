import Foundation
import GRDB

/// Dates as GRDB stores them (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), written without a `DateFormatter`: the audit
/// log writes one per token, and GRDB reads these back as `Date`. Rounded to the nearest millisecond.
enum DatabaseTimestamp {
    /// Years 1 to 9999, the range the format can hold; a date outside is written as the nearest end.
    static let range: ClosedRange<TimeInterval> = -62_135_596_800...253_402_300_799

    static func string(_ date: Date) -> String {
        let clamped = min(max(date.timeIntervalSince1970, Self.range.lowerBound), Self.range.upperBound)
        let milliseconds = (clamped.isNaN ? 0 : clamped * 1000).rounded()
        var seconds = time_t(Int64((milliseconds / 1000).rounded(.down)))
        let millisecond = Int(milliseconds - Double(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit into the string's own storage: no intermediate strings.
        return String(unsafeUninitializedCapacity: 23) { buffer in
            var index = 0
            func put(_ value: Int, width: Int) {
                var value = value
                for position in stride(from: index + width - 1, through: index, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += width
            }
            func put(_ separator: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: separator)
                index += 1
            }
            put(Int(parts.tm_year) + 1900, width: 4)
            put("-")
            put(Int(parts.tm_mon) + 1, width: 2)
            put("-")
            put(Int(parts.tm_mday), width: 2)
            put(" ")
            put(Int(parts.tm_hour), width: 2)
            put(":")
            put(Int(parts.tm_min), width: 2)
            put(":")
            put(Int(parts.tm_sec), width: 2)
            put(".")
            put(millisecond, width: 3)
            return index
        }
    }
}

/// A record whose dates are stored as ``DatabaseTimestamp`` strings, the format GRDB itself uses. GRDB's
/// default writes them with Foundation's `DateFormatter`, which starts ICU: its code and megabytes of its
/// tables paged in when the seed is applied, for a fixed UTC format.
protocol TimestampedRecord: EncodableRecord {}

extension TimestampedRecord {
    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .custom { DatabaseTimestamp.string($0) }
    }
}

extension Date {
    /// This date as the database stores it (``DatabaseTimestamp``), for SQL arguments.
    var databaseTimestamp: String { DatabaseTimestamp.string(self) }
}
