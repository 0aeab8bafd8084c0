// Public surface of @gradswarm/report: re-exports only. Browser-safe: nothing here imports a Node
// built-in (node.ts, the `./node` subpath, adds the file reader).
export { renderTrainingReport, type TrainingReportOptions } from './training-report.js';
export { defaultWindow, movingAverage } from './moving-average.js';
export { renderScaleReport } from './scale-report.js';
export { parseReportDocument, type ReportDocument } from './read-document.js';
export type { ScaleBenchDocument, ScaleBenchResult } from './types.js';
export {
  lineChart,
  thinPoints,
  type AxisOptions,
  type LineChartOptions,
  type LineSeries,
  type Point,
} from './line-chart.js';
export { barChart, type BarChartOptions, type BarSeries } from './bar-chart.js';
export { heatmap, rampColor, type HeatmapOptions } from './heatmap.js';
export { imageGrid, type Caption, type ImageGridOptions } from './image-grid.js';
export { encodeGrayPng, grayPngDataUrl, PNG_SIGNATURE } from './png.js';
export { base64ToBytes, bytesToBase64 } from './base64.js';
export { renderDashboardView } from './dashboard.js';
export { renderDashboardPage } from './dashboard-page.js';
