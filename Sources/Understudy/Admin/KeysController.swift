import Foundation
import HTTPTypes
import Hummingbird

/// `/admin/v1/keys`: list signing keys, rotate (a new active key; the old one verifies for a grace period),
/// delete a retired key.
struct KeysController: Sendable {
    let rotation: KeyRotation
    let repository: SigningKeyRepository
    /// The longest lifetime a token can have left (any client's, the server's, minted ones'): the default
    /// grace period, so no token outlives its key.
    let longestTokenLifetime: @Sendable () async throws -> Int
    let now: @Sendable () -> Date

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("keys", use: self.list)
        router.post("keys/rotate", use: self.rotate)
        router.delete("keys/{kid}", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        AdminJSON.response(.object(["keys": try await self.keysJSON()]))
    }

    /// Body (optional): `{"algorithm": "RS256", "grace_seconds": 3600}`; without `algorithm`, every algorithm
    /// rotates; without `grace_seconds`, the longest token lifetime.
    @Sendable func rotate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.optionalBody(request, context: context)
        try AdminJSON.checkMembers(body, allowed: ["algorithm", "grace_seconds"])
        let serving = SigningAlgorithm.allCases.filter { self.rotation.keys.activeKey(for: $0) != nil }
        var algorithms = serving
        if let value = body["algorithm"] {
            guard let name = value.stringValue, let algorithm = SigningAlgorithm(rawValue: name), serving.contains(algorithm) else {
                throw AdminProblem(.badRequest, "algorithm must be one this server signs with: \(serving.map(\.rawValue).joined(separator: ", "))")
            }
            algorithms = [algorithm]
        }
        var grace = try await self.longestTokenLifetime()
        if let value = body["grace_seconds"] {
            guard let seconds = value.intValue, (0...31_536_000).contains(seconds) else {
                throw AdminProblem(.badRequest, "grace_seconds must be an integer from 0 to 31536000")
            }
            grace = seconds
        }
        var rotated: [JSONValue] = []
        for algorithm in algorithms {
            let (key, replaced) = try await self.rotation.rotate(algorithm, grace: grace)
            var entry: [String: JSONValue] = ["alg": .string(algorithm.rawValue), "kid": .string(key.kid), "grace_seconds": .int(grace)]
            if let replaced { entry["replaced"] = .string(replaced) }
            rotated.append(.object(entry))
        }
        return AdminJSON.response(.object(["rotated": .array(rotated), "keys": try await self.keysJSON()]), status: .created)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let kid = context.decodedParameter("kid")
        do {
            try await self.rotation.delete(kid: kid)
        } catch KeyRotation.DeleteError.unknown {
            throw AdminProblem(.notFound, "no such key")
        } catch KeyRotation.DeleteError.active {
            throw AdminProblem(.conflict, "the key is active: rotate first, then delete the retired key")
        }
        return Response(status: .noContent)
    }

    private func keysJSON() async throws -> JSONValue {
        let now = self.now()
        let ring = self.rotation.keys.ring
        let activeKIDs = Set(ring.active.values.map(\.kid))
        let time = Date.ISO8601FormatStyle()
        return .array(
            try await self.repository.all().map { record in
                let expired = record.expiresAt.map { $0 <= now } ?? false
                let status = activeKIDs.contains(record.kid) ? "active" : (expired || ring.key(kid: record.kid) == nil ? "expired" : "retired")
                var members: [String: JSONValue] = [
                    "kid": .string(record.kid),
                    "alg": .string(record.algorithm),
                    "status": .string(status),
                    "source": .string(record.source),
                    "created_at": .string(record.firstSeenAt.formatted(time)),
                ]
                if status != "active" {
                    if let retired = record.retiredAt { members["retired_at"] = .string(retired.formatted(time)) }
                    if let expires = record.expiresAt { members["expires_at"] = .string(expires.formatted(time)) }
                }
                return .object(members)
            }
        )
    }
}
