// swift-tools-version:6.0
// A libFuzzer target for every file parser Latent has (IDX, NPY, NPZ, CSV, safetensors, PNG/JPEG, the picture
// cache), chosen by $LATENT_FUZZ_PARSER. Built and run by Scripts/fuzz.sh with -sanitize=fuzzer,address.
import PackageDescription

let package = Package(
    name: "LatentFuzz",
    dependencies: [.package(name: "Latent", path: "..")],
    targets: [
        .executableTarget(name: "FuzzParsers", dependencies: [.product(name: "Latent", package: "Latent")]),
    ]
)
