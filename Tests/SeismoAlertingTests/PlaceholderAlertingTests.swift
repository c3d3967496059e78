import XCTest
@testable import SeismoAlerting

final class PlaceholderAlertingTests: XCTestCase {
    func testModuleLinks() { _ = SeismoAlertingModule.self }
}
