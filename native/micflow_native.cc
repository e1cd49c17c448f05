// micflow_native: the kernels of micflow's "native" TensorFlow.js backend, over oneDNN 2.6 (Intel/UXL oneDNN,
// https://github.com/oneapi-src/oneDNN) and OpenMP loops, exposed to Node through plain Node-API.
//
// Tensors cross the boundary in the layout tfjs uses (channels last: NHWC / NDHWC activations, HWIO / DHWIO filters)
// as Float32Arrays that the caller allocates. Convolutions read and write activations in that channels-last layout
// directly (oneDNN 2.6's brgconv / jit kernels take nhwc and ndhwc): letting oneDNN pick a blocked layout instead cost a
// reorder of every input and output, about a quarter of a UNet2D inference and of a training step. Filters still go to
// the blocked layout oneDNN chooses (format_tag::any; they are small); primitives, reorders and the blocked scratch
// buffers are cached by shape.
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Node-API argument helpers

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw JsError(std::string("micflow_native: bad argument: ") + what);
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t expected) {
  size_t argc = expected;
  std::vector<napi_value> argv(expected);
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "arguments");
  if (argc < expected) throw JsError("micflow_native: expected " + std::to_string(expected) + " arguments");
  return argv;
}

template <typename T>
T* typed(napi_env env, napi_value v, size_t* length = nullptr) {
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value buffer;
  size_t offset;
  check(env, napi_get_typedarray_info(env, v, &type, &len, &data, &buffer, &offset), "typed array expected");
  if (length) *length = len;
  return static_cast<T*>(data);
}

bool isNull(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

std::vector<int64_t> ints(napi_env env, napi_value v) {
  uint32_t n;
  check(env, napi_get_array_length(env, v, &n), "array of integers expected");
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    check(env, napi_get_element(env, v, i, &e), "array element");
    check(env, napi_get_value_int64(env, e, &out[i]), "integer expected");
  }
  return out;
}

int64_t integer(napi_env env, napi_value v) {
  int64_t x;
  check(env, napi_get_value_int64(env, v, &x), "integer expected");
  return x;
}

double number(napi_env env, napi_value v) {
  double x;
  check(env, napi_get_value_double(env, v, &x), "number expected");
  return x;
}

template <typename F>
napi_value guarded(napi_env env, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, (std::string("micflow_native: oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

std::string key(std::initializer_list<std::vector<int64_t>> parts, const std::string& prefix) {
  std::ostringstream s;
  s << prefix;
  for (const auto& p : parts) {
    s << '|';
    for (auto x : p) s << x << ',';
  }
  return s.str();
}

// ---------------------------------------------------------------------------------------------------------------
// Convolution (2D and 3D), channels-last at the boundary

// tfjs shape [N, spatial..., C] -> oneDNN dims {N, C, spatial...}
memory::dims activationDims(const std::vector<int64_t>& s) {
  memory::dims d{s[0], s.back()};
  for (size_t i = 1; i + 1 < s.size(); i++) d.push_back(s[i]);
  return d;
}
// tfjs filter [spatial..., I, O] -> oneDNN dims {O, I, spatial...}
memory::dims filterDims(const std::vector<int64_t>& s) {
  size_t r = s.size();
  memory::dims d{s[r - 1], s[r - 2]};
  for (size_t i = 0; i + 2 < r; i++) d.push_back(s[i]);
  return d;
}
tag activationTag(size_t rank) { return rank == 4 ? tag::nhwc : tag::ndhwc; }
tag filterTag(size_t rank) { return rank == 4 ? tag::hwio : tag::dhwio; }

// A tensor in the caller's layout and, if the primitive wants another, the cached blocked copy and its reorder.
struct Port {
  memory user;
  memory inner;
  dnnl::reorder toInner, fromInner;
  bool reordered = false;
  void init(const memory::desc& userMd, const memory::desc& wanted, bool input) {
    user = memory(userMd, engine(), DNNL_MEMORY_NONE);
    if (userMd == wanted) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(wanted, engine());
    if (input)
      toInner = dnnl::reorder(user, inner);
    else
      fromInner = dnnl::reorder(inner, user);
  }
  memory& in(void* p) {
    user.set_data_handle(p);
    if (reordered) toInner.execute(stream(), user, inner);
    return inner;
  }
  memory& out(void* p) {
    user.set_data_handle(p);
    return inner;
  }
  void finish() {
    if (reordered) fromInner.execute(stream(), inner, user);
  }
};

struct ConvGeometry {
  memory::dims src, weights, dst, strides, dilates, padL, padR;
  memory::desc any(const memory::dims& d) const { return memory::desc(d, dt::f32, tag::any); }
  // An activation (src / dst and their gradients) in the caller's channels-last layout.
  memory::desc plain(const memory::dims& d) const { return memory::desc(d, dt::f32, activationTag(d.size())); }
  dnnl::convolution_forward::desc forwardDesc(bool bias) const {
    if (bias)
      return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                             plain(src), any(weights), memory::desc({dst[1]}, dt::f32, tag::x),
                                             plain(dst), strides, dilates, padL, padR);
    return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                           plain(src), any(weights), plain(dst), strides, dilates, padL, padR);
  }
};

ConvGeometry geometry(napi_env env, const std::vector<napi_value>& a, size_t first, const std::vector<int64_t>& xShape,
                      const std::vector<int64_t>& wShape, const std::vector<int64_t>& yShape) {
  ConvGeometry g;
  g.src = activationDims(xShape);
  g.weights = filterDims(wShape);
  g.dst = activationDims(yShape);
  g.strides = ints(env, a[first]);
  g.padL = ints(env, a[first + 1]);
  g.padR = ints(env, a[first + 2]);
  g.dilates = ints(env, a[first + 3]);
  for (auto& d : g.dilates) d -= 1;  // oneDNN counts the gaps: 0 means no dilation
  return g;
}

struct ConvForward {
  dnnl::convolution_forward prim;
  Port src, weights, dst;
  memory bias;
  bool hasBias;
};
std::unordered_map<std::string, std::unique_ptr<ConvForward>> convForwardCache;

// convForward(x, xShape, w, wShape, bias|null, strides, padL, padR, dilations, activation, alpha, y, yShape)
// activation: 0 none, 1 relu/leaky relu (alpha), 2 relu6, 3 elu, 4 sigmoid
napi_value ConvForwardJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 13);
    auto xShape = ints(env, a[1]), wShape = ints(env, a[3]), yShape = ints(env, a[12]);
    bool hasBias = !isNull(env, a[4]);
    int64_t activation = integer(env, a[9]);
    double alpha = number(env, a[10]);
    std::string k = key({xShape, wShape, yShape, ints(env, a[5]), ints(env, a[6]), ints(env, a[7]), ints(env, a[8]),
                         {hasBias, activation}},
                        "cf" + std::to_string(alpha));
    auto& entry = convForwardCache[k];
    if (!entry) {
      auto g = geometry(env, a, 5, xShape, wShape, yShape);
      dnnl::primitive_attr attr;
      if (activation != 0) {
        dnnl::post_ops ops;
        switch (activation) {
          case 1: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, float(alpha), 0.f); break;
          case 2: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
          case 3: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
          case 4: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
          default: throw JsError("micflow_native: unknown activation " + std::to_string(activation));
        }
        attr.set_post_ops(ops);
      }
      auto pd = dnnl::convolution_forward::primitive_desc(g.forwardDesc(hasBias), attr, engine());
      auto e = std::make_unique<ConvForward>();
      e->prim = dnnl::convolution_forward(pd);
      size_t r = xShape.size();
      e->src.init(memory::desc(g.src, dt::f32, activationTag(r)), pd.src_desc(), true);
      e->weights.init(memory::desc(g.weights, dt::f32, filterTag(r)), pd.weights_desc(), true);
      e->dst.init(memory::desc(g.dst, dt::f32, activationTag(r)), pd.dst_desc(), false);
      e->hasBias = hasBias;
      if (hasBias) e->bias = memory(memory::desc({g.dst[1]}, dt::f32, tag::x), engine(), DNNL_MEMORY_NONE);
      entry = std::move(e);
    }
    auto& e = *entry;
    std::unordered_map<int, memory> m{{DNNL_ARG_SRC, e.src.in(typed<float>(env, a[0]))},
                                      {DNNL_ARG_WEIGHTS, e.weights.in(typed<float>(env, a[2]))},
                                      {DNNL_ARG_DST, e.dst.out(typed<float>(env, a[11]))}};
    if (e.hasBias) {
      e.bias.set_data_handle(typed<float>(env, a[4]));
      m[DNNL_ARG_BIAS] = e.bias;
    }
    e.prim.execute(stream(), m);
    e.dst.finish();
    stream().wait();
  });
}

