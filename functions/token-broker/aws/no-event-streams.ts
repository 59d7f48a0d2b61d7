/**
 * Stand-in for `@smithy/core/event-streams` in the Lambda bundle only,
 * swapped in by the esbuild alias in infra/lambda-bundling.ts. The SDK loads
 * that module lazily, and only for operations with an event-stream member;
 * GetSecretValue has none, yet the module is ~15 KB of the bundle.
 */

const unsupported = (): never => {
  throw new Error('AWS event streams are not included in the token broker bundle');
};

/** Same export as the real module; never constructed by GetSecretValue. */
export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

/** Same export as the real module; never called by GetSecretValue. */
export const eventStreamSerdeProvider = unsupported;
