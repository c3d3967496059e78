import XCTest
@testable import SeismoWatch

final class PlaceholderWatchTests: XCTestCase {
    func testModuleLinks() { _ = WatchPipeline.scoreMetric }
}
