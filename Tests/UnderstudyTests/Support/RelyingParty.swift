import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import NIOFoundationEssentialsCompat

@testable import Understudy

/// Verifies tokens the way an API authorizer does: discovery → `jwks_uri` → JWKS → signature.
struct RelyingParty {
    let client: any TestClientProtocol

    /// The verified claims and header of `token`, using only what the server publishes.
    func verify(_ token: String) async throws -> (claims: ClaimSet, header: [String: JSONValue]) {
        let discovery = try await self.client.execute(uri: "/.well-known/openid-configuration", method: .get).json()
        guard case .string(let jwksURI)? = discovery["jwks_uri"], let path = URL(string: jwksURI)?.path else {
            throw TestFailure("discovery has no jwks_uri")
        }
        let response = try await self.client.execute(uri: path, method: .get)
        let jwks = try JSONDecoder().decode(JWKS.self, from: Data(buffer: response.body))
        let keys = try await JWTKeyCollection().add(jwks: jwks)
        let claims = try await keys.verify(token, as: ClaimSet.self)
        return (claims, try TokenVerifier.header(of: token))
    }
}
