/**
 * The WebAssembly SIMD backend (`wasm-simd`): the native addon's C driver, packing and fused
 * passes compiled to WebAssembly with a 6×8 SIMD128 micro-kernel (native/src/wasm.c, built into
 * wasm/gradswarm_kernels.wasm by scripts/build-wasm.mjs and committed, so it runs on machines
 * without a compiler, and in browsers). A WebAssembly module cannot read JS arrays, so every call
 * copies its operands into the module's memory (one arena, grown when needed, reused) and its
 * results back; calls below `minWork` multiply-adds go to the reference backend. One instance
 * per thread; float32 runs the SIMD kernel, float64 the portable C one. The module comes as bytes:
 * given (`options.bytes`, what a browser fetched), or under Node the committed file (`#platform`).
 */
import { platform } from '#platform';
import { composedDenseBackward, composedDenseForward } from '../dense-layer.js';
import type { KernelBackend } from '../kernel-backend.js';
import { outputLoss } from '../losses.js';
import type { FloatArray } from '../types.js';
import { ACTIVATION_CODE, lossCode } from './codes.js';
import { referenceBackend } from './reference.js';

/** The part of the WebAssembly API used here (core compiles without the DOM lib that types it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface WasmExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  _initialize(): void;
  gs_alloc(bytes: number): number;
  gs_free(ptr: number): void;
  gs_gemm(
    f64: number,
    tA: number,
    tB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    acc: number,
  ): number;
  gs_bias_activation(f64: number, z: number, a: number, rows: number, cols: number, bias: number, act: number): void;
  gs_mul_activation_prime(f64: number, act: number, d: number, z: number, a: number, n: number): void;
  gs_column_sums(f64: number, m: number, rows: number, cols: number, out: number): void;
  gs_dense_forward(
    f64: number,
    rows: number,
    nIn: number,
    nOut: number,
    x: number,
    w: number,
    bias: number,
    z: number,
    out: number,
    act: number,
  ): number;
  gs_dense_backward(
    f64: number,
    rows: number,
    nIn: number,
    nOut: number,
    delta: number,
    x: number,
    zIn: number,
    w: number,
    g: number,
    deltaIn: number,
    act: number,
    acc: number,
    tmp: number,
  ): number;
  gs_output_loss(
    f64: number,
    kind: number,
    z: number,
    a: number,
    delta: number,
    rows: number,
    k: number,
    labels: number,
  ): number;
}

/** Multiply-adds below which a call stays in TypeScript (the copies cost more than the work). */
export const WASM_MIN_WORK = 4096;

/** The compiled module, or why it did not compile. */
type Compiled = { readonly module: object; readonly error: '' } | { readonly module: null; readonly error: string };

/** Compiles `bytes` (read by `read`), never throwing. */
function compileBytes(read: () => Uint8Array): Compiled {
  try {
    const bytes = read();
    if (!wasmApi) return { module: null, error: 'this runtime has no WebAssembly' };
    if (!wasmApi.validate(bytes)) return { module: null, error: 'this runtime does not support WebAssembly SIMD' };
    return { module: new wasmApi.Module(bytes), error: '' };
  } catch (err) {
    return { module: null, error: (err as Error).message.split('\n')[0] };
  }
}

/** The platform's own module (the committed file under Node), compiled once per thread. */
let compiledDefault: Compiled | undefined;
let compileError = '';

function compile(): object | null {
  compiledDefault ??= compileBytes(() => platform.readWasmKernels());
  compileError = compiledDefault.error;
  return compiledDefault.module;
}

/** Why `wasm-simd` cannot be used here, or null if it can. */
export function wasmUnavailableReason(): string | null {
  return compile() ? null : `the WebAssembly kernels did not load (${compileError}) - help: use native or reference`;
}

function need(
  array: FloatArray | Int32Array,
  name: string,
  offset: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  if (rows === 0 || cols === 0) return;
  if (ld < cols) throw new RangeError(`${name} leading dimension is smaller than its row length`);
  if (offset < 0 || offset + (rows - 1) * ld + cols > array.length)
    throw new RangeError(`${name} is too short for its shape and offset`);
}

