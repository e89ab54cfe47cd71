import Foundation

/// `understudy seed check`: everything start-up would do with a seed, against a scratch in-memory database.
public enum SeedCheck {
    /// Loads `paths` and applies them to a fresh in-memory database.
    /// - Returns: a one-line summary of what the seed holds.
    /// - Throws: ``SeedError`` naming the file, key path and line of the first problem.
    public static func run(paths: [String]) async throws -> String {
        let seed = try SeedLoader.load(paths: paths)
        try await Seeder(database: try AppDatabase.inMemory(), now: { .now }).apply(seed)
        return "\(seed.groups.count) groups, \(seed.scopes.count) scopes, \(seed.users.count) users, \(seed.clients.count) clients"
    }
}
