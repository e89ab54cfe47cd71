import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Calls Cognito Pre Token Generation triggers over HTTP and reads their answers.
///
/// The event is POSTed as JSON and the answer is the returned event, which is exactly how the AWS Lambda
/// runtime interface emulator's invoke URL works, so a team's real trigger function runs unchanged. The hook
/// fails closed: an unreachable endpoint, a non-2xx status, a timeout, an answer that is not the expected
/// JSON, or a Lambda function error fails the token request, and no token is minted without the hook.
struct PreTokenGenerationHooks: Sendable {
    /// The server-wide hook (`hooks.pre_token_generation`), if any.
    let global: HookConfiguration?
    let cognito: CognitoSettings
    let httpClient: HTTPClient

    /// The largest answer read, in bytes.
    static let maximumAnswerSize = 1024 * 1024

    /// The hook that applies to `client` for `trigger`, or nil. Version 3 alone sees client credentials.
    func configuration(for client: Client, trigger: PreTokenGenerationEvent.TriggerSource) -> HookConfiguration? {
        let hook: HookConfiguration?
        switch client.record.preTokenGeneration {
        case .disabled?: hook = nil
        case .custom(let own)?: hook = own
        case nil: hook = self.global
        }
        guard let hook else { return nil }
        if trigger == .clientCredentials, hook.version < 3 { return nil }
        return hook
    }

    /// Invokes the hook for these inputs and returns its overrides; nil when no hook applies.
    /// - Throws: ``OAuthError`` `invalid_request` naming the hook when it fails.
    func overrides(
        client: Client,
        account: UserRepository.Account?,
        scopes: [String],
        trigger: PreTokenGenerationEvent.TriggerSource,
        clientMetadata: [String: String]
    ) async throws -> TokenOverrides? {
        guard let hook = self.configuration(for: client, trigger: trigger) else { return nil }
        let event = PreTokenGenerationEvent.make(
            .init(
                version: hook.version,
                triggerSource: trigger,
                cognito: self.cognito,
                client: client,
                account: account,
                scopes: scopes,
                clientMetadata: clientMetadata
            )
        )
        let started = ContinuousClock.now
        do {
            let answer = try await self.invoke(hook, event: event)
            let overrides = try TokenOverrides.parse(answer, version: hook.version)
            Logger.current.debug(
                "pre-token-generation hook answered",
                metadata: ["hook.url": "\(hook.url)", "hook.trigger": "\(trigger.rawValue)", "hook.duration": "\(ContinuousClock.now - started)"]
            )
            return overrides
        } catch {
            let reason = "\(error)"
            Logger.current.error(
                "pre-token-generation hook failed",
                metadata: ["hook.url": "\(hook.url)", "hook.trigger": "\(trigger.rawValue)", "hook.status": "failed", "reason": "\(reason)"]
            )
            throw OAuthError(.invalidRequest, "PreTokenGeneration failed with error: \(reason) (pre-token-generation hook \(hook.url))")
        }
    }

    /// Why a hook call failed.
    enum Failure: Error, CustomStringConvertible {
        case unreachable(String)
        case status(UInt)
        case timedOut(Int)
        case notJSON
        case functionError(String)

        var description: String {
            switch self {
            case .unreachable(let reason): "the hook could not be reached (\(reason))"
            case .status(let code): "the hook answered HTTP \(code)"
            case .timedOut(let milliseconds): "the hook did not answer within \(milliseconds) ms"
            case .notJSON: "the hook's answer is not JSON"
            case .functionError(let message): "the function failed: \(message)"
            }
        }
    }

    /// POSTs the event and returns the decoded answer.
    func invoke(_ hook: HookConfiguration, event: JSONValue) async throws -> JSONValue {
        var draft = HTTPClientRequest(url: hook.url)
        draft.method = .POST
        draft.headers.add(name: "Content-Type", value: "application/json")
        draft.headers.add(name: "Accept", value: "application/json")
        draft.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(event)))
        let request = draft
        let timeout = Duration.milliseconds(hook.timeoutMilliseconds)
        let client = self.httpClient
        let body: ByteBuffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                let response: HTTPClientResponse
                do {
                    response = try await client.execute(request, timeout: .milliseconds(Int64(hook.timeoutMilliseconds)))
                } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                    throw Failure.timedOut(hook.timeoutMilliseconds)
                } catch is CancellationError {
                    throw Failure.timedOut(hook.timeoutMilliseconds)
                } catch {
                    throw Failure.unreachable("\(error)")
                }
                guard (200..<300).contains(response.status.code) else { throw Failure.status(response.status.code) }
                let body = try await response.body.collect(upTo: Self.maximumAnswerSize)
                // AWS's Invoke API marks function errors with this header; the emulator answers 200 with errorMessage.
                if response.headers.contains(name: "X-Amz-Function-Error") {
                    throw Failure.functionError(String(buffer: body).prefix(300).description)
                }
                return body
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else { throw Failure.timedOut(hook.timeoutMilliseconds) }
            return body
        }
        guard let answer = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) else { throw Failure.notJSON }
        if case .object(let fields) = answer, fields["response"] == nil, let message = fields["errorMessage"] {
            let type = fields["errorType"]?.stringValue.map { "\($0): " } ?? ""
            throw Failure.functionError(String((type + (message.stringValue ?? "\(message)")).prefix(300)))
        }
        return answer
    }
}
