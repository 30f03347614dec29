/**
 * Classification metrics from true and predicted class indices: confusion matrix,
 * accuracy, per-class recall and unweighted average recall (UAR, the macro recall that
 * speech-emotion papers report because classes are unbalanced).
 */

/** `matrix[t][p]` counts clips of true class t predicted as p. */
export type ConfusionMatrix = number[][];

/** Counts true × predicted pairs; throws on an index outside `0…classCount-1`. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): ConfusionMatrix {
  if (truth.length !== predicted.length) {
    throw new RangeError(
      `Expected as many predictions as labels, but got ${predicted.length} and ${truth.length}`,
    );
  }
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classCount && p >= 0 && p < classCount)) {
      throw new RangeError(`Expected class indices below ${classCount}, but got ${t} and ${p}`);
    }
    m[t][p]++;
  }
  return m;
}

/** Share of the diagonal; 0 for an empty matrix. */
export function accuracy(m: ConfusionMatrix): number {
  let right = 0;
  let all = 0;
  m.forEach((row, t) =>
    row.forEach((n, p) => {
      all += n;
      if (t === p) right += n;
    })
  );
  return all === 0 ? 0 : right / all;
}

/** Recall of each class (null for a class with no clips). */
export function recallPerClass(m: ConfusionMatrix): (number | null)[] {
  return m.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[t] / total;
  });
}

/** Mean recall over the classes that have clips. */
export function unweightedAverageRecall(m: ConfusionMatrix): number {
  const recalls = recallPerClass(m).filter((r): r is number => r !== null);
  return recalls.length === 0 ? 0 : recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/** Index of the largest value (first on ties). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Clips and accuracy of each group of clips (for instance each corpus), in order of first
 * appearance; throws when the lengths differ.
 */
export function accuracyByGroup(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  groups: readonly string[],
): Record<string, { clips: number; accuracy: number }> {
  if (truth.length !== predicted.length || truth.length !== groups.length) {
    throw new RangeError(
      `Expected as many labels, predictions and groups, but got ${truth.length}, ${predicted.length} and ${groups.length}`,
    );
  }
  const counts = new Map<string, { clips: number; right: number }>();
  groups.forEach((g, i) => {
    const c = counts.get(g) ?? { clips: 0, right: 0 };
    c.clips++;
    if (truth[i] === predicted[i]) c.right++;
    counts.set(g, c);
  });
  return Object.fromEntries(
    [...counts].map(([g, c]) => [g, { clips: c.clips, accuracy: c.right / c.clips }]),
  );
}

/**
 * Wilson score interval of a proportion `right / n` at 95 % (z = 1.96): the range of accuracies
 * consistent with the clips scored. It treats clips as independent, which clips of the same
 * few speakers are not, so the real uncertainty is wider. `[0, 1]` for n = 0.
 */
export function wilsonInterval(right: number, n: number, z = 1.96): [number, number] {
  if (!(n >= 0 && right >= 0 && right <= n)) {
    throw new RangeError(`Expected 0 <= right <= n, but got ${right} of ${n}`);
  }
  if (n === 0) return [0, 1];
  const p = right / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
