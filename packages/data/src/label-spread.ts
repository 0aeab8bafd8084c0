/**
 * A data set's class count is its largest label + 1, so one stray label (65535 in a digits CSV)
 * makes 65536 output units and a 65536² confusion matrix (issue 17 item 6: V8 ran out of memory).
 * A label far above all the others is refused here, naming its line, before anything is sized
 * by it.
 */
import { DataFormatError } from '@gradswarm/core';

/** Class counts up to this are never questioned, however sparse (labels 1, 5 and 20 are fine). */
export const SPARSE_LABELS_FREE_CLASSES = 64;

/**
 * Refuses a label set where the largest label is far above the others: more than
 * SPARSE_LABELS_FREE_CLASSES classes of which fewer than half are used.
 * @param labels the labels read
 * @param maxLabel the largest of them, and `maxLine` the line it is on (for the message)
 * @throws DataFormatError naming the file, the line and the label
 */
export function checkLabelSpread(labels: Int32Array, maxLabel: number, maxLine: number, path: string): void {
  const classCount = maxLabel + 1;
  if (classCount <= SPARSE_LABELS_FREE_CLASSES) return;
  const used = new Uint8Array(classCount);
  let distinct = 0;
  let next = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (used[label] === 0) {
      used[label] = 1;
      distinct++;
      if (label !== maxLabel && label > next) next = label;
    }
  }
  if (distinct * 2 >= classCount) return;
  const others = next < 0 ? 'it is the only label' : `the highest of the ${distinct - 1} other labels is ${next}`;
  throw new DataFormatError(
    `${path}: line ${maxLine}: label ${maxLabel} is far above the others (${others}) and would make ${classCount} classes - help: number the classes 0 to K-1, or fix that row`,
  );
}
