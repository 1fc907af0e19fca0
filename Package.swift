// swift-tools-version:6.0
// Latent: the autoencoder toolkit for Swift. Modules are listed lowest layer first; each imports only
// what sits above it in this file (see README.md, "Architecture").
import PackageDescription

let package = Package(
    name: "Latent",
    products: [
        .library(name: "Latent", targets: ["Latent"]),
        .executable(name: "latent", targets: ["LatentCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: C libraries (Debian packages, found through pkg-config; Scripts/setup.sh installs them)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSleef", pkgConfig: "sleef", providers: [.apt(["libsleef-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),  // oneDNN: no pkg-config file

        // MARK: Hand-vectorised C loops
        .target(name: "CKernels"),
        // MARK: Open MPI, loaded at run time under mpirun (Debian: openmpi-bin); building needs no MPI
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        // MARK: libpng's read API, whose errors longjmp (Swift cannot setjmp): 8-bit RGBA rows, no gamma
        .target(name: "CPNGRead", dependencies: ["CPNG"]),

        // MARK: Library
        .target(name: "LatentTensor", dependencies: ["CBLAS", "CSleef", "CDNNL", "CKernels"]),
        .target(name: "LatentAutodiff", dependencies: ["LatentTensor"]),
        .target(name: "LatentNN", dependencies: ["LatentAutodiff", "LatentTensor"]),
        .target(name: "LatentOptim", dependencies: ["LatentNN", "LatentTensor", "CKernels"]),
        .target(
            name: "LatentData", dependencies: ["LatentTensor", "CZlib", "CCrypto", "CPNGRead", "CJPEG", "CCairo"],
            resources: [.copy("Resources/mnist")]),
        .target(name: "LatentRender", dependencies: ["LatentTensor", "CCairo"]),
        .target(name: "LatentModels", dependencies: ["LatentNN", "LatentAutodiff", "LatentTensor"]),
        .target(name: "LatentStats", dependencies: ["LatentTensor", "CLAPACKE", "CBLAS"]),
        .target(name: "LatentEmbedding", dependencies: ["LatentStats", "LatentTensor", "CBLAS", "CFFTW", "CKernels"]),
        // Persistence: safetensors, checkpoints, the model store, training state and run directories
        .target(name: "LatentCheckpoint", dependencies: ["LatentModels", "LatentData", "LatentNN", "LatentTensor"]),
        // File formats written for other tools: protobuf, ONNX, TensorBoard events
        .target(
            name: "LatentFormats",
            dependencies: ["LatentModels", "LatentNN", "LatentData", "LatentTensor"]),
        .target(
            name: "LatentEval",
            dependencies: [
                "LatentModels", "LatentData", "LatentStats", "LatentEmbedding", "LatentRender", "LatentOptim",
                "LatentCheckpoint", "LatentNN", "LatentAutodiff", "LatentTensor",
            ]),
        .target(
            name: "LatentTraining",
            dependencies: [
                "LatentModels", "LatentOptim", "LatentData", "LatentCheckpoint", "LatentFormats", "LatentRender",
                "LatentEval", "LatentNN", "LatentAutodiff", "LatentTensor",
            ]),
        // `latent bench`: speed and allocations of training steps
        .target(
            name: "LatentBench",
            dependencies: ["LatentTraining", "LatentData", "LatentModels", "LatentOptim", "LatentTensor"]),
        .target(
            name: "LatentService",
            dependencies: [
                "LatentCheckpoint", "LatentEval", "LatentModels", "LatentData", "LatentStats", "LatentRender",
                "LatentTensor",
            ]),
        .target(
            name: "Latent",
            dependencies: [
                "LatentTensor", "LatentAutodiff", "LatentNN", "LatentOptim", "LatentData", "LatentCheckpoint",
                "LatentRender", "LatentModels", "LatentStats", "LatentEmbedding", "LatentEval", "LatentTraining",
                "LatentService", "LatentFormats", "LatentBench",
            ]),

        // MARK: Training over processes and machines (Open MPI), behind LatentTensor's ProcessGroup
        .target(name: "LatentDistributed", dependencies: ["LatentTensor", "CMPI"]),

        // MARK: HTTP server (its own module: the library and its users do not depend on SwiftNIO)
        .target(
            name: "LatentServer",
            dependencies: [
                "Latent", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Explorer"), .copy("openapi.json")]),

        // MARK: Command-line tool
        .executableTarget(
            name: "LatentCLI",
            dependencies: [
                "Latent", "LatentServer", "LatentDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: Examples (built with the package, so their code cannot rot)
        .executableTarget(name: "TrainVAE", dependencies: ["Latent"], path: "Examples/TrainVAE"),
        .executableTarget(name: "TrainOnPictures", dependencies: ["Latent"], path: "Examples/TrainOnPictures"),

        // MARK: Tests
        .testTarget(
            name: "LatentTests", dependencies: ["Latent"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LatentServerTests",
            dependencies: ["Latent", "LatentServer", .product(name: "HummingbirdTesting", package: "hummingbird")]),
    ]
)
