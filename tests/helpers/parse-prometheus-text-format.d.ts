/** Types for parse-prometheus-text-format, which ships none: its output follows prom2json. */
declare module 'parse-prometheus-text-format' {
  /** One sample of a counter, gauge or untyped series; or one labelled histogram or summary. */
  export interface Sample {
    readonly labels?: Record<string, string>;
    readonly value?: string;
    readonly buckets?: Record<string, string>;
    readonly quantiles?: Record<string, string>;
    readonly count?: string;
    readonly sum?: string;
  }
  /** One metric family. */
  export interface Family {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: Sample[];
  }
  /** Parses the Prometheus text format; throws on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): Family[];
}