struct ConvBackwardData {
  dnnl::convolution_backward_data prim;
  Port diffDst, weights, diffSrc;
};
std::unordered_map<std::string, std::unique_ptr<ConvBackwardData>> convBackwardDataCache;

// The input gradient of a stride-1 convolution is itself a stride-1 convolution: with x padded by (padL, padR) and
// taps k·d, dx[i] = Σ_k dy[i + padL − k·d] · W[k] = Σ_k' dy[i − padL' + k'·d] · W[K−1−k'], i.e. dy convolved with the
// kernel flipped in space and with its in/out channels swapped, padded by padL' = (K−1)·d − padL and
// padR' = (K−1)·d − padR. On these machines oneDNN 2.6's forward kernels for channels-last tensors (brgconv) are
// faster than its backward-data kernels for the same layout (jit), so eligible input gradients run as forward
// convolutions; the others (strides, or pads beyond the kernel's reach) keep the backward-data primitive.
struct ConvBackwardDataAsForward {
  dnnl::convolution_forward prim;
  Port src, weights, dst;
  std::vector<float> flipped;  // the kernel flipped in space, in/out swapped, in the caller's filter layout
  std::vector<int64_t> spatial;
  int64_t in = 0, out = 0;
};
std::unordered_map<std::string, std::unique_ptr<ConvBackwardDataAsForward>> convBackwardDataAsForwardCache;

bool inputGradientIsForwardConvolution(const ConvGeometry& g) {
  size_t spatial = g.src.size() - 2;
  for (size_t i = 0; i < spatial; i++) {
    int64_t reach = (g.weights[2 + i] - 1) * (g.dilates[i] + 1);
    if (g.strides[i] != 1 || g.padL[i] < 0 || g.padR[i] < 0 || g.padL[i] > reach || g.padR[i] > reach) return false;
  }
  return true;
}

// Writes the kernel [spatial..., I, O] (tfjs / HWIO order) flipped in every spatial axis with I and O swapped.
void flipAndSwapKernel(const float* w, float* out, const std::vector<int64_t>& spatial, int64_t in, int64_t outChannels) {
  int64_t taps = 1;
  for (auto s : spatial) taps *= s;
  int64_t block = in * outChannels;
  for (int64_t t = 0; t < taps; t++) {
    const float* from = w + (taps - 1 - t) * block;  // flipping every axis of a row-major index reverses it
    float* to = out + t * block;
    for (int64_t i = 0; i < in; i++)
      for (int64_t o = 0; o < outChannels; o++) to[o * in + i] = from[i * outChannels + o];
  }
}

// convBackwardData(dy, dyShape, w, wShape, strides, padL, padR, dilations, dx, dxShape)
napi_value ConvBackwardDataJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 10);
    auto dyShape = ints(env, a[1]), wShape = ints(env, a[3]), dxShape = ints(env, a[9]);
    std::string k = key({dyShape, wShape, dxShape, ints(env, a[4]), ints(env, a[5]), ints(env, a[6]), ints(env, a[7])}, "cd");
    auto& asForward = convBackwardDataAsForwardCache[k];
    if (!asForward) {
      auto g = geometry(env, a, 4, dxShape, wShape, dyShape);
      if (inputGradientIsForwardConvolution(g)) {
        size_t spatial = g.src.size() - 2;
        ConvGeometry t;  // the forward convolution dy -> dx
        t.src = g.dst;
        t.dst = g.src;
        t.weights = memory::dims{g.weights[1], g.weights[0]};
        t.strides = g.strides;
        t.dilates = g.dilates;
        for (size_t i = 0; i < spatial; i++) {
          t.weights.push_back(g.weights[2 + i]);
          int64_t reach = (g.weights[2 + i] - 1) * (g.dilates[i] + 1);
          t.padL.push_back(reach - g.padL[i]);
          t.padR.push_back(reach - g.padR[i]);
        }
        auto pd = dnnl::convolution_forward::primitive_desc(t.forwardDesc(false), engine());
        auto e = std::make_unique<ConvBackwardDataAsForward>();
        e->prim = dnnl::convolution_forward(pd);
        size_t r = dxShape.size();
        e->src.init(memory::desc(t.src, dt::f32, activationTag(r)), pd.src_desc(), true);
        e->weights.init(memory::desc(t.weights, dt::f32, filterTag(r)), pd.weights_desc(), true);
        e->dst.init(memory::desc(t.dst, dt::f32, activationTag(r)), pd.dst_desc(), false);
        e->spatial.assign(wShape.begin(), wShape.end() - 2);
        e->in = wShape[r - 2];
        e->out = wShape[r - 1];
        int64_t taps = 1;
        for (auto s : e->spatial) taps *= s;
        e->flipped.resize(size_t(taps * e->in * e->out));
        asForward = std::move(e);
      } else {
        asForward = std::make_unique<ConvBackwardDataAsForward>();  // marks the shape as not eligible
      }
    }
    if (asForward->in > 0) {
      auto& e = *asForward;
      flipAndSwapKernel(typed<float>(env, a[2]), e.flipped.data(), e.spatial, e.in, e.out);
      e.prim.execute(stream(), {{DNNL_ARG_SRC, e.src.in(typed<float>(env, a[0]))},
                                {DNNL_ARG_WEIGHTS, e.weights.in(e.flipped.data())},
                                {DNNL_ARG_DST, e.dst.out(typed<float>(env, a[8]))}});
      e.dst.finish();
      stream().wait();
      return;
    }
    auto& entry = convBackwardDataCache[k];
    if (!entry) {
      auto g = geometry(env, a, 4, dxShape, wShape, dyShape);
      auto hint = dnnl::convolution_forward::primitive_desc(g.forwardDesc(false), engine());
      auto desc = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, g.plain(g.src), g.any(g.weights),
                                                        g.plain(g.dst), g.strides, g.dilates, g.padL, g.padR);
      auto pd = dnnl::convolution_backward_data::primitive_desc(desc, engine(), hint);
      auto e = std::make_unique<ConvBackwardData>();
      e->prim = dnnl::convolution_backward_data(pd);
      size_t r = dxShape.size();
      e->diffDst.init(memory::desc(g.dst, dt::f32, activationTag(r)), pd.diff_dst_desc(), true);
      e->weights.init(memory::desc(g.weights, dt::f32, filterTag(r)), pd.weights_desc(), true);
      e->diffSrc.init(memory::desc(g.src, dt::f32, activationTag(r)), pd.diff_src_desc(), false);
      entry = std::move(e);
    }
    auto& e = *entry;
    e.prim.execute(stream(), {{DNNL_ARG_DIFF_DST, e.diffDst.in(typed<float>(env, a[0]))},
                              {DNNL_ARG_WEIGHTS, e.weights.in(typed<float>(env, a[2]))},
                              {DNNL_ARG_DIFF_SRC, e.diffSrc.out(typed<float>(env, a[8]))}});
    e.diffSrc.finish();
    stream().wait();
  });
}

struct ConvBackwardWeights {
  dnnl::convolution_backward_weights prim;
  Port src, diffDst, diffWeights;
  memory diffBias;
  bool hasBias = false;
};
std::unordered_map<std::string, std::unique_ptr<ConvBackwardWeights>> convBackwardWeightsCache;

