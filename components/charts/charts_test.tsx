import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { BarChart } from "./BarChart.tsx";
import { ConfusionMatrixChart } from "./ConfusionMatrixChart.tsx";
import { LineChart } from "./LineChart.tsx";

Deno.test("line chart draws one path per series through scaled points", () => {
  const svg = renderToString(
    <LineChart
      title="Loss"
      description="Training loss by epoch"
      xLabel="epoch"
      yLabel="loss"
      yDomain={[0, 2]}
      width={200}
      height={100}
      series={[{ name: "train", colour: "#000", values: [2, 1, 0] }]}
    />,
  );
  assert.match(svg, /<title id="loss-title">Loss<\/title>/);
  assert.match(svg, /role="img"/);
  // margins: left 56, right 16, top 16, bottom 56 → x 56…184, y 44…16 for 0…2.
  assert.match(svg, /d="M56,16L120,30L184,44"/);
});

Deno.test("confusion matrix shows every count and the diagonal share in its description", () => {
  const svg = renderToString(
    <ConfusionMatrixChart title="Test" labels={["a", "b"]} matrix={[[3, 1], [0, 4]]} />,
  );
  for (const n of ["3", "1", "0", "4"]) assert.match(svg, new RegExp(`>${n}</text>`));
  assert.match(svg, /7 of 8 clips on the diagonal/);
});

Deno.test("bar chart labels values and marks missing ones", () => {
  const svg = renderToString(
    <BarChart
      title="Recall"
      description="Recall per emotion"
      bars={[{ label: "calm", value: 0.5 }, { label: "sad", value: null }]}
    />,
  );
  assert.match(svg, />50\.0 %</);
  assert.match(svg, />n\/a</);
});
