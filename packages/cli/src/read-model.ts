/** Reading a model file for the commands that use one (eval, predict, export). */
import { readFileSync } from 'node:fs';
import { ErrorCode, fsReason, GradswarmError, modelFromJson, type Model } from '@gradswarm/core';

/**
 * Reads and checks a model file.
 * @throws GradswarmError GS_ERR_DATA_IO when it cannot be read, GS_ERR_MODEL_FORMAT when it is not a model
 */
export function readModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot read model ${path}: ${fsReason(err)}`);
  }
  return modelFromJson(text, path);
}
