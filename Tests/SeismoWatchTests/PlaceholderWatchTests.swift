import XCTest
@testable import SeismoWatch

final class PlaceholderWatchTests: XCTestCase {
    func testModuleLinks() { _ = SeismoWatchModule.self }
}
