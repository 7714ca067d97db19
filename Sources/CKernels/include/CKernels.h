// SwiftVision's own CPU kernels: GEMM and convolution micro-kernels for AVX-512F, AVX2+FMA and a
// portable C path, chosen at run time (no global -m flags: each ISA's code is compiled with
// per-function target attributes, see the files' headers). Every entry point takes the ISA as an
// argument so that tests can run every path the machine has in one process; Swift picks the
// default once (Tensors/Kernels/KernelISA.swift). All functions are single-threaded: callers split
// the work (rows or columns of C) across their own threads.
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>

/// Instruction-set paths.
enum { VK_ISA_PORTABLE = 0, VK_ISA_AVX2 = 1, VK_ISA_AVX512 = 2 };

/// Whether this CPU and OS can run `isa` (cpuid feature bits and the OS's XCR0 state bits).
int vk_isa_supported(int isa);

/// Writes the CPU's brand string (cpuid 0x80000002..4, or /proc/cpuinfo's first "model name" /
/// "Processor" elsewhere) into `buffer`, NUL-terminated; "unknown CPU" if none.
void vk_cpu_name(char *buffer, size_t size);

/// Runs `iterations` rounds of independent FMA chains on `isa`'s widest vectors (24 chains of
/// 16 floats on AVX-512, 12 of 8 on AVX2, 8 of 4 portable) and returns the flops performed (2 per
/// multiply-add lane). Timing it gives the FMA peak of one thread.
double vk_fma_peak_loop(int isa, long iterations);

/// Rows (MR) and columns (NR) of `isa`'s GEMM register tile.
int vk_gemm_mr(int isa);
int vk_gemm_nr(int isa);

/// Activations an epilogue can apply.
enum { VK_ACT_NONE = 0, VK_ACT_RELU = 1 };

/// What happens to a tile of C when it is stored for the last time: C = act(C + bias[row] + R).
typedef struct {
    const float *bias;     ///< one per row of C (GEMM) or per output channel (conv), or NULL
    const float *residual; ///< added elementwise (same indexing as C: leading dimension `ldr` for GEMM,
                           ///< the output tensor's layout for conv), or NULL
    long ldr;              ///< leading dimension of `residual` (GEMM only)
    int activation;        ///< VK_ACT_*
} vk_epilogue;

/// C (m×n) = alpha·op(A)·op(B) + beta·C, then the epilogue (if not NULL), on row-major buffers;
/// op(A) is m×k (A is k×m when `trans_a`), op(B) is k×n (B is n×k when `trans_b`). One thread.
void vk_sgemm(int isa, int trans_a, int trans_b, long m, long n, long k, float alpha,
              const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc,
              const vk_epilogue *epilogue);

/// Floats a packed conv weight of m rows × k takes: m rounded up to MR, times k.
size_t vk_packed_a_floats(int isa, long m, long k);

/// Packs a conv weight (m = Cout/g rows × k = Cin/g·kh·kw, row-major with leading dimension lda)
/// into the layout vk_conv2d_forward reads: K blocks of the conv's block length kc, each holding
/// every MR-row panel of its kc columns (kc groups of MR floats, rows past m zero), so the panels
/// one K block uses are contiguous.
void vk_pack_conv_weights(int isa, long m, long k, const float *a, long lda, float *packed);

/// The part of vk_pack_conv_weights (or, with `flipped`, of vk_pack_conv_weights_flipped, where m =
/// cin, k = cout·kh·kw and `a` is w) for rows [row0, row1), row0 a multiple of MR: threads pack
/// disjoint row ranges. `kh`, `kw` describe w's taps in the flipped form; otherwise they are ignored.
void vk_pack_conv_weight_rows(int isa, int flipped, long m, long k, const float *a, long lda, long kh, long kw,
                              float *packed, long row0, long row1);

