// The umbrella module: `import Latent` brings in the whole toolkit.
@_exported import LatentAutodiff
@_exported import LatentBench
@_exported import LatentCheckpoint
@_exported import LatentData
@_exported import LatentEmbedding
@_exported import LatentEval
@_exported import LatentFormats
@_exported import LatentModels
@_exported import LatentNN
@_exported import LatentOptim
@_exported import LatentRender
@_exported import LatentService
@_exported import LatentStats
@_exported import LatentTensor
@_exported import LatentTraining