/** Operands laid out one after another in one reusable block of module memory. */
class Arena {
  private base = 0;
  private capacity = 0;
  private at = 0;
  constructor(private readonly x: WasmExports) {}

  /** Starts a call needing at most `bytes` (each operand rounded up to 64 bytes). */
  begin(bytes: number): void {
    if (bytes > this.capacity) {
      if (this.base) this.x.gs_free(this.base);
      this.capacity = Math.ceil(bytes * 1.5);
      this.base = this.x.gs_alloc(this.capacity);
      if (!this.base) throw new RangeError('wasm-simd: out of memory');
    }
    this.at = this.base;
  }

  /** Space for `length` elements of `size` bytes; with `from`, copies from[offset … offset+length) in. */
  take(length: number, size: number, from?: FloatArray | Int32Array, offset = 0): number {
    const ptr = this.at;
    this.at += Math.ceil((length * size) / 64) * 64 + 64;
    if (from && length > 0) view(this.x, from).set(from.subarray(offset, offset + length), ptr / size);
    return ptr;
  }

  /** Copies `length` elements at ptr back to to[offset …). */
  give(ptr: number, length: number, to: FloatArray, offset = 0): void {
    if (length > 0)
      to.set(view(this.x, to).subarray(ptr / to.BYTES_PER_ELEMENT, ptr / to.BYTES_PER_ELEMENT + length), offset);
  }
}

/** A view of the whole module memory of the array's element type (memory may have grown). */
function view(x: WasmExports, like: FloatArray | Int32Array): Float32Array | Float64Array | Int32Array {
  if (like instanceof Float64Array) return new Float64Array(x.memory.buffer);
  if (like instanceof Int32Array) return new Int32Array(x.memory.buffer);
  return new Float32Array(x.memory.buffer);
}

function floatKind(...arrays: Array<FloatArray | null>): number {
  const is64 = arrays[0] instanceof Float64Array;
  for (const a of arrays) {
    if (a === null) continue;
    if (!(a instanceof Float32Array || a instanceof Float64Array))
      throw new TypeError('matrices must be Float32Array or Float64Array');
    if (a instanceof Float64Array !== is64)
      throw new TypeError('matrices of one call must all be Float32Array or all Float64Array');
  }
  return is64 ? 1 : 0;
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /** Calls with fewer multiply-adds than this use the reference backend [WASM_MIN_WORK]. */
  readonly minWork?: number;
  /** The module's bytes (wasm/gradswarm_kernels.wasm) [under Node: that file; elsewhere required]. */
  readonly bytes?: Uint8Array;
}

/**
 * The WebAssembly SIMD backend, or null where the module cannot load (`wasmUnavailableReason()`
 * says why for the platform's module; given bytes that do not compile also give null).
 */
