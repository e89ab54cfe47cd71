import Foundation
import GRDB

/// Reads and changes the scopes clients can be granted; the OpenID Connect scopes are built in.
struct ScopeRepository: Sendable {
    let writer: any DatabaseWriter

    /// Why a scope cannot be deleted.
    enum DeleteError: Error, Equatable {
        case notFound
        case standard
        /// Clients that may be granted the scope, by id.
        case inUse([String])
    }

    /// Every scope: the standard ones first, then by name.
    func all() async throws -> [Scope] {
        try await self.writer.read { db in try Scope.order(sql: "isStandard DESC, name").fetchAll(db) }
    }

    func names() async throws -> Set<String> {
        Set(try await self.all().map(\.name))
    }

    /// Adds a scope; `alreadyExists` when the name is taken.
    func create(name: String, description: String?) async throws {
        try await self.writer.write { db in
            guard try Scope.fetchOne(db, key: name) == nil else { throw StorageError.alreadyExists }
            try Scope(name: name, description: description, isStandard: false).insert(db)
        }
    }

    /// Sets a scope's description.
    func describe(name: String, description: String?) async throws {
        try await self.writer.write { db in
            try db.execute(sql: "UPDATE scope SET description = ? WHERE name = ?", arguments: [description, name])
            guard db.changesCount == 1 else { throw StorageError.notFound }
        }
    }

    /// Deletes a scope no client uses.
    func delete(name: String) async throws {
        try await self.writer.write { db in
            guard let scope = try Scope.fetchOne(db, key: name) else { throw DeleteError.notFound }
            guard !scope.isStandard else { throw DeleteError.standard }
            let users = try String.fetchAll(db, sql: "SELECT clientID FROM clientScope WHERE scopeName = ? ORDER BY clientID", arguments: [name])
            guard users.isEmpty else { throw DeleteError.inUse(users) }
            _ = try Scope.deleteOne(db, key: name)
        }
    }
}
