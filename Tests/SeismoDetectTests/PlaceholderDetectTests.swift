import XCTest
@testable import SeismoDetect

final class PlaceholderDetectTests: XCTestCase {
    func testDetectorNames() { XCTAssertEqual(DetectorKind(rawValue: "baseline"), .baseline) }
}
