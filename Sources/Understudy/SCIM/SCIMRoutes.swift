import Hummingbird

/// The SCIM 2.0 API under one prefix (`/scim/v2`, or IDCS's `/admin/v1`): Users and Groups behind the admin
/// token, Me behind the user's own access token, SCIM's discovery open, every error in the SCIM format.
struct SCIMRoutes: Sendable {
    let directory: DirectoryRepository
    let verifier: TokenVerifier
    let users: UserRepository

    /// Registers the routes on `group` (already at the prefix); `base` is the prefix's absolute URL.
    func addRoutes(to group: RouterGroup<AppRequestContext>, base: String, adminToken: String) {
        let urls = SCIMURLs(base: base.hasSuffix("/") ? String(base.dropLast()) : base)
        let errors = group.group().add(middleware: SCIMErrorMiddleware())
        let admin = errors.group().add(middleware: AdminAuthMiddleware(token: adminToken))
        SCIMUsersController(directory: self.directory, urls: urls).addRoutes(to: admin)
        SCIMGroupsController(directory: self.directory, urls: urls).addRoutes(to: admin)
        SCIMMeController(verifier: self.verifier, users: self.users, directory: self.directory, urls: urls).addRoutes(to: errors)
        SCIMDiscoveryController(urls: urls).addRoutes(to: errors)
    }
}