// convBackwardWeights(x, xShape, dy, dyShape, strides, padL, padR, dilations, dw, dwShape, db): db (the bias
// gradient, dy summed over every axis but channels) is computed in the same pass when it is not null.
napi_value ConvBackwardWeightsJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 11);
    auto xShape = ints(env, a[1]), dyShape = ints(env, a[3]), wShape = ints(env, a[9]);
    bool hasBias = !isNull(env, a[10]);
    std::string k = key({xShape, dyShape, wShape, ints(env, a[4]), ints(env, a[5]), ints(env, a[6]), ints(env, a[7]), {hasBias}}, "cw");
    auto& entry = convBackwardWeightsCache[k];
    if (!entry) {
      auto g = geometry(env, a, 4, xShape, wShape, dyShape);
      auto hint = dnnl::convolution_forward::primitive_desc(g.forwardDesc(hasBias), engine());
      memory::desc biasMd({g.dst[1]}, dt::f32, tag::x);
      auto desc = hasBias ? dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, g.plain(g.src),
                                                                     g.any(g.weights), biasMd, g.plain(g.dst), g.strides,
                                                                     g.dilates, g.padL, g.padR)
                          : dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, g.plain(g.src),
                                                                     g.any(g.weights), g.plain(g.dst), g.strides,
                                                                     g.dilates, g.padL, g.padR);
      auto pd = dnnl::convolution_backward_weights::primitive_desc(desc, engine(), hint);
      auto e = std::make_unique<ConvBackwardWeights>();
      e->prim = dnnl::convolution_backward_weights(pd);
      size_t r = xShape.size();
      e->src.init(memory::desc(g.src, dt::f32, activationTag(r)), pd.src_desc(), true);
      e->diffDst.init(memory::desc(g.dst, dt::f32, activationTag(r)), pd.diff_dst_desc(), true);
      e->diffWeights.init(memory::desc(g.weights, dt::f32, filterTag(r)), pd.diff_weights_desc(), false);
      e->hasBias = hasBias;
      if (hasBias) e->diffBias = memory(biasMd, engine(), DNNL_MEMORY_NONE);
      entry = std::move(e);
    }
    auto& e = *entry;
    std::unordered_map<int, memory> m{{DNNL_ARG_SRC, e.src.in(typed<float>(env, a[0]))},
                                      {DNNL_ARG_DIFF_DST, e.diffDst.in(typed<float>(env, a[2]))},
                                      {DNNL_ARG_DIFF_WEIGHTS, e.diffWeights.out(typed<float>(env, a[8]))}};
    if (e.hasBias) {
      e.diffBias.set_data_handle(typed<float>(env, a[10]));
      m[DNNL_ARG_DIFF_BIAS] = e.diffBias;
    }
    e.prim.execute(stream(), m);
    e.diffWeights.finish();
    stream().wait();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Pooling (2D and 3D, max and average excluding padding), run on the channels-last layout directly

struct Pool {
  dnnl::pooling_forward forward;
  dnnl::pooling_backward backward;
  memory src, dst, diffDst, diffSrc, workspace;
  bool max = false;
  bool hasBackward = false;
};
std::unordered_map<std::string, std::unique_ptr<Pool>> poolCache;

Pool& pool(napi_env env, const std::vector<napi_value>& a, bool backward) {
  int64_t kind = integer(env, a[0]);
  auto xShape = ints(env, a[2]), yShape = ints(env, a[3]), kernel = ints(env, a[4]), strides = ints(env, a[5]),
       padL = ints(env, a[6]), padR = ints(env, a[7]);
  std::string k = key({xShape, yShape, kernel, strides, padL, padR, {kind, backward}}, "pool");
  auto& entry = poolCache[k];
  if (!entry) {
    auto e = std::make_unique<Pool>();
    e->max = kind == 0;
    auto alg = e->max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    size_t r = xShape.size();
    memory::desc srcMd(activationDims(xShape), dt::f32, activationTag(r));
    memory::desc dstMd(activationDims(yShape), dt::f32, activationTag(r));
    auto prop = backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    auto fwdPd = dnnl::pooling_forward::primitive_desc(
        dnnl::pooling_forward::desc(prop, alg, srcMd, dstMd, strides, kernel, padL, padR), engine());
    e->forward = dnnl::pooling_forward(fwdPd);
    e->src = memory(srcMd, engine(), DNNL_MEMORY_NONE);
    e->dst = memory(dstMd, engine(), DNNL_MEMORY_NONE);
    if (backward) {
      auto bwdPd = dnnl::pooling_backward::primitive_desc(
          dnnl::pooling_backward::desc(alg, srcMd, dstMd, strides, kernel, padL, padR), engine(), fwdPd);
      e->backward = dnnl::pooling_backward(bwdPd);
      e->diffDst = memory(dstMd, engine(), DNNL_MEMORY_NONE);
      e->diffSrc = memory(srcMd, engine(), DNNL_MEMORY_NONE);
      if (e->max) e->workspace = memory(fwdPd.workspace_desc(), engine());
      // the forward pass of a max-pool backward call writes a scratch output
      e->dst = memory(dstMd, engine());
      e->hasBackward = true;
    }
    entry = std::move(e);
  }
  return *entry;
}

// poolForward(kind, x, xShape, yShape, kernel, strides, padL, padR, y); kind 0 max, 1 average excluding padding
napi_value PoolForwardJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 9);
    Pool& p = pool(env, a, false);
    p.src.set_data_handle(typed<float>(env, a[1]));
    p.dst.set_data_handle(typed<float>(env, a[8]));
    p.forward.execute(stream(), {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DST, p.dst}});
    stream().wait();
  });
}

// poolBackward(kind, x, xShape, yShape, kernel, strides, padL, padR, dy, dx): max pooling reruns the forward pass
// on x to find the argmax positions (oneDNN's workspace), then routes dy to them.
napi_value PoolBackwardJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 10);
    Pool& p = pool(env, a, true);
    if (p.max) {
      p.src.set_data_handle(typed<float>(env, a[1]));
      p.forward.execute(stream(), {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DST, p.dst}, {DNNL_ARG_WORKSPACE, p.workspace}});
    }
    p.diffDst.set_data_handle(typed<float>(env, a[8]));
    p.diffSrc.set_data_handle(typed<float>(env, a[9]));
    std::unordered_map<int, memory> m{{DNNL_ARG_DIFF_DST, p.diffDst}, {DNNL_ARG_DIFF_SRC, p.diffSrc}};
    if (p.max) m[DNNL_ARG_WORKSPACE] = p.workspace;
    p.backward.execute(stream(), m);
    stream().wait();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Batched matrix product: a [Ba, M, K] (or [Ba, K, M] transposed), b [Bb, K, N] (or [Bb, N, K]); Ba, Bb equal or 1.

struct MatMul {
  dnnl::matmul prim;
  memory a, b, c;
};
std::unordered_map<std::string, std::unique_ptr<MatMul>> matmulCache;

