import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Answers every error of the SCIM routes in the SCIM error format, keeping the status and the RFC 6750
/// `WWW-Authenticate` challenge of admin and bearer errors. Unknown errors become a 500 without details.
struct SCIMErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as SCIMError {
            throw error
        } catch let error as AdminProblem {
            throw SCIMError(error.status, nil, error.detail, headers: error.headers)
        } catch let error as OAuthError {
            throw SCIMError(error.status, nil, error.errorDescription ?? error.code.rawValue, headers: Self.challenge(error.headers))
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors, e.g. 413 from a body over the upload limit.
            let kind: SCIMError.Kind? = error.status == .badRequest ? .invalidSyntax : nil
            throw SCIMError(error.status, kind, error.status.reasonPhrase)
        } catch {
            context.logger.error("SCIM request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw SCIMError(.internalServerError, nil, "internal error")
        }
    }

    private static func challenge(_ headers: HTTPFields) -> HTTPFields {
        guard let challenge = headers[.wwwAuthenticate] else { return [:] }
        return [.wwwAuthenticate: challenge]
    }
}
