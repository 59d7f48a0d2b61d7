/**
 * The grants port: what a caller may have, wherever the grants live. The
 * protocol asks it once per request, before the broker serves or logs in
 * anything; its first adapter reads the caller's grant claim.
 */
import type { Logger } from '../log.ts';
import { DIRECT_INVOKE_GRANTS, type Grants, NO_GRANTS, parseGrants } from '../scope.ts';

/** How the caller proved who it is. */
export const IDENTITY_KINDS = {
  /** A JWT that API Gateway's authorizer verified. */
  jwt: 'jwt',
  /** A direct invocation, which IAM authorised. */
  iam: 'iam',
  /** A direct invoker asking on behalf of a user: the directory's grants only. */
  onBehalf: 'on-behalf',
} as const;

/** Who asks. */
export interface CallerIdentity {
  /** One of {@link IDENTITY_KINDS}. */
  readonly kind: (typeof IDENTITY_KINDS)[keyof typeof IDENTITY_KINDS];
  /** The verified claims of a JWT; undefined otherwise. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** The user: the JWT `sub`, or the user a direct invoker names. */
  readonly sub?: string;
  /** The user's groups, from the groups claim. */
  readonly groups: readonly string[];
}

/** Where a caller's grants come from. */
export interface GrantSource {
  /**
   * The grants of `identity`. Rejects only when the grants cannot be known
   * at all; a source that knows some of them says so in `Grants.fault`.
   * @example
   * const grants = await source.grantsFor({ kind: 'jwt', claims, sub: 'alice', groups: [] });
   */
  grantsFor(identity: CallerIdentity): Promise<Grants>;
}

/** Options of {@link createClaimGrantSource}. */
export interface ClaimGrantSourceOptions {
  /** The JWT claim carrying the grants. */
  readonly claimName: string;
  /** Where a claim with malformed entries is reported. */
  readonly logger: Logger;
}

/**
 * The grants a JWT's claim lists; every device for a direct invoker, whom
 * IAM authorised; none for a user a direct invoker names.
 * @example
 * const source = createClaimGrantSource({ claimName: 'devices', logger });
 */
export function createClaimGrantSource(options: ClaimGrantSourceOptions): GrantSource {
  const { claimName, logger } = options;
  return {
    async grantsFor(identity) {
      if (identity.kind === IDENTITY_KINDS.iam) return DIRECT_INVOKE_GRANTS;
      if (identity.claims === undefined) return NO_GRANTS;
      const grants = parseGrants(identity.claims[claimName]);
      if (grants.ignored > 0) {
        // The count only: a misconfigured identity provider shows up here,
        // and the claim itself stays out of the log.
        logger.warn('grant claim has malformed entries, which grant nothing', {
          claim: claimName,
          ignored: grants.ignored,
        });
      }
      return grants;
    },
  };
}