// matmul(a, batchA, b, batchB, m, k, n, transposeA, transposeB, out)
napi_value MatMulJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 10);
    int64_t ba = integer(env, a[1]), bb = integer(env, a[3]), m = integer(env, a[4]), k = integer(env, a[5]),
            n = integer(env, a[6]);
    bool ta = integer(env, a[7]) != 0, tb = integer(env, a[8]) != 0;
    std::string cacheKey = key({{ba, bb, m, k, n, ta, tb}}, "mm");
    auto& entry = matmulCache[cacheKey];
    if (!entry) {
      memory::desc aMd({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
      memory::desc bMd({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
      memory::desc cMd({std::max(ba, bb), m, n}, dt::f32, memory::dims{m * n, n, 1});
      auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(aMd, bMd, cMd), engine());
      auto e = std::make_unique<MatMul>();
      e->prim = dnnl::matmul(pd);
      e->a = memory(aMd, engine(), DNNL_MEMORY_NONE);
      e->b = memory(bMd, engine(), DNNL_MEMORY_NONE);
      e->c = memory(cMd, engine(), DNNL_MEMORY_NONE);
      entry = std::move(e);
    }
    auto& e = *entry;
    e.a.set_data_handle(typed<float>(env, a[0]));
    e.b.set_data_handle(typed<float>(env, a[2]));
    e.c.set_data_handle(typed<float>(env, a[9]));
    e.prim.execute(stream(), {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
    stream().wait();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise work in OpenMP loops over the caller's layout

// Calls f(outIndex, aIndex, bIndex, count, aStep, bStep) for each innermost run of a broadcast over `shape`.
// Axes that are contiguous in the output and in both operands are merged first, so runs are as long as possible;
// each thread decomposes its first run index once and then steps an odometer.
template <typename F>
void broadcastRuns(std::vector<int64_t> shape, std::vector<int64_t> aStrides, std::vector<int64_t> bStrides, F f) {
  // merge axis i into i+1 when both operands step through it as one longer axis
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; i--) {
    size_t j = size_t(i) + 1;
    if (aStrides[i] == aStrides[j] * shape[j] && bStrides[i] == bStrides[j] * shape[j]) {
      shape[j] *= shape[i];
      shape.erase(shape.begin() + i);
      aStrides.erase(aStrides.begin() + i);
      bStrides.erase(bStrides.begin() + i);
    }
  }
  size_t r = shape.size();
  int64_t inner = r ? shape[r - 1] : 1;
  int64_t outer = 1;
  for (size_t i = 0; i + 1 < r; i++) outer *= shape[i];
  int64_t as = r ? aStrides[r - 1] : 0, bs = r ? bStrides[r - 1] : 0;
  int64_t work = outer * inner;
#pragma omp parallel if (work > 65536)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t from = outer * t / nt, to = outer * (t + 1) / nt;
    if (from < to) {
      std::vector<int64_t> idx(r ? r - 1 : 0, 0);
      int64_t rest = from, ai = 0, bi = 0;
      for (int64_t d = int64_t(r) - 2; d >= 0; d--) {
        idx[d] = rest % shape[d];
        rest /= shape[d];
        ai += idx[d] * aStrides[d];
        bi += idx[d] * bStrides[d];
      }
      for (int64_t o = from; o < to; o++) {
        f(o * inner, ai, bi, inner, as, bs);
        for (int64_t d = int64_t(r) - 2; d >= 0; d--) {
          if (++idx[d] < shape[d]) {
            ai += aStrides[d];
            bi += bStrides[d];
            break;
          }
          ai -= (shape[d] - 1) * aStrides[d];
          bi -= (shape[d] - 1) * bStrides[d];
          idx[d] = 0;
        }
      }
    }
  }
}

template <typename T, typename Op>
void binaryLoop(const float* a, const float* b, T* out, const std::vector<int64_t>& shape, const std::vector<int64_t>& sa,
                const std::vector<int64_t>& sb, Op op) {
  broadcastRuns(shape, sa, sb, [&](int64_t o, int64_t ai, int64_t bi, int64_t n, int64_t as, int64_t bs) {
    const float* pa = a + ai;
    const float* pb = b + bi;
    T* po = out + o;
    if (as == 1 && bs == 1)
      for (int64_t i = 0; i < n; i++) po[i] = op(pa[i], pb[i]);
    else if (as == 1 && bs == 0) {
      float vb = pb[0];
      for (int64_t i = 0; i < n; i++) po[i] = op(pa[i], vb);
    } else if (as == 0 && bs == 1) {
      float va = pa[0];
      for (int64_t i = 0; i < n; i++) po[i] = op(va, pb[i]);
    } else
      for (int64_t i = 0; i < n; i++) po[i] = op(pa[i * as], pb[i * bs]);
  });
}

// binary(op, a, aStrides, b, bStrides, out, outShape): strides per output axis, 0 where broadcast.
// ops 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference; 10 >, 11 >=, 12 <, 13 <=, 14 ==, 15 != (bool out)
napi_value BinaryJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 7);
    int64_t op = integer(env, a[0]);
    const float* x = typed<float>(env, a[1]);
    auto sa = ints(env, a[2]);
    const float* y = typed<float>(env, a[3]);
    auto sb = ints(env, a[4]);
    auto shape = ints(env, a[6]);
    if (op < 10) {
      float* o = typed<float>(env, a[5]);
      switch (op) {
        case 0: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return p + q; }); break;
        case 1: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return p - q; }); break;
        case 2: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return p * q; }); break;
        case 3: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return p / q; }); break;
        case 4: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return std::isnan(p) || p >= q ? p : q; }); break;
        case 5: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return std::isnan(p) || p <= q ? p : q; }); break;
        case 6: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) { return (p - q) * (p - q); }); break;
        default: throw JsError("micflow_native: unknown binary op");
      }
    } else {
      uint8_t* o = typed<uint8_t>(env, a[5]);
      switch (op) {
        case 10: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p > q; }); break;
        case 11: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p >= q; }); break;
        case 12: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p < q; }); break;
        case 13: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p <= q; }); break;
        case 14: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p == q; }); break;
        case 15: binaryLoop(x, y, o, shape, sa, sb, [](float p, float q) -> uint8_t { return p != q; }); break;
        default: throw JsError("micflow_native: unknown comparison op");
      }
    }
  });
}

template <typename Op>
void unaryLoop(const float* x, float* y, int64_t n, Op op) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) y[i] = op(x[i]);
}

// unary(op, x, y, alpha): 0 leaky relu(alpha), 1 relu, 2 neg, 3 square, 4 rsqrt, 5 sqrt, 6 exp, 7 log, 8 abs,
// 9 sigmoid, 10 tanh, 11 sign, 12 bool->float (x is a Uint8Array), 13 step (x > 0 ? 1 : alpha)
napi_value UnaryJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 4);
    int64_t op = integer(env, a[0]);
    size_t n;
    float* y = typed<float>(env, a[2], &n);
    float alpha = float(number(env, a[3]));
    if (op == 12) {
      const uint8_t* b = typed<uint8_t>(env, a[1]);
#pragma omp parallel for schedule(static) if (n > 32768)
      for (int64_t i = 0; i < int64_t(n); i++) y[i] = b[i] ? 1.f : 0.f;
      return;
    }
    const float* x = typed<float>(env, a[1]);
    switch (op) {
      // Branch-free (max/min vectorise; a branch per element mispredicts on half of all random-signed activations,
      // several times slower): v >= 0 gives v + alpha * 0, v < 0 gives 0 + alpha * v.
      case 0: unaryLoop(x, y, n, [alpha](float v) { return std::max(v, 0.f) + alpha * std::min(v, 0.f); }); break;
      case 1: unaryLoop(x, y, n, [](float v) { return v < 0 ? 0.f : v; }); break;
      case 2: unaryLoop(x, y, n, [](float v) { return -v; }); break;
      case 3: unaryLoop(x, y, n, [](float v) { return v * v; }); break;
      case 4: unaryLoop(x, y, n, [](float v) { return 1.f / std::sqrt(v); }); break;
      case 5: unaryLoop(x, y, n, [](float v) { return std::sqrt(v); }); break;
      case 6: unaryLoop(x, y, n, [](float v) { return std::exp(v); }); break;
      case 7: unaryLoop(x, y, n, [](float v) { return std::log(v); }); break;
      case 8: unaryLoop(x, y, n, [](float v) { return std::fabs(v); }); break;
      case 9: unaryLoop(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); }); break;
      case 10: unaryLoop(x, y, n, [](float v) { return std::tanh(v); }); break;
      case 11: unaryLoop(x, y, n, [](float v) { return float((v > 0) - (v < 0)); }); break;
      case 13: unaryLoop(x, y, n, [alpha](float v) { return v > 0 ? 1.f : alpha; }); break;
      default: throw JsError("micflow_native: unknown unary op");
    }
  });
}

// select(condition Uint8Array, t, e, out), all the same size
napi_value SelectJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 4);
    size_t n;
    const uint8_t* c = typed<uint8_t>(env, a[0]);
    const float* t = typed<float>(env, a[1]);
    const float* e = typed<float>(env, a[2]);
    float* o = typed<float>(env, a[3], &n);
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < int64_t(n); i++) {
      // Both operands loaded unconditionally so the choice compiles to a blend, not a mispredicted branch.
      float tv = t[i], ev = e[i];
      o[i] = c[i] ? tv : ev;
    }
  });
}

// reduce(op, x, outer, reduced, inner, out): x viewed as [outer, reduced, inner] -> out [outer, inner].
// ops 0 sum, 1 mean, 2 max, 3 min. Sums accumulate in double.
napi_value ReduceJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 6);
    int64_t op = integer(env, a[0]);
    const float* x = typed<float>(env, a[1]);
    int64_t outer = integer(env, a[2]), reduced = integer(env, a[3]), inner = integer(env, a[4]);
    float* out = typed<float>(env, a[5]);
    bool isSum = op == 0 || op == 1;
    if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * reduced > 32768)
      for (int64_t o = 0; o < outer; o++) {
        const float* p = x + o * reduced;
        if (isSum) {
          double s = 0;
          for (int64_t r = 0; r < reduced; r++) s += p[r];
          out[o] = float(op == 1 ? s / double(reduced) : s);
        } else {
          float s = p[0];
          for (int64_t r = 1; r < reduced; r++) s = op == 2 ? std::max(s, p[r]) : std::min(s, p[r]);
          out[o] = s;
        }
      }
      return;
    }
    // Reduce over the middle axis: threads take slices of the reduced axis, then combine.
    int threads = omp_get_max_threads();
    std::vector<double> partial(size_t(threads) * outer * inner);
    std::vector<float> partialExtreme(isSum ? 0 : size_t(threads) * outer * inner);
    std::vector<int> used(threads, 0);
