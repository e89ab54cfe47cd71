import Foundation
import Yams

/// Reads seed files (YAML or JSON) into a ``SeedFile``, strictly: unknown keys, wrong types and
/// dangling group or scope names are errors naming the file, the key path and the line.
public enum SeedLoader {
    /// Loads and merges the seed files at `paths` (files, or folders of `.yaml`/`.yml`/`.json` files, in name order).
    /// - Throws: ``SeedError`` for the first problem found; nothing is returned (or applied) then.
    public static func load(paths: [String]) throws -> SeedFile {
        var seed = SeedFile()
        var references: [Reference] = []
        for file in try self.expand(paths) {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw SeedError(file: file, path: "", line: nil, problem: "cannot be read as UTF-8 text (\(error.localizedDescription))")
            }
            let (parsed, fileReferences) = try self.parse(text, file: file)
            seed.merge(parsed)
            references += fileReferences
        }
        try self.validateReferences(seed, references)
        return seed
    }

    /// Parses one document. JSON is read by the same YAML parser (JSON is YAML 1.2).
    static func parse(_ text: String, file: String) throws -> (SeedFile, [Reference]) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw self.seedError(from: error, file: file)
        } catch {
            throw SeedError(file: file, path: "", line: nil, problem: "is not valid YAML or JSON: \(error)")
        }
        guard let root else { return (SeedFile(), []) }
        var parser = SeedParser(reader: SeedNodeReader(file: file))
        let seed = try parser.seed(root)
        return (seed, parser.references)
    }

    /// A group or scope named somewhere in a seed, checked once every file is read.
    struct Reference {
        enum Kind { case group, scope }
        var kind: Kind
        var name: String
        var error: SeedError
    }

    static func validateReferences(_ seed: SeedFile, _ references: [Reference]) throws {
        let groups = Set(seed.groups.map(\.name))
        let scopes = Set(seed.scopes.map(\.name)).union(StandardScope.all)
        for reference in references {
            switch reference.kind {
            case .group where !groups.contains(reference.name): throw reference.error
            case .scope where !scopes.contains(reference.name): throw reference.error
            default: continue
            }
        }
    }

    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SeedError(file: path, path: "", line: nil, problem: "no such file or folder")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }
                    .sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    static func seedError(from error: YamlError, file: String) -> SeedError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return SeedError(file: file, path: "", line: mark.line, problem: "is not valid YAML or JSON: \(prefix)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SeedError(
                file: file,
                path: "",
                line: context.mark.line,
                problem: "duplicate keys: \(duplicates.joined(separator: ", "))"
            )
        default:
            return SeedError(file: file, path: "", line: nil, problem: "is not valid YAML or JSON: \(error)")
        }
    }
}
