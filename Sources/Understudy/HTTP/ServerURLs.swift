import Foundation
import HTTPTypes

/// The base URLs advertised to clients: public (browser-facing) and back-channel, per request.
///
/// The issuer is fixed by configuration. `X-Forwarded-Proto`/`X-Forwarded-Host` only change the URLs built
/// for browser-facing endpoints and, without an internal URL, back-channel ones.
struct ServerURLs: Sendable, Equatable {
    var publicBase: String
    var backChannelBase: String

    /// URLs for a request that carries no forwarding headers.
    /// - Parameter internalURL: the server's base as seen inside the network; the issuer's path is appended.
    static func fixed(issuer: String, issuerPath: String, internalURL: String?) -> ServerURLs {
        ServerURLs(publicBase: issuer, backChannelBase: internalURL.map { $0 + issuerPath } ?? issuer)
    }

    /// URLs for a request, honouring `X-Forwarded-Proto`/`X-Forwarded-Host`; nil when it has none.
    static func forwarded(_ headers: HTTPFields, issuerPath: String, internalURL: String?) -> ServerURLs? {
        guard let host = headers[.xForwardedHost]?.split(separator: ",").first?.trimmingHTTPWhitespace(),
            Self.isValidHost(host)
        else { return nil }
        let proto = headers[.xForwardedProto]?.split(separator: ",").first?.trimmingHTTPWhitespace().lowercased()
        let scheme = proto == "https" ? "https" : "http"
        let base = "\(scheme)://\(host)\(issuerPath)"
        return ServerURLs(publicBase: base, backChannelBase: internalURL.map { $0 + issuerPath } ?? base)
    }

    /// A host[:port] of letters, digits, `.-:[]` only, so a header cannot inject into URLs.
    static func isValidHost(_ host: String) -> Bool {
        !host.isEmpty && host.count <= 255
            && host.unicodeScalars.allSatisfy {
                $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || "0123456789.-:[]".unicodeScalars.contains($0)
            }
    }
}

extension HTTPField.Name {
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let pragma = HTTPField.Name("Pragma")!
}