#pragma omp parallel if (outer * reduced * inner > 32768)
    {
      int t = omp_get_thread_num();
      int nt = omp_get_num_threads();
      int64_t from = reduced * t / nt, to = reduced * (t + 1) / nt;
      if (from < to) {
        used[t] = 1;
        for (int64_t o = 0; o < outer; o++) {
          double* acc = partial.data() + (size_t(t) * outer + o) * inner;
          float* ext = isSum ? nullptr : partialExtreme.data() + (size_t(t) * outer + o) * inner;
          if (!isSum) std::memcpy(ext, x + (o * reduced + from) * inner, inner * sizeof(float));
          for (int64_t r = isSum ? from : from + 1; r < to; r++) {
            const float* p = x + (o * reduced + r) * inner;
            if (isSum)
              for (int64_t i = 0; i < inner; i++) acc[i] += p[i];
            else if (op == 2)
              for (int64_t i = 0; i < inner; i++) ext[i] = std::max(ext[i], p[i]);
            else
              for (int64_t i = 0; i < inner; i++) ext[i] = std::min(ext[i], p[i]);
          }
        }
      }
    }
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < inner; i++) {
        if (isSum) {
          double s = 0;
          for (int t = 0; t < threads; t++) s += partial[(size_t(t) * outer + o) * inner + i];
          out[o * inner + i] = float(op == 1 ? s / double(reduced) : s);
        } else {
          bool first = true;
          float s = 0;
          for (int t = 0; t < threads; t++) {
            if (!used[t]) continue;
            float v = partialExtreme[(size_t(t) * outer + o) * inner + i];
            s = first ? v : (op == 2 ? std::max(s, v) : std::min(s, v));
            first = false;
          }
          out[o * inner + i] = s;
        }
      }
  });
}

// strided copy: out[shape] = x[offset + sum(idx_d * strides_d)], innermost axis contiguous in out.
template <typename T>
void stridedCopy(const T* x, T* out, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset) {
  std::vector<int64_t> zero(shape.size(), 0);
  broadcastRuns(shape, strides, zero, [&](int64_t o, int64_t xi, int64_t, int64_t n, int64_t xs, int64_t) {
    const T* p = x + offset + xi;
    if (xs == 1)
      std::memcpy(out + o, p, n * sizeof(T));
    else
      for (int64_t i = 0; i < n; i++) out[o + i] = p[i * xs];
  });
}

// gather(x, outShape, strides, offset, out): a view of x (slice or transpose) copied into out. Works on 4-byte
// elements (float32/int32) or bytes (bool), from the typed array's element size.
napi_value GatherJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 5);
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_value buffer;
    size_t off;
    check(env, napi_get_typedarray_info(env, a[0], &type, &len, &data, &buffer, &off), "typed array expected");
    auto shape = ints(env, a[1]);
    auto strides = ints(env, a[2]);
    int64_t offset = integer(env, a[3]);
    if (type == napi_uint8_array)
      stridedCopy(static_cast<uint8_t*>(data), typed<uint8_t>(env, a[4]), shape, strides, offset);
    else
      stridedCopy(static_cast<uint32_t*>(data), typed<uint32_t>(env, a[4]), shape, strides, offset);
  });
}

// scatter(x, shape, out, strides, offset): copies x (contiguous, `shape`) into a strided view of out (used for pad,
// concat). out is not cleared.
napi_value ScatterJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 5);
    const uint32_t* x = typed<uint32_t>(env, a[0]);
    auto shape = ints(env, a[1]);
    uint32_t* out = typed<uint32_t>(env, a[2]);
    auto strides = ints(env, a[3]);
    int64_t offset = integer(env, a[4]);
    std::vector<int64_t> zero(shape.size(), 0);
    broadcastRuns(shape, strides, zero, [&](int64_t o, int64_t oi, int64_t, int64_t n, int64_t os, int64_t) {
      uint32_t* p = out + offset + oi;
      if (os == 1)
        std::memcpy(p, x + o, n * sizeof(uint32_t));
      else
        for (int64_t i = 0; i < n; i++) p[i * os] = x[o + i];
    });
  });
}

// fill(out, value)
napi_value FillJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 2);
    size_t n;
    float* out = typed<float>(env, a[0], &n);
    float v = float(number(env, a[1]));
    std::fill(out, out + n, v);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Training-mode batch normalisation over channels-last data viewed as [rows, channels] (Ioffe & Szegedy 2015)

// The inner loops below are compiled for AVX-512, AVX2 and the baseline ISA, chosen once at load time by the CPU
// (GCC function multi-versioning through an ifunc), so the addon still ships for baseline x86-64 (no -march=native)
// while channel loops of 16 or 32 floats run as one or two vector operations on the machines that have them.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MICFLOW_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MICFLOW_VECTOR_CLONES
#endif

// Rows are summed in float over blocks of this many rows, and the blocks' sums are added in double: the float
// partial sums vectorise across channels, while the error of a float sum grows with the rows it runs over.
constexpr int64_t kRowBlock = 64;

// Per-thread partial sums over row ranges, combined in double: each thread calls f(from, to, acc) on its own rows,
// with acc[sums * channels] zeroed doubles; out[i] is the sum of every thread's acc[i].
template <typename F>
void channelSums(int64_t rows, int64_t channels, int sums, std::vector<double>& out, F f) {
  out.assign(size_t(sums * channels), 0.0);
  int nt = omp_get_max_threads();
  std::vector<double> partial(size_t(nt) * sums * channels, 0.0);
#pragma omp parallel if (rows * channels > 32768)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    double* acc = partial.data() + size_t(t) * sums * channels;
    int64_t from = rows * t / n, to = rows * (t + 1) / n;
    f(from, to, acc);
  }
  for (int t = 0; t < nt; t++)
    for (int64_t i = 0; i < sums * channels; i++) out[i] += partial[size_t(t) * sums * channels + i];
}

// Two per-channel sums over rows [from, to) in 64-row float blocks: for each block, addRow(r, s1, s2) adds row r's
// terms to the zeroed float sums s1[c] and s2[c], which are then added to acc[0, c) and acc[c, 2c) in double.
// Inlined into the multi-versioned callers below, so the row loops vectorise for each ISA.
template <typename AddRow>
inline void blockedChannelSums(int64_t from, int64_t to, int64_t c, double* __restrict acc, AddRow addRow) {
  std::vector<float> block(size_t(2 * c));
  float* __restrict s1 = block.data();
  float* __restrict s2 = block.data() + c;
  for (int64_t r0 = from; r0 < to; r0 += kRowBlock) {
    int64_t r1 = std::min(to, r0 + kRowBlock);
    for (int64_t j = 0; j < c; j++) s1[j] = s2[j] = 0.f;
    for (int64_t r = r0; r < r1; r++) addRow(r, s1, s2);
    for (int64_t j = 0; j < c; j++) {
      acc[j] += s1[j];
      acc[c + j] += s2[j];
    }
  }
}

// acc[j] += sum of (x[r, j] - shift[j]), acc[c + j] += sum of its squares, over rows [from, to).
MICFLOW_VECTOR_CLONES
void shiftedMomentSums(const float* __restrict x, int64_t from, int64_t to, int64_t c, const float* __restrict shift,
                       double* __restrict acc) {
  blockedChannelSums(from, to, c, acc, [&](int64_t r, float* __restrict s1, float* __restrict s2) {
    const float* __restrict p = x + r * c;
    for (int64_t j = 0; j < c; j++) {
      float d = p[j] - shift[j];
      s1[j] += d;
      s2[j] += d * d;
    }
  });
}

// channelMoments(x, rows, channels, mean, variance): per-channel mean and biased variance. Sums are taken of x minus
// the channel's first value (a shift that keeps E[(x-K)^2] - E[x-K]^2 exact enough when the mean is far from zero).
napi_value ChannelMomentsJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 5);
    const float* x = typed<float>(env, a[0]);
    int64_t rows = integer(env, a[1]), c = integer(env, a[2]);
    float* mean = typed<float>(env, a[3]);
    float* variance = typed<float>(env, a[4]);
    std::vector<double> sums;
    channelSums(rows, c, 2, sums, [&](int64_t from, int64_t to, double* acc) { shiftedMomentSums(x, from, to, c, x, acc); });
    for (int64_t j = 0; j < c; j++) {
      double m = sums[j] / double(rows);
      mean[j] = float(double(x[j]) + m);
      variance[j] = float(std::max(0.0, sums[c + j] / double(rows) - m * m));
    }
  });
}

