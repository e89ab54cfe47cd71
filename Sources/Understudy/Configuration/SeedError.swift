/// A seed file that cannot be applied: names the file, the key path and the line.
public struct SeedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in.
    public var file: String
    /// The key path, e.g. `users[0].groups[1]`; empty for the whole document.
    public var path: String
    /// 1-based line number, when known.
    public var line: Int?
    /// What is wrong.
    public var problem: String

    public var description: String {
        var location = self.file
        if let line { location += ":\(line)" }
        return self.path.isEmpty ? "\(location): \(self.problem)" : "\(location): \(self.path): \(self.problem)"
    }
}
