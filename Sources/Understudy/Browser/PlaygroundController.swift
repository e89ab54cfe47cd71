import Foundation
import Hummingbird

/// `GET /playground` (and its `/playground/callback`): the browser test page, plus the script and style
/// sheet every HTML page uses. Nothing is loaded from elsewhere.
struct PlaygroundController: Sendable {
    let clients: ClientRepository
    let issuer: String
    let assetBase: String

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("playground", use: self.page)
        router.get("playground/callback", use: self.page)
        router.get("assets/playground.js") { _, _ in Self.asset(PlaygroundAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("assets/understudy.css") { _, _ in Self.asset(PlaygroundAssets.styleSheet, type: "text/css; charset=utf-8") }
    }

    /// The CSP of the playground: our script only, and fetches anywhere (the API under test).
    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let html = HTMLTemplates.render(
            "playground",
            ["assetBase": self.assetBase, "issuer": self.issuer, "configJSON": try await self.configJSON()]
        )
        return Response(
            status: .ok,
            headers: BrowserSecurity.htmlHeaders(contentSecurityPolicy: Self.policy),
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// What the page's script needs: endpoint paths on this origin and the clients that can sign in a browser.
    struct Config: Encodable {
        var issuer: String
        var basePath: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var userinfoEndpoint: String
        var jwksURI: String
        var endSessionEndpoint: String
        var clients: [ClientEntry]

        struct ClientEntry: Encodable {
            var clientID: String
            var name: String
            var scopes: [String]
            var flows: [String]
            var redirectURIs: [String]
            var postLogoutRedirectURIs: [String]
            var isPublic: Bool
        }
    }

    /// The configuration as JSON that is safe inside a `<script type="application/json">` element.
    func configJSON() async throws -> String {
        let entries = try await self.clients.all().compactMap { client -> Config.ClientEntry? in
            var flows: [String] = []
            if client.allows(grant: GrantType.implicit) { flows.append("implicit") }
            if client.allows(grant: GrantType.authorizationCode) { flows.append("code") }
            guard !flows.isEmpty, !client.redirectURIs.isEmpty else { return nil }
            return Config.ClientEntry(
                clientID: client.id,
                name: client.record.name ?? client.id,
                scopes: client.scopes,
                flows: flows,
                redirectURIs: client.redirectURIs,
                postLogoutRedirectURIs: client.postLogoutRedirectURIs,
                isPublic: client.isPublic
            )
        }
        let base = self.assetBase
        let config = Config(
            issuer: self.issuer,
            basePath: base,
            authorizationEndpoint: base + "/oauth2/authorize",
            tokenEndpoint: base + "/oauth2/token",
            userinfoEndpoint: base + "/oauth2/userinfo",
            jwksURI: base + "/.well-known/jwks.json",
            endSessionEndpoint: base + "/logout",
            clients: entries
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(config), as: UTF8.self)
        // Nothing in the data can close the script element or open a comment.
        return json.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
