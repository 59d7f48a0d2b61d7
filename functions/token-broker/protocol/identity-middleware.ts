/**
 * Establishes who asks: the verified JWT of an HTTP request (its `sub` and
 * groups), IAM for a direct invocation, or the user a direct invoker names.
 * An HTTP request without verified claims comes from a route that lacks an
 * authorizer: it is refused as unauthenticated rather than trusted.
 */
import { UnauthenticatedError } from '../errors.ts';
import { type CallerIdentity, IDENTITY_KINDS } from '../grants/grant-source.ts';
import { claimEntries } from '../scope.ts';
import { type BrokerRequest, mapped, type ProtocolMiddleware } from './broker-request.ts';

/**
 * The group names a claim value lists, in any of the grant claim's forms,
 * but split on whitespace only: a group name may hold a comma (Cognito's
 * may), and `ops,admin` read as two groups would hand out `admin`'s grants.
 */
const groupsOf = (claim: unknown): string[] =>
  claimEntries(claim, /\s+/).filter((g): g is string => typeof g === 'string' && g !== '');

/** The identity of `req`, with groups from the claim `groupsClaim`. */
export function identityOf(req: BrokerRequest, groupsClaim: string): CallerIdentity {
  const { http, onBehalf } = req;
  if (http === undefined) {
    return onBehalf === undefined
      ? { kind: IDENTITY_KINDS.iam, groups: [] }
      : { kind: IDENTITY_KINDS.onBehalf, ...onBehalf };
  }
  const { claims } = http;
  if (claims === undefined)
    throw new UnauthenticatedError('The request carries no verified identity');
  const sub = claims.sub;
  return {
    kind: IDENTITY_KINDS.jwt,
    claims,
    ...(typeof sub === 'string' && sub !== '' ? { sub } : {}),
    groups: groupsOf(claims[groupsClaim]),
  };
}

/**
 * Creates the middleware.
 * @example
 * middy().use(eventMiddleware(now)).use(identityMiddleware('cognito:groups'));
 */
export function identityMiddleware(groupsClaim: string): ProtocolMiddleware {
  return {
    before(request) {
      const req = mapped(request);
      req.identity = identityOf(req, groupsClaim);
    },
  };
}
