import Foundation
import HTTPTypes

/// Reads a client from an admin request body: the seed file's client entry, as JSON, checked by the same
/// parser as the seed, with scopes checked against the database's.
enum ClientRequest {
    /// - Parameters:
    ///   - id: the id from the URL of a replacement; the body may repeat it, not change it.
    ///   - knownScopes: the scopes the database holds.
    ///   - signingAlgorithms: the algorithms with a signing key.
    /// - Returns: the entry, and the secret generated for a confidential client that named none (the entry's
    ///   `client_secret` then holds it).
    static func parse(
        _ body: [String: JSONValue],
        id: String? = nil,
        knownScopes: Set<String>,
        signingAlgorithms: [SigningAlgorithm]
    ) throws(AdminProblem) -> (client: SeedFile.Client, generatedSecret: String?) {
        var body = body
        if let id {
            if let given = body["client_id"], given != .string(id) {
                throw AdminProblem(.badRequest, "client_id cannot change (it is \(id) in the URL)")
            }
            body["client_id"] = .string(id)
        }
        var generated: String?
        let isPublic = body["public"] == .bool(true)
        if !isPublic, body["client_secret"] == nil, body["client_secret_hash"] == nil {
            generated = OpaqueToken.generate()
            body["client_secret"] = .string(generated!)
        }
        // Re-encoded from the decoded object, so the body cannot reach outside its entry in the document.
        let document = "{\"clients\": [" + String(decoding: JSONWriter.encode(.object(body)), as: UTF8.self) + "]}"
        let parsed: (SeedFile, [SeedLoader.Reference])
        do {
            parsed = try SeedLoader.parse(document, file: "request body")
        } catch let error as SeedError {
            throw Self.problem(error)
        } catch {
            throw AdminProblem(.badRequest, "the body is not a client")
        }
        guard let client = parsed.0.clients.first else { throw AdminProblem(.badRequest, "the body is not a client") }
        for reference in parsed.1 where reference.kind == .scope && !knownScopes.contains(reference.name) {
            throw Self.problem(reference.error)
        }
        guard let algorithm = SigningAlgorithm(rawValue: client.signingAlgorithm), signingAlgorithms.contains(algorithm) else {
            throw AdminProblem(.badRequest, "signing_alg: no \(client.signingAlgorithm) signing key is loaded")
        }
        return (client, generated)
    }

    /// A seed error as a problem: the key path without the wrapping document's `clients[0]`.
    private static func problem(_ error: SeedError) -> AdminProblem {
        var path = error.path
        for prefix in ["clients[0].", "clients[0]"] where path.hasPrefix(prefix) {
            path.removeFirst(prefix.count)
            break
        }
        return AdminProblem(.badRequest, path.isEmpty ? error.problem : "\(path): \(error.problem)")
    }
}
