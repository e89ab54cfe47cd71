import Foundation

/// Checks a username and password (login form, password grant) with bcrypt, behind Cognito's lockout.
///
/// Unknown usernames, deactivated users (SCIM `active: false`) and users without a password pay the same bcrypt
/// check as a wrong password, and all fail the same way, so neither timing nor message tells which usernames exist.
struct UserAuthenticator: Sendable {
    let users: UserRepository
    let throttle: LoginThrottle

    enum Outcome: Sendable {
        case success(UserRepository.Account)
        case failure
        /// Too many failures in a row: refused without a password check until the date.
        case lockedOut(until: Date)
    }

    /// What Cognito says while a user is locked out.
    static let lockedOutMessage = "Password attempts exceeded"

    func authenticate(username: String, password: String) async throws -> Outcome {
        if let until = self.throttle.lockedUntil(username) { return .lockedOut(until: until) }
        let account = try await self.users.find(username: username)
        guard let account, let hash = account.user.passwordHash, account.active else {
            _ = try await PasswordHasher.verify(password, hash: PasswordHasher.decoyHash)
            self.throttle.failed(username)
            return .failure
        }
        guard try await PasswordHasher.verify(password, hash: hash) else {
            self.throttle.failed(username)
            return .failure
        }
        self.throttle.succeeded(username)
        return .success(account)
    }
}
