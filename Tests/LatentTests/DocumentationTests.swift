import Foundation
import Testing

/// The Swift program shown to users exists three times: the README's "Use it from Swift" block, the DocC
/// article and `Examples/TrainVAE` (which the build compiles). They must stay one program.
@Suite struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The first ```swift block of `text` after `heading`.
    static func firstSwiftBlock(_ text: String, after heading: String) -> String? {
        guard let start = text.range(of: heading) else { return nil }
        let rest = text[start.upperBound...]
        guard let open = rest.range(of: "```swift\n"), let close = rest[open.upperBound...].range(of: "```") else {
            return nil
        }
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test func readmeArticleAndExampleHoldTheSameProgram() throws {
        let example = try String(
            contentsOf: Self.root.appendingPathComponent("Examples/TrainVAE/main.swift"),
            encoding: .utf8)
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let article = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/Latent/Latent.docc/TrainAVAE.md"), encoding: .utf8)
        #expect(Self.firstSwiftBlock(readme, after: "## Use it from Swift") == example)
        #expect(Self.firstSwiftBlock(article, after: "# Train a VAE in Swift") == example)
        #expect(example.split(separator: "\n").count <= 15, "the program stays short")
    }
}
