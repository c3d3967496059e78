import ArgumentParser
import Dispatch
import Foundation
import Logging
import SeismoAlerting
import SeismoServer
import SeismoStore
import SeismoWatch
import ServiceLifecycle

/// Resolved detection settings of `seismo serve`.
struct DetectionSettings {
    var rulesPath: String?
    var alertmanagers: [String]
    var generatorURL: String
}

extension Serve {
    /// Defaults ← config file ← flags; nil when detection is switched off.
    func resolveDetection(file: FileConfig?, server: ServerConfig) throws -> DetectionSettings? {
        if noDetection || file?.detection?.enabled == false { return nil }
        let rulesPath = rules ?? file?.detection?.rules
        if let rulesPath {
            do {
                _ = try RuleSet.load(path: rulesPath)
            } catch {
                throw ValidationError("rules: \(error)")
            }
        }
        let urls = alertmanagerURLs.isEmpty ? (file?.alerting?.alertmanagers ?? []) : alertmanagerURLs
        let host = server.host == "0.0.0.0" ? "127.0.0.1" : server.host
        let scheme = server.tls == nil ? "http" : "https"
        let external = externalURL ?? file?.alerting?.external_url ?? "\(scheme)://\(host):\(server.port)"
        let base = external.hasSuffix("/") ? String(external.dropLast()) : external
        return DetectionSettings(rulesPath: rulesPath, alertmanagers: urls, generatorURL: base + "/api/v1/alerts")
    }
}

/// The running detection pipeline and alert sender, as one lifecycle service: it stops
/// after the HTTP server (so in-flight writes are scored) and before the store.
final class DetectionSetup: Service, @unchecked Sendable {
    let pipeline: WatchPipeline
    let notifier: AlertmanagerNotifier?
    let settings: DetectionSettings
    let logger: Logger
    private let hangup: HangupSignal
    private var hangupID: Int?

    private init(pipeline: WatchPipeline, notifier: AlertmanagerNotifier?, settings: DetectionSettings, logger: Logger,
                 hangup: HangupSignal) {
        self.pipeline = pipeline
        self.notifier = notifier
        self.settings = settings
        self.logger = logger
        self.hangup = hangup
    }

    /// Builds the pipeline, registers it with the store (before the store's threads
    /// start) and starts its threads.
    static func start(detection: DetectionSettings, store: Store, logger: Logger, hangup: HangupSignal) throws -> DetectionSetup {
        let rules = try detection.rulesPath.map(RuleSet.load(path:)) ?? RuleSet.builtInDefault
        let notifier = detection.alertmanagers.isEmpty ? nil : AlertmanagerNotifier(urls: detection.alertmanagers, logger: logger)
        let pipeline = try WatchPipeline(
            store: store, rules: rules, notifier: notifier,
            options: .init(generatorURL: detection.generatorURL), logger: logger)
        store.observer = pipeline
        notifier?.start()
        pipeline.start()
        let setup = DetectionSetup(pipeline: pipeline, notifier: notifier, settings: detection, logger: logger, hangup: hangup)
        setup.watchHangup()
        logger.info("inline detection on", metadata: [
            "rules": "\(detection.rulesPath ?? "built-in default")", "alertmanagers": "\(detection.alertmanagers)"])
        return setup
    }

    /// SIGHUP reloads the rules file; a bad file is logged and the old rules stay.
    private func watchHangup() {
        guard let path = settings.rulesPath else { return }
        hangupID = hangup.register { [pipeline, logger] in
            do {
                try pipeline.reload(try RuleSet.load(path: path))
                logger.info("rules reloaded", metadata: ["rules.file": "\(path)"])
            } catch {
                logger.error("rules reload failed; keeping the previous rules", metadata: ["error": "\(error)"])
            }
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        if let hangupID { hangup.unregister(hangupID) }
        pipeline.stop()
        notifier?.stop(flushWithin: 2)
    }
}
