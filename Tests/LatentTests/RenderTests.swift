import Foundation
import Latent
import Testing

@Suite struct RenderTests {
    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        guard data.count > 24, Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        func be32(_ o: Int) -> Int { data[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    @Test func imageGridIsARealPNGOfTheRightSize() throws {
        let images = Tensor(zeros: [10, 4 * 3])
        images[0] = 1
        let png = try ImageGrid.png(images, height: 4, width: 3, columns: 4, scale: 2, gap: 1)
        let size = try #require(Self.pngSize(png))
        // 4 columns × (3·2 + 1) + 1, 3 rows × (4·2 + 1) + 1
        #expect(size.0 == 29 && size.1 == 28)
    }
}
