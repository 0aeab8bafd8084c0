/**
 * Pictures as model inputs, prepared the way the training images were: decoded (PNG by pngjs,
 * JPEG by jpeg-js), greyscaled (ITU-R BT.601 luma, alpha composited over black, the MNIST
 * background), resized by area averaging to the model's width × height, and put in [0, 1]
 * (pixel / 255), the range the IDX and digits loaders give. The training sets are light strokes
 * on a dark ground, so a picture whose border is mostly light (a dark digit on white paper) is
 * inverted unless --invert says otherwise.
 */
import { ErrorCode, GradswarmError } from '@gradswarm/core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Whether to invert a picture's greys: by its border, always, or never. */
export type InvertMode = 'auto' | 'yes' | 'no';

/** One picture prepared as one model input row. */
export interface PreparedImage {
  /** width × height greys in [0, 1], row-major. */
  readonly pixels: Float32Array;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly inverted: boolean;
}

/** Largest picture side accepted, so a huge file fails with a message instead of exhausting memory. */
const MAX_IMAGE_SIDE = 8192;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, magic: number[]): boolean => magic.every((b, i) => bytes[i] === b);

/** RGBA bytes of a PNG or JPEG file, recognised by its first bytes. */
function decodeRgba(bytes: Buffer, path: string): { data: Uint8Array; width: number; height: number } {
  const fail = (why: string) =>
    new GradswarmError(ErrorCode.DATA_FORMAT, `${path}: ${why} - help: give a PNG or JPEG picture`);
  try {
    if (startsWith(bytes, PNG_MAGIC)) {
      const png = PNG.sync.read(bytes);
      return { data: png.data, width: png.width, height: png.height };
    }
    if (startsWith(bytes, JPEG_MAGIC)) {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: (MAX_IMAGE_SIDE * MAX_IMAGE_SIDE) / 1e6,
      });
      return { data: img.data, width: img.width, height: img.height };
    }
  } catch (err) {
    throw fail(`cannot decode the picture (${(err as Error).message})`);
  }
  throw fail('not a PNG or JPEG file (unknown first bytes)');
}

/**
 * Area-average resampling of `lines` lines from `from` to `to` samples each (sample k of line r
 * at src[r·srcLine + k·srcStep]): output i averages the input interval [i·from/to, (i+1)·from/to)
 * weighted by overlap, a box filter when shrinking and a plain stretch when enlarging.
 */
function resampleLines(
  src: Float64Array,
  lines: number,
  from: number,
  to: number,
  srcStep: number,
  srcLine: number,
  dst: Float64Array,
  dstStep: number,
  dstLine: number,
): void {
  const scale = from / to;
  for (let r = 0; r < lines; r++) {
    for (let i = 0; i < to; i++) {
      const lo = i * scale;
      const hi = lo + scale;
      let sum = 0;
      for (let k = Math.floor(lo); k < Math.min(from, Math.ceil(hi)); k++)
        sum += (Math.min(hi, k + 1) - Math.max(lo, k)) * src[r * srcLine + k * srcStep];
      dst[r * dstLine + i * dstStep] = sum / scale;
    }
  }
}

/** Greys of `width` × `height`, resized from a `w` × `h` picture's greys: rows first, then columns. */
function resize(grey: Float64Array, w: number, h: number, width: number, height: number): Float64Array {
  const rowsDone = new Float64Array(width * h);
  resampleLines(grey, h, w, width, 1, w, rowsDone, 1, width);
  const out = new Float64Array(width * height);
  resampleLines(rowsDone, width, h, height, width, 1, out, width, 1);
  return out;
}

/**
 * Decodes and prepares one picture file for a model whose input is a `width` × `height` image.
 * @throws GradswarmError GS_ERR_DATA_FORMAT when the file is no PNG or JPEG or cannot be decoded
 */
export function prepareImage(
  bytes: Buffer,
  path: string,
  width: number,
  height: number,
  invert: InvertMode,
): PreparedImage {
  const { data, width: w, height: h } = decodeRgba(bytes, path);
  if (w < 1 || h < 1 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE) {
    throw new GradswarmError(
      ErrorCode.DATA_FORMAT,
      `${path}: a ${w}×${h} picture is outside 1…${MAX_IMAGE_SIDE} pixels a side - help: scale it down first`,
    );
  }
  const grey = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b, alpha] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]];
    // A grey opaque pixel gives exactly byte / 255, as the IDX loader does, so a PNG written from
    // a data set's own image is the same input bit for bit.
    const luma = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    grey[i] = alpha === 255 ? luma / 255 : (luma * alpha) / (255 * 255);
  }
  let inverted = invert === 'yes';
  if (invert === 'auto') {
    let sum = 0;
    let n = 0;
    for (let x = 0; x < w; x++) for (const y of h > 1 ? [0, h - 1] : [0]) (sum += grey[y * w + x]), n++;
    for (let y = 1; y < h - 1; y++) for (const x of w > 1 ? [0, w - 1] : [0]) (sum += grey[y * w + x]), n++;
    inverted = sum / n > 0.5;
  }
  if (inverted) for (let i = 0; i < grey.length; i++) grey[i] = 1 - grey[i];
  const sized = w === width && h === height ? grey : resize(grey, w, h, width, height);
  return {
    pixels: Float32Array.from(sized, (v) => Math.min(1, Math.max(0, v))),
    sourceWidth: w,
    sourceHeight: h,
    inverted,
  };
}
