// swift-tools-version:6.0
// libFuzzer targets for every file parser Latent has (IDX, NPY, NPZ, CSV, safetensors). Built and run by
// Scripts/fuzz.sh with -sanitize=fuzzer,address; each target feeds arbitrary bytes to one parser, which must
// return a value or throw, never crash, hang or allocate without bound.
import PackageDescription

let targets = ["FuzzIDX", "FuzzNPY", "FuzzNPZ", "FuzzCSV", "FuzzSafeTensors"]
let package = Package(
    name: "LatentFuzz",
    dependencies: [.package(name: "Latent", path: "..")],
    targets: targets.map {
        .executableTarget(name: $0, dependencies: [.product(name: "Latent", package: "Latent")])
    }
)