export function createWasmBackend(options: WasmBackendOptions = {}): KernelBackend | null {
  const bytes = options.bytes;
  const module = bytes === undefined ? compile() : compileBytes(() => bytes).module;
  if (!module) return null;
  const x = new wasmApi!.Instance(module, {}).exports as WasmExports;
  x._initialize();
  const arena = new Arena(x);
  const minWork = options.minWork ?? WASM_MIN_WORK;
  const ref = referenceBackend;
  const backend: KernelBackend = {
    name: 'wasm-simd',
    gemm(tA, tB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate) {
      if (m * n * k < minWork || m === 0 || n === 0)
        return ref.gemm(tA, tB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      const f64 = floatKind(a, b, c);
      const [ar, ac, br, bc] = [tA ? k : m, tA ? m : k, tB ? n : k, tB ? k : n];
      need(a, 'a', aOff, ar, ac, lda);
      need(b, 'b', bOff, br, bc, ldb);
      need(c, 'c', cOff, m, n, ldc);
      const size = c.BYTES_PER_ELEMENT;
      const [aLen, bLen, cLen] = [(ar - 1) * lda + ac, (br - 1) * ldb + bc, (m - 1) * ldc + n];
      arena.begin((aLen + bLen + cLen) * size + 256);
      const pa = arena.take(aLen, size, a, aOff);
      const pb = arena.take(bLen, size, b, bOff);
      const pc = arena.take(cLen, size, c, cOff);
      if (x.gs_gemm(f64, +tA, +tB, m, n, k, pa, lda, pb, ldb, pc, ldc, +accumulate) !== 0)
        throw new RangeError('wasm-simd: out of memory');
      arena.give(pc, cLen, c, cOff);
    },
    biasActivation(z, a, rows, cols, bias, biasOff, biasStride, activation) {
      const n = rows * cols;
      if (n < minWork / 4) return ref.biasActivation(z, a, rows, cols, bias, biasOff, biasStride, activation);
      const f64 = floatKind(z, a, bias);
      need(z, 'z', 0, rows, cols, cols);
      need(a, 'a', 0, rows, cols, cols);
      need(bias, 'bias', biasOff, cols, 1, biasStride);
      const size = z.BYTES_PER_ELEMENT;
      arena.begin((2 * n + cols) * size + 256);
      const pz = arena.take(n, size, z);
      const pa = arena.take(n, size);
      const pb = arena.take(cols, size);
      const mem = view(x, z);
      for (let j = 0; j < cols; j++) mem[pb / size + j] = bias[biasOff + j * biasStride];
      x.gs_bias_activation(f64, pz, pa, rows, cols, pb, ACTIVATION_CODE[activation]);
      arena.give(pz, n, z);
      arena.give(pa, n, a);
    },
    mulActivationPrime(activation, delta, z, a, length) {
      if (length < minWork / 4) return ref.mulActivationPrime(activation, delta, z, a, length);
      const f64 = floatKind(delta, z, a);
      for (const [arr, name] of [
        [delta, 'delta'],
        [z, 'z'],
        [a, 'a'],
      ] as const)
        need(arr, name, 0, 1, length, length);
      const size = delta.BYTES_PER_ELEMENT;
      arena.begin(3 * length * size + 256);
      const [pd, pz, pa] = [arena.take(length, size, delta), arena.take(length, size, z), arena.take(length, size, a)];
      x.gs_mul_activation_prime(f64, ACTIVATION_CODE[activation], pd, pz, pa, length);
      arena.give(pd, length, delta);
    },
    addColumnSums(m, rows, cols, out, outOffset, outStride) {
      if (rows * cols < minWork / 4) return ref.addColumnSums(m, rows, cols, out, outOffset, outStride);
      const f64 = floatKind(m, out);
      need(m, 'm', 0, rows, cols, cols);
      need(out, 'out', outOffset, cols, 1, outStride);
      const size = m.BYTES_PER_ELEMENT;
      arena.begin((rows * cols + cols) * size + 256);
      const pm = arena.take(rows * cols, size, m);
      const po = arena.take(cols, size);
      x.gs_column_sums(f64, pm, rows, cols, po);
      const mem = view(x, m);
      for (let j = 0; j < cols; j++) out[outOffset + j * outStride] += mem[po / size + j];
    },
    gatherRows: ref.gatherRows,
    denseForward(rows, nIn, nOut, xs, params, offset, z, out, activation) {
      if (rows * nIn * nOut < minWork || rows === 0 || nOut === 0)
        return composedDenseForward(ref, rows, nIn, nOut, xs, params, offset, z, out, activation);
      const f64 = floatKind(xs, params, z, out);
      const ldw = nIn + 1;
      need(xs, 'x', 0, rows, nIn, nIn);
      need(params, 'params', offset, nOut, ldw, ldw);
      need(z, 'z', 0, rows, nOut, nOut);
      need(out, 'out', 0, rows, nOut, nOut);
      const size = z.BYTES_PER_ELEMENT;
      const [xLen, wLen, zLen] = [rows * nIn, nOut * ldw, rows * nOut];
      arena.begin((xLen + wLen + nOut + 2 * zLen) * size + 512);
      const px = arena.take(xLen, size, xs);
      const pw = arena.take(wLen, size, params, offset);
      const pb = arena.take(nOut, size);
      const mem = view(x, z);
      for (let j = 0; j < nOut; j++) mem[pb / size + j] = params[offset + j * ldw];
      const pz = arena.take(zLen, size);
      const po = out === z ? pz : arena.take(zLen, size);
      if (x.gs_dense_forward(f64, rows, nIn, nOut, px, pw, pb, pz, po, ACTIVATION_CODE[activation]) !== 0)
        throw new RangeError('wasm-simd: out of memory');
      arena.give(pz, zLen, z);
      if (out !== z) arena.give(po, zLen, out);
    },
    denseBackward(rows, nIn, nOut, delta, xs, zIn, params, offset, grad, deltaIn, activation, accumulate) {
      if (rows * nIn * nOut < minWork || nOut === 0)
        return composedDenseBackward(
          ref,
          rows,
          nIn,
          nOut,
          delta,
          xs,
          zIn,
          params,
          offset,
          grad,
          deltaIn,
          activation,
          accumulate,
        );
      if (deltaIn !== null && zIn === null) throw new TypeError('zIn must be given with deltaIn');
      const f64 = floatKind(delta, xs, zIn, params, grad, deltaIn);
      const ldw = nIn + 1;
      need(delta, 'delta', 0, rows, nOut, nOut);
      need(xs, 'x', 0, rows, nIn, nIn);
      need(params, 'params', offset, nOut, ldw, ldw);
      need(grad, 'grad', offset, nOut, ldw, ldw);
      if (deltaIn !== null && zIn !== null) {
        need(deltaIn, 'deltaIn', 0, rows, nIn, nIn);
        need(zIn, 'zIn', 0, rows, nIn, nIn);
      }
      const size = grad.BYTES_PER_ELEMENT;
      const [dLen, xLen, wLen] = [rows * nOut, rows * nIn, nOut * ldw];
      arena.begin((dLen + 3 * xLen + 2 * wLen + nOut) * size + 512);
      const pd = arena.take(dLen, size, delta);
      const px = arena.take(xLen, size, xs);
      const pw = deltaIn !== null ? arena.take(wLen, size, params, offset) : 0;
      const pzIn = deltaIn !== null && zIn !== null ? arena.take(xLen, size, zIn) : 0;
      const pg = arena.take(wLen, size, accumulate ? grad : undefined, offset);
      const pdIn = deltaIn !== null ? arena.take(xLen, size) : 0;
      const tmp = arena.take(nOut, size);
      if (
        x.gs_dense_backward(
          f64,
          rows,
          nIn,
          nOut,
          pd,
          px,
          pzIn,
          pw,
          pg,
          pdIn,
          ACTIVATION_CODE[activation],
          +accumulate,
          tmp,
        ) !== 0
      )
        throw new RangeError('wasm-simd: out of memory');
      arena.give(pg, wLen, grad, offset);
      if (deltaIn !== null) arena.give(pdIn, xLen, deltaIn);
    },
    outputLoss(output, loss, z, a, delta, rows, k, labels, rowIndex, rowIndexOffset) {
      const kind = lossCode(output, loss);
      if (kind < 0 || rows * k < minWork / 16)
        return outputLoss(output, loss, z, a, delta, rows, k, labels, rowIndex, rowIndexOffset);
      const f64 = floatKind(z, a, delta);
      need(z, 'z', 0, rows, k, k);
      need(a, 'a', 0, rows, k, k);
      if (delta) need(delta, 'delta', 0, rows, k, k);
      const size = z.BYTES_PER_ELEMENT;
      const n = rows * k;
      arena.begin(3 * n * size + rows * 4 + 512);
      const pz = arena.take(n, size, z);
      const pa = arena.take(n, size);
      const pdl = delta ? arena.take(n, size) : 0;
      const py = arena.take(rows, 4);
      const y = new Int32Array(x.memory.buffer, py, rows);
      for (let r = 0; r < rows; r++) {
        const at = rowIndex === null ? rowIndexOffset + r : rowIndex[rowIndexOffset + r];
        const label = labels[at];
        if (!(label >= 0 && label < k))
          throw new RangeError('labels holds a class outside [0, k) or rowIndex points past the last label');
        y[r] = label;
      }
      const total = x.gs_output_loss(f64, kind, pz, pa, pdl, rows, k, py);
      arena.give(pa, n, a);
      if (delta) arena.give(pdl, n, delta);
      return total;
    },
  };
  return Object.freeze(backend);
}
