/** The model file `train --out` and `coordinator --out` write (core's serialize.ts and model-metadata.ts). */
import { modelToJson, type CostOptions, type ModelSpec } from '@gradswarm/core';
import type { LoadedData } from './load-data.js';

/**
 * The model file's text: the weights with what eval and predict need to know of the training
 * (model-metadata.ts): the scaling, the cost options, the class names, the image geometry and
 * the data set's name and fingerprint.
 */
export function modelText(
  spec: ModelSpec,
  params: Float32Array,
  data: LoadedData,
  datasetSpec: string,
  cost: CostOptions,
): string {
  const scaling =
    data.scaler.kind === 'none'
      ? undefined
      : { kind: data.scaler.kind, offset: [...data.scaler.offset], factor: [...data.scaler.factor] };
  const outputs = spec.layers[spec.layers.length - 1];
  return modelToJson({
    spec,
    params,
    scaling,
    cost: { l1: cost.l1, l2: cost.l2, reduction: cost.reduction },
    // A one-class CSV still gets two outputs; names are written only when there is one per output.
    ...(data.classNames?.length === outputs ? { classNames: data.classNames } : {}),
    ...(data.image ? { image: data.image } : {}),
    trainedOn: { name: datasetSpec, fingerprint: data.datasetFingerprint },
  });
}
