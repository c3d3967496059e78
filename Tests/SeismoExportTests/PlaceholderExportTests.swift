import XCTest
@testable import SeismoExport

final class PlaceholderExportTests: XCTestCase {
    func testModuleLinks() { _ = SeismoExportModule.self }
}
