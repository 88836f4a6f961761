/** One measured figure from a feature's own benchmark, as `npm run bench` collects it. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The target as text, or 'report' for figures that are only reported. */
  target: string;
  pass: boolean | null;
  note?: string;
}
