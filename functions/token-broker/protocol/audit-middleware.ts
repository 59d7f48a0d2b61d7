/**
 * Writes the audit line of every token request, served or refused
 * (audit.ts): the fields the stack's saved Logs Insights queries read.
 */
import { fingerprintOf, grantedVia, idList, idListOf } from '../audit.ts';
import { deviceId, type IssuedToken, type TokenResult } from '../contract.ts';
import { ForbiddenDeviceError } from '../errors.ts';
import { EVENT_KINDS } from '../event-mapping.ts';
import type { Logger } from '../log.ts';
import { toProblem } from '../problem.ts';
import type { Grants } from '../scope.ts';
import {
  type BrokerRequest,
  brokerRequestOf,
  type ProtocolMiddleware,
  ROUTES,
} from './broker-request.ts';

/** What the middleware needs. */
export interface AuditOptions {
  readonly logger: Logger;
  /**
   * The key of the tokens' fingerprints.
   * @default none: the line carries no fingerprints
   */
  readonly fingerprintKey?: () => Promise<Buffer>;
}

/**
 * Creates the middleware; use it before the event mapping, so that its
 * `after` and `onError` see the handler's own result and error.
 * @example
 * middy().use(auditMiddleware({ logger, fingerprintKey })).use(eventMiddleware(now));
 */
export function auditMiddleware(options: AuditOptions): ProtocolMiddleware {
  const { logger, fingerprintKey } = options;
  const write = async (
    req: BrokerRequest,
    outcome: string,
    status: number,
    result: Partial<TokenResult>,
    refused: string,
  ) => {
    const grants: Grants | undefined = await req.grants?.catch(() => undefined);
    const tokens: IssuedToken[] = result.tokens ?? [];
    const key = tokens.length > 0 ? await fingerprintKey?.().catch(() => undefined) : undefined;
    const { identity } = req;
    const requested = idList(req.devices);
    logger.info('token audit', {
      requestId: req.requestId,
      kind: req.kind,
      principal:
        identity?.sub === undefined
          ? req.kind === EVENT_KINDS.direct
            ? 'direct'
            : ''
          : `user:${identity.sub}`,
      // Spaces: a group name may hold a comma, never whitespace.
      groups: (identity?.groups ?? []).join(' '),
      refresh: req.refresh,
      requested,
      served: idListOf(tokens, req.devices, requested),
      refused,
      failed: idList(result.failures ?? []),
      ...grantedVia(grants, req.devices, requested),
      outcome,
      status,
      fingerprints:
        key === undefined
          ? ''
          : tokens.map((t) => `${deviceId(t)}=${fingerprintOf(key, t.visualToken)}`).join(','),
    });
  };
  return {
    async after(request) {
      const req = brokerRequestOf(request.event);
      if (req?.route !== ROUTES.tokens) return;
      await write(req, 'OK', 200, request.response as TokenResult, '');
    },
    async onError(request) {
      const req = brokerRequestOf(request.event);
      if (req?.route !== ROUTES.tokens) return;
      const { error } = request;
      const problem = toProblem(error, req.requestId);
      const refused = error instanceof ForbiddenDeviceError ? idList(error.devices) : '';
      await write(req, problem.code, problem.status, {}, refused);
    },
  };
}
