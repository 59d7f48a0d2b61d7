/**
 * The Lambda handler: the protocol's middlewares, one job each, around the
 * broker. With cors-middleware.ts and protocol/, the only code that knows
 * middy. The middlewares replace the event with a {@link BrokerRequest},
 * which is what the handler itself reads.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Broker } from './broker.ts';
import { DEFAULTS } from './config.ts';
import { corsMiddleware } from './cors-middleware.ts';
import { UpstreamTimeoutError } from './errors.ts';
import { createClaimGrantSource, type GrantSource } from './grants/grant-source.ts';
import { type Logger, withRequestId } from './log.ts';
import { type Metrics, NO_METRICS } from './metrics.ts';
import { auditMiddleware } from './protocol/audit-middleware.ts';
import { type BrokerRequest, ROUTES } from './protocol/broker-request.ts';
import { eventMiddleware } from './protocol/event-middleware.ts';
import { grantsMiddleware } from './protocol/grants-middleware.ts';
import { identityMiddleware } from './protocol/identity-middleware.ts';
import { jsonBodyMiddleware } from './protocol/json-body-middleware.ts';
import { methodMiddleware } from './protocol/method-middleware.ts';
import { payloadMiddleware } from './protocol/payload-middleware.ts';
import { requestLogMiddleware } from './protocol/request-log-middleware.ts';
import { responseMiddleware } from './protocol/response-middleware.ts';
import { listedGrants } from './scope.ts';

export { EVENT_KINDS } from './event-mapping.ts';
export type { HttpResponse } from './problem.ts';

/** What the handler needs. */
export interface HandlerDependencies {
  /** The use case. */
  readonly broker: Broker;
  /** Where the per-request line goes. */
  readonly logger: Logger;
  /** Most devices one request may name. */
  readonly maxDevicesPerRequest: number;
  /**
   * Where callers' grants come from.
   * @default the grant claim named by `deviceScopeClaim`
   */
  readonly grantSource?: GrantSource;
  /**
   * JWT claim that carries the caller's device grants, for the default grant source.
   * @default DEFAULTS.deviceScopeClaim ('devices')
   */
  readonly deviceScopeClaim?: string;
  /**
   * JWT claim that carries the caller's groups.
   * @default DEFAULTS.groupsClaim ('cognito:groups')
   */
  readonly groupsClaim?: string;
  /**
   * Products every caller, direct invokers included, is limited to.
   * @default no deployment-wide limit
   */
  readonly allowedProductKeys?: readonly string[] | undefined;
  /**
   * Exact origins whose browsers may read responses.
   * @default none
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * The key of the audit line's token fingerprints (audit.ts `auditKeyOf`).
   * @default none: audit lines carry no fingerprints
   */
  readonly fingerprintKey?: () => Promise<Buffer>;
  /**
   * Metrics, flushed once at the end of every request.
   * @default NO_METRICS
   */
  readonly metrics?: Metrics;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Builds the middy-wrapped handler around a broker.
 * @example
 * export const handler = createHandler({ broker, logger, maxDevicesPerRequest: 50 });
 */
export function createHandler(deps: HandlerDependencies) {
  const { broker, logger, allowedProductKeys } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? NO_METRICS;
  const grantSource =
    deps.grantSource ??
    createClaimGrantSource({
      claimName: deps.deviceScopeClaim ?? DEFAULTS.deviceScopeClaim,
      logger,
    });
  return middy<unknown, unknown, Error, Context>({
    timeoutEarlyInMillis: 50,
    timeoutEarlyResponse: () => {
      throw new UpstreamTimeoutError('The invocation ran out of time before the upstream answered');
    },
  })
    .use(corsMiddleware(deps.corsAllowedOrigins ?? []))
    .use(responseMiddleware())
    .use(requestLogMiddleware({ logger, metrics, now }))
    .use(
      auditMiddleware({
        logger,
        ...(deps.fingerprintKey === undefined ? {} : { fingerprintKey: deps.fingerprintKey }),
      }),
    )
    .use(eventMiddleware(now))
    .use(methodMiddleware())
    .use(jsonBodyMiddleware())
    .use(payloadMiddleware(deps.maxDevicesPerRequest))
    .use(identityMiddleware(deps.groupsClaim ?? DEFAULTS.groupsClaim))
    .use(grantsMiddleware(grantSource, allowedProductKeys))
    .handler(async (event, context, { signal }) => {
      const req = event as BrokerRequest;
      if (req.route === ROUTES.devices) {
        return listedGrants(await (req.grants as BrokerRequest['grants'] & {}), allowedProductKeys);
      }
      const { devices, stats, refresh, requestId, authorized } = req;
      const principal = req.identity?.sub;
      // The Lambda's own deadline bounds every upstream attempt.
      const deadline = now() + context.getRemainingTimeInMillis();
      return withRequestId(requestId, () =>
        broker.getTokens(devices, {
          signal,
          stats,
          deadline,
          refresh,
          ...(authorized === undefined ? {} : { authorized }),
          ...(principal === undefined ? {} : { principal }),
        }),
      );
    });
}
