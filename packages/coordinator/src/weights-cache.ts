/**
 * The weights of the current version as float32 bytes, encoded once per version however many
 * workers need them (a worker that joins or missed a version gets these bytes).
 */
export class WeightsCache {
  private version = -1;
  private bytes = new Uint8Array(0);

  /** Bytes of `weights` at `version` (copied once per version, so later updates do not leak in). */
  bytesFor(version: number, weights: Float32Array): Uint8Array {
    if (version !== this.version) {
      this.bytes = new Uint8Array(weights.slice().buffer);
      this.version = version;
    }
    return this.bytes;
  }
}