// y[r, j] = x[r, j] * scale[j] + shift[j], then a leaky ReLU of slope alpha when activate (0: ReLU), branch-free.
MICFLOW_VECTOR_CLONES
void channelAffineRows(const float* __restrict x, int64_t from, int64_t to, int64_t c, const float* __restrict scale,
                       const float* __restrict shift, bool activate, float alpha, float* __restrict y) {
  for (int64_t r = from; r < to; r++) {
    const float* __restrict p = x + r * c;
    float* __restrict q = y + r * c;
    if (activate)
      for (int64_t j = 0; j < c; j++) {
        float v = p[j] * scale[j] + shift[j];
        q[j] = std::max(v, 0.f) + alpha * std::min(v, 0.f);
      }
    else
      for (int64_t j = 0; j < c; j++) q[j] = p[j] * scale[j] + shift[j];
  }
}

// Splits rows into one contiguous range per thread and calls f(from, to) on each.
template <typename F>
void rowRanges(int64_t rows, int64_t channels, F f) {
#pragma omp parallel if (rows * channels > 32768)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    f(rows * t / n, rows * (t + 1) / n);
  }
}

// channelAffine(x, rows, channels, scale, shift, y, alpha): y = x * scale[c] + shift[c], followed when alpha is a
// number (not null) by a leaky ReLU with that negative slope (0: ReLU), branch-free as unary op 0.
napi_value ChannelAffineJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 7);
    const float* x = typed<float>(env, a[0]);
    int64_t rows = integer(env, a[1]), c = integer(env, a[2]);
    const float* scale = typed<float>(env, a[3]);
    const float* shift = typed<float>(env, a[4]);
    float* y = typed<float>(env, a[5]);
    bool activate = !isNull(env, a[6]);
    float alpha = activate ? float(number(env, a[6])) : 0.f;
    rowRanges(rows, c, [&](int64_t from, int64_t to) { channelAffineRows(x, from, to, c, scale, shift, activate, alpha, y); });
  });
}

// The gradient of a leaky ReLU with slope alpha >= 0 from its output y: dy * (y > 0 ? 1 : alpha). y > 0 is computed
// from the float's bits with shifts and masks only (non-zero and sign bit clear; +0 and -0 are not positive): GCC
// turns a float comparison (or a bool converted to float) here into a branch, which mispredicts on half of all
// activations and made this pass 3.5x slower than the vectorised one.
inline float leakyReluGradientAt(float dy, float y, float alpha) {
  uint32_t u;
  std::memcpy(&u, &y, sizeof u);
  int32_t positive = int32_t(((u | (0u - u)) >> 31) & ~(u >> 31) & 1u);
  return dy * (alpha + (1.f - alpha) * float(positive));
}

// The batch-norm gradient's sums over rows [from, to): acc[j] += sum g, acc[c + j] += sum g * (x - mean), where
// g = dy, or the gradient through the fused leaky ReLU when y is not null; that g is also written to g_out (dx's
// buffer), so the second pass reads one array instead of dy and y.
MICFLOW_VECTOR_CLONES
void batchNormGradientSums(const float* __restrict dy, const float* __restrict y, float alpha, const float* __restrict x,
                           const float* __restrict mean, int64_t from, int64_t to, int64_t c, float* __restrict gOut,
                           double* __restrict acc) {
  blockedChannelSums(from, to, c, acc, [&](int64_t r, float* __restrict s1, float* __restrict s2) {
    const float* __restrict d = dy + r * c;
    const float* __restrict p = x + r * c;
    if (y) {
      const float* __restrict q = y + r * c;
      float* __restrict o = gOut + r * c;
      for (int64_t j = 0; j < c; j++) {
        float g = leakyReluGradientAt(d[j], q[j], alpha);
        o[j] = g;
        s1[j] += g;
        s2[j] += g * (p[j] - mean[j]);
      }
    } else {
      for (int64_t j = 0; j < c; j++) {
        s1[j] += d[j];
        s2[j] += d[j] * (p[j] - mean[j]);
      }
    }
  });
}

// dx[r, j] = g[r, j] * ds[j] + (x[r, j] - mean[j]) * cs[j] + k[j] over rows [from, to); g may be dx itself.
MICFLOW_VECTOR_CLONES
void batchNormGradientRows(const float* g, const float* __restrict x, const float* __restrict mean, const float* __restrict ds,
                           const float* __restrict cs, const float* __restrict k, int64_t from, int64_t to, int64_t c, float* dx) {
  for (int64_t r = from; r < to; r++) {
    const float* gr = g + r * c;
    const float* __restrict p = x + r * c;
    float* q = dx + r * c;
#pragma GCC ivdep
    for (int64_t j = 0; j < c; j++) q[j] = gr[j] * ds[j] + (p[j] - mean[j]) * cs[j] + k[j];
  }
}

// batchNormBackward(dy, x, rows, channels, mean, rstd, gamma, dx, dgamma, dbeta, y, alpha), with x^ = (x - mean) * rstd:
// dbeta = sum g, dgamma = sum g * x^, dx = gamma * rstd / M * (M * g - dbeta - x^ * dgamma), where g = dy, or, when y
// (the output of a batch norm fused with a leaky ReLU of slope alpha) is not null, the gradient through that
// activation, g = dy * (y > 0 ? 1 : alpha): y > 0 exactly where the normalised value is, for alpha >= 0.
napi_value BatchNormBackwardJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 12);
    const float* dy = typed<float>(env, a[0]);
    const float* x = typed<float>(env, a[1]);
    int64_t rows = integer(env, a[2]), c = integer(env, a[3]);
    const float* mean = typed<float>(env, a[4]);
    const float* rstd = typed<float>(env, a[5]);
    const float* gamma = typed<float>(env, a[6]);
    float* dx = typed<float>(env, a[7]);
    float* dgamma = typed<float>(env, a[8]);
    float* dbeta = typed<float>(env, a[9]);
    const float* y = isNull(env, a[10]) ? nullptr : typed<float>(env, a[10]);
    float alpha = y ? float(number(env, a[11])) : 0.f;
    // With the fused activation, the first pass writes g to dx and the second reads it there in place of dy (each
    // element is overwritten after it is read).
    std::vector<double> sums;
    channelSums(rows, c, 2, sums, [&](int64_t from, int64_t to, double* acc) {
      batchNormGradientSums(dy, y, alpha, x, mean, from, to, c, dx, acc);
    });
    const float* g = y ? dx : dy;
    std::vector<float> dyScale(static_cast<size_t>(c)), centeredScale(static_cast<size_t>(c)), constant(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; j++) {
      double gr = double(gamma[j]) * rstd[j];
      double db = sums[j];
      double dg = sums[c + j] * rstd[j];
      dbeta[j] = float(db);
      dgamma[j] = float(dg);
      // dx = dy * gr + (x - mean) * (-gr * rstd * dg / M) + (-gr * db / M)
      dyScale[size_t(j)] = float(gr);
      double cs = -gr * rstd[j] * dg / double(rows);
      centeredScale[size_t(j)] = float(cs);
      constant[size_t(j)] = float(-gr * db / double(rows));
    }
    // Same row ranges per thread as the first pass, so each thread reads back the g it wrote.
    rowRanges(rows, c, [&](int64_t from, int64_t to) {
      batchNormGradientRows(g, x, mean, dyScale.data(), centeredScale.data(), constant.data(), from, to, c, dx);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// A sparse linear map along one axis (separable resizing, upsampling, block averaging)

// axisMap(x, outer, inSize, inner, index, weight, taps, outSize, out): x viewed as [outer, inSize, inner], out as
// [outer, outSize, inner], out[o, r, :] = sum over k < taps of weight[r * taps + k] * x[o, index[r * taps + k], :]
// (rows with fewer taps pad with weight 0). Taps are summed in order, in float.
napi_value AxisMapJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 9);
    const float* x = typed<float>(env, a[0]);
    int64_t outer = integer(env, a[1]), inSize = integer(env, a[2]), inner = integer(env, a[3]);
    const int32_t* index = typed<int32_t>(env, a[4]);
    const float* weight = typed<float>(env, a[5]);
    int64_t taps = integer(env, a[6]), outSize = integer(env, a[7]);
    float* out = typed<float>(env, a[8]);
    int64_t rows = outer * outSize;
#pragma omp parallel for schedule(static) if (rows * inner * taps > 32768)
    for (int64_t row = 0; row < rows; row++) {
      int64_t o = row / outSize, r = row % outSize;
      float* q = out + row * inner;
      const int32_t* idx = index + r * taps;
      const float* w = weight + r * taps;
      const float* first = x + (o * inSize + idx[0]) * inner;
      for (int64_t i = 0; i < inner; i++) q[i] = w[0] * first[i];
      for (int64_t k = 1; k < taps; k++) {
        if (w[k] == 0.f) continue;
        const float* p = x + (o * inSize + idx[k]) * inner;
        const float wk = w[k];
        for (int64_t i = 0; i < inner; i++) q[i] += wk * p[i];
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Adam (Kingma & Ba, ICLR 2015) with PyTorch's update rule, one pass over a variable and its moments

// adamUpdate(x, g, m, v, lr, beta1, beta2, eps, weightDecay, correction1, correction2, xOut, mOut, vOut):
//   g' = g + weightDecay * x,  m' = beta1 * m + (1 - beta1) * g',  v' = beta2 * v + (1 - beta2) * g'^2,
//   x' = x - (lr / correction1) * m' / (sqrt(v') / sqrt(correction2) + eps),
// with correction_i = 1 - beta_i^step. Constants are rounded to float32 as tfjs rounds scalars, and the operations run
// in the order of micflow's Adam stage (src/stages/optimisers/adam.ts), so both give the same values.
// The update over elements [from, to), vectorised (the square root is IEEE-exact in vector form too, so every
// ISA gives the same values).
MICFLOW_VECTOR_CLONES
void adamRange(const float* __restrict x, const float* __restrict g, const float* m, const float* v, int64_t from, int64_t to,
               bool decays, float decay, float b1, float b2, float c1, float c2, float rootCorrection2, float epsilon,
               float stepSize, float* xOut, float* mOut, float* vOut) {
#pragma GCC ivdep
  for (int64_t i = from; i < to; i++) {
    float gi = decays ? g[i] + x[i] * decay : g[i];
    float mi = m[i] * b1 + gi * c1;
    float vi = v[i] * b2 + (gi * gi) * c2;
    mOut[i] = mi;
    vOut[i] = vi;
    xOut[i] = x[i] - (mi / (__builtin_sqrtf(vi) / rootCorrection2 + epsilon)) * stepSize;
  }
}

napi_value AdamUpdateJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 14);
    size_t n;
    const float* x = typed<float>(env, a[0], &n);
    const float* g = typed<float>(env, a[1]);
    const float* m = typed<float>(env, a[2]);
    const float* v = typed<float>(env, a[3]);
    double lr = number(env, a[4]), beta1 = number(env, a[5]), beta2 = number(env, a[6]), eps = number(env, a[7]);
    double weightDecay = number(env, a[8]), correction1 = number(env, a[9]), correction2 = number(env, a[10]);
    float* xOut = typed<float>(env, a[11]);
    float* mOut = typed<float>(env, a[12]);
    float* vOut = typed<float>(env, a[13]);
    const float decay = float(weightDecay), b1 = float(beta1), b2 = float(beta2), c1 = float(1 - beta1), c2 = float(1 - beta2);
    const float rootCorrection2 = float(std::sqrt(correction2)), epsilon = float(eps), stepSize = float(lr / correction1);
    const bool decays = weightDecay > 0;
#pragma omp parallel if (n > 65536)
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t from = int64_t(n) * t / nt, to = int64_t(n) * (t + 1) / nt;
      adamRange(x, g, m, v, from, to, decays, decay, b1, b2, c1, c2, rootCorrection2, epsilon, stepSize, xOut, mOut, vOut);
    }
  });
}

