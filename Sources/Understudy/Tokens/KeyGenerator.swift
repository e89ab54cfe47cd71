import Crypto
import CryptoExtras
import Foundation

/// Writes new signing keys as PEM files: RSA 2048 (RS256) and P-256 (ES256).
public enum KeyGenerator {
    /// The files written, in order.
    public static let fileNames = ["rsa-2048.pem", "ec-p256.pem"]

    /// Creates `folder` if needed and writes fresh keys (mode 0600). Refuses to overwrite unless `force`.
    /// - Returns: the paths written and the `kid` of each key.
    @discardableResult
    public static func generate(folder: String, force: Bool) throws -> [(path: String, kid: String)] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pems = [try Self.pem(.rs256), try Self.pem(.es256)]
        let paths = Self.fileNames.map { (folder as NSString).appendingPathComponent($0) }
        if !force, let existing = paths.first(where: FileManager.default.fileExists(atPath:)) {
            throw KeyGeneratorError.exists(existing)
        }
        var written: [(String, String)] = []
        for (path, pem) in zip(paths, pems) {
            guard FileManager.default.createFile(atPath: path, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw KeyGeneratorError.cannotWrite(path)
            }
            written.append((path, try SigningKey(pem: pem, source: path).kid))
        }
        return written
    }

    /// A fresh private key for `algorithm` as PKCS#8 PEM (RSA 2048 for RS256, P-256 for ES256).
    static func pem(_ algorithm: SigningAlgorithm) throws -> String {
        switch algorithm {
        case .rs256: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        case .es256: P256.Signing.PrivateKey().pemRepresentation
        }
    }
}

enum KeyGeneratorError: Error, CustomStringConvertible {
    case exists(String)
    case cannotWrite(String)

    var description: String {
        switch self {
        case .exists(let path): "\(path) already exists (use --force to replace it)"
        case .cannotWrite(let path): "cannot write \(path)"
        }
    }
}
