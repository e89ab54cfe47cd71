import Foundation
import GRDB
import Synchronization

/// Reads clients with their scopes and redirect URIs, cached in memory until a write invalidates them.
final class ClientRepository: Sendable {
    let writer: any DatabaseWriter
    /// Clients read since the last write, and how many writes there have been: a read that overlapped a
    /// write is not cached, so no stale client outlives the write that changed it.
    private let cache = Mutex<(generation: Int, clients: [String: Client])>((0, [:]))

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// The client with `id`, or nil.
    func find(id: String) async throws -> Client? {
        let (generation, cached) = self.cache.withLock { ($0.generation, $0.clients[id]) }
        if let cached { return cached }
        guard let client = try await self.writer.read({ db in try Self.fetch(db, id: id) }) else { return nil }
        self.cache.withLock { cache in
            if cache.generation == generation { cache.clients[id] = client }
        }
        return client
    }

    /// The client with `id` if it is in the cache; nil says nothing about the database (ask ``find(id:)``).
    func cached(id: String) -> Client? {
        self.cache.withLock { $0.clients[id] }
    }

    /// Every client, by id.
    func all() async throws -> [Client] {
        try await self.writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM client ORDER BY id").compactMap { try Self.fetch(db, id: $0) }
        }
    }

    /// Forgets cached clients; call after any change to clients, their scopes or redirect URIs.
    func invalidate() {
        self.cache.withLock { cache in
            cache.generation += 1
            cache.clients.removeAll()
        }
    }

    /// Adds a client; `alreadyExists` when the id is taken.
    func create(_ entry: SeedFile.Client, secretHash: String?, now: Date) async throws {
        defer { self.invalidate() }
        try await self.writer.write { db in
            guard try ClientRecord.fetchOne(db, key: entry.clientID) == nil else { throw StorageError.alreadyExists }
            try Self.write(entry, secretHash: secretHash, now: now, db)
        }
    }

    /// Replaces a client's settings; `secretHash` nil keeps a confidential client's secret (`notFound` when it
    /// has none to keep, or when there is no such client).
    func replace(_ entry: SeedFile.Client, secretHash: String?, now: Date) async throws {
        defer { self.invalidate() }
        try await self.writer.write { db in
            guard let existing = try ClientRecord.fetchOne(db, key: entry.clientID) else { throw StorageError.notFound }
            let hash = entry.isPublic ? nil : (secretHash ?? existing.secretHash)
            guard entry.isPublic || hash != nil else { throw StorageError.notFound }
            try Self.write(entry, secretHash: hash, now: now, db)
        }
    }

    /// Sets a confidential client's secret hash.
    func setSecret(id: String, hash: String, now: Date) async throws {
        defer { self.invalidate() }
        try await self.writer.write { db in
            try db.execute(
                sql: "UPDATE client SET secretHash = ?, updatedAt = ? WHERE id = ? AND isPublic = 0",
                arguments: [hash, now.databaseTimestamp, id]
            )
            guard db.changesCount == 1 else { throw StorageError.notFound }
        }
    }

    /// Deletes a client with its redirect URIs, scopes, codes and refresh tokens.
    func delete(id: String) async throws {
        defer { self.invalidate() }
        try await self.writer.write { db in
            guard try ClientRecord.deleteOne(db, key: id) else { throw StorageError.notFound }
        }
    }

    /// Inserts or replaces a client from its seed-format entry (seed and admin API alike).
    static func write(_ entry: SeedFile.Client, secretHash: String?, now: Date, _ db: Database) throws {
        let existing = try ClientRecord.fetchOne(db, key: entry.clientID)
        let record = ClientRecord(
            id: entry.clientID,
            name: entry.name,
            isPublic: entry.isPublic,
            secretHash: secretHash,
            grantTypes: entry.grantTypes,
            defaultScopes: entry.defaultScopes,
            audience: entry.audience,
            dialect: entry.dialect,
            signingAlgorithm: entry.signingAlgorithm,
            accessTokenTTL: entry.accessTokenTTL,
            idTokenTTL: entry.idTokenTTL,
            allowsPlainPKCE: entry.allowsPlainPKCE,
            preTokenGeneration: entry.preTokenGeneration,
            createdAt: existing?.createdAt ?? now,
            updatedAt: now
        )
        try record.save(db)
        try db.execute(sql: "DELETE FROM clientScope WHERE clientID = ?", arguments: [entry.clientID])
        try db.execute(sql: "DELETE FROM clientRedirectURI WHERE clientID = ?", arguments: [entry.clientID])
        for scope in entry.scopes {
            try ClientScope(clientID: entry.clientID, scopeName: scope).insert(db)
        }
        for uri in entry.redirectURIs.uniqued() {
            try ClientRedirectURI(clientID: entry.clientID, uri: uri, kind: .login).insert(db)
        }
        for uri in entry.postLogoutRedirectURIs.uniqued() {
            try ClientRedirectURI(clientID: entry.clientID, uri: uri, kind: .logout).insert(db)
        }
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