// The sum of squares of x[from, to), in float over blocks of 4096 elements and in double across blocks.
MICFLOW_VECTOR_CLONES
double squaresRange(const float* __restrict x, int64_t from, int64_t to) {
  double total = 0;
  for (int64_t b = from; b < to; b += 4096) {
    int64_t e = std::min(to, b + 4096);
    float block = 0.f;
    for (int64_t i = b; i < e; i++) block += x[i] * x[i];
    total += block;
  }
  return total;
}

// sumOfSquares(arrays): the sum of x^2 over every element of every Float32Array in the JS array `arrays`, in double
// (one call for all of a network's gradients: the global norm the tick checks for non-finite values and clipping).
napi_value SumOfSquaresJs(napi_env env, napi_callback_info info) {
  napi_value result = nullptr;
  guarded(env, [&] {
    auto a = args(env, info, 1);
    uint32_t count;
    check(env, napi_get_array_length(env, a[0], &count), "array of Float32Arrays expected");
    std::vector<std::pair<const float*, int64_t>> parts;
    for (uint32_t i = 0; i < count; i++) {
      napi_value e;
      check(env, napi_get_element(env, a[0], i, &e), "array element");
      size_t n;
      const float* x = typed<float>(env, e, &n);
      parts.emplace_back(x, int64_t(n));
    }
    double total = 0;
    for (const auto& [x, n] : parts) {
      if (n > 65536) {
        double sum = 0;
#pragma omp parallel reduction(+ : sum)
        {
          int t = omp_get_thread_num(), nt = omp_get_num_threads();
          sum += squaresRange(x, n * t / nt, n * (t + 1) / nt);
        }
        total += sum;
      } else {
        total += squaresRange(x, 0, n);
      }
    }
    check(env, napi_create_double(env, total, &result), "result");
  });
  return result;
}

// foldConvBatchNorm(kernel, bias, gamma, beta, mean, variance, epsilon, outKernel, outBias): an inference batch norm
// folded into the convolution before it, s = γ / sqrt(variance + ε) per output channel (the kernel's last axis):
// outKernel = kernel · s, outBias = (bias − mean) · s + β, in one pass instead of six tensor ops per layer.
napi_value FoldConvBatchNormJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 9);
    size_t n, channels;
    const float* kernel = typed<float>(env, a[0], &n);
    const float* bias = typed<float>(env, a[1], &channels);
    const float* gamma = typed<float>(env, a[2]);
    const float* beta = typed<float>(env, a[3]);
    const float* mean = typed<float>(env, a[4]);
    const float* variance = typed<float>(env, a[5]);
    float epsilon = float(number(env, a[6]));
    float* outKernel = typed<float>(env, a[7]);
    float* outBias = typed<float>(env, a[8]);
    if (channels == 0 || n % channels != 0) throw JsError("micflow_native: foldConvBatchNorm: the kernel's last axis must be the bias's length");
    std::vector<float> scale(channels);
    for (size_t c = 0; c < channels; c++) {
      scale[c] = gamma[c] * (1.f / std::sqrt(variance[c] + epsilon));
      outBias[c] = (bias[c] - mean[c]) * scale[c] + beta[c];
    }
    for (size_t i = 0; i < n; i += channels)
      for (size_t c = 0; c < channels; c++) outKernel[i + c] = kernel[i + c] * scale[c];
  });
}

// argMaxRows(x, rows, classes, out): out[r] = the first index of the largest of row r's `classes` values, as tfjs's cpu
// ArgMax (a value wins only if greater than the best so far, starting from the row's first value: a NaN later in the
// row never wins, a NaN first in the row does).
napi_value ArgMaxRowsJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 4);
    const float* x = typed<float>(env, a[0]);
    int64_t rows = integer(env, a[1]), classes = integer(env, a[2]);
    int32_t* out = typed<int32_t>(env, a[3]);
#pragma omp parallel for schedule(static) if (rows * classes > 65536)
    for (int64_t r = 0; r < rows; r++) {
      const float* p = x + r * classes;
      float best = p[0];
      int32_t index = 0;
      for (int64_t j = 1; j < classes; j++)
        if (p[j] > best) {
          best = p[j];
          index = int32_t(j);
        }
      out[r] = index;
    }
  });
}

// smallestCountMask(values, rows, pixels, k, mask): per row r of values [rows, pixels], mask[r, i] = 1 for the k[r]
// smallest values (k a whole float; 0 keeps nothing, >= pixels keeps all), equal values taken in index order: the
// k-th smallest t comes from a partial sort (nth_element, O(pixels)), every value below t is kept, and of the values
// equal to t the first k - #below. This is what SmallLossSelection's composite (a full sort, a cumulative count) computes.
napi_value SmallestCountMaskJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 5);
    const float* values = typed<float>(env, a[0]);
    int64_t rows = integer(env, a[1]), pixels = integer(env, a[2]);
    const float* k = typed<float>(env, a[3]);
    float* mask = typed<float>(env, a[4]);
#pragma omp parallel for schedule(dynamic) if (rows > 1 && rows * pixels > 32768)
    for (int64_t r = 0; r < rows; r++) {
      const float* v = values + r * pixels;
      float* m = mask + r * pixels;
      int64_t want = int64_t(std::min<double>(double(pixels), std::max<double>(0.0, std::floor(double(k[r])))));
      if (want == 0) {
        std::fill(m, m + pixels, 0.f);
        continue;
      }
      std::vector<float> copy(v, v + pixels);
      std::nth_element(copy.begin(), copy.begin() + (want - 1), copy.end());
      float t = copy[size_t(want - 1)];
      int64_t below = 0;
      for (int64_t i = 0; i < pixels; i++) below += v[i] < t;
      int64_t equalLeft = want - below;
      for (int64_t i = 0; i < pixels; i++) {
        bool keep = v[i] < t || (v[i] == t && equalLeft-- > 0);
        m[i] = keep ? 1.f : 0.f;
      }
    }
  });
}

