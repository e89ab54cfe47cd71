import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Errors and delays injected into OAuth endpoints for negative tests (`/admin/v1/faults`).
///
/// Each endpoint has a queue of faults; a request to that endpoint takes one use of the first fault: it
/// waits the fault's delay, then answers the fault's OAuth error, or, for a delay-only fault, goes on as
/// usual. A fault ends when its uses are spent.
final class FaultInjector: Sendable {
    /// The endpoints a fault can target.
    enum Endpoint: String, CaseIterable, Sendable {
        case token, userinfo, introspect, revoke
    }

    /// One injected fault, as the admin API shows it.
    struct Fault: Sendable, Equatable {
        var id: Int
        var endpoint: Endpoint
        /// Requests still to be affected.
        var remaining: Int
        /// The status to answer; nil for a fault that only delays.
        var status: Int?
        var error: String?
        var errorDescription: String?
        var delayMilliseconds: Int

        var json: JSONValue {
            var members: [String: JSONValue] = [
                "id": .int(self.id), "endpoint": .string(self.endpoint.rawValue), "remaining": .int(self.remaining),
                "delay_ms": .int(self.delayMilliseconds),
            ]
            if let status = self.status { members["status"] = .int(status) }
            if let error = self.error { members["error"] = .string(error) }
            if let description = self.errorDescription { members["error_description"] = .string(description) }
            return .object(members)
        }
    }

    private struct State {
        var nextID = 1
        var faults: [Fault] = []
    }

    private let state = Mutex(State())
    /// Lets requests skip the lock while no fault is set (the token endpoint's hot path).
    private let armed = Atomic<Bool>(false)

    func add(_ fault: Fault) -> Fault {
        self.state.withLock { state in
            var fault = fault
            fault.id = state.nextID
            state.nextID += 1
            state.faults.append(fault)
            self.armed.store(true, ordering: .releasing)
            return fault
        }
    }

    func list() -> [Fault] {
        self.state.withLock { $0.faults }
    }

    /// Removes one fault, or all when `id` is nil; false when there was no such fault.
    @discardableResult
    func remove(id: Int? = nil) -> Bool {
        self.state.withLock { state in
            let before = state.faults.count
            state.faults.removeAll { id == nil || $0.id == id }
            self.armed.store(!state.faults.isEmpty, ordering: .releasing)
            return id == nil || state.faults.count < before
        }
    }

    /// True while any fault is set, for any endpoint.
    var isArmed: Bool {
        self.armed.load(ordering: .acquiring)
    }

    /// Takes one use of the first fault for `endpoint`, if any.
    func take(_ endpoint: Endpoint) -> Fault? {
        guard self.isArmed else { return nil }
        return self.state.withLock { state in
            guard let index = state.faults.firstIndex(where: { $0.endpoint == endpoint }) else { return nil }
            let fault = state.faults[index]
            state.faults[index].remaining -= 1
            if state.faults[index].remaining <= 0 { state.faults.remove(at: index) }
            self.armed.store(!state.faults.isEmpty, ordering: .releasing)
            return fault
        }
    }

    /// The middleware that applies this injector's faults to the routes of one endpoint.
    func middleware<Context: RequestContext>(for endpoint: Endpoint) -> FaultMiddleware<Context> {
        FaultMiddleware(injector: self, endpoint: endpoint)
    }
}

/// Applies injected faults to one endpoint's routes; costs one atomic load while none is set.
struct FaultMiddleware<Context: RequestContext>: RouterMiddleware {
    let injector: FaultInjector
    let endpoint: FaultInjector.Endpoint

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let fault = self.injector.take(self.endpoint) else { return try await next(request, context) }
        if fault.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(fault.delayMilliseconds)) }
        guard let status = fault.status else { return try await next(request, context) }
        throw OAuthError(
            OAuthError.Code(rawValue: fault.error ?? FaultRequest.defaultError(status: status)),
            fault.errorDescription ?? "injected fault \(fault.id)",
            status: HTTPResponse.Status(code: status)
        )
    }
}
