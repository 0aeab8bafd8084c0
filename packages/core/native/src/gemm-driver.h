/*
 * The GEMM driver, written once and instantiated for float and double by gemm.c (T, SUF).
 * BLIS loop order: jc (NC columns) → pc (KC deep) → pack B → ic (MC rows) → pack A →
 * jr (NR) → ir (MR) → micro-kernel. The packed B block stays in L2/L3 and is reused by every
 * row block; one packed NR-wide B panel stays in L1 while the MR-row A panels stream past it.
 *
 * Before blocking, the driver may solve Cᵀ = op(B)ᵀ·op(A)ᵀ instead (a stride swap, no copy)
 * when that wastes less of the mr×NR tiles on padding: the forward product with 10 or 50 output
 * units pads n to 16 otherwise. The panel height mr (as the kernels allow: 4 to 6 rows
 * for AVX2, 8 to 16 for AVX-512) is picked per
 * call by padding weighted with kernel speed (pick_mr_). The epilogue (bias + activation, or the activation derivative)
 * runs on each finished MC×NC block while it is still in cache, in the caller's coordinates.
 * Every choice depends only on the shapes, so the same inputs always give the same bits; the
 * blocking (MC, KC, NC) does not even do that: the kernels accumulate each element of C in k
 * order starting from its value, so cutting k into panels leaves the chain of roundings as is.
 */
#define GS_CAT_(a, b) a##b
#define GS_CAT(a, b) GS_CAT_(a, b)
#define GS_F(name) GS_CAT(name, SUF)
#define GS_ISA GS_CAT(gs_isa_, SUF)
#define GS_EPI GS_CAT(gs_epilogue_, SUF)

static ptrdiff_t GS_F(ceil_div_)(ptrdiff_t a, ptrdiff_t b) { return (a + b - 1) / b; }

/* Splits `total` into equal blocks of at most `max`, each a multiple of `unit`. */
static ptrdiff_t GS_F(block_)(ptrdiff_t total, ptrdiff_t max, ptrdiff_t unit) {
  ptrdiff_t parts = GS_F(ceil_div_)(total, max);
  ptrdiff_t size = GS_F(ceil_div_)(total, parts);
  return GS_F(ceil_div_)(size, unit) * unit;
}

void GS_F(gs_pack_a_generic_)(ptrdiff_t kc, ptrdiff_t rows, int mr, const T* a, ptrdiff_t rs, ptrdiff_t cs, T* dst) {
  for (ptrdiff_t p = 0; p < kc; p++) {
    ptrdiff_t r = 0;
    for (; r < rows; r++) dst[p * mr + r] = a[r * rs + p * cs];
    for (; r < mr; r++) dst[p * mr + r] = 0;
  }
}

/*
 * The panel height (of those the kernels offer) with the least work for m rows: padded rows
 * weighted by how much slower the shorter tiles run (fewer accumulators hide less FMA latency:
 * 5 rows ran at 0.94 and 4 rows at 0.90 of the 6-row speed here). 50 rows take 10 panels of 5
 * rather than 9 of 6; 1024 rows stay at 6 (1026 padded) rather than 256 panels of 4.
 */
static int GS_F(pick_mr_)(unsigned mask, const int* table, ptrdiff_t m, ptrdiff_t* cost) {
  static const int cost_6[GS_MR + 1] = {0, 200, 160, 125, 111, 106, 100};
  const int* cost_per_row = table != NULL ? table : cost_6;
  int best = 0;
  for (int mr = GS_MR_MAX; mr >= 1; mr--) {
    if (!(mask & (1u << mr))) continue;
    const ptrdiff_t c = GS_F(ceil_div_)(m, mr) * mr * cost_per_row[mr];
    if (best == 0 || c < *cost) best = mr, *cost = c;
  }
  return best;
}

