import Latent
import Testing

/// The hand-written CRC-32C of TensorBoard's TFRecord frames against the standard's check values.
@Suite struct CRC32CTests {
    @Test func checkValuesOfTheStandard() {
        // The CRC catalogue's check value for CRC-32/ISCSI (Castagnoli): the CRC of the ASCII digits 1 to 9.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        // RFC 3720 (iSCSI), appendix B.4: 32 bytes of zeros, of 0xFF, and an ascending run 0…31.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // TFRecord's mask of the CRC of nothing: rotate right 15, add 0xa282ead8.
        #expect(CRC32C.masked([UInt8]()) == 0xA282_EAD8)
    }
}
