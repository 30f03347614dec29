/**
 * d3-scale and d3-shape with their DefinitelyTyped types, in one place so chart modules
 * import them without per-file type directives.
 */
// @ts-types="@types/d3-scale"
export { scaleBand, scaleLinear } from "d3-scale";
// @ts-types="@types/d3-shape"
export { line } from "d3-shape";
