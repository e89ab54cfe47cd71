import Hummingbird

/// The request context of every Understudy route.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// JSON bodies (admin, SCIM) up to 1 MiB; OAuth forms have their own, smaller limit.
    var maxUploadSize: Int { 1024 * 1024 }
}
