/**
 * Per-class precision, recall and F1 from a confusion matrix (rows: true class, columns:
 * predicted), as scikit-learn's `classification_report`: precision_k = C[k][k] / Σ_i C[i][k],
 * recall_k = C[k][k] / Σ_j C[k][j], F1 the harmonic mean; a ratio with a zero denominator is 0
 * (scikit-learn's zero_division=0). Macro averages weigh classes equally, weighted ones by support.
 */

/** The figures of one class. */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Samples whose true class is this one. */
  readonly support: number;
}

/** Per-class figures plus their macro and support-weighted averages. */
export interface ClassificationReport {
  readonly classes: ClassMetrics[];
  readonly macro: Omit<ClassMetrics, 'support'>;
  readonly weighted: Omit<ClassMetrics, 'support'>;
}

const ratio = (num: number, den: number): number => (den > 0 ? num / den : 0);

/**
 * Precision, recall, F1 and support per class of a square confusion matrix.
 * @throws RangeError if the matrix is not square
 */
export function classificationReport(confusion: readonly (readonly number[])[]): ClassificationReport {
  const k = confusion.length;
  if (confusion.some((row) => row.length !== k)) throw new RangeError('confusion must be a square matrix');
  const classes = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let i = 0; i < k; i++) predicted += confusion[i][c];
    const precision = ratio(row[c], predicted);
    const recall = ratio(row[c], support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = classes.reduce((a, c) => a + c.support, 0);
  const average = (weight: (c: ClassMetrics) => number, sum: number) => ({
    precision: ratio(
      classes.reduce((a, c) => a + weight(c) * c.precision, 0),
      sum,
    ),
    recall: ratio(
      classes.reduce((a, c) => a + weight(c) * c.recall, 0),
      sum,
    ),
    f1: ratio(
      classes.reduce((a, c) => a + weight(c) * c.f1, 0),
      sum,
    ),
  });
  return { classes, macro: average(() => 1, k), weighted: average((c) => c.support, total) };
}
