import Hummingbird
import Logging

/// Makes every failure on OAuth routes an OAuth error JSON: Hummingbird's own 4xx errors become
/// `invalid_request` with the same status; anything unexpected is logged and becomes `server_error`.
struct OAuthErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OAuthError {
            throw error
        } catch let error as any HTTPResponseError where (400..<500).contains(error.status.code) {
            let description = (error as? HTTPError)?.body ?? "the request is not valid"
            throw OAuthError(.invalidRequest, description, status: error.status)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            throw OAuthError(.serverError, "the server could not complete the request", status: .internalServerError)
        }
    }
}
