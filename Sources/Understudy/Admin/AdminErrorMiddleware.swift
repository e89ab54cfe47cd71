import Hummingbird
import Logging

/// Keeps every admin API error in RFC 9457 problem details: OAuth errors from the claims pipeline (a failing
/// hook while minting), Hummingbird's own errors, and anything unexpected (a 500 that names no internals).
struct AdminErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as AdminProblem {
            throw problem
        } catch let error as OAuthError {
            throw AdminProblem(error.status, error.errorDescription ?? error.code.rawValue)
        } catch let error as any HTTPResponseError {
            throw AdminProblem(error.status, (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            throw AdminProblem(.internalServerError, "the server could not complete the request")
        }
    }
}