/// Packs, as vk_pack_conv_weights does, the input-gradient weight of a stride-1 conv without
/// building it: the matrix W' (Cin rows × Cout·kh·kw) with W'[ci][(co·kh + i)·kw + j] =
/// w[co][ci][kh−1−i][kw−1−j], i.e. the weight transposed and its taps reversed (one group).
void vk_pack_conv_weights_flipped(int isa, long cout, long cin, long kh, long kw, const float *w, float *packed);

/// The inverse of vk_pack_conv_weights: writes the m×k matrix (leading dimension lda).
void vk_unpack_conv_weights(int isa, long m, long k, const float *packed, float *a, long lda);

/// A conv2d's shapes (NCHW input, Cout × Cin/groups × kh × kw weight).
typedef struct {
    long batch, in_channels, height, width;
    long out_channels, kernel_h, kernel_w;
    long stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups;
    long out_h, out_w;
} vk_conv_geometry;

/// Implicit-GEMM conv2d forward, one thread: output channels [m0, m1) of group `group` (m0 a
/// multiple of MR, channels counted inside the group) for output columns [col0, col1) of the
/// flattened (image, output pixel) index, i.e. y[n][group·Cout/g + m][p] for column n·OH·OW + p.
/// The im2col gather happens while packing each K × NR panel of B (no column buffer);
/// `packed_w` is `vk_pack_conv_weights` of the group's weights (Cout/g × Cin/g·kh·kw). The epilogue (bias,
/// residual with y's layout, activation) is applied as each tile is stored for the last time.
void vk_conv2d_forward(int isa, const vk_conv_geometry *g, long group, const float *x, const float *packed_w,
                       long m0, long m1, long col0, long col1, float *y, const vk_epilogue *epilogue);

/// Implicit-GEMM conv2d weight gradient, one thread: dw[m][k] += Σ over every output column l of
/// dy[m][l] · col[k][l] for output channels [m0, m1) of group `group` (m0 a multiple of MR, counted
/// inside the group) and taps [k0, k1) (k0 a multiple of NR) of K = Cin/g·kh·kw, where col is the
/// conv's im2col matrix of `x` (never built: gathered and transposed into B panels). `dw` is the
/// group's Cout/g × K block (row stride K); `dy` has the conv's output layout (N × Cout × OH × OW).
void vk_conv2d_weight_grad(int isa, const vk_conv_geometry *g, long group, const float *x, const float *dy,
                           float *dw, long m0, long m1, long k0, long k1);

/// 2×2 / stride 2 max pooling (no padding) of one plane: x is H × W, y and `indices` (may be NULL)
/// OH × OW with OH ≤ H/2, OW ≤ W/2. Each index is the flat input position PyTorch's row-major scan
/// picks (strict '>', the first NaN wins).
void vk_max_pool2x2(int isa, const float *x, float *y, int *indices, long H, long W, long OH, long OW);

/// Floats of a Winograd F(4×4, 3×3) weight for `isa`: 36 matrices U[ξ] = (G g Gᵀ)[ξ] (Cout × Cin),
/// each packed as vk_pack_conv_weights packs a Cout × Cin weight.
size_t vk_winograd_weight_floats(int isa, long cout, long cin);

/// Transforms and packs output channels [co0, co1) (co0 a multiple of MR; co1 = cout packs the
/// zero rows of the last panel too) of a 3×3 conv weight w (Cout × Cin × 3 × 3, one group) into
/// `packed` (vk_winograd_weight_floats): threads pack disjoint channel ranges.
void vk_winograd_pack_weights(int isa, long cout, long cin, const float *w, float *packed, long co0, long co1);

/// vk_winograd_pack_weights for the input gradient of a stride-1 3×3 conv with weight w (here
/// cin × cout × 3 × 3: `cout`, `cin` are the gradient conv's): the weight transposed, taps reversed.
void vk_winograd_pack_weights_flipped(int isa, long cout, long cin, const float *w, float *packed, long co0, long co1);

