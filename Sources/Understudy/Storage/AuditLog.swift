import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// The audit log of tokens issued and denied, written to SQLite in batches off the request path.
///
/// ``record(_:)`` only appends to memory; the service's ``run()`` writes the pending events every
/// ``flushInterval`` in one transaction, and once more on graceful shutdown so nothing recorded is lost.
final class AuditLog: Service, Sendable {
    let writer: any DatabaseWriter
    let flushInterval: Duration
    private let pending = Mutex<[AuditEvent]>([])

    init(writer: any DatabaseWriter, flushInterval: Duration = .milliseconds(250)) {
        self.writer = writer
        self.flushInterval = flushInterval
    }

    /// Queues an event; never blocks on the database.
    func record(_ event: AuditEvent) {
        self.pending.withLock { $0.append(event) }
    }

    /// Writes every queued event now.
    func flush() async throws {
        let batch = self.pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await self.writer.write { db in
                let insert = try db.cachedStatement(sql: AuditEvent.insertSQL)
                for event in batch { try event.insert(with: insert) }
            }
        } catch {
            // Put the batch back so a later flush retries it.
            self.pending.withLock { $0.insert(contentsOf: batch, at: 0) }
            throw error
        }
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.flushInterval) }
            do { try await self.flush() } catch { Logger.current.error("audit log flush failed", metadata: ["error": "\(error)"]) }
        }
        // The last flush runs in its own task, so a cancelled service still writes what it holds.
        try await Task { try await self.flush() }.value
    }

    /// Events, newest first (admin API and tests read through here after a flush).
    func recent(limit: Int = 100) async throws -> [AuditEvent] {
        try await self.events(Filter(limit: limit))
    }

    /// Which events ``events(_:)`` returns; nil members do not filter.
    struct Filter: Sendable, Equatable {
        var clientID: String?
        var subject: String?
        var outcome: AuditEvent.Outcome?
        var action: String?
        var since: Date?
        /// Only events after this one (`audit tail --follow`).
        var afterID: Int64?
        var limit = 100
    }

    /// Events matching `filter`, newest first, after writing what is queued.
    func events(_ filter: Filter) async throws -> [AuditEvent] {
        try await self.flush()
        return try await self.writer.read { db in
            var request = AuditEvent.order(Column("id").desc).limit(filter.limit)
            if let clientID = filter.clientID { request = request.filter(Column("clientID") == clientID) }
            if let subject = filter.subject { request = request.filter(Column("subject") == subject) }
            if let outcome = filter.outcome { request = request.filter(Column("outcome") == outcome.rawValue) }
            if let action = filter.action { request = request.filter(Column("action") == action) }
            if let since = filter.since { request = request.filter(Column("time") >= DatabaseTimestamp.string(since)) }
            if let afterID = filter.afterID { request = request.filter(Column("id") > afterID) }
            return try request.fetchAll(db)
        }
    }
}
