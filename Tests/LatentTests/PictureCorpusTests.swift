import Foundation
import Latent
import Testing

/// Every PNG and JPEG flavour of the committed corpus (Scripts/pictures/make_corpus.py: 1- to 16-bit grey, RGB,
/// palette, alpha, tRNS, interlaced, gAMA present and absent; baseline, progressive, grey and CMYK JPEG) decodes to
/// the pixels Pillow reads from it, as RGB and as grey: equal for PNG, within 1 level for JPEG (two IDCTs).
@Suite struct PictureCorpusTests {
    struct Reference: Decodable {
        struct Picture: Decodable {
            let mode: String, width: Int, height: Int, rgb: String, grey: String
        }
        let pillow: String
        let pictures: [String: Picture]
    }

    static let folder = Support.fixtures.appendingPathComponent("pictures")

    static func reference() throws -> Reference {
        let url = folder.appendingPathComponent("reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test func theCorpusDecodesToPillowsPixels() throws {
        let reference = try Self.reference()
        #expect(reference.pictures.count == 30)
        var table = ["picture (Pillow \(reference.pillow) mode): max difference RGB, grey"]
        for (name, picture) in reference.pictures.sorted(by: { $0.key < $1.key }) {
            let data = try Data(contentsOf: Self.folder.appendingPathComponent(name))
            var worst = [Int]()
            for (channels, expected) in [(3, picture.rgb), (1, picture.grey)] {
                let image = try ImageDecoder.decode(data, name: name, channels: channels)
                let pillow = [UInt8](Data(base64Encoded: expected) ?? Data())
                #expect(image.width == picture.width && image.height == picture.height, "\(name)")
                #expect(image.pixels.count == pillow.count, "\(name), \(channels) channels")
                worst.append(zip(image.pixels, pillow).map { abs(Int($0) - Int($1)) }.max() ?? 255)
            }
            let allowed = name.hasSuffix(".jpg") ? 1 : 0
            #expect(worst.allSatisfy { $0 <= allowed }, "\(name): \(worst) levels from Pillow's pixels")
            table.append("\(name) (\(picture.mode)): \(worst[0]), \(worst[1])")
        }
        print(table.joined(separator: "\n"))
    }
}
