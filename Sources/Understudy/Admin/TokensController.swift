import Foundation
import HTTPTypes
import Hummingbird

/// `POST /admin/v1/tokens`: signs tokens for a client, and optionally a user, without a sign-in or a
/// secret, through the same claims pipeline as the token endpoint (dialect, hook, then `claims`).
///
/// Body: `{"client_id": "spa", "user": "manager", "scope": "openid orders/read", "claims": {…},
/// "id_token_claims": {…}, "expires_in": 300, "nonce": "…"}`; only `client_id` is required. `user` is a
/// username or a `sub`.
struct TokensController: Sendable {
    let minter: TokenMint

    static let members: Set<String> = ["client_id", "user", "scope", "claims", "id_token_claims", "expires_in", "nonce"]

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.post("tokens", use: self.mint)
    }

    @Sendable func mint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(request, context: context)
        try AdminJSON.checkMembers(body, allowed: Self.members)
        var order = TokenMint.Order(clientID: "")
        guard let clientID = body["client_id"]?.stringValue else { throw AdminProblem(.badRequest, "client_id is required") }
        order.clientID = clientID
        if let value = body["user"] {
            guard let name = value.stringValue else { throw AdminProblem(.badRequest, "user must be a username or sub") }
            order.user = name
        }
        if let value = body["scope"] {
            guard let scope = value.stringValue else { throw AdminProblem(.badRequest, "scope must be a space-separated string") }
            order.scope = scope
        }
        if let value = body["expires_in"] {
            guard let seconds = value.intValue else { throw AdminProblem(.badRequest, "expires_in must be a whole number of seconds") }
            order.lifetime = seconds
        }
        if let value = body["nonce"] {
            guard let nonce = value.stringValue else { throw AdminProblem(.badRequest, "nonce must be a string") }
            order.nonce = nonce
        }
        order.claims = try Self.object(body["claims"], "claims")
        order.idTokenClaims = try Self.object(body["id_token_claims"], "id_token_claims")
        return AdminJSON.response(.object(try await self.minter.mint(order)))
    }

    private static func object(_ value: JSONValue?, _ name: String) throws(AdminProblem) -> [String: JSONValue] {
        guard let value else { return [:] }
        guard case .object(let claims) = value else { throw AdminProblem(.badRequest, "\(name) must be an object of claims") }
        return claims
    }
}