void GS_F(gs_pack_b_generic_)(ptrdiff_t kc, ptrdiff_t nr, const T* b, ptrdiff_t rs, ptrdiff_t cs, T* dst) {
  for (ptrdiff_t p = 0; p < kc; p++) {
    ptrdiff_t j = 0;
    for (; j < nr; j++) dst[p * GS_NR + j] = b[p * rs + j * cs];
    for (; j < GS_NR; j++) dst[p * GS_NR + j] = 0;
  }
}

/* Applies the epilogue to rows [i0, i0+ni) × columns [j0, j0+nj) of C (row-major, ldc). */
static void GS_F(epilogue_)(const GS_ISA* isa, const GS_EPI* ep, T* c, ptrdiff_t ldc, ptrdiff_t i0, ptrdiff_t ni, ptrdiff_t j0, ptrdiff_t nj) {
  for (ptrdiff_t i = i0; i < i0 + ni; i++) {
    T* row = c + i * ldc + j0;
    if (ep->kind == GS_EPI_BIAS_ACT) {
      isa->act_row(ep->act, row, ep->out + i * ep->ldo + j0, nj, ep->bias ? ep->bias + j0 : NULL);
    } else {
      isa->prime_row(ep->act, row, ep->z + i * ep->ldp + j0, ep->a + i * ep->ldp + j0, nj);
    }
  }
}

