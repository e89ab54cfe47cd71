import Foundation

/// The parts of an absolute URL that configuration checks and route mounting need.
struct URLParts {
    var scheme: String
    var host: String
    var path: String
    var hasQueryOrFragment: Bool

    init?(_ string: String) {
        guard let components = URLComponents(string: string), let scheme = components.scheme?.lowercased(),
            let host = components.host
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.path = components.percentEncodedPath
        self.hasQueryOrFragment = components.query != nil || components.fragment != nil
    }
}
