import CSeismoCurl
import CSeismoCurlShims
import Foundation

/// One libcurl easy handle that POSTs JSON to one URL. Reused across requests so the
/// connection to Alertmanager is kept alive. Not thread-safe: owned by one sender thread.
final class CurlPoster {
    enum Outcome: Equatable {
        /// Alertmanager answered; `body` is its reply (the reason, for errors), truncated.
        case status(Int, body: String)
        /// No HTTP answer: refused, timed out, DNS, TLS …
        case network(String)
    }

    /// libcurl's global init is not thread-safe; a static let runs it exactly once.
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    private let handle: UnsafeMutableRawPointer
    private var headers: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let response = ResponseBuffer()

    init?(url: String) {
        guard Self.globalInit, let h = curl_easy_init() else { return nil }
        handle = h
        headers = curl_slist_append(nil, "Content-Type: application/json")
        // An empty Expect header stops curl from waiting for "100 Continue" on big bodies.
        headers = curl_slist_append(headers, "Expect:")
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = cseismo_curl_easy_setopt_string(h, CURLOPT_URL, url)
        _ = cseismo_curl_easy_setopt_long(h, CURLOPT_POST, 1)
        _ = cseismo_curl_easy_setopt_pointer(h, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
        // Signals are process-wide; libcurl must not use them from a background thread.
        _ = cseismo_curl_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = cseismo_curl_easy_setopt_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = cseismo_curl_easy_setopt_write_function(h, CURLOPT_WRITEFUNCTION, { ptr, size, nmemb, userdata in
            let n = size * nmemb
            guard let userdata else { return n }
            Unmanaged<ResponseBuffer>.fromOpaque(userdata).takeUnretainedValue()
                .append(UnsafeRawBufferPointer(start: ptr, count: n))
            return n
        })
        _ = cseismo_curl_easy_setopt_pointer(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(response).toOpaque())
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        errorBuffer.deallocate()
    }

    func post(_ body: [UInt8], timeoutSeconds: Double) -> Outcome {
        response.reset()
        errorBuffer[0] = 0
        let ms = max(1, Int(timeoutSeconds * 1000))
        _ = cseismo_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, ms)
        _ = cseismo_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, ms)
        _ = cseismo_curl_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
        // COPYPOSTFIELDS: curl keeps its own copy, so `body` need not outlive the call.
        let setBody = body.withUnsafeBytes { raw in
            cseismo_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
        }
        guard setBody == CURLE_OK else { return .network("cannot set request body") }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            return .network(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status: Int = 0
        _ = cseismo_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .status(status, body: response.text)
    }
}

/// Collects the reply body; capped, because only the reason text is wanted for logs.
private final class ResponseBuffer {
    private static let cap = 4096
    private var bytes: [UInt8] = []

    func reset() { bytes.removeAll(keepingCapacity: true) }

    func append(_ chunk: UnsafeRawBufferPointer) {
        let room = Self.cap - bytes.count
        if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
    }

    var text: String {
        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
