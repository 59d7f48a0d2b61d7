/**
 * Looks up the caller's grants and, for a token request, checks every
 * device against them and the deployment's product allowlist. The lookup is
 * not awaited here: the broker starts its store read meanwhile and waits
 * for `authorized` before it serves or logs in anything, so a directory
 * read and the token store's read can share one round trip.
 */
import type { GrantSource } from '../grants/grant-source.ts';
import { withRequestId } from '../log.ts';
import { enforceScope } from '../scope.ts';
import { mapped, type ProtocolMiddleware, ROUTES } from './broker-request.ts';

/**
 * Creates the middleware; use it after the identity middleware.
 * @example
 * middy().use(identityMiddleware(groupsClaim)).use(grantsMiddleware(source, allowedProductKeys));
 */
export function grantsMiddleware(
  source: GrantSource,
  allowedProductKeys: readonly string[] | undefined,
): ProtocolMiddleware {
  return {
    before(request) {
      const req = mapped(request);
      const identity = req.identity;
      if (identity === undefined) throw new TypeError('the identity middleware must run first');
      const grants = withRequestId(req.requestId, () => source.grantsFor(identity));
      req.grants = grants;
      if (req.route === ROUTES.tokens) {
        // Before the broker, and so before its cache: a token cached for one
        // caller must never reach a caller not entitled to that device. A
        // refresh is checked the same way.
        req.authorized = grants.then((g) => enforceScope(req.devices, g, allowedProductKeys));
        // Awaited by the handler; this keeps a refusal the handler never
        // reaches (a later middleware failing) from being an unhandled one.
        req.authorized.catch(() => {});
      }
    },
  };
}
