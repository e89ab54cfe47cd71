import AsyncHTTPClient
import Foundation
import GRDB

/// The command line's admin operations (`understudy users|clients|token|audit`), on the database directly:
/// the server need not run, and when it does, both see the same SQLite file (WAL; writes are transactions
/// that wait for each other, never fail as "locked" within the busy timeout).
///
/// Answers are JSON values in the admin API's shapes; the CLI prints them as tables or as JSON.
public final class AdminConsole: Sendable {
    let database: AppDatabase
    let directory: DirectoryRepository
    let users: UserRepository
    let clients: ClientRepository
    let scopes: ScopeRepository
    let audit: AuditLog
    let configuration: ServerConfiguration
    let seed: SeedFile
    let hookClient: HookHTTPClient
    let now: @Sendable () -> Date

    /// Opens the configured database. A database that was never seeded gets the seed, as `serve` would
    /// give it; one that was is left as the server keeps it (the server applies a changed seed when it starts).
    public static func open(configuration: ServerConfiguration) async throws -> AdminConsole {
        let seed = try SeedLoader.load(paths: configuration.seedPaths)
        let database = configuration.databasePath == ":memory:" ? try AppDatabase.inMemory() : try AppDatabase.file(path: configuration.databasePath)
        let seeded = try await database.writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM seedState)") ?? false }
        if !seeded { try await Seeder(database: database, now: configuration.now).apply(seed) }
        return AdminConsole(configuration: configuration, seed: seed, database: database)
    }

    private init(configuration: ServerConfiguration, seed: SeedFile, database: AppDatabase) {
        self.database = database
        self.now = configuration.now
        self.directory = DirectoryRepository(writer: database.writer, now: configuration.now)
        self.users = UserRepository(writer: database.writer)
        self.clients = ClientRepository(writer: database.writer)
        self.scopes = ScopeRepository(writer: database.writer)
        self.audit = AuditLog(writer: database.writer)
        self.configuration = configuration
        self.seed = seed
        self.hookClient = HookHTTPClient()
    }

    /// The server's signing keys as it would load them: the keys folder and the keys rotated in, read only.
    private func signingKeys() async throws -> SigningKeys {
        let folder = try await KeyRing.load(folder: self.configuration.keysDirectory)
        return try await SigningKeyRepository(writer: self.database.writer).restore(folder: folder, now: self.now(), persist: false)
    }

    /// Writes pending audit events and closes the hook client. Call once, when done.
    public func close() async throws {
        try await self.audit.flush()
        try await self.hookClient.client.shutdown()
    }

    // MARK: Users

    /// Every user: `username`, `sub`, `email`, `name`, `active`, `groups`.
    public func users() async throws -> [JSONValue] {
        try await self.directory.users().map(Self.userJSON)
    }

    /// Adds a user who signs in with `password` (if given) and belongs to `groups` (which must exist).
    public func addUser(
        username: String,
        password: String?,
        email: String?,
        givenName: String?,
        familyName: String?,
        groups: [String]
    ) async throws -> JSONValue {
        guard !username.isEmpty, username.count <= 128 else { throw ConsoleError("the username must have 1 to 128 characters") }
        try await self.checkGroups(groups)
        var hash: String?
        if let password { hash = try await Self.hash(password) }
        let now = self.now()
        let name = [givenName, familyName].compactMap { $0 }.joined(separator: " ")
        let user = User(
            id: UUID.random().lowercaseText,
            username: username,
            passwordHash: hash,
            email: email,
            emailVerified: email != nil,
            givenName: givenName,
            familyName: familyName,
            name: name.isEmpty ? nil : name,
            phoneNumber: nil,
            attributes: [:],
            createdAt: now,
            updatedAt: now
        )
        let created: DirectoryRepository.UserEntry
        do {
            created = try await self.directory.createUser(.init(user: user), groups: groups)
        } catch DirectoryRepository.WriteError.nameTaken {
            throw ConsoleError("a user named '\(username)' exists")
        }
        return try await self.user(named: created.user.username)
    }

    /// Sets a user's password.
    public func setPassword(username: String, password: String) async throws {
        let account = try await self.account(username)
        let hash = try await Self.hash(password)
        _ = try await self.directory.updateUser(id: account.user.id) { entry in
            var entry = entry
            entry.user.passwordHash = hash
            return entry
        }
    }

    /// Adds the user to `add` and takes them out of `remove`, in one transaction; returns their groups.
    public func changeGroups(username: String, add: [String], remove: [String]) async throws -> [String] {
        let account = try await self.account(username)
        try await self.checkGroups(add + remove)
        let now = self.now()
        try await self.database.writer.write { db in
            for group in add {
                try db.execute(sql: "INSERT OR IGNORE INTO groupMembership (userID, groupName) VALUES (?, ?)", arguments: [account.user.id, group])
            }
            for group in remove {
                try db.execute(sql: "DELETE FROM groupMembership WHERE userID = ? AND groupName = ?", arguments: [account.user.id, group])
            }
            for group in Set(add + remove) {
                try db.execute(sql: "UPDATE userGroup SET updatedAt = ? WHERE name = ?", arguments: [now.databaseTimestamp, group])
            }
        }
        return try await self.account(username).groups
    }

    // MARK: Clients

    /// Every client, as `GET /admin/v1/clients` shows them.
    public func clients() async throws -> [JSONValue] {
        try await self.clients.all().map(\.adminJSON)
    }

    /// Adds a client from seed-format members; a generated `client_secret` is in the answer, once.
    public func addClient(_ members: [String: JSONValue]) async throws -> JSONValue {
        let (entry, generated): (SeedFile.Client, String?)
        let known = try await self.scopes.names()
        let algorithms = try await self.signingKeys().ring.algorithms
        do {
            (entry, generated) = try ClientRequest.parse(members, knownScopes: known, signingAlgorithms: algorithms)
        } catch let problem {
            throw ConsoleError(problem.detail)
        }
        var hash = entry.clientSecretHash
        if let secret = entry.clientSecret { hash = try await PasswordHasher.hash(secret) }
        do {
            try await self.clients.create(entry, secretHash: hash, now: self.now())
        } catch StorageError.alreadyExists {
            throw ConsoleError("a client with client_id '\(entry.clientID)' exists")
        }
        guard let client = try await self.clients.find(id: entry.clientID), case .object(var json) = client.adminJSON else {
            throw ConsoleError("the client was not stored")
        }
        if let generated { json["client_secret"] = .string(generated) }
        return .object(json)
    }

    // MARK: Tokens

    /// Signs tokens as `POST /admin/v1/tokens` does; answers the token response.
    public func mintToken(
        clientID: String,
        user: String?,
        scope: String?,
        claims: [String: JSONValue],
        lifetime: Int?
    ) async throws -> JSONValue {
        var order = TokenMint.Order(clientID: clientID)
        order.user = user
        order.scope = scope
        order.claims = claims
        order.lifetime = lifetime
        let issuer = TokenIssuer(configuration: self.configuration, seed: self.seed, keys: try await self.signingKeys(), hookClient: self.hookClient)
        let minter = TokenMint(clients: self.clients, users: self.users, issuer: issuer, audit: self.audit, now: self.now)
        do {
            return .object(try await minter.mint(order))
        } catch let problem as AdminProblem {
            throw ConsoleError(problem.detail)
        }
    }

    // MARK: Audit

    /// Audit events, oldest first: the last `limit` matching ones, or those after event `afterID`.
    public func auditEvents(
        clientID: String?,
        subject: String?,
        outcome: String?,
        action: String?,
        afterID: Int64?,
        limit: Int
    ) async throws -> [JSONValue] {
        var filter = AuditLog.Filter()
        filter.clientID = clientID
        filter.subject = subject
        filter.action = action
        filter.afterID = afterID
        filter.limit = max(1, min(limit, 10_000))
        if let outcome {
            guard let parsed = AuditEvent.Outcome(rawValue: outcome) else { throw ConsoleError("outcome must be issued, denied or revoked") }
            filter.outcome = parsed
        }
        return try await self.audit.events(filter).reversed().map(\.json)
    }

    // MARK: Helpers

    private func account(_ username: String) async throws -> UserRepository.Account {
        guard let account = try await self.users.find(username: username) else { throw ConsoleError("no user '\(username)'") }
        return account
    }

    private func user(named username: String) async throws -> JSONValue {
        let account = try await self.account(username)
        guard let entry = try await self.directory.user(id: account.user.id) else { throw ConsoleError("no user '\(username)'") }
        return Self.userJSON(entry)
    }

    private func checkGroups(_ groups: [String]) async throws {
        let known = Set(try await self.database.writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM userGroup") })
        if let unknown = groups.first(where: { !known.contains($0) }) {
            throw ConsoleError("no group '\(unknown)' (groups: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private static func hash(_ password: String) async throws -> String {
        guard !password.isEmpty, password.utf8.count <= 72 else { throw ConsoleError("a password has 1 to 72 bytes (bcrypt's limit)") }
        return try await PasswordHasher.hash(password)
    }

    private static func userJSON(_ entry: DirectoryRepository.UserEntry) -> JSONValue {
        var members: [String: JSONValue] = [
            "username": .string(entry.user.username),
            "sub": .string(entry.user.id),
            "active": .bool(entry.active),
            "groups": .array(entry.groups.map { .string($0.display) }),
            "password": .bool(entry.user.passwordHash != nil),
        ]
        if let email = entry.user.email { members["email"] = .string(email) }
        if let name = entry.user.name { members["name"] = .string(name) }
        return .object(members)
    }
}

/// A console operation that cannot be done, said in one line.
public struct ConsoleError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
