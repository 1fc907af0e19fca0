// oneDNN's C interface (Debian: libdnnl-dev, which ships no pkg-config file): the direct convolution kernels of
// the planned training step. The argument indices are macros built from other macros, which Swift does not
// import: restated here as constants.
#include <oneapi/dnnl/dnnl.h>

static const int latent_dnnl_arg_src = DNNL_ARG_SRC;
static const int latent_dnnl_arg_dst = DNNL_ARG_DST;
static const int latent_dnnl_arg_weights = DNNL_ARG_WEIGHTS;
static const int latent_dnnl_arg_bias = DNNL_ARG_BIAS;
static const int latent_dnnl_arg_scratchpad = DNNL_ARG_SCRATCHPAD;
static const int latent_dnnl_arg_diff_src = DNNL_ARG_DIFF_SRC;
static const int latent_dnnl_arg_diff_dst = DNNL_ARG_DIFF_DST;
static const int latent_dnnl_arg_diff_weights = DNNL_ARG_DIFF_WEIGHTS;
static const int latent_dnnl_arg_diff_bias = DNNL_ARG_DIFF_BIAS;
static const int latent_dnnl_arg_from = DNNL_ARG_FROM;
static const int latent_dnnl_arg_to = DNNL_ARG_TO;
