/**
 * Evaluation figures of a model on labelled clips, and the pictures of them: confusion
 * matrices, per-emotion recall and the training curves, as standalone SVG files.
 */
import { renderToString } from "preact-render-to-string";
import { BarChart } from "../../components/charts/BarChart.tsx";
import { ConfusionMatrixChart } from "../../components/charts/ConfusionMatrixChart.tsx";
import { LineChart } from "../../components/charts/LineChart.tsx";
import {
  accuracy,
  accuracyByGroup,
  argMax,
  type ConfusionMatrix,
  confusionMatrix,
  recallPerClass,
  unweightedAverageRecall,
  wilsonInterval,
} from "./metrics.ts";
import type { EpochRecord } from "./trainer.ts";

/** Figures of one evaluated set. */
export interface SetReport {
  clips: number;
  accuracy: number;
  /** Unweighted average recall (macro recall) over the emotions present. */
  uar: number;
  /** Recall per emotion (null: no clip of that emotion in the set). */
  perEmotion: Record<string, number | null>;
  confusion: ConfusionMatrix;
  /** 95 % Wilson interval of the accuracy, clips taken as independent (`wilsonInterval`). */
  accuracyCi95: [number, number];
  /** Clips and accuracy per corpus, when the clips' corpora were given. */
  byCorpus?: Record<string, { clips: number; accuracy: number }>;
}

/**
 * Scores `probs` (`[n, classes]`) against the true class indices; with `corpora` (each clip's
 * corpus) also the accuracy per corpus.
 */
export function scoreSet(
  probs: Float32Array,
  truth: ArrayLike<number>,
  labels: readonly string[],
  corpora?: readonly string[],
): SetReport {
  const k = labels.length;
  const predicted = Array.from(
    { length: truth.length },
    (_, i) => argMax(probs.subarray(i * k, (i + 1) * k)),
  );
  const confusion = confusionMatrix(truth, predicted, k);
  const recalls = recallPerClass(confusion);
  return {
    clips: truth.length,
    accuracy: accuracy(confusion),
    accuracyCi95: wilsonInterval(
      predicted.filter((p, i) => p === truth[i]).length,
      truth.length,
    ),
    uar: unweightedAverageRecall(confusion),
    perEmotion: Object.fromEntries(labels.map((l, i) => [l, recalls[i]])),
    confusion,
    ...(corpora ? { byCorpus: accuracyByGroup(truth, predicted, corpora) } : {}),
  };
}

/** Every epoch's `metric`, or null when an epoch has none (no validation clips). */
function validated(
  history: readonly EpochRecord[],
  metric: "valLoss" | "valAccuracy",
): number[] | null {
  const values = history.map((h) => h[metric]);
  return values.every((v): v is number => v !== null) ? values : null;
}

/** SVG documents (file name → text) for a model's evaluation. */
export function reportPictures(
  name: string,
  labels: readonly string[],
  sets: Record<string, SetReport>,
  history: readonly EpochRecord[],
): Record<string, string> {
  const svg = (node: preact.VNode) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n${renderToString(node)}\n`;
  const files: Record<string, string> = {};
  // An ensemble has no training history of its own (its members' are in their folders).
  if (history.length > 0) {
    const curves = (metric: "loss" | "accuracy", valMetric: "valLoss" | "valAccuracy") => {
      // A run without validation clips (every voice trained) has no validation curve.
      const validation = validated(history, valMetric);
      return svg(
        <LineChart
          title={`${name}: ${metric}`}
          description={metric === "loss"
            ? "Categorical cross-entropy per epoch on training and validation clips."
            : "Share of clips classified right per epoch on training and validation clips."}
          xLabel="epoch"
          yLabel={metric}
          yDomain={metric === "accuracy" ? [0, 1] : undefined}
          series={[
            { name: "training", colour: "#4f46e5", values: history.map((h) => h[metric]) },
            ...(validation
              ? [{ name: "validation", colour: "#dc2626", values: validation, dashed: true }]
              : []),
          ]}
        />,
      );
    };
    files["loss.svg"] = curves("loss", "valLoss");
    files["accuracy.svg"] = curves("accuracy", "valAccuracy");
  }
  for (const [set, report] of Object.entries(sets)) {
    files[`confusion_${set}.svg`] = svg(
      <ConfusionMatrixChart
        title={`${name}: ${set} (${report.clips} clips, ${(report.accuracy * 100).toFixed(1)} %)`}
        labels={labels}
        matrix={report.confusion}
      />,
    );
    files[`per_emotion_${set}.svg`] = svg(
      <BarChart
        title={`${name}: recall per emotion, ${set}`}
        description={`Share of each emotion's ${set} clips classified right; UAR ${
          (report.uar * 100).toFixed(1)
        } %.`}
        bars={labels.map((l) => ({ label: l, value: report.perEmotion[l] }))}
      />,
    );
  }
  return files;
}
