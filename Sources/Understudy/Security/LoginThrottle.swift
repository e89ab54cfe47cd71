import Foundation
import Synchronization

/// Cognito's answer to password guessing: after five failed sign-ins in a row for a username, it is locked
/// for 1 second, and each further failure doubles the time, up to 15 minutes. While locked, attempts are
/// refused without checking the password and do not extend the lock; a success clears the record, and so
/// do 15 minutes without a failure. Unknown usernames are counted the same way, so the lockout does not tell
/// which names exist. Kept in memory: a restart forgets it.
final class LoginThrottle: Sendable {
    /// Failures before the first lock.
    static let freeAttempts = 5
    static let longestLock: TimeInterval = 900
    /// A record with no failure for this long starts again from zero.
    static let forgetAfter: TimeInterval = 900
    /// Usernames tracked at most; beyond, the stalest records go (memory stays bounded under any load).
    static let capacity = 10_000

    private struct Record {
        var failures = 0
        var lastFailure = Date.distantPast
        var lockedUntil = Date.distantPast
    }

    private let records = Mutex<[String: Record]>([:])
    let enabled: Bool
    let now: @Sendable () -> Date

    init(enabled: Bool = true, now: @escaping @Sendable () -> Date) {
        self.enabled = enabled
        self.now = now
    }

    /// When `username` may try again, if it is locked now.
    func lockedUntil(_ username: String) -> Date? {
        guard self.enabled else { return nil }
        let now = self.now()
        return self.records.withLock { records in
            guard let record = records[username], record.lockedUntil > now else { return nil }
            return record.lockedUntil
        }
    }

    /// Counts a failed attempt; returns when the username is locked until, if this failure locked it.
    @discardableResult
    func failed(_ username: String) -> Date? {
        guard self.enabled else { return nil }
        let now = self.now()
        return self.records.withLock { records in
            var record = records[username] ?? Record()
            if now.timeIntervalSince(record.lastFailure) > Self.forgetAfter { record = Record() }
            record.failures += 1
            record.lastFailure = now
            var locked: Date?
            if record.failures >= Self.freeAttempts {
                let exponent = min(record.failures - Self.freeAttempts, 10)
                locked = now.addingTimeInterval(min(Double(1 << exponent), Self.longestLock))
                record.lockedUntil = locked!
            }
            if records[username] == nil, records.count >= Self.capacity { Self.evict(&records, now: now) }
            records[username] = record
            return locked
        }
    }

    /// How many usernames have a record.
    var trackedCount: Int { self.records.withLock { $0.count } }

    /// A successful sign-in clears the username's record.
    func succeeded(_ username: String) {
        guard self.enabled else { return }
        _ = self.records.withLock { $0.removeValue(forKey: username) }
    }

    private static func evict(_ records: inout [String: Record], now: Date) {
        records = records.filter { now.timeIntervalSince($0.value.lastFailure) <= Self.forgetAfter || $0.value.lockedUntil > now }
        if records.count >= Self.capacity {
            let stalest = records.sorted { $0.value.lastFailure < $1.value.lastFailure }.prefix(records.count - Self.capacity + 1)
            for (name, _) in stalest { records[name] = nil }
        }
    }
}
