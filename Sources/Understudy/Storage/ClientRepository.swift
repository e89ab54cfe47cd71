import Foundation
import GRDB
import Synchronization

/// Reads clients with their scopes and redirect URIs, cached in memory until a write invalidates them.
final class ClientRepository: Sendable {
    let writer: any DatabaseWriter
    private let cache = Mutex<[String: Client]>([:])

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// The client with `id`, or nil.
    func find(id: String) async throws -> Client? {
        if let cached = self.cache.withLock({ $0[id] }) { return cached }
        guard let client = try await self.writer.read({ db in try Self.fetch(db, id: id) }) else { return nil }
        self.cache.withLock { $0[id] = client }
        return client
    }

    /// Every client, by id.
    func all() async throws -> [Client] {
        try await self.writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM client ORDER BY id").compactMap { try Self.fetch(db, id: $0) }
        }
    }

    /// Forgets cached clients; call after any change to clients, their scopes or redirect URIs.
    func invalidate() {
        self.cache.withLock { $0.removeAll() }
    }

    static func fetch(_ db: Database, id: String) throws -> Client? {
        guard let record = try ClientRecord.fetchOne(db, key: id) else { return nil }
        let scopes = try String.fetchAll(db, sql: "SELECT scopeName FROM clientScope WHERE clientID = ? ORDER BY rowid", arguments: [id])
        let uris = try ClientRedirectURI.fetchAll(db, sql: "SELECT * FROM clientRedirectURI WHERE clientID = ? ORDER BY rowid", arguments: [id])
        return Client(
            record: record,
            scopes: scopes,
            redirectURIs: uris.filter { $0.kind == .login }.map(\.uri),
            postLogoutRedirectURIs: uris.filter { $0.kind == .logout }.map(\.uri)
        )
    }
}
