/**
 * Content fingerprints of data sets. Remote workers fetch or cache a data set by fingerprint and
 * the coordinator refuses a worker whose local copy differs, so the hash covers everything a
 * gradient depends on: the shape, every feature bit and every label.
 */
import { platform } from '#platform';
import type { LabeledSamples } from '@gradswarm/core';
import { HOST_IS_LITTLE_ENDIAN } from './constants.js';

const HEADER_WORDS = 3;

/**
 * Hex SHA-256 over a 12-byte header (count, featureCount, classCount as uint32 little-endian),
 * the features as float32 little-endian bytes and the labels as int32 little-endian bytes.
 * Equal data gives equal fingerprints on every machine; any changed value, label or shape
 * gives a different one.
 */
export function fingerprint(samples: LabeledSamples): string {
  const { count, featureCount, classCount } = samples;
  const header = new DataView(new ArrayBuffer(4 * HEADER_WORDS));
  header.setUint32(0, count, true);
  header.setUint32(4, featureCount, true);
  header.setUint32(8, classCount, true);
  return platform.sha256Hex([
    new Uint8Array(header.buffer),
    littleEndianBytes(samples.features.subarray(0, count * featureCount)),
    littleEndianBytes(samples.labels.subarray(0, count)),
  ]);
}

/** The bytes of a 4-byte-element array in little-endian order (a view on LE hosts, a swapped copy on BE). */
function littleEndianBytes(a: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const swapped = Uint8Array.from(bytes);
  for (let i = 0; i < swapped.length; i += 4) {
    swapped[i] = bytes[i + 3];
    swapped[i + 1] = bytes[i + 2];
    swapped[i + 2] = bytes[i + 1];
    swapped[i + 3] = bytes[i];
  }
  return swapped;
}