/// Winograd F(4×4, 3×3) conv2d forward, one thread, for 3×3, stride 1, undilated, ungrouped convs
/// (padding ≤ 2): output channels [m0, m1) (m0 a multiple of MR) of the tiles [tile0, tile1)
/// (tile0 a multiple of NR) of the flattened (image, tile row, tile column) index, tiles being
/// 4×4 outputs (ceil(OH/4) × ceil(OW/4) per image). `u` is vk_winograd_pack_weights' output;
/// the epilogue (bias, residual with y's layout, activation) is applied as y is written.
void vk_winograd_forward(int isa, const vk_conv_geometry *g, const float *x, const float *u, long m0, long m1,
                         long tile0, long tile1, float *y, const vk_epilogue *epilogue);

/// Output channels per panel of the direct conv for `isa` (64 on AVX-512, 16 on AVX2 and portable).
int vk_direct_channels(int isa);

/// Output pixels per tile of the direct conv for `isa` (6 on AVX-512 and AVX2, 2 portable).
int vk_direct_pixels(int isa);

/// Floats of a conv weight with `cout` output channels and k = Cin·kh·kw (one group) packed for
/// the direct conv: ceil(cout / channels) panels of k × channels floats (zero past cout).
size_t vk_direct_weight_floats(int isa, long cout, long k);

/// Packs output channels [co0, co1) (co0 a multiple of vk_direct_channels; co1 = cout packs the
/// zero rows of the last panel too) of w (cout × k, row-major) into `packed`
/// (vk_direct_weight_floats): packed[(panel·k + kk)·channels + i] = w[(panel·channels + i)·k + kk].
void vk_direct_pack_weights(int isa, long cout, long k, const float *w, float *packed, long co0, long co1);

/// vk_direct_pack_weights for the input gradient of a stride-1 conv with weight w (cout × cin ×
/// kh × kw, one group): packs input channels [ci0, ci1) (ci0 a multiple of vk_direct_channels;
/// ci1 = cin packs the last panel's zero rows too) of its transpose with the taps reversed, the
/// weight of the conv of dy (cin outputs, k = cout·kh·kw).
void vk_direct_pack_weights_flipped(int isa, long cout, long cin, long kh, long kw, const float *w, float *packed,
                                    long ci0, long ci1);

/// vk_direct_pack_weights in place, for cout a multiple of vk_direct_channels (the packed weight
/// is then exactly as large as w): rewrites panels [panel0, panel1) of w (cout × k, row-major)
/// into their packed layout, each through a temporary copy of one panel. Returns 0, or −1 (w
/// untouched) when cout is not such a multiple or the temporary cannot be allocated.
int vk_direct_pack_weights_in_place(int isa, long cout, long k, float *w, long panel0, long panel1);

/// The inverse of vk_direct_pack_weights: writes w (cout × k, row-major).
void vk_direct_unpack_weights(int isa, long cout, long k, const float *packed, float *w);

/// Depthwise conv2d forward (groups = Cin, Cout a multiple of Cin), one thread: output planes
/// [plane0, plane1) of the batch·Cout planes of y; w is Cout × kh × kw; the epilogue (bias,
/// residual with y's layout, activation) is applied as y is written.
void vk_conv2d_depthwise(int isa, const vk_conv_geometry *g, const float *x, const float *w, float *y,
                         const vk_epilogue *epilogue, long plane0, long plane1);

/// Depthwise conv2d weight gradient (groups = Cin = Cout), one thread, channels [c0, c1):
/// dw[c][tap] += Σ over the batch of dy[n][c] times the input the tap read, db[c] += Σ dy[n][c]
/// (db may be NULL); dw is C × kh × kw.
void vk_conv2d_depthwise_weight_grad(int isa, const vk_conv_geometry *g, const float *x, const float *dy, float *dw,
                                     float *db, long c0, long c1);

/// Copies planes [plane0, plane1) of x (batch·Cin planes of H × W) into xp, each plane
/// (H + 2·pad_h) × (W + 2·pad_w) with zeros around it: the direct conv's input.
void vk_direct_pad_input(const vk_conv_geometry *g, const float *x, float *xp, long plane0, long plane1);