napi_value SetThreadsJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 1);
    omp_set_num_threads(int(integer(env, a[0])));
  });
}

napi_value ThreadsJs(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, omp_get_max_threads(), &v);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Dropout keep masks from micflow's xoshiro128** stream (src/runtime/seeded-random.ts)

// xoshiro128** (Blackman & Vigna 2021) as SeededRandom.nextUint32: one step returns a draw and moves the state.
inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
inline uint32_t xoshiroStep(uint32_t& s0, uint32_t& s1, uint32_t& s2, uint32_t& s3) {
  uint32_t draw = rotl32(s1 * 5u, 7) * 9u;
  uint32_t t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl32(s3, 11);
  return draw;
}

// Jump-ahead: xoshiro128**'s state transition is linear over GF(2) on its 128 state bits, so k steps are a 128x128
// bit matrix M^k. powers[i] holds M^(2^i) as the images of the 128 unit states; the state after k steps is those
// matrices applied for the set bits of k (at most 64 matrix-vector products of 128 conditional XORs). This lets
// each thread start its share of a long stream at its own offset and still draw exactly the numbers one sequential
// pass would, whatever the thread count.
using XoshiroState = std::array<uint32_t, 4>;
using XoshiroMatrix = std::array<XoshiroState, 128>;

XoshiroState applyMatrix(const XoshiroMatrix& m, const XoshiroState& v) {
  XoshiroState out{0, 0, 0, 0};
  for (int b = 0; b < 128; b++) {
    if ((v[b >> 5] >> (b & 31)) & 1u)
      for (int w = 0; w < 4; w++) out[w] ^= m[b][w];
  }
  return out;
}

const std::vector<XoshiroMatrix>& xoshiroPowers() {
  static const std::vector<XoshiroMatrix> powers = [] {
    std::vector<XoshiroMatrix> p(64);
    for (int b = 0; b < 128; b++) {
      XoshiroState e{0, 0, 0, 0};
      e[b >> 5] = 1u << (b & 31);
      xoshiroStep(e[0], e[1], e[2], e[3]);
      p[0][b] = e;
    }
    for (size_t i = 1; i < p.size(); i++)
      for (int b = 0; b < 128; b++) p[i][b] = applyMatrix(p[i - 1], p[i - 1][b]);
    return p;
  }();
  return powers;
}

XoshiroState xoshiroJump(XoshiroState s, uint64_t steps) {
  const auto& powers = xoshiroPowers();
  for (size_t i = 0; steps != 0; i++, steps >>= 1)
    if (steps & 1u) s = applyMatrix(powers[i], s);
  return s;
}

// Runs body(from, to, state at draw `from`) over [0, n) split among the threads (one thread below 2^16 draws), then
// leaves `state` (four words, advanced in place) n draws further on.
template <typename Body>
void xoshiroRanges(uint32_t* state, int64_t n, Body body) {
  XoshiroState start{state[0], state[1], state[2], state[3]};
#pragma omp parallel if (n >= (int64_t(1) << 16))
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t from = n * t / nt, to = n * (t + 1) / nt;
    if (from < to) body(from, to, xoshiroJump(start, uint64_t(from)));
  }
  XoshiroState end = xoshiroJump(start, uint64_t(n));
  std::memcpy(state, end.data(), sizeof(end));
}

uint32_t* xoshiroStateArgument(napi_env env, napi_value v, const char* what) {
  size_t length;
  uint32_t* state = typed<uint32_t>(env, v, &length);
  if (length != 4) throw JsError(std::string("micflow_native: ") + what + ": the xoshiro128** state has 4 words");
  return state;
}

// keepMask(state, out, threshold, keepValue): out[i] = (draw_i < threshold ? 0 : keepValue) for the next out.length
// 32-bit draws of xoshiro128** from `state` (a Uint32Array of 4, advanced in place). The same draws in the same order
// as SeededRandom.fillUint32, so a mask does not depend on which side computed it, nor on the thread count.
napi_value KeepMaskJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 4);
    uint32_t* state = xoshiroStateArgument(env, a[0], "keepMask");
    size_t n;
    float* out = typed<float>(env, a[1], &n);
    double threshold = number(env, a[2]);
    float keep = float(number(env, a[3]));
    xoshiroRanges(state, int64_t(n), [&](int64_t from, int64_t to, XoshiroState s) {
      uint32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
      for (int64_t i = from; i < to; i++) out[i] = double(xoshiroStep(s0, s1, s2, s3)) < threshold ? 0.f : keep;
    });
  });
}

// dropoutForward(state, x, threshold, keepValue, y, kept): the keep mask of keepMask's draws applied in the same pass,
// y[i] = x[i] · (draw_i < threshold ? 0 : keepValue) — the float32 product tf.mul(x, mask) makes, bit for bit — and
// kept[i] = 1 where the value was kept (a byte per element for the gradient, a quarter of a float mask's traffic).
napi_value DropoutForwardJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 6);
    uint32_t* state = xoshiroStateArgument(env, a[0], "dropoutForward");
    size_t n, ny, nk;
    const float* x = typed<float>(env, a[1], &n);
    double threshold = number(env, a[2]);
    float keep = float(number(env, a[3]));
    float* y = typed<float>(env, a[4], &ny);
    uint8_t* kept = typed<uint8_t>(env, a[5], &nk);
    if (ny != n || nk != n) throw JsError("micflow_native: dropoutForward: x, y and the mask need one length");
    xoshiroRanges(state, int64_t(n), [&](int64_t from, int64_t to, XoshiroState s) {
      uint32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
      for (int64_t i = from; i < to; i++) {
        bool k = !(double(xoshiroStep(s0, s1, s2, s3)) < threshold);
        kept[i] = k;
        y[i] = x[i] * (k ? keep : 0.f);
      }
    });
  });
}

// maskedScale(dy, kept, keepValue, dx): dx[i] = dy[i] · (kept[i] ? keepValue : 0), dropout's gradient.
napi_value MaskedScaleJs(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 4);
    size_t n, nk, nx;
    const float* dy = typed<float>(env, a[0], &n);
    const uint8_t* kept = typed<uint8_t>(env, a[1], &nk);
    float keep = float(number(env, a[2]));
    float* dx = typed<float>(env, a[3], &nx);
    if (nk != n || nx != n) throw JsError("micflow_native: maskedScale: dy, the mask and dx need one length");
    int64_t total = int64_t(n);
#pragma omp parallel for schedule(static) if (total > 65536)
    for (int64_t i = 0; i < total; i++) dx[i] = dy[i] * (kept[i] ? keep : 0.f);
  });
}

// The version of this file's JavaScript interface, checked by src/runtime/native/native-addon.ts (NATIVE_ADDON_INTERFACE)
// so that an addon built from an older source is refused instead of called with arguments it ignores. Bump it with
// every change of a function's arguments.
constexpr int32_t kInterfaceVersion = 9;

napi_value InterfaceVersionJs(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, kInterfaceVersion, &v);
  return v;
}

napi_value VersionJs(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"convForward", nullptr, ConvForwardJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackwardData", nullptr, ConvBackwardDataJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackwardWeights", nullptr, ConvBackwardWeightsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolForward", nullptr, PoolForwardJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolBackward", nullptr, PoolBackwardJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMulJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, BinaryJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, UnaryJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, SelectJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, ReduceJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, GatherJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatter", nullptr, ScatterJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fill", nullptr, FillJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelMoments", nullptr, ChannelMomentsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelAffine", nullptr, ChannelAffineJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackwardJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdateJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"axisMap", nullptr, AxisMapJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreadsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, ThreadsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"onednnVersion", nullptr, VersionJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumOfSquares", nullptr, SumOfSquaresJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"smallestCountMask", nullptr, SmallestCountMaskJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"keepMask", nullptr, KeepMaskJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropoutForward", nullptr, DropoutForwardJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedScale", nullptr, MaskedScaleJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"argMaxRows", nullptr, ArgMaxRowsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"foldConvBatchNorm", nullptr, FoldConvBatchNormJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"interfaceVersion", nullptr, InterfaceVersionJs, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
