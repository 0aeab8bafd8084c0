/**
 * Validation of `welcome`, the one message with nested structure: the model spec (checked by
 * core's `validateModelSpec` after the wire bounds), the training config and the data-set
 * descriptor, plus the cross-field rules between them. Internal to `validate.ts`.
 */
import {
  HIDDEN_ACTIVATIONS,
  MAX_LAYER_SIZE,
  OUTPUT_ACTIVATIONS,
  VALID_OUTPUT_LOSS,
  parameterCount,
  validateModelSpec,
  type LossName,
  type ModelSpec,
} from '@gradswarm/core';
import {
  DATASET_HEADER_BYTES,
  MAC_BYTES,
  MAX_HEARTBEAT_MS,
  MAX_BLOCK_ROWS,
  MAX_PARAMETER_COUNT,
  MAX_SPEC_LAYERS,
} from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  array,
  boolean,
  bytes,
  fingerprint,
  integer,
  invalid,
  map,
  oneOf,
  own,
  string,
  type Fields,
} from './fields.js';
import type { ProtocolLimits } from './limits.js';
import type { WelcomeMessage, WireDatasetDescriptor, WireTrainingConfig } from './messages.js';

const LOSS_NAMES = Object.keys(VALID_OUTPUT_LOSS) as LossName[];

/** Checks a `welcome` map (its `t` already checked). */
export function validateWelcome(o: Fields, limits: ProtocolLimits): WelcomeMessage {
  const mac = bytes(own(o, 'mac'), 'welcome.mac', { length: MAC_BYTES });
  const workerId = integer(own(o, 'workerId'), 'welcome.workerId');
  const spec = modelSpec(own(o, 'spec'), 'welcome.spec');
  const config = trainingConfig(own(o, 'config'), 'welcome.config');
  const dataset = datasetDescriptor(own(o, 'dataset'), 'welcome.dataset', limits);
  if (spec.layers[0] !== dataset.featureCount) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `welcome.spec.layers[0] (${spec.layers[0]} inputs) must equal welcome.dataset.featureCount (${dataset.featureCount})`,
    );
  }
  const chunkBytes = integer(own(o, 'chunkBytes'), 'welcome.chunkBytes', 1, limits.maxChunkBytes);
  const heartbeatMs = integer(own(o, 'heartbeatMs'), 'welcome.heartbeatMs', 1, MAX_HEARTBEAT_MS);
  return { t: 'welcome', mac, workerId, spec, config, dataset, chunkBytes, heartbeatMs };
}

/** A model spec within the wire's bounds, then core's own rules (output/loss pairing). */
function modelSpec(value: unknown, path: string): ModelSpec {
  const m = map(value, path);
  const layers = array(own(m, 'layers'), `${path}.layers`, 2, MAX_SPEC_LAYERS).map((n, i) =>
    integer(n, `${path}.layers[${i}]`, 1, MAX_LAYER_SIZE),
  );
  const P = parameterCount(layers);
  if (P > MAX_PARAMETER_COUNT) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID,
      `${path}.layers [${layers.join(', ')}] give ${P} parameters, more than the wire's ${MAX_PARAMETER_COUNT}`,
    );
  }
  const candidate: ModelSpec = {
    layers,
    hidden: oneOf(own(m, 'hidden'), `${path}.hidden`, HIDDEN_ACTIVATIONS),
    output: oneOf(own(m, 'output'), `${path}.output`, OUTPUT_ACTIVATIONS),
    loss: oneOf(own(m, 'loss'), `${path}.loss`, LOSS_NAMES),
  };
  try {
    return validateModelSpec(candidate);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(ProtocolErrorCode.INVALID, `${path} is not a valid model spec: ${reason}`, { cause: err });
  }
}

function trainingConfig(value: unknown, path: string): WireTrainingConfig {
  const m = map(value, path);
  return {
    seed: integer(own(m, 'seed'), `${path}.seed`, Number.MIN_SAFE_INTEGER),
    shuffle: boolean(own(m, 'shuffle'), `${path}.shuffle`),
    blockRows: integer(own(m, 'blockRows'), `${path}.blockRows`, 1, MAX_BLOCK_ROWS),
  };
}

function datasetDescriptor(value: unknown, path: string, limits: ProtocolLimits): WireDatasetDescriptor {
  const m = map(value, path);
  const d: WireDatasetDescriptor = {
    fingerprint: fingerprint(own(m, 'fingerprint'), `${path}.fingerprint`),
    count: integer(own(m, 'count'), `${path}.count`, 1),
    featureCount: integer(own(m, 'featureCount'), `${path}.featureCount`, 1, MAX_LAYER_SIZE),
    classCount: integer(own(m, 'classCount'), `${path}.classCount`, 1, MAX_LAYER_SIZE),
    bytes: integer(own(m, 'bytes'), `${path}.bytes`, 1),
    name: string(own(m, 'name'), `${path}.name`, limits.maxLabelLength),
  };
  // The encoded data set: header, count × featureCount float32 features, count int32 labels.
  const expected = DATASET_HEADER_BYTES + 4 * d.count * (d.featureCount + 1);
  if (d.bytes !== expected) {
    const rule = `${expected} (a ${DATASET_HEADER_BYTES}-byte header, then 4 · count · (featureCount + 1))`;
    throw invalid(`${path}.bytes`, rule, d.bytes);
  }
  return d;
}