/// Direct conv2d forward, one thread, for an ungrouped conv: output channels [co0, co1) (co0 a
/// multiple of vk_direct_channels) of the flattened (image, output pixel) columns [col0, col1).
/// `xp` is the input padded by vk_direct_pad_input (planes of hp × wp), or x itself when the conv
/// has no padding (hp = H, wp = W); every plane offset Cin·hp·wp must fit in 31 bits. `packed` is
/// vk_direct_pack_weights' output; the epilogue (bias, residual with y's layout, activation) is
/// applied as y is written.
void vk_conv2d_direct(int isa, const vk_conv_geometry *g, const float *xp, long hp, long wp, const float *packed,
                      long co0, long co1, long col0, long col1, float *y, const vk_epilogue *epilogue);

/// Packs output channels [co0, co1) (co0 a multiple of vk_direct_channels; co1 = cout packs the
/// last panel's zero rows too) of dy (batch × cout × P) as the direct weight gradient reads it:
/// panels of channels, each (batch·P) × channels floats (vk_direct_weight_floats(isa, cout, batch·P)).
void vk_direct_pack_dy(int isa, long batch, long cout, long P, const float *dy, float *packed, long co0, long co1);

/// Direct conv2d weight gradient, one thread, for an ungrouped conv: dw[co][k] += Σ over the
/// batch's output pixels p of dy[co][p] · x[p's window at tap k], for channels [co0, co1) (co0 a
/// multiple of vk_direct_channels) × taps [k0, k1) of K = Cin·kh·kw. `xp` is the padded input as
/// vk_conv2d_direct takes it (every offset batch·Cin·hp·wp must fit in 31 bits); `dy_panels` is
/// vk_direct_pack_dy's output; dw is Cout × K, row-major.
void vk_conv2d_direct_weight_grad(int isa, const vk_conv_geometry *g, const float *xp, long hp, long wp,
                                  const float *dy_panels, long co0, long co1, long k0, long k1, float *dw);

/// The activations vk_activation_forward / vk_activation_gradient compute.
enum { VK_ACTIVATION_SILU = 0, VK_ACTIVATION_SIGMOID = 1, VK_ACTIVATION_GELU = 2 };

/// y[i] = f(x[i]) for i < n, f one of VK_ACTIVATION_* (GELU: the exact, erf form), on `isa`'s
/// vectors; y may be x. Relative error a few ulp against the exact function (see activation_impl.h).
void vk_activation_forward(int isa, int kind, const float *x, float *y, long n);

/// dx[i] = g[i] · f′(x[i]) for i < n (from the input x); dx may be g or x.
void vk_activation_gradient(int isa, int kind, const float *g, const float *x, float *dx, long n);

/// Floats of op(B) (k × n) packed by vk_pack_b for `isa`.
size_t vk_packed_b_floats(int isa, long k, long n);

/// Packs columns [col0, col1) (col0 a multiple of vk_gemm_nr; col1 = n packs the last panel's
/// zero columns too) of op(B) (k × n; B row-major with row stride ldb, transposed if trans_b) into
/// the layout vk_sgemm_packed_b reads: for each of gemm.c's K blocks, NR-column panels.
void vk_pack_b(int isa, int trans_b, long k, long n, const float *b, long ldb, float *packed, long col0, long col1);

/// C (m × n) = A (m × k, row-major, row stride lda) · columns [col0, col0 + n) of a B packed by
/// vk_pack_b (n_total columns in all; col0 a multiple of vk_gemm_nr) + beta · C, one thread: a
/// model's weight packed once rather than on every call (linear layers at inference).
void vk_sgemm_packed_b(int isa, long m, long n, long k, const float *a, long lda, const float *packed, long n_total,
                       long col0, float beta, float *c, long ldc);

/// Layer normalisation of `rows` contiguous rows of d floats: y = (x − μ)·rstd·γ + β per row (γ,
/// β of d floats, or NULL for 1 and 0), rstd = 1/√(var + eps) with the biased variance; writes
/// μ and rstd per row (for the backward). y may be x.
void vk_layer_norm_rows(int isa, const float *x, float *y, long rows, long d, const float *gamma, const float *beta,
                        float eps, float *mean, float *rstd);

#endif
