import Foundation
import HTTPTypes
import Hummingbird

/// `POST /admin/v1/reset`: back to the seed's state between tests, and no faults armed.
struct ResetController: Sendable {
    let reset: SeedReset
    let clients: ClientRepository
    let faults: FaultInjector
    /// Refreshes what discovery advertises.
    let changed: @Sendable () async throws -> Void

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.post("reset", use: self.handle)
    }

    @Sendable func handle(_ request: Request, context: AppRequestContext) async throws -> Response {
        let outcome = try await self.reset.reset()
        self.clients.invalidate()
        self.faults.remove()
        try await self.changed()
        return AdminJSON.response(
            .object([
                "removed": .object([
                    "users": .int(outcome.users), "groups": .int(outcome.groups), "clients": .int(outcome.clients),
                    "scopes": .int(outcome.scopes),
                ]),
                "seed": .object([
                    "users": .int(self.reset.seed.users.count), "groups": .int(self.reset.seed.groups.count),
                    "clients": .int(self.reset.seed.clients.count), "scopes": .int(self.reset.seed.scopes.count),
                ]),
            ])
        )
    }
}
