import Foundation
import Synchronization

/// The latest expiry of the tokens minted with a lifetime of their own (`POST /admin/v1/tokens`,
/// `expires_in`), so that a key rotation's default grace period outlasts them too.
final class ExpiryHorizon: Sendable {
    private let latest = Mutex<Date>(.distantPast)

    func extend(to expiry: Date) {
        self.latest.withLock { $0 = max($0, expiry) }
    }

    /// Whole seconds from `now` to the latest expiry; 0 when every such token has expired.
    func seconds(after now: Date) -> Int {
        max(0, Int(self.latest.withLock { $0 }.timeIntervalSince(now).rounded(.up)))
    }
}
