import Foundation
import HTTPTypes
import Hummingbird

/// `GET /Me` (RFC 7644 §3.11): the signed-in user's own User resource, for a bearer access token of a user.
///
/// Client-credentials tokens and ID tokens are refused with RFC 6750 `invalid_token` (401); no admin token is
/// needed.
struct SCIMMeController: Sendable {
    let verifier: TokenVerifier
    let users: UserRepository
    let directory: DirectoryRepository
    let urls: SCIMURLs

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("Me", use: self.me)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let projection = try SCIMProjection(query: SCIMJSON.query(request))
        let account = try await UserInfoController.bearerAccount(request, verifier: self.verifier, users: self.users).account
        guard let entry = try await self.directory.user(id: account.user.id) else {
            throw UserInfoController.challenge(.invalidToken, "the token carries no user", status: .unauthorized)
        }
        return SCIMJSON.resource(.object(projection.apply(to: SCIMUserResource.render(entry, urls: self.urls))))
    }
}