int GS_F(gs_gemm_)(const GS_ISA* isa, gs_scratch* s, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T* a, ptrdiff_t rsa, ptrdiff_t csa, const T* b,
                   ptrdiff_t rsb, ptrdiff_t csb, T* c, ptrdiff_t rsc, ptrdiff_t csc, int accumulate, const GS_EPI* ep) {
  if (m <= 0 || n <= 0) return 0;
  /* Shallow products go to the kernels that run them faster (same bits; their own compiled-in
   * blocking, which at such k hardly matters). */
  if (isa->narrow != NULL && k < isa->narrow_below_k) isa = isa->narrow;
  /* The caller's C is row-major (csc == 1); remember it for the epilogue before any swap. */
  T* const c0 = c;
  const ptrdiff_t ldc0 = rsc;
  const int epi = ep != NULL && ep->kind != GS_EPI_NONE;
  if (k <= 0) {
    if (!accumulate)
      for (ptrdiff_t i = 0; i < m; i++)
        for (ptrdiff_t j = 0; j < n; j++) c[i * rsc + j * csc] = 0;
    if (epi) GS_F(epilogue_)(isa, ep, c0, ldc0, 0, m, 0, n);
    return 0;
  }
  /* Work of each orientation: weighted padded rows (pick_mr_) × columns padded to NR. */
  ptrdiff_t rows_m = 0, rows_n = 0;
  const int mr_m = GS_F(pick_mr_)(isa->mr_mask, isa->row_cost, m, &rows_m);
  const int mr_n = GS_F(pick_mr_)(isa->mr_mask, isa->row_cost, n, &rows_n);
  const ptrdiff_t normal = rows_m * (GS_F(ceil_div_)(n, GS_NR) * GS_NR);
  const ptrdiff_t swapped = rows_n * (GS_F(ceil_div_)(m, GS_NR) * GS_NR);
#ifdef GS_NOSWAP
  const int swap = 0;
#else
  const int swap = swapped * 10 < normal * 9;
#endif
  const int mr = swap ? mr_n : mr_m;
  if (swap) {
    const T* t = a;
    a = b;
    b = t;
    ptrdiff_t x = m;
    m = n;
    n = x;
    ptrdiff_t ra = csb, ca = rsb, rb = csa, cb = rsa;
    rsa = ra, csa = ca, rsb = rb, csb = cb;
    x = rsc;
    rsc = csc;
    csc = x;
  }
  const ptrdiff_t kcb = GS_F(block_)(k, isa->kc > 0 ? isa->kc : GS_KC, 8);
  const ptrdiff_t mcb = GS_F(block_)(m, isa->mc > 0 ? isa->mc : GS_MC, mr);
  const ptrdiff_t ncb = GS_F(block_)(n, isa->nc > 0 ? isa->nc : GS_NC, GS_NR);
  /* +16 elements of slack: vector packers may store a few lanes past a panel's end. */
  const size_t a_elems = (size_t)(mcb * kcb + 16), b_elems = (size_t)((ncb + GS_NR) * kcb + 16);
  const size_t a_bytes = (a_elems * sizeof(T) + 63) & ~(size_t)63;
  char* buf = (char*)gs_scratch_get(s, a_bytes + b_elems * sizeof(T));
  if (buf == NULL) return -1;
  T* ap = (T*)buf;
  T* bp = (T*)(buf + a_bytes);
  _Alignas(64) T tile[GS_MR_MAX * GS_NR];

  /* A row-major C whose rows all start at the same offset within a 64-byte line gets a narrow
   * first panel of `lead` columns, so that every full tile's rows are whole lines: a store-bound
   * product (k = 10) ran at 0.6 of its speed on C 16 bytes off a line (a Node typed array's
   * usual place), every row of a tile split over two lines. Panels only group elements; each is
   * still its own chain of FMAs, so the bits do not depend on where C lies. Panel jr's packed
   * columns start at bp + (jr + shift)·kc (the lead panel at bp). */
  const ptrdiff_t line = 64 / (ptrdiff_t)sizeof(T);
  const ptrdiff_t off = (ptrdiff_t)(((uintptr_t)c % 64) / sizeof(T));
  const int aligned_rows = csc == 1 && (rsc % line) == 0 && ((uintptr_t)c % sizeof(T)) == 0;
  const ptrdiff_t lead0 = aligned_rows && off != 0 && GS_NR % line == 0 ? line - off : 0;
  for (ptrdiff_t jc = 0; jc < n; jc += ncb) {
    const ptrdiff_t nc = n - jc < ncb ? n - jc : ncb;
    const ptrdiff_t lead = lead0 < nc ? lead0 : 0;
    const ptrdiff_t shift = lead > 0 ? GS_NR - lead : 0;
#define GS_PANEL_W(jr) ((jr) == 0 && lead > 0 ? lead : (nc - (jr) < GS_NR ? nc - (jr) : GS_NR))
#define GS_PANEL_AT(jr) (bp + ((jr) == 0 ? 0 : (jr) + shift) * kc)
    for (ptrdiff_t pc = 0; pc < k; pc += kcb) {
      const ptrdiff_t kc = k - pc < kcb ? k - pc : kcb;
      const int acc = accumulate || pc > 0;
      const int last = pc + kc >= k;
      /* Rows of B contiguous with a stride of a multiple of 1 KiB (n = 256, 1024, 2048): a panel's
       * kc rows then fall in a few cache sets and on a new page each (no prefetch across pages),
       * so the full panels are packed row by row, each source row read once in order (2-3% on
       * the 1024-wide products, bench-kernels). Other strides keep panel by panel (the 784-wide
       * rows of a small ∂W ran 3% slower row by row). */
      ptrdiff_t row_end = 0; /* full panels [lead, row_end) packed row by row */
      if (csb == 1 && (rsb * (ptrdiff_t)sizeof(T)) % 1024 == 0) {
        row_end = lead + (nc - lead) / GS_NR * GS_NR;
        for (ptrdiff_t p = 0; p < kc; p++) {
          const T* src = b + (pc + p) * rsb + jc;
          for (ptrdiff_t jr = lead; jr < row_end; jr += GS_NR) memcpy(GS_PANEL_AT(jr) + p * GS_NR, src + jr, GS_NR * sizeof(T));
        }
      }
      for (ptrdiff_t jr = 0; jr < nc; jr += GS_PANEL_W(jr)) {
        const ptrdiff_t nr = GS_PANEL_W(jr);
        if (jr >= lead && jr < row_end) continue;
        const T* src = b + pc * rsb + (jc + jr) * csb;
        if (nr == GS_NR) isa->pack_b(kc, src, rsb, csb, GS_PANEL_AT(jr));
        else GS_F(gs_pack_b_generic_)(kc, nr, src, rsb, csb, GS_PANEL_AT(jr));
      }
      for (ptrdiff_t ic = 0; ic < m; ic += mcb) {
        const ptrdiff_t mc = m - ic < mcb ? m - ic : mcb;
        for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
          const ptrdiff_t rows = mc - ir < mr ? mc - ir : mr;
          const T* src = a + (ic + ir) * rsa + pc * csa;
          if (rows == mr) isa->pack_a(kc, mr, src, rsa, csa, ap + ir * kc);
          else GS_F(gs_pack_a_generic_)(kc, rows, mr, src, rsa, csa, ap + ir * kc);
        }
        for (ptrdiff_t jr = 0; jr < nc; jr += GS_PANEL_W(jr)) {
          const ptrdiff_t nr = GS_PANEL_W(jr);
          const T* const bpanel = GS_PANEL_AT(jr);
          for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
            const ptrdiff_t rows = mc - ir < mr ? mc - ir : mr;
            T* cp = c + (ic + ir) * rsc + (jc + jr) * csc;
            /* The next tile's rows of C (row-major C only) start towards L2 while this one runs:
             * its first FMAs wait on them, and they come from L3 when C exceeds L2 (1-2% on the
             * large products, bench-kernels). */
            if (csc == 1) {
              const int down = ir + mr < mc;
              if (down || jr + nr < nc) {
                const T* next = down ? cp + mr * rsc : c + ic * rsc + jc + jr + nr;
                const ptrdiff_t left = down ? mc - ir - mr : mc;
                for (ptrdiff_t q = 0; q < (left < mr ? left : mr); q++) GS_PREFETCH_L2(next + q * rsc);
              }
            }
            if (rows == mr && nr == GS_NR && csc == 1) {
              isa->kernel(mr, kc, ap + ir * kc, bpanel, cp, rsc, acc);
            } else if (rows == mr && nr == GS_NR && rsc == 1 && isa->kernel_t != NULL) {
              isa->kernel_t(mr, kc, ap + ir * kc, bpanel, cp, csc, acc);
            } else {
              /* Edge or transposed tile: accumulate into a local copy of what exists (the
               * same k-order chain as a full tile), then store the part that exists. */
              if (acc) {
                memset(tile, 0, sizeof tile);
                for (ptrdiff_t i = 0; i < rows; i++)
                  for (ptrdiff_t j = 0; j < nr; j++) tile[i * GS_NR + j] = cp[i * rsc + j * csc];
              }
              isa->kernel(mr, kc, ap + ir * kc, bpanel, tile, GS_NR, acc);
              for (ptrdiff_t i = 0; i < rows; i++)
                for (ptrdiff_t j = 0; j < nr; j++) cp[i * rsc + j * csc] = tile[i * GS_NR + j];
            }
          }
        }
        if (last && epi) {
          if (swap) GS_F(epilogue_)(isa, ep, c0, ldc0, jc, nc, ic, mc);
          else GS_F(epilogue_)(isa, ep, c0, ldc0, ic, mc, jc, nc);
        }
      }
    }
  }
  return 0;
}
#undef GS_PANEL_W
#undef GS_PANEL_AT

void GS_F(gs_column_sums_)(const T* mat, ptrdiff_t rows, ptrdiff_t cols, T* out, ptrdiff_t stride, int accumulate, T* tmp) {
  for (ptrdiff_t j = 0; j < cols; j++) tmp[j] = 0;
  for (ptrdiff_t r = 0; r < rows; r++) {
    const T* row = mat + r * cols;
    for (ptrdiff_t j = 0; j < cols; j++) tmp[j] += row[j];
  }
  for (ptrdiff_t j = 0; j < cols; j++) out[j * stride] = accumulate ? out[j * stride] + tmp[j] : tmp[j];
}

#undef GS_F
#undef GS_ISA
#undef GS_EPI
