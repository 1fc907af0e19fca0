// swift-tools-version:6.0
// Builds ordo-one's malloc interposer (libMallocInterposerSwift.so) for `latent bench --count-allocations`,
// which reads its counters when the library is preloaded (Scripts/count_allocations.sh). Kept out of the
// main package so that Latent itself depends on nothing but swift-argument-parser.
import PackageDescription

let package = Package(
    name: "LatentBenchmarks",
    dependencies: [
        .package(url: "https://github.com/ordo-one/malloc-interposer", exact: "1.6.1"),
    ],
    targets: [
        .target(
            name: "Interposer",
            dependencies: [.product(name: "MallocInterposerSwift", package: "malloc-interposer")]),
    ]
)
