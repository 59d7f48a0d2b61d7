/**
 * A validator of CloudWatch Embedded Metric Format lines, written from the
 * specification ("Specification: Embedded metric format", Amazon CloudWatch
 * User Guide): the `_aws` metadata object with an integer epoch-ms
 * `Timestamp` and `CloudWatchMetrics` directives, each with `Namespace`,
 * `Dimensions` (sets of at most 30 keys) and `Metrics` (1–100 definitions of
 * `Name` and an optional standard `Unit`); and every target member (each
 * dimension key and metric name) present at the top level, dimensions as
 * strings and metric values as a number or an array of at most 100 numbers.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';

const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

const SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      additionalProperties: false,
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            additionalProperties: false,
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 1024 },
              Dimensions: {
                type: 'array',
                items: {
                  type: 'array',
                  maxItems: 30,
                  items: { type: 'string', minLength: 1, maxLength: 250 },
                },
              },
              Metrics: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  additionalProperties: false,
                  properties: {
                    Name: { type: 'string', minLength: 1, maxLength: 1024 },
                    Unit: { enum: UNITS },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validateShape = new Ajv2020({ allErrors: true }).compile(SCHEMA);

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit?: string }>;
}

/**
 * The problems of one EMF line, empty when it is valid.
 */
export function emfProblems(line: string): string[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line);
  } catch {
    return ['not JSON'];
  }
  if (!validateShape(doc)) {
    return (validateShape.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  }
  const problems: string[] = [];
  const directives = (doc._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics;
  for (const d of directives) {
    for (const key of d.Dimensions.flat()) {
      if (typeof doc[key] !== 'string') problems.push(`dimension ${key} is not a top-level string`);
    }
    for (const { Name } of d.Metrics) {
      const v = doc[Name];
      const ok =
        (typeof v === 'number' && Number.isFinite(v)) ||
        (Array.isArray(v) &&
          v.length > 0 &&
          v.length <= 100 &&
          v.every((x) => typeof x === 'number' && Number.isFinite(x)));
      if (!ok) problems.push(`metric ${Name} has no top-level number value`);
    }
  }
  return problems;
}

/** The EMF lines among captured output lines (those with an `_aws` member). */
export const emfLines = (lines: readonly string[]): string[] =>
  lines.filter((l) => l.startsWith('{"_aws"'));
