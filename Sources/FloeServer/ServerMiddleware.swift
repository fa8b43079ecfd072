import FloeOpenAI
import Foundation
import Hummingbird

/// Turns every error a route throws into an OpenAI error body with the status `ErrorMapping`
/// picks, so no route builds error responses itself.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let mapped = ErrorMapping.openAIError(for: error)
            metrics.recordError(status: mapped.status)
            var headers: HTTPFields = [.contentType: "application/json"]
            if let retryAfter = mapped.retryAfter { headers[.retryAfter] = String(retryAfter) }
            let data = try JSONEncoder().encode(mapped.body)
            return Response(
                status: .init(code: mapped.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

/// `--api-key`: `/v1/*` requires `Authorization: Bearer <key>` (vLLM leaves `/health`,
/// `/metrics`, `/tokenize`... open, so probes and scrapers need no key).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if request.uri.path.hasPrefix("/v1"), request.headers[.authorization] != "Bearer \(apiKey)" {
            throw ErrorMapping.unauthorized
        }
        return try await next(request, context)
    }
}
