import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `understudy health`: exit 0 when the server at `--url` answers `/healthz` with 200 (a Docker HEALTHCHECK).
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Check that a server is up (exit 0) or not (exit 1).")

    @Option(help: "Base URL of the server.") var url: String = "http://127.0.0.1:9400"
    @Option(help: "Seconds to wait for an answer.") var timeout: Int = 3

    func run() async throws {
        let target = self.url.hasSuffix("/") ? "\(self.url)healthz" : "\(self.url)/healthz"
        do {
            let request = HTTPClientRequest(url: target)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(self.timeout)))
            guard response.status == .ok else {
                print("unhealthy: \(target) answered \(response.status.code)")
                throw ExitCode(1)
            }
            print("healthy: \(target)")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("unhealthy: \(target): \(error)")
            throw ExitCode(1)
        }
    }
}
