/// Checks a username and password (login form, password grant) with bcrypt.
///
/// Unknown usernames, deactivated users (SCIM `active: false`) and users without a password pay the same bcrypt
/// check as a wrong password, and all fail the same way, so neither timing nor message tells which usernames exist.
struct UserAuthenticator: Sendable {
    let users: UserRepository

    /// The account, or nil when the username or password is wrong.
    func authenticate(username: String, password: String) async throws -> UserRepository.Account? {
        let account = try await self.users.find(username: username)
        guard let account, let hash = account.user.passwordHash, account.active else {
            _ = try await PasswordHasher.verify(password, hash: PasswordHasher.decoyHash)
            return nil
        }
        return try await PasswordHasher.verify(password, hash: hash) ? account : nil
    }
}
